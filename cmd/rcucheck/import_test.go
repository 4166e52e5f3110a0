package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
