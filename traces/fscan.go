package traces

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// kevent is a parsed ftrace line. Its strings may be views of the line
// being read (captureScanner): clone it to keep it.
type kevent struct {
	line int
	comm string
	pid  int
	cpu  int
	ts   int64 // ns
	name string
	site string // the probe site, "(...)"
	args []karg
	raw  string
}

// captureScanner reads an ftrace capture event by event: comment lines
// start with '#'; every other line must be an event line, in time order
// (equal timestamps are fine), and the last line must end with a newline.
type captureScanner struct {
	lr        *lineReader
	follow    bool
	sawHeader bool
	lost      bool
	events    int
	prevTS    int64
	prevLine  int
	ev        kevent
}

func newCaptureScanner(r io.Reader, follow bool) *captureScanner {
	return &captureScanner{lr: newLineReader(r), follow: follow, prevLine: -1}
}

// next returns the next event (valid until the next call), or io.EOF at
// the end of a whole capture.
func (sc *captureScanner) next() (*kevent, error) {
	for {
		b, err := sc.lr.next()
		if err == io.EOF && !sc.sawHeader && !sc.follow {
			return nil, errors.New("not an ftrace capture (no \"# tracer:\" line)")
		}
		if err == io.EOF {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", sc.lr.line+1, err)
		}
		line := sc.lr.line
		if sc.lr.cut {
			if sc.follow {
				return nil, io.EOF // a line the writer had not finished
			}
			return nil, fmt.Errorf("line %d: the capture ends in the middle of this line (no newline after %q): it is cut short; remove the partial line to import the rest", line, tail(string(b), 40))
		}
		if isBlank(b) {
			continue
		}
		if b[0] == '#' {
			if line == 1 && bytes.HasPrefix(b, []byte("# tracer:")) {
				sc.sawHeader = true
			}
			sc.lost = sc.lost || lostEvents(view(b))
			continue
		}
		if sc.follow && bytes.Contains(b, []byte("[LOST ")) && bytes.Contains(b, []byte(" EVENTS]")) {
			sc.lost = true // trace_pipe's "CPU:n [LOST m EVENTS]"
			continue
		}
		if !sc.sawHeader && !sc.follow {
			if line == 1 && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
				return nil, errJSONL
			}
			return nil, fmt.Errorf("line %d: not an ftrace capture (want \"# tracer:\" on line 1)", line)
		}
		if err := sc.event(line, view(b)); err != nil {
			return nil, err
		}
		return &sc.ev, nil
	}
}

// event parses an event line and checks that it is in time order.
func (sc *captureScanner) event(line int, text string) error {
	if err := parseEventInto(&sc.ev, line, text); err != nil {
		return err
	}
	if sc.prevLine >= 0 && sc.ev.ts < sc.prevTS {
		return fmt.Errorf("line %d: timestamp %s is before %s on line %d: the capture is not in time order (ftrace writes it in time order; was it sorted per CPU?)",
			line, fmtTS(sc.ev.ts), fmtTS(sc.prevTS), sc.prevLine)
	}
	sc.prevTS, sc.prevLine = sc.ev.ts, line
	sc.events++
	return nil
}

// ParseFtrace reads an ftrace text capture (the output of
// /sys/kernel/tracing/trace). Comment lines start with '#'; every other
// line must be an event line. The events must be in time order, as ftrace
// writes them (equal timestamps are fine), and the last line must end with
// a newline: a capture sorted otherwise, or cut short, is an error naming
// the line, never judged as if it were whole.
func ParseFtrace(r io.Reader) ([]kevent, bool, error) {
	sc := newCaptureScanner(r, false)
	var evs []kevent
	for {
		e, err := sc.next()
		if err == io.EOF {
			return evs, sc.lost, nil
		}
		if err != nil {
			return nil, false, err
		}
		c, err := e.clone()
		if err != nil {
			return nil, false, err
		}
		evs = append(evs, c)
	}
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// fmtTS prints ns as ftrace prints it, in seconds.
func fmtTS(ns int64) string { return fmt.Sprintf("%d.%06d", ns/1e9, ns%1e9/1e3) }

// lostEvents reads a header comment: whether entries-in-buffer differs from
// entries-written.
func lostEvents(text string) bool {
	const key = "entries-in-buffer/entries-written:"
	i := strings.Index(text, key)
	if i < 0 {
		return false
	}
	f := strings.Fields(text[i+len(key):])
	if len(f) == 0 {
		return false
	}
	a, b, _ := strings.Cut(f[0], "/")
	return a != b
}

func (e *kevent) hex(field string) (uint64, error) {
	v, ok := e.arg(field)
	if !ok {
		return 0, fmt.Errorf("line %d: %s event has no field %q", e.line, e.name, field)
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("line %d: field %q: want a hex number, got %q", e.line, field, v)
	}
	return n, nil
}

// hex2 reads two hexadecimal fields.
func (e *kevent) hex2(f1, f2 string) (uint64, uint64, error) {
	a, err := e.hex(f1)
	if err != nil {
		return 0, 0, err
	}
	b, err := e.hex(f2)
	return a, b, err
}

func (e *kevent) dec(field string) (uint64, error) {
	v, ok := e.arg(field)
	if !ok {
		return 0, fmt.Errorf("line %d: %s event has no field %q", e.line, e.name, field)
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return n, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("line %d: field %q: want a number, got %q", e.line, field, v)
	}
	return uint64(n), nil
}

func (e *kevent) callerIn(fn string) bool {
	v, _ := e.arg("caller")
	return len(v) > len(fn) && v[len(fn)] == '+' && v[:len(fn)] == fn
}
