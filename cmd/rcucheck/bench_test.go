package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
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
	var plain, sym engineRun
	for _, c := range []struct {
		args []string
		dst  *engineRun
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

// TestBenchSummary: medians, ratios and the count check.
func TestBenchSummary(t *testing.T) {
	mk := func(tool, setting string, exact bool, xs ...benchSample) *benchSetting {
		return &benchSetting{Tool: tool, Setting: setting, Exact: exact, Samples: xs}
	}
	r := &benchReport{Settings: []*benchSetting{
		mk("rcucheck", "fp", false, sample(100, 500, 5, 1, 1000, 1e-9), sample(100, 500, 5, 3, 3000, 1e-9), sample(100, 500, 5, 2, 2000, 1e-9)),
		mk("rcucheck", "exact", true, sample(100, 500, 5, 4, 4000, 0)),
		mk("spin", "plain", true, sample(100, 500, 0, 8, 8000, 0), sample(100, 500, 0, 4, 8000, 0)),
		mk("spin", "hc4", false, sample(90, 450, 0, 1, 500, 0)),
	}}
	r.summarise()
	if !r.CountsAgree {
		t.Fatal("counts reported as disagreeing")
	}
	if m := r.Settings[0].Median; m.Seconds != 2 || m.StatesPerSec != 50 || m.BytesPerState != 20 {
		t.Fatalf("median %+v; want 2 s, 50 states/s, 20 bytes/state", m)
	}
	var got float64
	for _, q := range r.Ratios {
		if q.Rcucheck == "fp" && q.Spin == "plain" {
			// Each setting's median of states/s: 50 for fp, (12.5+25)/2 for plain.
			got = q.StatesPerSec
		}
	}
	if want := 50 / ((12.5 + 25) / 2); math.Abs(got-want) > 1e-9 {
		t.Fatalf("states/s ratio %g, want %g", got, want)
	}
	r.Settings[2].Samples[1].Transitions++
	r.summarise()
	if r.CountsAgree {
		t.Fatal("a transition count mismatch went unnoticed")
	}
}
