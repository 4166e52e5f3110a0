package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestShardMerge runs check and bound unsharded and in N shards through
// the command line, merges the shards, and compares: the merge's exit
// code and stdout with the unsharded run's, and its OUT_DIR/FILE with what
// the unsharded run prints with --json, apart from timings. N larger than
// the work leaves shards with nothing to do.
func TestShardMerge(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		file string
		n    int
	}{
		{"check all", []string{"check", "--calls", "1", "--design", "all"}, "check.json", 3},
		{"check one of 2 shards", []string{"check", "--calls", "1", "--design", "early"}, "check.json", 2},
		{"check list of 7 shards", []string{"check", "--calls", "1", "--design", "head,sync,early"}, "check.json", 7},
		{"bound", []string{"bound", "--design", "reserve,limit", "--sweep", "calls=1..3"}, "bound.json", 4},
		{"fuzz", []string{"fuzz", "--design", "early,reserve", "--seed", "20261126", "--runs", "300", "--alloc-runs", "1", "--alloc-frees", "50"}, "fuzz.json", 4},
		{"fuzz, more properties", []string{"fuzz", "--design", "reserve", "--seed", "3", "--runs", "40", "--alloc-runs", "0", "--candidates", "2", "--bound", "pages <= 3", "--bound", "pending <= 2"}, "fuzz.json", 3},
		{"bound stopped by a limit", []string{"bound", "--design", "head,reserve", "--sweep", "calls=1..4", "--max-states", "3000"}, "bound.json", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			args := append(c.args, "--quiet")
			wantCode, wantText, wantErr := rcucheck(args...)
			_, wantJSON, _ := rcucheck(append(args, "--json")...)
			var dirs []string
			for i := 1; i <= c.n; i++ {
				d := filepath.Join(tmp, fmt.Sprint("s", i))
				if code, _, stderr := rcucheck(append(args, "--shard", fmt.Sprintf("%d/%d", i, c.n), "--out", d)...); code == exitUsage {
					t.Fatalf("shard %d: %s", i, stderr)
				}
				dirs = append(dirs, d)
			}
			out := filepath.Join(tmp, "merged")
			code, text, stderr := rcucheck(append([]string{"merge", "--quiet", out}, dirs...)...)
			if code != wantCode || stderr != wantErr {
				t.Errorf("merge: exit %d, stderr %q; unsharded: exit %d, stderr %q", code, stderr, wantCode, wantErr)
			}
			if text != "" {
				t.Errorf("merge --quiet printed %q", text)
			}
			got, err := os.ReadFile(filepath.Join(out, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := untimed(t, wantJSON), untimed(t, string(got)); a != b {
				t.Errorf("merged %s differs from the unsharded --json apart from timings:\n%s\nunsharded:\n%s", c.file, b, a)
			}
			if code, text, _ := rcucheck(append([]string{"merge", filepath.Join(tmp, "again")}, dirs...)...); code != wantCode || text != wantText {
				t.Errorf("merge's table:\n%s\nunsharded:\n%s", text, wantText)
			}
		})
	}
}

// untimed is the JSON text of a check or bound report, or a list of them,
// with elapsed_sec and states_per_sec zeroed.
func untimed(t *testing.T, text string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("%v: %.200s", err, text)
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for _, r := range list {
		if m, ok := r.(map[string]any); ok {
			for _, k := range []string{"elapsed_sec", "states_per_sec"} {
				if _, has := m[k]; has {
					m[k] = 0
				}
			}
		}
	}
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// TestShardRefusals: a shard without --out, with an output of the whole
// run, from a bad environment, and merges of shards of different runs or
// kinds, of a run that was not sharded: each exit 2 with one line.
func TestShardRefusals(t *testing.T) {
	tmp := t.TempDir()
	dir := func(name string) string { return filepath.Join(tmp, name) }
	for _, a := range [][]string{
		{"check", "--calls", "1", "--design", "head,sync", "--shard", "1/2", "--out", dir("c1")},
		{"check", "--calls", "1", "--design", "head,sync", "--shard", "2/2", "--out", dir("c2")},
		{"check", "--calls", "2", "--design", "head,sync", "--shard", "2/2", "--out", dir("c2k")},
		{"check", "--calls", "1", "--design", "head,sync", "--out", dir("whole")},
		{"fuzz", "--design", "early", "--seed", "1", "--runs", "4", "--alloc-runs", "0", "--shard", "1/2", "--out", dir("f1")},
		{"fuzz", "--design", "early", "--seed", "2", "--runs", "4", "--alloc-runs", "0", "--shard", "2/2", "--out", dir("f2")},
		{"bound", "--sweep", "calls=1..2", "--shard", "1/2", "--out", dir("b1")},
	} {
		if code, _, stderr := rcucheck(append(a, "--quiet")...); code == exitUsage {
			t.Fatalf("%v: %s", a, stderr)
		}
	}
	for _, c := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"check", "--shard", "1/2"}, "--shard 1/2: --out DIR is required"},
		{"", []string{"check", "--shard", "3/2", "--out", dir("x")}, "the index must be from 1 to 2"},
		{"", []string{"check", "--shard", "1/2", "--out", dir("x"), "--trace", dir("t.jsonl")}, "--trace cannot be used with --shard 1/2"},
		{"", []string{"bound", "--shard", "1/2", "--out", dir("x"), "--plot", dir("p.svg")}, "--plot cannot be used with --shard"},
		{"", []string{"bound", "--shard", "1/2", "--out", dir("no/such/dir")}, "--out " + dir("no/such/dir")},
		{"0/2", []string{"check", "--out", dir("x")}, "RCUCHECK_SHARD: shard \"0/2\": the index must be from 1"},
		{"", []string{"merge", dir("m1"), dir("c1"), dir("c2k")}, "not shards of one run: input files (sha256)"},
		{"", []string{"merge", dir("m2"), dir("c1")}, "missing shard(s) 2/2: 1 of 2 given"},
		{"", []string{"merge", dir("m3"), dir("c1"), dir("c2"), dir("c1")}, "shard 1/2 given twice"},
		{"", []string{"merge", dir("m4"), dir("c1"), dir("b1")}, "holds check.json but"},
		{"", []string{"merge", dir("m5"), dir("whole")}, "not a shard's output"},
		{"", []string{"merge", dir("m6"), dir("f1"), dir("f2")}, "not shards of one run: seeds 1 and 2"},
		{"", []string{"fuzz", "--shard", "1/2", "--out", dir("x")}, "--shard 1/2 needs --seed"},
		{"", []string{"fuzz", "--shard", "1/2", "--out", dir("x"), "--seed", "1", "--runs", "1"}, "needs --runs of at least 2"},
		{"", []string{"fuzz", "--shard", "1/2", "--out", dir("x"), "--seed", "1", "--time", "5s"}, "--time cannot be used with --shard"},
		{"", []string{"fuzz", "--shard", "1/2", "--out", dir("x"), "--seed", "1", "--run", "5"}, "--run cannot be used with --shard"},
	} {
		t.Run(c.args[0]+" "+c.want, func(t *testing.T) {
			t.Setenv("RCUCHECK_SHARD", c.env)
			code, out, stderr := rcucheck(append(c.args, "--quiet")...)
			if code != exitUsage || out != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", c.args, code, out, stderr, c.want)
			}
		})
	}
	if _, err := os.Stat(dir("m1")); err == nil {
		t.Error("a refused merge wrote its OUT_DIR")
	}
}

// FuzzMergeShards: whatever a shard's check.json, bound.json or fuzz.json holds, the
// merge of that one shard puts it together (exit 0, 1 or 3) or refuses it
// with one line (exit 2), never a panic. A bound merge explores (the proof
// and witness), so it runs under a short deadline. The seeds are real
// shards' outputs (shard 1/1).
func FuzzMergeShards(f *testing.F) {
	tmp := f.TempDir()
	for i, args := range [][]string{
		{"check", "--calls", "1", "--design", "head,early"},
		{"bound", "--design", "limit", "--sweep", "calls=1..2"},
		{"fuzz", "--design", "early", "--seed", "1", "--runs", "30", "--alloc-runs", "0"},
	} {
		d := filepath.Join(tmp, fmt.Sprint(i))
		if code, _, stderr := rcucheck(append(args, "--quiet", "--shard", "1/1", "--out", d)...); code == exitUsage {
			f.Fatal(stderr)
		}
		data, err := os.ReadFile(filepath.Join(d, args[0]+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(i))
		f.Add([]byte(strings.Replace(string(data), `"total": 2`, `"total": 0`, 1)), uint8(i))
		f.Add([]byte(strings.Replace(string(data), `"--calls=1"`, `"--calls=99"`, 1)), uint8(i))
		f.Add([]byte(strings.Replace(string(data), `"start": 0`, `"start": 5`, 1)), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		dir := t.TempDir()
		file := []string{"check.json", "bound.json", "fuzz.json"}[kind%3]
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var out, errb bytes.Buffer
		code := run(ctx, &env{stdout: &out, stderr: &errb}, []string{"merge", "--quiet", filepath.Join(dir, "out"), dir})
		if code < exitOK || code > exitIncomplete || (code == exitUsage && strings.Count(errb.String(), "\n") != 1) {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
	})
}
