package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDiskFlag: check, bound and gate with --disk print what they print
// without it (the same states, verdicts, maxima and traces), show the disk
// in their progress lines and leave nothing in the directory; a directory
// that does not exist, or --disk with --fingerprint, is one line and exit 2.
func TestDiskFlag(t *testing.T) {
	gateFile := filepath.Join(t.TempDir(), "g.toml")
	if err := os.WriteFile(gateFile, []byte("[[check]]\nname = \"small\"\ndesigns = [\"head\", \"early\"]\ncalls = [1]\nholds = [\"GracePeriod\", \"Drainable\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "--design", "head,early", "--calls", "2", "--json"},
		{"bound", "--design", "sync", "--sweep", "calls=1..2", "--no-proof", "--json"},
		{"gate", gateFile, "--out", ""},
	} {
		dir := t.TempDir()
		code, want, _ := runUntil("never", args...)
		dcode, got, stderr := runUntil("never", append(args, "--disk", dir)...)
		if dcode != code || stripTimes(got) != stripTimes(want) {
			t.Fatalf("%v: exit %d with --disk, %d without; output:\n%s\nwant:\n%s", args, dcode, code, got, want)
		}
		if args[0] == "check" && !strings.Contains(stderr, ", disk ") {
			t.Fatalf("%v: no disk use in the progress lines:\n%s", args, stderr)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Fatalf("%v: %d files left in the disk directory", args, len(left))
		}
	}
	for _, args := range [][]string{
		{"check", "--design", "head", "--calls", "1", "--disk", filepath.Join(t.TempDir(), "none")},
		{"check", "--design", "head", "--calls", "1", "--disk", t.TempDir(), "--fingerprint"},
	} {
		code, _, stderr := runUntil("never", args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Fatalf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
}

// timings are the figures of an output that change from run to run.
var timings = regexp.MustCompile(`"(elapsed_sec|states_per_sec|seconds)": [0-9.e+-]+`)

// stripTimes blanks the timings of an output.
func stripTimes(s string) string { return timings.ReplaceAllString(s, `"$1": 0`) }
