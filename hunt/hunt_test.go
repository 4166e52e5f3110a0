package hunt

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/model"
)

// At small sizes (N=4, B=16, C=2) the hunt finds what bound proves at
// N=1..2: reserve's reserve_used grows, with a pumped witness that starves
// no worker (the shrinker empties the cache the worker refills); limit's
// and head's do not grow; head's pages grow only through the page
// allocator (free alloc-ok, refill).
func TestHuntSmall(t *testing.T) {
	p := model.Params{CPUs: 4, Bulk: 16, Cache: 2, Limit: 2}
	tests := []struct {
		design, metric string
		unbounded      bool
		verdict        string
		// up are the only branches that may raise the metric
		up []string
	}{
		{"reserve", "reserve_used", true, "unbounded (grows ~ ", []string{"free reserve"}},
		{"limit", "reserve_used", false, "growth of reserve_used found up to K = 256", []string{"free reserve"}},
		{"head", "reserve_used", false, "no growth", nil},
		{"head", "pages", true, "unbounded", []string{"free alloc-ok", "refill"}},
	}
	for _, tc := range tests {
		d, err := model.LookupDesign(tc.design)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Run(context.Background(), Config{Design: d, Params: p, Metric: tc.metric, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if r.Unbounded() != tc.unbounded || !strings.Contains(r.Verdict, tc.verdict) {
			t.Errorf("%s %s: %s (points %+v)", tc.design, tc.metric, r.Verdict, r.Points)
		}
		if r.Witness != nil && (!r.Witness.Linear || r.Witness.Gain <= 0 || !r.Witness.Fair) {
			t.Errorf("%s %s: witness not pumped: %+v", tc.design, tc.metric, r.Witness)
		}
		for _, src := range append(append([]Source(nil), r.Sources...), r.WitnessSources...) {
			if src.Up > 0 && !slices.Contains(tc.up, src.Branch) {
				t.Errorf("%s %s: raised by %s: %+v", tc.design, tc.metric, src.Branch, src)
			}
		}
		if r.Witness != nil && (len(r.WitnessSources) == 0 || r.GrowthPerCall <= 0) {
			t.Errorf("%s %s: witness without sources or growth: %+v, %v", tc.design, tc.metric, r.WitnessSources, r.GrowthPerCall)
		}
		t.Logf("%s %s: %s; %s; fit: %s; sources %s; witness %s", tc.design, tc.metric, r.Verdict, r.WitnessFrom, r.FitNote, SourcesText(r.Sources), SourcesText(r.WitnessSources))
		if r.Witness != nil {
			t.Logf("cycle: %v (fair %v, starved %v)", r.Witness.Cycle, r.Witness.Fair, r.Witness.Starved)
		}
	}
}

// The fit line never contradicts the verdict silently: with a witness it
// says the verdict rests on the witness unless the fit is linear and
// clear; without one, growth is "not shown".
func TestFitNote(t *testing.T) {
	w := &bound.Witness{Gain: 1, Replay: []int64{1, 2, 3}, Fair: true}
	unfair := &bound.Witness{Gain: 1, Replay: []int64{1, 2, 3}, Starved: []string{"a", "b", "c", "d", "e"}}
	tests := []struct {
		name    string
		r       Result
		verdict string
		note    string
	}{
		{"linear, clear", Result{Fit: FitLinear, Slope: 0.01, SlopeErr: 0.001, Slopes: []float64{1, 2}, Witness: w, GrowthPerCall: 0.002},
			"unbounded (grows ~ 0.002*K)", "linear, as the witness: slope 0.01 +- 0.001"},
		{"linear, noisy", Result{Fit: FitLinear, Noisy: true, Slope: 0.01, SlopeErr: 0.005, Slopes: []float64{1, 2}, Witness: w},
			"unbounded", "linear (noisy: slope 0.01 +- 0.005 (standard error over 2 seeds); the verdict rests on the replayed witness)"},
		{"logarithmic", Result{Fit: FitLogarithmic, Slope: 0.003, SlopeErr: 0.0001, Slopes: []float64{1, 2, 3}, Witness: w},
			"unbounded", "logarithmic (the worst values drawn do not show the witness's linear growth: slope 0.003 +- 0.0001 (standard error over 3 seeds); the verdict rests on the replayed witness)"},
		{"constant, witness", Result{Fit: FitConstant, Witness: w}, "unbounded", "the verdict rests on the replayed witness"},
		{"unfair", Result{Fit: FitLinear, Slope: 1, Slopes: []float64{1}, Witness: unfair}, "; the cycle is not weakly fair: it starves a, b, c, d and 1 more", "linear, as the witness"},
		{"grows, no witness", Result{Fit: FitLinear, Slope: 0.01, Metric: "pages", Points: []Point{{Calls: 8}}}, "no unbounded growth of pages found up to K = 8: the worst values drawn rise (linear fit, ~0.01*K)", "no witness: the fit alone shows no unbounded growth"},
		{"constant", Result{Fit: FitConstant, Metric: "pages", Points: []Point{{Calls: 8}}}, "no growth of pages found up to K = 8", "constant: "},
	}
	for _, tc := range tests {
		r := tc.r
		r.verdict()
		if !strings.Contains(r.Verdict, tc.verdict) || !strings.Contains(r.FitNote, tc.note) {
			t.Errorf("%s: verdict %q, fit %q", tc.name, r.Verdict, r.FitNote)
		}
	}
}
