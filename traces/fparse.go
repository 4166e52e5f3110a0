package traces

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unsafe"
)

// karg is a field of an event's payload, "key=value". A value that goes
// on over tokens without '=' (e.g. "caller=f+0x1/0x2 [module]") is multi:
// its tokens are joined by one space when read.
type karg struct {
	k, v  string
	multi bool
}

// lineReader reads a capture line by line without allocating per line:
// the line it returns is valid until the next call.
type lineReader struct {
	br   *bufio.Reader
	long []byte // a line longer than br's buffer
	line int
	cut  bool // the last line returned had no newline
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// errLongLine is the error for a line longer than MaxLine.
var errLongLine = fmt.Errorf("line longer than %d bytes", MaxLine)

// next returns the next line without its newline (and without a final
// '\r', as bufio.ScanLines), or io.EOF. Its errors are those of the
// reader, or errLongLine: they are about line lr.line+1.
func (lr *lineReader) next() ([]byte, error) {
	b, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(lr.long) > MaxLine {
				return nil, errLongLine
			}
			b, err = lr.br.ReadSlice('\n')
			lr.long = append(lr.long, b...)
		}
		b = lr.long
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(b) == 0 {
		return nil, io.EOF
	}
	if len(b) > MaxLine+1 {
		return nil, errLongLine
	}
	lr.line++
	if b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	} else {
		lr.cut = true
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b, nil
}

// view returns b as a string without copying: valid while b is.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// reSpace is `\s` of Go's regular expressions: no '\v'.
func reSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// isSpace is an ASCII space for strings.Fields ('\v' included).
func isSpace(c byte) bool { return reSpace(c) || c == '\v' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseEventInto parses event line text into e, reusing e's storage. The
// strings of e are views of text. It accepts what the regular expression
// `^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+(\d+)\.(\d+):\s+([A-Za-z0-9_]+):\s?(.*)$`
// accepts, with the same groups: the last '[' at which the rest matches
// ends the task name (the greedy `(.*)`).
func parseEventInto(e *kevent, line int, text string) error {
	for end := len(text); ; {
		i := strings.LastIndexByte(text[:end], '[')
		if i < 0 {
			return fmt.Errorf("line %d: not an ftrace event line: %.80q", line, text)
		}
		ok, err := e.parseAt(line, text, i)
		if err != nil || ok {
			return err
		}
		end = i
	}
}

// parseAt tries the event line with the CPU field at text[i] ('[').
func (e *kevent) parseAt(line int, text string, i int) (bool, error) {
	j := i // the whitespace before '['
	for j > 0 && reSpace(text[j-1]) {
		j--
	}
	d := j // the pid's digits
	for d > 0 && isDigit(text[d-1]) {
		d--
	}
	if j == i || d == j || d == 0 || text[d-1] != '-' {
		return false, nil
	}
	k := i + 1 // the CPU's digits
	for k < len(text) && isDigit(text[k]) {
		k++
	}
	if k == i+1 || k >= len(text) || text[k] != ']' {
		return false, nil
	}
	rest, tsSec, tsFrac, name, ok := splitEventTail(text[k+1:])
	if !ok {
		return false, nil
	}
	pidS, cpuS := text[d:j], text[i+1:k]
	pid, err := strconv.Atoi(pidS)
	if err != nil {
		return false, fmt.Errorf("line %d: pid %s: want a number that fits in an int", line, pidS)
	}
	cpu, err := strconv.Atoi(cpuS)
	if err != nil || cpu >= MaxCPUs {
		return false, fmt.Errorf("line %d: cpu [%s]: want a CPU number below %d", line, cpuS, MaxCPUs)
	}
	ts, err := ftraceTime(tsSec, tsFrac)
	if err != nil {
		return false, fmt.Errorf("line %d: %w", line, err)
	}
	e.line, e.comm, e.pid, e.cpu, e.ts, e.name, e.raw = line, strings.TrimSpace(text[:d-1]), pid, cpu, ts, name, text
	e.site = ""
	if strings.HasPrefix(rest, "(") {
		if p := strings.IndexByte(rest, ')'); p >= 0 {
			e.site, rest = rest[1:p], rest[p+1:]
		}
	}
	e.args = splitArgs(e.args[:0], rest)
	return true, nil
}

// splitEventTail matches `\s+(\S+)\s+(\d+)\.(\d+):\s+([A-Za-z0-9_]+):\s?(.*)`
// on s, the text after the CPU field.
func splitEventTail(s string) (rest, sec, frac, name string, ok bool) {
	f, s, ok1 := field(s) // the flags
	t, s, ok2 := field(s) // the timestamp and its ':'
	if !ok1 || !ok2 || f == "" || len(t) < 4 || t[len(t)-1] != ':' || len(s) == 0 || !reSpace(s[0]) {
		return "", "", "", "", false
	}
	s = strings.TrimLeft(s, " \t\n\f\r")
	t = t[:len(t)-1]
	dot := strings.IndexByte(t, '.')
	if dot <= 0 || dot == len(t)-1 || !allDigits(t[:dot]) || !allDigits(t[dot+1:]) {
		return "", "", "", "", false
	}
	n := 0
	for n < len(s) && (isDigit(s[n]) || s[n] == '_' || (s[n]|0x20 >= 'a' && s[n]|0x20 <= 'z')) {
		n++
	}
	if n == 0 || n >= len(s) || s[n] != ':' {
		return "", "", "", "", false
	}
	rest = s[n+1:]
	if len(rest) > 0 && reSpace(rest[0]) {
		rest = rest[1:]
	}
	return rest, t[:dot], t[dot+1:], s[:n], true
}

// field returns the token at the start of s after at least one space, and
// the text after it.
func field(s string) (tok, rest string, ok bool) {
	i := 0
	for i < len(s) && reSpace(s[i]) {
		i++
	}
	if i == 0 {
		return "", s, false
	}
	j := i
	for j < len(s) && !reSpace(s[j]) {
		j++
	}
	return s[i:j], s[j:], true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// splitArgs splits a payload into key=value fields (strings.Fields, then
// strings.Cut at '='): a token without '=', with an empty key or with '{'
// or '}' in its key continues the value before it.
func splitArgs(dst []karg, p string) []karg {
	if !ascii(p) {
		return splitArgsSlow(dst, p)
	}
	type span struct{ start, end int }
	var spans [16]span
	n0 := len(dst)
	for i := 0; ; {
		for i < len(p) && isSpace(p[i]) {
			i++
		}
		if i == len(p) {
			break
		}
		j := i
		for j < len(p) && !isSpace(p[j]) {
			j++
		}
		tok := p[i:j]
		eq := strings.IndexByte(tok, '=')
		switch k := len(dst) - n0; {
		case eq > 0 && !strings.ContainsAny(tok[:eq], "{}"):
			dst = append(dst, karg{k: tok[:eq], v: tok[eq+1:]})
			if k < len(spans) {
				spans[k] = span{i + eq + 1, j}
			}
		case k > 0 && k-1 < len(spans):
			spans[k-1].end = j
			dst[len(dst)-1].v, dst[len(dst)-1].multi = p[spans[k-1].start:j], true
		case k > 0: // past the spans: the value gets its tokens joined here
			a := &dst[len(dst)-1]
			if a.multi {
				a.v, _ = e0arg(a)
			}
			a.v, a.multi = a.v+" "+tok, false
		}
		i = j
	}
	return dst
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// splitArgsSlow is splitArgs for a payload with other than ASCII (where
// strings.Fields knows more spaces).
func splitArgsSlow(dst []karg, p string) []karg {
	n0 := len(dst)
	for _, tok := range strings.Fields(p) {
		k, v, ok := strings.Cut(tok, "=")
		switch {
		case ok && k != "" && !strings.ContainsAny(k, "{}"):
			dst = append(dst, karg{k: k, v: v})
		case len(dst) > n0:
			dst[len(dst)-1].v += " " + tok
		}
	}
	return dst
}

// e0arg is the value of a.
func e0arg(a *karg) (string, bool) {
	e := kevent{args: []karg{*a}}
	return e.arg(a.k)
}

// arg returns the value of field k (the last one when it is given twice)
// and whether there is one.
func (e *kevent) arg(k string) (string, bool) {
	for i := len(e.args) - 1; i >= 0; i-- {
		if a := &e.args[i]; a.k == k {
			if a.multi { // the first token (maybe empty), then " "+token for each other
				i := strings.IndexFunc(a.v, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
				return a.v[:i] + " " + strings.Join(strings.Fields(a.v[i:]), " "), true
			}
			return a.v, true
		}
	}
	return "", false
}

// clone returns a copy of e that owns its strings.
func (e *kevent) clone() (kevent, error) {
	c := kevent{}
	err := parseEventInto(&c, e.line, strings.Clone(e.raw))
	return c, err
}

// ftraceTime converts an ftrace timestamp "SEC.FRAC" (in seconds) into
// nanoseconds, refusing what MaxTime does not hold.
func ftraceTime(sec, frac string) (int64, error) {
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 9 || s > MaxTime/1e9 {
		return 0, fmt.Errorf("timestamp %s.%s: want seconds with at most 9 decimals, at most %d.%09d", sec, frac, MaxTime/1e9, MaxTime%1e9)
	}
	var fr int64
	for i := 0; i < 9; i++ {
		fr *= 10
		if i < len(frac) {
			fr += int64(frac[i] - '0')
		}
	}
	ts := s*1e9 + fr
	if ts > MaxTime {
		return 0, fmt.Errorf("timestamp %s.%s: want at most %d.%09d seconds", sec, frac, MaxTime/1e9, MaxTime%1e9)
	}
	return ts, nil
}

// errJSONL is the error for a JSON Lines trace given as a capture.
var errJSONL = errors.New("line 1: a JSON Lines trace, not an ftrace capture: judge it with rcucheck lin")

// isBlank reports whether b holds only white space.
func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }
