package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInterruptAnyCommand: Ctrl-C gives exit 3 whatever the moment and
// whatever the command, even when a violation was found before it (issue
// 11, item 5); what was found is still printed. Before, lin and import gave
// exit 1 for a violation found by an interrupted run, 0 when the verdict
// came out anyway, and the gate exit 1 once a row had failed.
func TestInterruptAnyCommand(t *testing.T) {
	dir := t.TempDir()
	early := filepath.Join(dir, "early.jsonl")
	if code, _, errs := rcucheck("check", "--design", "early", "--calls", "1", "--quiet", "--trace", early); code != exitViolated {
		t.Fatalf("check --trace: exit %d: %s", code, errs)
	}
	valid := filepath.Join(dir, "valid.jsonl")
	gateFile := filepath.Join(dir, "g.toml")
	for p, src := range map[string]string{
		valid: validHistory,
		gateFile: "[[check]]\nname = \"wrong\"\ndesigns = [\"early\"]\ncpus = 1\ncalls = 2\nholds = [\"GracePeriod\"]\n" +
			"\n[[check]]\nname = \"long\"\ndesigns = [\"early\"]\ncpus = 2\nbulk = 1\ncalls = 2\nviolated = [\"GracePeriod\"]\nholds = [\"Drainable\"]\n",
	} {
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		trigger string // cancel when stderr shows this ("": before the start)
		args    []string
		stdout  string // what is still reported
	}{
		{"lin, a violation", "", []string{"lin", early}, "verdict:"},
		{"lin, linearizable", "", []string{"lin", valid}, "verdict:"},
		{"import", "", []string{"import", "ftrace", kernelTrace("krcu-bulk"), "--no-replay"}, "contract"},
		{"gate after a failed row", "FAIL", []string{"gate", "--out", filepath.Join(dir, "out"), gateFile}, "FAIL"},
		{"bound", "", []string{"bound", "--design", "reserve", "--sweep", "calls=1..2"}, ""},
		// Ctrl-C after the work, as the last file is written: before, exit 0.
		{"bound, at the end", "witness(es) written", []string{"bound", "--design", "reserve", "--sweep", "calls=1..2", "--witness-out", filepath.Join(dir, "w.json")}, "UNBOUNDED"},
		{"claims", "", []string{"claims"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runUntil(c.trigger, c.args...)
			if code != exitIncomplete || !strings.Contains(out, c.stdout) {
				t.Errorf("exit %d, want %d and %q on stdout\nstdout:\n%s\nstderr:\n%s", code, exitIncomplete, c.stdout, out, errs)
			}
		})
	}
}
