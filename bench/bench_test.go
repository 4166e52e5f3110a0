package bench

import (
	"math"
	"strings"
	"testing"
)

// TestSummarise: medians, ratios and the count check.
func TestSummarise(t *testing.T) {
	mk := func(tool, setting string, exact bool, xs ...Sample) *Setting {
		return &Setting{Tool: tool, Setting: setting, Exact: exact, Samples: xs}
	}
	r := &Report{Settings: []*Setting{
		mk("rcucheck", "fp", false, NewSample(100, 500, 5, 1, 1000, 1e-9), NewSample(100, 500, 5, 3, 3000, 1e-9), NewSample(100, 500, 5, 2, 2000, 1e-9)),
		mk("rcucheck", "exact", true, NewSample(100, 500, 5, 4, 4000, 0)),
		mk("spin", "plain", true, NewSample(100, 500, 0, 8, 8000, 0), NewSample(100, 500, 0, 4, 8000, 0), NewSample(100, 500, 0, 4, 8000, 0)),
		mk("spin", "hc4", false, NewSample(90, 450, 0, 1, 500, 0)),
	}}
	r.Summarise()
	if !r.CountsAgree {
		t.Fatal("counts reported as disagreeing")
	}
	if m := r.Settings[0].Median; m.Seconds != 2 || m.StatesPerSec != 50 || m.BytesPerState != 20 {
		t.Fatalf("median %+v; want 2 s, 50 states/s, 20 bytes/state", m)
	}
	var got float64
	for _, q := range r.Ratios {
		if q.Rcucheck == "fp" && q.Spin == "plain" {
			// Each setting's median of states/s: 50 for fp, 25 for plain.
			got = q.StatesPerSec
		}
	}
	if want := 50.0 / 25; math.Abs(got-want) > 1e-9 {
		t.Fatalf("states/s ratio %g, want %g", got, want)
	}
	// Rounds: fp's runs (100, 33.3, 50 states/s) against plain's (12.5, 25,
	// 25): x8, x1.33, x2.
	for _, q := range r.Ratios {
		if q.Rcucheck == "fp" && q.Spin == "plain" && (math.Abs(q.StatesPerSecMin-(100.0/3)/25) > 1e-9 || math.Abs(q.StatesPerSecMax-100/12.5) > 1e-9) {
			t.Fatalf("states/s ratio over the rounds x%g to x%g, want x%g to x%g", q.StatesPerSecMin, q.StatesPerSecMax, (100.0/3)/25, 100/12.5)
		}
	}
	r.Settings[2].Samples[1].Transitions++
	r.Summarise()
	if r.CountsAgree {
		t.Fatal("a transition count mismatch went unnoticed")
	}
}

// TestSameCountsRounded: pan's rounded counts are compared at 8
// significant digits, with SPIN's extra transition into the initial state.
func TestSameCountsRounded(t *testing.T) {
	exact := Sample{States: 123456789, Transitions: 987654320}
	tests := []struct {
		other Sample
		want  bool
	}{
		{Sample{States: 123456790, Transitions: 987654319, Rounded: true}, true}, // pan printed 987654320 transitions
		{Sample{States: 123456700, Transitions: 987654319, Rounded: true}, false},
		{Sample{States: 123456789, Transitions: 987654320}, true},
		{Sample{States: 123456789, Transitions: 987654321}, false},
	}
	for _, tc := range tests {
		if got := sameCounts(exact, tc.other); got != tc.want {
			t.Errorf("sameCounts(%+v, %+v) = %v, want %v", exact, tc.other, got, tc.want)
		}
	}
}

// TestPrintTotals: the totals of several designs' reports are the sums of
// the settings' medians, and the ratio is SPIN's total over rcucheck's.
func TestPrintTotals(t *testing.T) {
	rep := func(check, spinSec float64) *Report {
		return &Report{Settings: []*Setting{
			{Tool: "rcucheck", Setting: "check, all cores", Median: Sample{Seconds: check}},
			{Tool: "spin", Setting: "plain", Median: Sample{Seconds: spinSec}},
		}}
	}
	var b strings.Builder
	PrintTotals(&b, []*Report{rep(1, 4), rep(2, 5)})
	for _, want := range []string{"totals over 2 designs", "rcucheck check, all cores                3.00 s", "spin plain                               9.00 s",
		"rcucheck check, all cores vs spin plain: x3.00 the speed"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("missing %q in\n%s", want, b.String())
		}
	}
}
