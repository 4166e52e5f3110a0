package gate

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/model"
)

// interruptGate has three rows: a quick one, a long one (early at N=2,
// about a second or more) and an every-K one.
const interruptGate = "[[check]]\nname = \"quick\"\ndesigns = [\"head\"]\ncpus = 1\ncalls = 1\nholds = [\"GracePeriod\"]\n" +
	"\n[[check]]\nname = \"long\"\ndesigns = [\"early\"]\ncpus = 2\nbulk = 1\ncalls = 2\nviolated = [\"GracePeriod\"]\nholds = [\"Drainable\"]\n" +
	"\n[[check]]\nname = \"every K\"\ndesigns = [\"head\"]\ncpus = 1\nholds_every_k = [\"GracePeriod\"]\n"

// Ctrl-C gives exit 3 whatever the moment, the row it stopped INTERRUPTED
// and the rows after it "not run", none counted as failed. Before issue 11
// a row stopped by Ctrl-C was UNDECIDED, counted as failed: exit 1.
func TestInterruptAtEveryMoment(t *testing.T) {
	f, err := Parse("g.toml", []byte(interruptGate), model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		arm    func(cancel func()) Options
		status []string
	}{
		{"before the first row", func(cancel func()) Options { cancel(); return Options{} },
			[]string{StatusNotRun, StatusNotRun, StatusNotRun}},
		{"as a row starts", func(cancel func()) Options {
			return Options{RowStart: func(i, _ int, _ *Row) {
				if i == 1 {
					cancel()
				}
			}}
		}, []string{StatusPass, StatusInterrupted, StatusNotRun}},
		{"in the middle of a row", func(cancel func()) Options {
			return Options{RowStart: func(i, _ int, _ *Row) {
				if i == 1 {
					time.AfterFunc(200*time.Millisecond, cancel)
				}
			}}
		}, []string{StatusPass, StatusInterrupted, StatusNotRun}},
		{"between rows", func(cancel func()) Options {
			return Options{RowDone: func(r *Row) {
				if r.Check == "quick" {
					cancel()
				}
			}}
		}, []string{StatusPass, StatusNotRun, StatusNotRun}},
		{"in an every-K row", func(cancel func()) Options {
			return Options{RowStart: func(i, _ int, _ *Row) {
				if i == 2 {
					cancel()
				}
			}}
		}, []string{StatusPass, StatusPass, StatusInterrupted}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := Run(ctx, f, tc.arm(cancel))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res.Rows {
				got = append(got, r.Status)
			}
			if strings.Join(got, "|") != strings.Join(tc.status, "|") || !res.Interrupted || res.Passed || res.Failed != 0 || ExitCode(res) != ExitInterrupted {
				t.Errorf("statuses %q (want %q), interrupted=%v failed=%d exit=%d\n%s", got, tc.status, res.Interrupted, res.Failed, ExitCode(res), table(res))
			}
			if out := table(res); !strings.Contains(out, "INTERRUPTED: 3 rows, 0 failed") {
				t.Errorf("table:\n%s", out)
			}
		})
	}
}

// A row that failed before Ctrl-C keeps its verdict (FAIL in the table, one
// failed row), but the gate's exit code is 3 (interrupted), as rcucheck
// check gives for a violation found by an interrupted run. Before, it was
// exit 1 and the summary said FAILED.
func TestInterruptAfterAFailure(t *testing.T) {
	src := "[[check]]\nname = \"wrong\"\ndesigns = [\"early\"]\ncpus = 1\ncalls = 2\nholds = [\"GracePeriod\"]\n" + interruptGate
	f, err := Parse("g.toml", []byte(src), model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Run(ctx, f, Options{RowDone: func(*Row) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Status != StatusFail || !res.Interrupted || res.Failed != 1 || ExitCode(res) != ExitInterrupted {
		t.Errorf("status %s interrupted=%v failed=%d exit %d", res.Rows[0].Status, res.Interrupted, res.Failed, ExitCode(res))
	}
	if out := table(res); !strings.Contains(out, "INTERRUPTED: 4 rows, 1 failed, interrupted: 3 rows not run") || !strings.Contains(out, "FAIL") {
		t.Errorf("table:\n%s", out)
	}
}

func TestMainInterrupted(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/g.toml"
	if err := writeFile(path, interruptGate); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := Main(ctx, &stdout, &stderr, []string{"--quiet", "--out", dir + "/out", path}, model.BuiltinRegistry())
	if code != ExitInterrupted || !strings.Contains(stdout.String(), "not run  ") || stderr.Len() != 0 {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout.String(), stderr.String())
	}
}

func writeFile(path, src string) error { return os.WriteFile(path, []byte(src), 0o644) }
