package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckTraceThenLin: check --trace writes the counterexamples, lin
// judges them: early is not linearizable (exit 1), head is (exit 0), and
// the HTML is written either way.
func TestCheckTraceThenLin(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		design    string
		checkCode int
		linCode   int
		verdict   string
	}{
		{"early", exitViolated, exitViolated, "verdict: not linearizable"},
		{"head", exitOK, exitOK, "verdict: linearizable"},
	} {
		t.Run(tc.design, func(t *testing.T) {
			tr := filepath.Join(dir, tc.design+".jsonl")
			html := filepath.Join(dir, tc.design+".html")
			if code, _, stderr := rcucheck("check", "--design", tc.design, "--calls", "1", "--quiet", "--trace", tr); code != tc.checkCode {
				t.Fatalf("check exit %d, want %d: %s", code, tc.checkCode, stderr)
			}
			code, out, stderr := rcucheck("lin", tr, "--html", html)
			if code != tc.linCode || !strings.Contains(out, tc.verdict) {
				t.Fatalf("lin exit %d, want %d; stdout:\n%s\nstderr: %s", code, tc.linCode, out, stderr)
			}
			htmls, _ := filepath.Glob(filepath.Join(dir, tc.design+"*.html"))
			if len(htmls) == 0 {
				t.Fatal("no HTML written")
			}
			b, err := os.ReadFile(htmls[0])
			if err != nil || !bytes.Contains(b, []byte("grace periods")) && tc.design == "early" {
				t.Fatalf("HTML lacks the grace-period annotations (err %v)", err)
			}
			code, out, _ = rcucheck("lin", "--json", tr)
			if code != tc.linCode || !strings.Contains(out, `"verdict"`) {
				t.Fatalf("lin --json exit %d: %s", code, out)
			}
		})
	}
}

func TestLinBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"type":"header","format":"rcucheck-trace","version":1,"tool":"t","source":"model","seed":0,"time_unit":"step"}`+"\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lin"}, "missing FILE"},
		{[]string{"lin", filepath.Join(dir, "nope.jsonl")}, "no such file"},
		{[]string{"lin", bad}, "no end line: the file is truncated"},
		{[]string{"lin", bad, "--window", "-3"}, "--window"},
		{[]string{"import", "pcap", bad}, "import ftrace FILE"},
		{[]string{"import", "ftrace", bad}, "not an ftrace capture"},
	} {
		code, _, stderr := rcucheck(tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestImportFtraceCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "k.jsonl")
	code, stdout, stderr := rcucheck("import", "ftrace", "../../../shared/data/kernel-traces/krcu-bulk.trace.gz", "--trace", out)
	if code != exitOK || !strings.Contains(stdout, "contract (window 10µs): linearizable") || !strings.Contains(stdout, "model replay") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := rcucheck("lin", out); code != exitOK || !strings.Contains(stdout, "verdict: linearizable") {
		t.Fatalf("lin of the imported history: exit %d\n%s", code, stdout)
	}
}
