package gate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/internal/shard"
	"github.com/rcucheck/rcucheck/model"
)

// runGate runs Main on testdata/shard.toml (or file) into dir with extra
// flags and returns its exit code.
func runGate(t *testing.T, dir, file string, extra ...string) int {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := append([]string{"--quiet", "--out", dir}, extra...)
	code := Main(context.Background(), &stdout, &stderr, append(args, file), model.BuiltinRegistry())
	if code == ExitUsage {
		t.Fatalf("gate %v: exit 2: %s", extra, stderr.String())
	}
	return code
}

// TestShardsMergeToWhole runs the small gate whole and in 1, 2, 3 and 13
// shards (more shards than rows), merges each, and compares the merge with
// the whole run apart from timings: gate.json, junit.xml and traces.
func TestShardsMergeToWhole(t *testing.T) {
	const file = "testdata/shard.toml"
	tmp := t.TempDir()
	whole := filepath.Join(tmp, "whole")
	want := runGate(t, whole, file)
	if want != ExitFail {
		t.Fatalf("whole gate: exit %d, want %d (the file has failing rows)", want, ExitFail)
	}
	for _, n := range []int{1, 2, 3, 13} {
		var dirs []string
		for i := 1; i <= n; i++ {
			d := filepath.Join(tmp, fmt.Sprintf("n%d-s%d", n, i))
			runGate(t, d, file, "--shard", fmt.Sprintf("%d/%d", i, n))
			dirs = append(dirs, d)
		}
		out := filepath.Join(tmp, fmt.Sprintf("merged%d", n))
		res, err := MergeDirs(out, dirs)
		if err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		if got := ExitCode(res); got != want {
			t.Errorf("%d shards: merged exit %d, want %d", n, got, want)
		}
		if err := DiffOutputs(whole, out); err != nil {
			t.Errorf("%d shards: %v", n, err)
		}
	}
}

// TestShardOutputRecordsItself checks what a shard's gate.json says of
// itself, and that the environment chooses the shard like the flag.
func TestShardOutputRecordsItself(t *testing.T) {
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "flag"), filepath.Join(tmp, "env")
	runGate(t, a, "testdata/shard.toml", "--shard", "2/3")
	t.Setenv(shard.EnvShards, "3")
	t.Setenv(shard.EnvJobIndex, "1")
	runGate(t, b, "testdata/shard.toml")
	ra, err := ReadResult(filepath.Join(a, "gate.json"))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := ReadResult(filepath.Join(b, "gate.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := ra.Shard
	if r == nil || r.Shard != (shard.Shard{Index: 2, Count: 3}) || r.Total != 11 || len(r.Input) != 64 || r.Version == "" || r.Seed != nil {
		t.Fatalf("shard record %+v", r)
	}
	if rb.Shard == nil || fmt.Sprint(rb.Shard) != fmt.Sprint(r) {
		t.Errorf("JOB_COMPLETION_INDEX=1 RCUCHECK_SHARDS=3 gives %+v, --shard 2/3 gives %+v", rb.Shard, r)
	}
}

// TestMergeRefuses checks that merge refuses shards that are not of one
// run, each with one line.
func TestMergeRefuses(t *testing.T) {
	tmp := t.TempDir()
	dir := func(name string) string { return filepath.Join(tmp, name) }
	for i := 1; i <= 2; i++ {
		runGate(t, dir(fmt.Sprintf("s%d", i)), "testdata/shard.toml", "--shard", fmt.Sprintf("%d/2", i))
	}
	runGate(t, dir("whole"), "testdata/shard.toml")
	src, err := os.ReadFile("testdata/shard.toml")
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(tmp, "other.toml")
	if err := os.WriteFile(other, append(src, "# another file\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	runGate(t, dir("other2"), other, "--shard", "2/2")
	runGate(t, dir("of3"), "testdata/shard.toml", "--shard", "2/3")
	tamper(t, dir("s2"), dir("version2"), func(r *Result) { r.Shard.Version = "v0.0.0-other" })
	s1, err := ReadResult(filepath.Join(dir("s1"), "gate.json"))
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, dir("s2"), dir("items2"), func(r *Result) { r.Shard.Items[0] = s1.Shard.Items[0] })
	for _, c := range []struct {
		dirs []string
		want string
	}{
		{[]string{"s1"}, "missing shard(s) 2/2: 1 of 2 given"},
		{[]string{"s1", "s2", "s2"}, "shard 2/2 given twice"},
		{[]string{"s1", "other2"}, "not shards of one run: input files (sha256)"},
		{[]string{"s1", "of3"}, "not shards of one run: shard counts 2 and 3"},
		{[]string{"s1", "version2"}, "not shards of one run: versions"},
		{[]string{"s1", "items2"}, fmt.Sprintf("item %d was run by two shards", s1.Shard.Items[0])},
		{[]string{"whole", "s1"}, "not a shard's output"},
		{[]string{"s1", "nothing"}, "cannot read"},
	} {
		var dirs []string
		for _, d := range c.dirs {
			dirs = append(dirs, dir(d))
		}
		out := dir("out-" + strings.Join(c.dirs, "-"))
		_, err := MergeDirs(out, dirs)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("merge %v: %v, want one line with %q", c.dirs, err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("merge %v wrote %s", c.dirs, out)
		}
	}
}

// tamper copies the gate.json of dir into a new directory to, changed by f.
func tamper(t *testing.T, dir, to string, f func(*Result)) {
	t.Helper()
	r, err := ReadResult(filepath.Join(dir, "gate.json"))
	if err != nil {
		t.Fatal(err)
	}
	f(r)
	var data bytes.Buffer
	if err := WriteJSON(&data, r); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, "gate.json"), data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTimingsBalance checks that --timings moves rows: with a previous run
// saying one cheap-looking row took an hour, that row is alone in its
// shard.
func TestTimingsBalance(t *testing.T) {
	f, err := Load("testdata/shard.toml", model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	rows := Plan(f)
	slow := rows[0].ID() // head K=1: the cheapest estimate
	timings := map[string]float64{slow: 3600}
	for _, r := range rows[1:] {
		timings[r.ID()] = 0.01
	}
	var alone bool
	for i := 1; i <= 3; i++ {
		picked := SelectRows(rows, shard.Shard{Index: i, Count: 3}, timings)
		if len(picked) == 1 && picked[0] == 0 {
			alone = true
		}
	}
	if !alone {
		t.Errorf("the row of an hour shares its shard")
	}
	for i, r := range rows {
		if e := EstimateStates(r); !(e > 0) {
			t.Errorf("row %d: estimate %v", i, e)
		}
	}
}
