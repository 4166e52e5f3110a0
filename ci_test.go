package rcucheck_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFuzzTargetsInCI checks that .ci/run runs every go test -fuzz target
// of the tree, so that a parser's fuzz target cannot be forgotten by CI.
func TestFuzzTargetsInCI(t *testing.T) {
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	budget := regexp.MustCompile(`^[1-9][0-9]*x$`)
	listed := map[string]bool{}
	for _, line := range strings.Split(string(ci), "\n") {
		if f := strings.Fields(line); len(f) == 3 && strings.HasPrefix(f[0], "./") && strings.HasPrefix(f[1], "Fuzz") && budget.MatchString(f[2]) {
			listed[filepath.Clean(f[0])+" "+f[1]] = true
		}
	}
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			key := filepath.Dir(path) + " " + m[1]
			if !listed[key] {
				t.Errorf("%s: %s is not run by .ci/run (add \"./%s COUNTx\" to its TARGETS)", path, m[1], key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
