package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvdan.cc/sh/v3/interp"
)

// rcucheckRun is how the documentation runs rcucheck.
const rcucheckRun = "go run ./cmd/rcucheck"

// docExample is a command line of the documentation.
type docExample struct {
	where string // file:line
	line  string
}

// TestReadmeExamples runs every "go run ./cmd/rcucheck" line of the
// fenced code blocks of README.md and docs/*.md as a shell would (&&, ;
// and || with their exit-code semantics, variables expanded), with rcucheck
// run in-process, in a fresh directory where the paths the examples use
// resolve (gates/, examples/, docs/, ../shared). Every rcucheck command of
// the line must run (none cut off by &&), and the line's exit status must
// be the one its trailing comment names ("# exit 1: ..."), else 0.
func TestReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("the documentation's examples take about a minute: skipped with -short")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(repo, "docs", "*.md"))
	examples, err := docExamples(append([]string{filepath.Join(repo, "README.md")}, files...), repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) < 5 {
		t.Fatalf("found %d examples: is README.md's form changed?", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.where, func(t *testing.T) { checkDocLine(t, repo, ex.line) })
	}
}

// docCommand is the command of a documentation line, without its
// trailing comment.
func docCommand(line string) string {
	cmd, _, _ := strings.Cut(line, " #")
	return strings.TrimSpace(cmd)
}

// checkDocLine runs a documentation line and checks that every rcucheck
// command of it ran and that it exits as its comment says ("# exit N: why";
// no such comment: 0).
func checkDocLine(t *testing.T, repo, text string) {
	t.Helper()
	line := docCommand(text)
	want := exitOK
	if m := regexp.MustCompile(`# .*\bexit (\d)\b`).FindStringSubmatch(text); m != nil {
		want, _ = strconv.Atoi(m[1])
	}
	code, ran, out := runDocLine(t, repo, line)
	if total := strings.Count(line, rcucheckRun); ran != total {
		t.Errorf("%q ran %d of its %d rcucheck commands (cut short by &&?)\n%s", line, ran, total, out)
	}
	if code != want {
		t.Errorf("%q exits %d, want %d (end the line with `# exit N: why` if it is meant to)\n%s", line, code, want, out)
	}
}

// docExamples returns the lines that start with rcucheckRun in the fenced
// code blocks of files.
func docExamples(files []string, repo string) ([]docExample, error) {
	var exs []docExample
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(repo, path)
		sc := bufio.NewScanner(f)
		fenced := false
		for n := 1; sc.Scan(); n++ {
			text := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(text, "```"):
				fenced = !fenced
			case fenced && strings.HasPrefix(text, rcucheckRun):
				exs = append(exs, docExample{fmt.Sprintf("%s:%d", rel, n), text})
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return exs, nil
}

// runDocLine runs line with a shell interpreter in a fresh copy of the
// repository's layout (links to its folders, ../shared beside it) and
// returns the exit status, how many rcucheck commands ran, and what they
// printed.
func runDocLine(t *testing.T, repo, line string) (code, ran int, out string) {
	root := t.TempDir()
	dir := filepath.Join(root, "main")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gates", "examples", "docs"} {
		if err := os.Symlink(filepath.Join(repo, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(repo, "..", "shared"), filepath.Join(root, "shared")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var buf strings.Builder
	code = shellRun(t, line, dir, []string{"TMPDIR=" + root, "HOME=" + root}, &buf, func(ctx context.Context, hc interp.HandlerContext, args []string) error {
		ran++
		if code := run(ctx, &env{stdout: hc.Stdout, stderr: hc.Stderr}, args); code != exitOK {
			return interp.ExitStatus(uint8(code))
		}
		return nil
	}, 5*time.Minute)
	return code, ran, buf.String()
}
