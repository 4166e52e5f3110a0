package hunt

import (
	"context"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

// At small sizes (N=4, B=16, C=2) the hunt finds what bound proves at
// N=1..2: reserve's reserve_used grows, with a pumped witness; limit's
// and head's do not grow.
func TestHuntSmall(t *testing.T) {
	p := model.Params{CPUs: 4, Bulk: 16, Cache: 2, Limit: 2}
	tests := []struct {
		design, metric string
		unbounded      bool
		verdict        string
	}{
		{"reserve", "reserve_used", true, "unbounded (grows ~ "},
		{"limit", "reserve_used", false, "no growth of reserve_used found up to K = 256"},
		{"head", "reserve_used", false, "no growth"},
		{"head", "pages", true, "unbounded"},
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
		if r.Witness != nil && (!r.Witness.Linear || r.Witness.Gain <= 0) {
			t.Errorf("%s %s: witness not pumped: %+v", tc.design, tc.metric, r.Witness)
		}
		t.Logf("%s %s: %s; %s", tc.design, tc.metric, r.Verdict, r.WitnessFrom)
		if r.Witness != nil {
			t.Logf("cycle: %v (fair %v, starved %v)", r.Witness.Cycle, r.Witness.Fair, r.Witness.Starved)
		}
	}
}
