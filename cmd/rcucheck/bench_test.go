package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/bench"
)

func TestBenchUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--runs", "0"}, "--runs"},
		{[]string{"bench", "--workers", "-2"}, "--workers"},
		{[]string{"bench", "--spin-modes", "plain,zip"}, "unknown SPIN mode"},
		{[]string{"bench", "--design", "head,sync"}, "one design"},
		{[]string{"bench", "--check", "--engine-only", "--design", "all"}, "one design"},
		{[]string{"bench", "--design", "nope"}, "unknown design"},
		{[]string{"bench", "--scaling", "--plot", "x.gif"}, "--plot"},
		{[]string{"bench", "--cpus", "40"}, "at most 31 CPUs"},
		{[]string{"bench", "stray"}, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := rcucheck(tc.args...)
			if code != exitUsage || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line naming %q", code, out, errs, tc.want)
			}
		})
	}
}

// TestBenchEngineOnly: the child's figures, with and without symmetry.
func TestBenchEngineOnly(t *testing.T) {
	var plain, sym bench.EngineRun
	for _, c := range []struct {
		args []string
		dst  *bench.EngineRun
	}{
		{[]string{"bench", "--engine-only", "--quiet", "--design", "sync", "--cpus", "3", "--calls", "1", "--workers", "2"}, &plain},
		{[]string{"bench", "--engine-only", "--quiet", "--symmetry", "--fingerprint=false", "--design", "sync", "--cpus", "3", "--calls", "1"}, &sym},
	} {
		code, out, errs := rcucheck(c.args...)
		if code != exitOK || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", c.args, code, errs)
		}
		if err := json.Unmarshal([]byte(out), c.dst); err != nil {
			t.Fatalf("%v: %v in %q", c.args, err, out)
		}
	}
	if !plain.Complete || plain.States == 0 || plain.OmissionBound <= 0 || plain.FullStates != plain.States {
		t.Fatalf("plain run: %+v", plain)
	}
	if !sym.Symmetry || sym.States >= plain.States || sym.FullStates != plain.States || sym.FullTransitions != plain.Transitions {
		t.Fatalf("symmetry run %+v; full model %d states %d transitions", sym, plain.States, plain.Transitions)
	}
	for k, v := range plain.Verdicts {
		if sym.Verdicts[k] != v {
			t.Fatalf("%s: %s with symmetry, %s without", k, sym.Verdicts[k], v)
		}
	}
	for k, v := range plain.Max {
		if sym.Max[k] != v {
			t.Fatalf("max %s: %d with symmetry, %d without", k, sym.Max[k], v)
		}
	}
}
