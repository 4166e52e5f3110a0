package fileout

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Every file is written whole, mode 0644 whatever the umask; a failed write
// leaves the old file and no temporary file.
func TestWrite(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := Write(p, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Write(p, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	ents, _ := os.ReadDir(dir)
	if string(b) != "one" || fi.Mode().Perm() != Mode || len(ents) != 1 {
		t.Errorf("content %q mode %v entries %d", b, fi.Mode().Perm(), len(ents))
	}
	if err := Write(filepath.Join(dir, "missing", "f"), func(io.Writer) error { return nil }); err == nil {
		t.Error("Write created a missing directory")
	}
}

// What cannot be written is said before any work, and nothing is left.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, Mode); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"writable file", CheckWritable(filepath.Join(dir, "new")), ""},
		{"directory as file", CheckWritable(dir), "it is a directory"},
		{"missing directory", CheckWritable(filepath.Join(dir, "no", "f")), "directory " + filepath.Join(dir, "no")},
		{"existing dir", CheckDir(dir), ""},
		{"new dir", CheckDir(filepath.Join(dir, "out")), ""},
		{"file as dir", CheckDir(file), "not a directory"},
		{"under a file", CheckDir(filepath.Join(file, "sub")), "not a directory"},
		{"missing parent", CheckDir(filepath.Join(dir, "no", "out")), "does not exist"},
	}
	for _, tc := range tests {
		if tc.want == "" && tc.err != nil || tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

// Staged files appear together or not at all.
func TestStaged(t *testing.T) {
	dir := t.TempDir()
	var st Staged
	a, b := filepath.Join(dir, "sub", "a"), filepath.Join(dir, "b")
	if err := st.Add(a, func(w io.Writer) error { _, err := io.WriteString(w, "a"); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a); err == nil {
		t.Fatal("a visible before Commit")
	}
	if err := st.Add(b, func(io.Writer) error { return errors.New("no") }); err == nil {
		t.Fatal("no error")
	}
	st.Abort()
	tmps, _ := filepath.Glob(filepath.Join(dir, "*", ".*tmp*"))
	tmps2, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(tmps)+len(tmps2) != 0 {
		t.Errorf("temporary files left: %v %v", tmps, tmps2)
	}
}
