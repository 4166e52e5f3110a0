package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/gate"
)

// TestMergeGate shards the small gate of gate/testdata three ways through
// the command line, merges, and checks the merge's exit code, table and
// outputs against the unsharded run; then the refusals, each exit 2 and
// one line.
func TestMergeGate(t *testing.T) {
	const file = "../../gate/testdata/shard.toml"
	tmp := t.TempDir()
	whole := filepath.Join(tmp, "whole")
	wantCode, wantOut, _ := rcucheck("gate", "--quiet", "--out", whole, file)
	var dirs []string
	for i := 1; i <= 3; i++ {
		d := filepath.Join(tmp, fmt.Sprint("s", i))
		if code, _, stderr := rcucheck("gate", file, "--quiet", "--shard", fmt.Sprintf("%d/3", i), "--out", d); code == exitUsage {
			t.Fatalf("shard %d: %s", i, stderr)
		}
		dirs = append(dirs, d)
	}
	merged := filepath.Join(tmp, "merged")
	code, out, stderr := rcucheck(append([]string{"merge", merged}, dirs...)...)
	if code != wantCode || code != exitViolated || out != wantOut {
		t.Errorf("merge: exit %d (whole %d), stderr %q, table:\n%s\nwhole's:\n%s", code, wantCode, stderr, out, wantOut)
	}
	if err := gate.DiffOutputs(whole, merged); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", merged}, "want OUT_DIR and at least one SHARD_DIR, got 1 arguments"},
		{[]string{"merge", filepath.Join(tmp, "m2"), dirs[0], dirs[2]}, "missing shard(s) 2/3: 2 of 3 given"},
		{[]string{"merge", filepath.Join(tmp, "m3"), dirs[0], dirs[1], dirs[2], dirs[1]}, "shard 2/3 given twice"},
		{[]string{"merge", filepath.Join(tmp, "m4"), dirs[0], tmp}, "no shard output in it"},
		{[]string{"merge", filepath.Join(tmp, "no", "such"), dirs[0], dirs[1], dirs[2]}, "OUT_DIR " + filepath.Join(tmp, "no", "such")},
	} {
		code, out, stderr := rcucheck(c.args...)
		if code != exitUsage || out != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", c.args, code, out, stderr, c.want)
		}
	}
}
