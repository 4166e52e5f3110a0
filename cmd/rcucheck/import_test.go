package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/internal/gztest"
)

func gzipFile(t *testing.T, path string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// outOfOrder is a capture whose lines were sorted per CPU: cpu 1's event
// comes after cpu 0's later one.
const outOfOrder = `# tracer: nop
#
 kfreercu_load/0-251 [000] ..... 17.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0xffff000000001008 func=0x8
 kfreercu_load/0-251 [000] ..... 17.000200: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0xffff000000002008 func=0x8
 kfreercu_load/1-252 [001] ..... 17.000100: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0xffff000000003008 func=0x8
`

// TestInputsJudgedWhole: lin and import refuse, with exit 2 and one line,
// inputs that are not whole or cannot be written, before any work; a
// gzipped JSON Lines trace is read by lin (issue 11).
func TestInputsJudgedWhole(t *testing.T) {
	dir := t.TempDir()
	valid := filepath.Join(dir, "valid.jsonl")
	os.WriteFile(valid, []byte(validHistory), 0o644)
	validGz := filepath.Join(dir, "valid.jsonl.gz")
	gzipFile(t, validGz, []byte(validHistory))
	ooo := filepath.Join(dir, "ooo.trace")
	os.WriteFile(ooo, []byte(outOfOrder), 0o644)
	cut := filepath.Join(dir, "cut.trace.gz")
	gzipFile(t, cut, []byte(outOfOrder[:len(outOfOrder)-30]))
	dupKey := filepath.Join(dir, "dup.jsonl")
	os.WriteFile(dupKey, []byte(strings.Replace(validHistory, `"call":2,`, `"call":2,"call":0,`, 1)), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lin", validGz}, exitOK, "verdict: linearizable"},
		{[]string{"import", "ftrace", validGz}, exitUsage, "a JSON Lines trace, not an ftrace capture: judge it with rcucheck lin"},
		{[]string{"import", "ftrace", ooo}, exitUsage, "line 5: timestamp 17.000100 is before 17.000200 on line 4: the capture is not in time order"},
		{[]string{"lin", ooo}, exitUsage, "line 5: timestamp 17.000100 is before"},
		{[]string{"import", "ftrace", cut}, exitUsage, "line 5: the capture ends in the middle of this line"},
		{[]string{"lin", dupKey}, exitUsage, `line 3: field "call": appears twice`},
		{[]string{"lin", valid, "--html", filepath.Join(dir, "nodir", "x.html")}, exitUsage, "--html: writing"},
		{[]string{"lin", valid, "--html", dir}, exitUsage, "--html: writing " + dir + ": it is a directory"},
		{[]string{"import", "ftrace", kernelTrace("krcu-bulk"), "--trace", filepath.Join(dir, "nodir", "k.jsonl")}, exitUsage, "--trace: writing"},
		{[]string{"lin", valid, "--timeout", "-5s"}, exitUsage, "--timeout: must be >= 0"},
		{[]string{"import", "ftrace", ooo, "--timeout", "-5s"}, exitUsage, "--timeout: must be >= 0"},
	} {
		code, out, stderr := rcucheck(tc.args...)
		got := out
		if tc.code == exitUsage {
			got = stderr
			if strings.Count(stderr, "\n") != 1 || out != "" {
				t.Errorf("%v: stdout %q, stderr %q: want one line on stderr only", tc.args, out, stderr)
			}
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q; stdout:\n%s\nstderr: %s", tc.args, code, tc.code, tc.want, out, stderr)
		}
	}
}

// TestWrittenFilesMode: the files lin and import write get 0644, also over
// a file that had other permissions, and no temporary file is left.
func TestWrittenFilesMode(t *testing.T) {
	dir := t.TempDir()
	valid := filepath.Join(dir, "valid.jsonl")
	os.WriteFile(valid, []byte(validHistory), 0o644)
	html := filepath.Join(dir, "v.html")
	os.WriteFile(html, []byte("old"), 0o600)
	if code, _, stderr := rcucheck("lin", valid, "--html", html); code != exitOK {
		t.Fatalf("lin: exit %d: %s", code, stderr)
	}
	trace := filepath.Join(dir, "k.jsonl")
	if code, _, stderr := rcucheck("import", "ftrace", kernelTrace("krcu-bulk"), "--no-replay", "--trace", trace); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	for _, p := range []string{html, trace} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v (err %v), want 0644", p, fi.Mode().Perm(), err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("files left in the directory: %v", ents)
	}
}

// earlyReclaim is a capture whose object is reclaimed before the grace
// period that began after its free has ended: a violation.
const earlyReclaim = `# tracer: nop
 kfreercu_load/0-251 [000] ..... 17.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0xffff000000001008 func=0x8
     rcu_preempt-15  [001] ..... 17.001000: gp_init: (rcu_gp_init+0x0/0x550) gp_seq=68
     rcu_preempt-15  [001] ..... 17.001010: gp_init_ret: (rcu_gp_kthread+0x5a/0x1b0 <- rcu_gp_init) started=1 gp_seq=69
     kworker/0:1-17  [000] ..... 17.002000: kfree_rcu_work: (kfree_rcu_work+0x0/0x2e0) krwp=0xffff000000020918 krcp=0xffff000000020900
     kworker/0:1-17  [000] ..... 17.002010: kvfree: (kvfree+0x0/0x30) addr=0xffff000000001000 caller=kfree_rcu_work+0x20b/0x2e0
     kworker/0:1-17  [000] ..... 17.002020: kfree_rcu_work_ret: (process_one_work+0x1c7/0x380 <- kfree_rcu_work)
     rcu_preempt-15  [001] ..... 17.003000: gp_cleanup: (rcu_gp_cleanup+0x0/0x460) gp_seq=69
     rcu_preempt-15  [001] ..... 17.003010: gp_cleanup_ret: (rcu_gp_kthread+0xe9/0x1b0 <- rcu_gp_cleanup) gp_seq=72
`

// feedFIFO makes a FIFO in dir and writes data into it from a goroutine
// as fast as it is read; with hold, the writer then keeps it open (a live
// kernel that goes on) until done is closed.
func feedFIFO(t *testing.T, dir string, data []byte, hold bool, done chan struct{}) string {
	t.Helper()
	fifo := filepath.Join(dir, "trace_pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		f.Write(data)
		if hold {
			<-done
		}
	}()
	return fifo
}

// TestImportFollow: import ftrace --follow checks a FIFO fed with a real
// capture at full speed (trace_pipe has no header: it is left out), prints
// a line per violation as it is found and a summary every so often; the
// verdict at the end of the input is the capture's; Ctrl-C while the
// writer still holds the FIFO open prints the summary so far, exit 3.
func TestImportFollow(t *testing.T) {
	pressure := gunzipCapture(t, "krcu-pressure")
	body := pressure[bytes.Index(pressure, []byte("\n  ")):] // no comment lines
	cases := []struct {
		name string
		data []byte
		hold bool
		code int
		want []string
	}{
		{"pressure capture", body, false, exitOK, []string{"follow: ", "frees", "contract (window 10µs): linearizable: 20000 objects"}},
		{"a violation", []byte(earlyReclaim), false, exitViolated, []string{"VIOLATION: 0xffff000000001000#1 is reclaimed by", "not linearizable"}},
		{"Ctrl-C", body, true, exitIncomplete, []string{"follow: ", "contract (window 10µs): unknown", "partitions undecided (", "objects freed (kvfree_call_rcu): "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan struct{})
			defer close(done)
			fifo := feedFIFO(t, t.TempDir(), c.data, c.hold, done)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := &cancelWriter{cancel: cancel}
			if c.hold {
				out.trigger = "follow: " // Ctrl-C after the first summary
			}
			var errb bytes.Buffer
			code := run(ctx, &env{stdout: out, stderr: &errb}, []string{"import", "ftrace", "--follow", fifo, "--summary-every", "1ms"})
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q", w)
				}
			}
			if code != c.code || t.Failed() {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out.String(), errb.String())
			}
		})
	}
}

// summaryWriter cancels its context once the --follow summaries have
// repeated the same count of lines want times: the summary goes on while
// no line arrives.
type summaryWriter struct {
	cancelWriter
	want int
}

func (w *summaryWriter) Write(p []byte) (int, error) {
	n, err := w.cancelWriter.Write(p)
	if k := followLines(w.String()); len(k) >= w.want && slices.Equal(k[len(k)-w.want:], slices.Repeat(k[len(k)-1:], w.want)) && k[len(k)-1] > 0 {
		w.cancel()
	}
	return n, err
}

var followLine = regexp.MustCompile(`(?m)^follow: [^:]*: (\d+) lines`)

// followLines returns the line counts of the --follow summaries in out.
func followLines(out string) []int {
	var ns []int
	for _, m := range followLine.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		ns = append(ns, n)
	}
	return ns
}

// TestImportFollowIdle: with --follow, the summary is printed every
// --summary-every also while no event arrives (a FIFO whose writer sent
// part of a capture and stays open), with the lines read so far; Ctrl-C
// then ends the run (exit 3).
func TestImportFollowIdle(t *testing.T) {
	pressure := gunzipCapture(t, "krcu-pressure")
	body := pressure[bytes.Index(pressure, []byte("\n  "))+1:]
	const lines = 3000 // fewer than a report's 1024 lines after the last
	cut := 0
	for range lines {
		cut += bytes.IndexByte(body[cut:], '\n') + 1
	}
	done := make(chan struct{})
	defer close(done)
	fifo := feedFIFO(t, t.TempDir(), body[:cut], true, done)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := &summaryWriter{cancelWriter: cancelWriter{cancel: cancel}, want: 3}
	var errb bytes.Buffer
	code := run(ctx, &env{stdout: out, stderr: &errb}, []string{"import", "ftrace", "--follow", fifo, "--summary-every", "5ms"})
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("no 3 summaries in a row while the FIFO was idle in 20 s\nstdout:\n%s", out.String())
	}
	if k := followLines(out.String()); code != exitIncomplete || k[len(k)-1] != lines {
		t.Fatalf("exit %d (want 3), last summary at %v lines (want %d)\nstdout:\n%s\nstderr:\n%s", code, k[len(k)-1:], lines, out.String(), errb.String())
	}
}

// TestImportStdin: "-" reads the standard input, gzipped or not, for
// import ftrace and for lin, with the figures of the file.
func TestImportStdin(t *testing.T) {
	raw := gunzipCapture(t, "krcu-bulk")
	gz, err := os.ReadFile(kernelTrace("krcu-bulk"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		args []string
		want string
	}{
		{"import, text", raw, []string{"import", "ftrace", "-", "--no-replay", "--quiet"}, "contract (window 10µs): linearizable: 16000 objects, 16000 reclaimed"},
		{"import, gzip", gz, []string{"import", "ftrace", "-", "--no-replay", "--quiet"}, "objects freed (kvfree_call_rcu): 16000"},
		{"lin, gzip", gz, []string{"lin", "-", "--quiet"}, "verdict: linearizable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			go func() { w.Write(c.data); w.Close() }()
			old := os.Stdin
			os.Stdin = r
			defer func() { os.Stdin = old; r.Close() }()
			code, out, errs := rcucheck(c.args...)
			if code != exitOK || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, want 0 and %q\nstdout:\n%s\nstderr: %s", code, c.want, out, errs)
			}
		})
	}
}

// gunzipCapture returns the text of a capture of ../shared/data/kernel-traces.
func gunzipCapture(t *testing.T, name string) []byte {
	return gztest.Read(t, kernelTrace(name))
}
