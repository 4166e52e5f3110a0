package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// cancelWriter is a stderr that cancels a context once it has been written
// a line containing trigger.
type cancelWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	trigger string
	cancel  context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.trigger != "" && strings.Contains(w.buf.String(), w.trigger) {
		w.cancel()
	}
	return len(p), nil
}

func (w *cancelWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// runUntil runs rcucheck with progress every millisecond, cancelling its
// context when stderr shows trigger ("": at once, before it starts).
func runUntil(trigger string, args ...string) (int, string, string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if trigger == "" {
		cancel()
	}
	var out bytes.Buffer
	errw := &cancelWriter{trigger: trigger, cancel: cancel}
	code := run(ctx, &env{stdout: &out, stderr: errw, progressEvery: time.Millisecond}, args)
	return code, out.String(), errw.String()
}

// TestLimitFlagsRefused: a limit that makes no sense is one line and exit 2,
// never "no limit".
func TestLimitFlagsRefused(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--timeout", "-5s"}, "-timeout: want a duration of at least 0"},
		{[]string{"check", "--timeout", "soon"}, "-timeout: want a duration"},
		{[]string{"check", "--max-states", "-5"}, "-max-states: want a whole number"},
		{[]string{"check", "--max-memory", "-1"}, "-max-memory: want a whole number"},
		{[]string{"check", "--max-memory", "17592186044416"}, "-max-memory: want a whole number from 0 (no limit) to 17592186044415"},
		{[]string{"check", "--workers", "10000000"}, "-workers: want a number of workers from 0 (one per core) to 1024"},
		{[]string{"check", "--workers", "-1"}, "-workers: want a number of workers"},
		{[]string{"bound", "--timeout", "-1s"}, "-timeout: want a duration of at least 0"},
		{[]string{"claims", "--workers", "2000"}, "-workers: want a number of workers"},
		{[]string{"bench", "--engine-only", "--workers", "2000"}, "-workers: want a number of workers from 0 (one per core) to 1024"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := rcucheck(c.args...)
			if code != exitUsage || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, out, errs, c.want)
			}
		})
	}
}

// progressLine is the form of a progress line of check.
var progressLine = regexp.MustCompile(`^check head: \d+ states, \d+ states/s, depth \d+, \d+ MiB, \d+s(, .*)?$`)

// TestProgressOnStderr: progress lines come on stderr while check runs,
// never on stdout, and not at all with --quiet.
func TestProgressOnStderr(t *testing.T) {
	args := []string{"check", "--design", "head", "--calls", "2", "--max-states", "300000", "--json"}
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errb, progressEvery: time.Millisecond}, args)
	if code != exitIncomplete {
		t.Fatalf("exit %d; stderr %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("%d progress lines, want several:\n%s", len(lines), errb.String())
	}
	for _, l := range lines {
		if !progressLine.MatchString(l) {
			t.Errorf("not a progress line: %q", l)
		}
	}
	var rep map[string]any
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || strings.Contains(out.String(), "states/s") {
		t.Errorf("stdout is not the report alone (%v):\n%s", err, out.String())
	}
	out.Reset()
	errb.Reset()
	run(context.Background(), &env{stdout: &out, stderr: &errb, progressEvery: time.Millisecond}, append(args, "--quiet"))
	if errb.Len() != 0 {
		t.Errorf("--quiet still writes on stderr:\n%s", errb.String())
	}
}

// TestCheckInterrupted: an interruption at any moment gives exit 3 (even
// after a violation was found), the figures found so far, and names the
// designs that never ran, in text and in JSON.
func TestCheckInterrupted(t *testing.T) {
	cases := []struct {
		name    string
		trigger string // cancel when stderr shows this ("": before the run)
		designs string
		ran     int    // reports of designs that ran
		notRun  string // the designs that never ran
	}{
		{"before the start", "", "all", 1, "sync, reserve, limit, early"},
		{"during the second design", "check sync:", "all", 2, "reserve, limit, early"},
		{"after a violation", "check head:", "reserve,head,sync", 2, "sync"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"check", "--design", c.designs, "--calls", "2"}
			code, out, errs := runUntil(c.trigger, args...)
			if code != exitIncomplete {
				t.Fatalf("exit %d, want %d; stderr %s", code, exitIncomplete, errs)
			}
			if want := "not run: " + c.notRun + " (interrupted)"; !strings.Contains(out, want) {
				t.Errorf("text lacks %q:\n%s", want, out)
			}
			if !strings.Contains(out, "INCOMPLETE (interrupted)") {
				t.Errorf("text does not say the last design was interrupted:\n%s", out)
			}
			code, out, errs = runUntil(c.trigger, append(args, "--json")...)
			if code != exitIncomplete {
				t.Fatalf("JSON: exit %d, want %d; stderr %s", code, exitIncomplete, errs)
			}
			var reps []struct {
				Design     string `json:"design"`
				Complete   bool   `json:"complete"`
				StopReason string `json:"stop_reason"`
				Properties map[string]struct {
					Holds bool `json:"holds"`
				} `json:"properties"`
			}
			if err := json.Unmarshal([]byte(out), &reps); err != nil {
				t.Fatal(err)
			}
			var notRun []string
			for i, r := range reps {
				if i >= c.ran {
					notRun = append(notRun, r.Design)
					if r.Complete || r.StopReason != notRunStop || r.Properties["NoStuck"].Holds {
						t.Errorf("design %s never ran, but its report says %+v", r.Design, r)
					}
				}
			}
			if got := strings.Join(notRun, ", "); got != c.notRun || reps[c.ran-1].StopReason != "interrupted" {
				t.Errorf("not run %q, last stop reason %q; want %q and interrupted", got, reps[c.ran-1].StopReason, c.notRun)
			}
		})
	}
}

// TestCheckMemoryCap: a run whose states do not fit under --max-memory stops
// as incomplete (exit 3) on the memory limit, with the figures so far.
func TestCheckMemoryCap(t *testing.T) {
	code, out, errs := rcucheck("check", "--design", "head", "--cpus", "64", "--calls", "2", "--max-memory", "40", "--quiet", "--json")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitIncomplete, errs)
	}
	for _, want := range []string{`"complete": false`, `"stop_reason": "memory limit 40 MiB reached"`} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
}

// TestFuzzInterruptedAfterViolation: interrupting fuzz gives exit 3 with what was found,
// even when a property was violated before.
func TestFuzzInterruptedAfterViolation(t *testing.T) {
	code, out, errs := runUntil("fuzz reserve: 1", "fuzz", "--design", "reserve", "--calls", "50", "--runs", "0", "--time", "1m",
		"--keep-going", "--seed", "1", "--alloc-runs", "0", "--shortest-states", "0")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitIncomplete, errs)
	}
	if !strings.Contains(out, "INTERRUPTED") || !strings.Contains(errs, "schedules/s") {
		t.Errorf("stdout %s\nstderr %s", out, errs)
	}
}
