package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGateCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.toml", "[[check]]\nname = \"early caught\"\ndesigns = [\"early\"]\ncpus = 2\ncalls = 2\nviolated = [\"GracePeriod\"]\n")
	failing := write("fail.toml", "[[check]]\nname = \"early safe\"\ndesigns = [\"early\"]\ncpus = 2\ncalls = 2\nholds = [\"GracePeriod\"]\n")
	bad := write("bad.toml", "[[check]]\nname = \"x\"\ndesigns = [\"early\"]\nholds = [\"GracePeriod\"]\ncalls = [1, -1]\n")
	negative := write("neg.toml", "[[check]]\nname = \"x\"\ndesigns = [\"early\"]\nholds = [\"GracePeriod\"]\nmax_states = -5\n")
	vacuous := write("vacuous.toml", "[[check]]\nname = \"pool\"\ndesigns = [\"reserve\"]\ncpus = 1\nbounds = [\"reserve_used <= R\"]\n")
	tests := []struct {
		file   string
		code   int
		stdout string
		stderr string
	}{
		{good, exitOK, "PASSED: 1 rows, 0 failed", ""},
		{failing, exitViolated, "holds GracePeriod: violated: shortest counterexample of 7 steps", ""},
		{bad, exitUsage, "", "rcucheck gate: " + bad + ":5: field check[1].calls: calls must be between 0 and"},
		{negative, exitUsage, "", "rcucheck gate: " + negative + ":5: field check[1].max_states: -5 is out of range"},
		{vacuous, exitOK, "bound reserve_used <= R: holds by construction", ""},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), &env{stdout: &stdout, stderr: &stderr}, []string{"gate", "--quiet", "--out", filepath.Join(dir, "out"), tc.file})
		if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.HasPrefix(stderr.String(), tc.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", filepath.Base(tc.file), code, stdout.String(), stderr.String())
		}
		if tc.code == exitUsage && strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("usage error not on one line: %q", stderr.String())
		}
	}
}

// Ctrl-C (a cancelled context) before or during the gate is exit 3, and
// an --out that cannot be written is exit 2 before any row runs.
func TestGateCommandInterruptedAndOut(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.toml")
	if err := os.WriteFile(path, []byte("[[check]]\nname = \"c\"\ndesigns = [\"early\"]\ncpus = 2\ncalls = 2\nviolated = [\"GracePeriod\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, &env{stdout: &stdout, stderr: &stderr}, []string{"gate", "--quiet", "--out", filepath.Join(dir, "out"), path}); code != exitIncomplete || !strings.Contains(stdout.String(), "not run") {
		t.Errorf("interrupted: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), &env{stdout: &stdout, stderr: &stderr}, []string{"gate", "--quiet", "--out", path, path}); code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "not a directory") {
		t.Errorf("--out a file: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}
