package bound

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

// TestConcludeShardedSweep computes a sweep's points one at a time, in
// any order (SweepPoint, as the shards of rcucheck bound do), concludes
// them (Conclude, as rcucheck merge does) and compares the result with
// Analyze's, for verdicts from a proof, a witness and the points alone;
// then a sweep stopped at a point, and a sweep short of a point.
func TestConcludeShardedSweep(t *testing.T) {
	for _, c := range []struct {
		design string
		opt    Options
		want   string
	}{
		{"limit", Options{Figure: FigurePending}, VerdictBounded},
		{"reserve", Options{Figure: FigureLeastReserve}, VerdictUnbounded},
		{"sync", Options{Figure: FigurePages, NoProof: true, WitnessLimit: 1}, VerdictBoundedUpTo},
	} {
		t.Run(c.design+"/"+c.opt.Figure, func(t *testing.T) { concludeCase(t, c.design, c.opt, c.want) })
	}
}

// concludeCase is one case of TestConcludeShardedSweep.
func concludeCase(t *testing.T, design string, opt Options, verdict string) {
	ctx := context.Background()
	base := model.Params{CPUs: 1, Bulk: 2, Cache: 1, Calls: 1, Limit: 2}
	d, err := model.LookupDesign(design)
	if err != nil {
		t.Fatal(err)
	}
	s := Sweep{Param: "calls", Values: []int{1, 2, 3}}
	want, err := Analyze(ctx, d, base, s, opt)
	if err != nil || want.Verdict != verdict {
		t.Fatalf("Analyze: %v, verdict %q; the case wants %q", err, want.Verdict, verdict)
	}
	pts := make([]Point, len(s.Values))
	for _, i := range []int{2, 0, 1} {
		if pts[i], err = SweepPoint(ctx, d, base, s, i, opt); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Conclude(ctx, d, base, s, pts, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Errorf("concluded from points computed apart:\n%s\nAnalyze:\n%s", b, a)
	}
	if _, err := Conclude(ctx, d, base, s, pts[:2], nil, opt); err == nil {
		t.Error("Conclude with 2 points of 3: no error")
	}
	stop := errors.New("stopped")
	r, err := Conclude(ctx, d, base, s, pts[:1], stop, opt)
	if err != stop || r == nil || len(r.Points) != 1 || r.Verdict != "" || r.Store != "exact" {
		t.Errorf("Conclude of a stopped sweep: %+v, %v; want its one point, no verdict, and the sweep's error", r, err)
	}
}
