package gate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/model"
)

// An --out that cannot be written is refused (exit 2, one line) before any
// row runs. Before issue 11, the gate ran every row first and then failed.
func TestOutDirCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	gatePath := filepath.Join(dir, "g.toml")
	file := filepath.Join(dir, "afile")
	for _, p := range []string{gatePath, file} {
		if err := writeFile(p, "[[check]]\nname = \"long\"\ndesigns = [\"early\"]\ncpus = 2\ncalls = 2\nviolated = [\"GracePeriod\"]\n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "tracesfile"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(dir, "tracesfile", "traces"), "x"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		out, want string
	}{
		{file, "not a directory"},
		{filepath.Join(file, "sub"), "not a directory"},
		{filepath.Join(dir, "missing", "out"), "does not exist"},
		{filepath.Join(dir, "tracesfile"), "traces is not a directory"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := Main(context.Background(), &stdout, &stderr, []string{"--out", tc.out, gatePath}, model.BuiltinRegistry())
		if code != ExitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("--out %s: exit %d stdout %q stderr %q, want 2 and %q", tc.out, code, stdout.String(), stderr.String(), tc.want)
		}
		if el := time.Since(start); el > 500*time.Millisecond {
			t.Errorf("--out %s: refused after %s: the rows ran first", tc.out, el)
		}
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if err := CheckOutDir(ro); err == nil || !strings.Contains(err.Error(), "cannot write") {
			t.Errorf("read-only dir: %v", err)
		}
	}
}

// Every file the gate writes is 0644, whatever the umask of temporary
// files; a failure while writing leaves the earlier outputs whole and no
// temporary file behind.
func TestOutputsWholeAnd0644(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), &stdout, &stderr, []string{"--quiet", "--out", dir, "testdata/fail.toml"}, model.BuiltinRegistry()); code != ExitFail {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var files []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, p)
			if fi.Mode().Perm() != 0o644 {
				t.Errorf("%s: mode %v, want 0644", p, fi.Mode().Perm())
			}
		}
		return err
	})
	if err != nil || len(files) != 4 {
		t.Fatalf("files %v (%v)", files, err)
	}
	before, err := os.ReadFile(filepath.Join(dir, "gate.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A trace cannot be written (a directory stands where the file goes):
	// gate.json and junit.xml stay those of the first run.
	f, err := Load("testdata/fail.toml", model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res.Title = "second run"
	blocked := filepath.Join(dir, "traces", "row002-head.txt")
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(blocked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(blocked, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = WriteOutputs(dir, res)
	if err == nil {
		t.Fatal("no error")
	}
	after, _ := os.ReadFile(filepath.Join(dir, "gate.json"))
	if !bytes.Equal(before, after) {
		t.Error("gate.json changed by a failed write")
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "*", ".*.tmp*"))
	tmps2, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
	if len(tmps)+len(tmps2) != 0 {
		t.Errorf("temporary files left: %v %v", tmps, tmps2)
	}
}

// Progress lines name the row being run and its states/s, on stderr only;
// --quiet silences them.
func TestProgressLines(t *testing.T) {
	var stderr syncBuffer
	pr := newProgress(&stderr, time.Millisecond, 20*time.Millisecond)
	f, err := Parse("g.toml", []byte("[[check]]\nname = \"long\"\ndesigns = [\"early\"]\ncpus = 2\nbulk = 1\ncalls = 2\nviolated = [\"GracePeriod\"]\n"), model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), f, pr.options()); err != nil {
		t.Fatal(err)
	}
	pr.stop()
	out := stderr.String()
	if !strings.Contains(out, "gate: row 1/1 long / early / N=2 B=1 C=1 R=0 K=2 L=0: ") || !strings.Contains(out, "gate: pass      long / early") {
		t.Errorf("stderr:\n%s", out)
	}
	if !strings.Contains(out, "states/s") && !strings.Contains(out, ": running, ") {
		t.Errorf("no progress line:\n%s", out)
	}
	path := filepath.Join(t.TempDir(), "q.toml")
	if err := writeFile(path, interruptGate); err != nil {
		t.Fatal(err)
	}
	var stdout, quiet bytes.Buffer
	if code := Main(context.Background(), &stdout, &quiet, []string{"--quiet", "--out", "", path}, model.BuiltinRegistry()); code != ExitPass || quiet.Len() != 0 {
		t.Errorf("--quiet: exit %d, stderr %q", code, quiet.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the progress goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
