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

// kernelTrace is a capture of ../shared/data/kernel-traces, read in place.
func kernelTrace(name string) string {
	return filepath.Join("..", "..", "..", "shared", "data", "kernel-traces", name+".trace.gz")
}

// validHistory is a free at 1 and its reclaim at [2,3]: linearizable under
// any window.
const validHistory = `{"type":"header","format":"rcucheck-trace","version":1,"tool":"t","source":"recorder","seed":0,"time_unit":"step","clients":["a","b"]}
{"type":"op","id":1,"client":0,"op":"free","obj":"o1","result":"ok","call":1,"return":1}
{"type":"op","id":2,"client":1,"op":"reclaim","obj":"o1","result":"ok","call":2,"return":3}
{"type":"end","records":2}
`

// TestHugeWindows: the largest windows the flags accept saturate; they do
// not wrap round into a "not linearizable" (issue 11, item 1).
func TestHugeWindows(t *testing.T) {
	valid := filepath.Join(t.TempDir(), "valid.jsonl")
	if err := os.WriteFile(valid, []byte(validHistory), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lin", valid, "--window", "9223372036854775807"}, "verdict: linearizable"},
		{[]string{"lin", valid, "--window", "9223372036854775806"}, "verdict: linearizable"},
		{[]string{"import", "ftrace", kernelTrace("krcu-bulk"), "--no-replay", "--window", "2562047h47m16.854775807s"}, "): linearizable: 16000 objects, 16000 reclaimed"},
	} {
		if testing.Short() && tc.args[0] == "import" {
			continue // 13 s: every partition then holds every grace period
		}
		code, out, stderr := rcucheck(tc.args...)
		if code != exitOK || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want 0 and %q; stdout:\n%s\nstderr: %s", tc.args, code, tc.want, out, stderr)
		}
	}
}
