package properties

import (
	"context"
	"reflect"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

// TestMergeLogs runs campaigns whole and split into consecutive ranges of
// runs (each keeping its RunLog), merges the ranges' logs, and compares
// the Result with the whole campaign's: runs, steps, stop reason, first
// and violating runs, witnesses. The cases stop on "all violated" inside a
// range and at its last run, count with KeepGoing, draw parameters, and
// look for properties that stop being looked for at different runs.
func TestMergeLogs(t *testing.T) {
	pages, err := Bound("pages <= 3")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		design string
		props  []Property
		cfg    Config
		splits []int // the ranges' first runs after 0
		stop   string
	}{
		{"all violated inside a range", "early", []Property{GracePeriod()}, Config{Runs: 300, Candidates: 3}, []int{7, 150}, "all violated"},
		{"all violated, two properties", "reserve", []Property{NoStuck(), pages}, Config{Runs: 200, Candidates: 2}, []int{1, 2, 3, 100}, "all violated"},
		{"one property done early", "early", []Property{NoStuck(), GracePeriod(), pages}, Config{Runs: 120, Candidates: 2}, []int{5, 60}, "runs"},
		{"a property done in an earlier range", "early", []Property{pages, GracePeriod()}, Config{Runs: 300, Candidates: 4}, []int{5, 25}, "all violated"},
		{"keep going", "reserve", nil, Config{Runs: 90, Candidates: 2, KeepGoing: true}, []int{30, 31}, "runs"},
		{"drawn parameters", "limit", nil, Config{Runs: 30, Candidates: 2, GenParams: true,
			Ranges: Ranges{CPUs: Range{1, 3}, Bulk: Range{1, 4}, Cache: Range{0, 2}, Reserve: Range{0, 2}, Calls: Range{1, 8}, Limit: Range{1, 3}}}, []int{10, 20}, "runs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := model.LookupDesign(c.design)
			if err != nil {
				t.Fatal(err)
			}
			cfg := c.cfg
			cfg.Design, cfg.Params, cfg.Props, cfg.Seed, cfg.ShortestStates = d, model.Params{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 1, Calls: 3, Limit: 2}, c.props, 20261126, 20000
			want, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := mergedRun(t, cfg, c.splits)
			for _, r := range []*Result{want, got} {
				r.Search, r.Elapsed = 0, 0
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("merged:\n%+v\nwhole:\n%+v", got, want)
			}
			if got.StopReason != c.stop {
				t.Errorf("stop reason %q: the case is one of %q", got.StopReason, c.stop)
			}
		})
	}
}

// mergedRun runs cfg in ranges starting at 0 and at splits, and merges
// their logs.
func mergedRun(t *testing.T, cfg Config, splits []int) *Result {
	t.Helper()
	bounds := append(append([]int{0}, splits...), cfg.Runs)
	var logs []*RunLog
	for i := len(bounds) - 2; i >= 0; i-- { // in any order
		part := cfg
		part.Start, part.Runs, part.ShortestStates, part.Log = bounds[i], bounds[i+1]-bounds[i], 0, &RunLog{}
		if _, err := Run(context.Background(), part); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, part.Log)
	}
	got, err := MergeLogs(context.Background(), cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MergeLogs(context.Background(), cfg, logs[1:]); err == nil {
		t.Error("MergeLogs without the last range: no error")
	}
	return got
}

// TestMergeLogsLooksFor checks the bookkeeping on two made-up ranges: a
// property the first range gives its witness no longer counts in the
// second, and a walk there stops at the violation of what the campaign
// still looks for (the second range's walk, looking for both, stopped at
// the later violation).
func TestMergeLogsLooksFor(t *testing.T) {
	d, err := model.LookupDesign("head")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Design: d, Params: model.DefaultParams(), Props: []Property{NoStuck(), GracePeriod()}, Seed: 1, Runs: 4, Candidates: 1}
	w := func(run int) WitnessRecord { return WitnessRecord{Run: run, Params: model.DefaultParams()} }
	logs := []*RunLog{
		{Start: 0, Range: 2, Runs: 2, Complete: true, StopReason: "runs", TailSteps: 7,
			Violating: []RunRecord{{Run: 0, Steps: 10, First: []int{3, -1}}}, Found: [][]WitnessRecord{{w(0)}, nil}},
		{Start: 2, Range: 2, Runs: 2, Complete: true, StopReason: "runs", TailSteps: 100,
			Violating: []RunRecord{{Run: 2, StepsBefore: 0, Steps: 6, First: []int{6, 4}}}, Found: [][]WitnessRecord{{w(2)}, {w(2)}}},
	}
	res, err := MergeLogs(context.Background(), cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	// Run 0: NoStuck at 3, GracePeriod looked for to the end (10); run 1:
	// 7; run 2: GracePeriod alone is looked for, at 4; then every property
	// has its witness and the campaign stops before run 3.
	if res.Runs != 3 || res.Steps != 10+7+4 || res.StopReason != "all violated" {
		t.Errorf("runs %d, steps %d, stop %q; want 3, 21, all violated", res.Runs, res.Steps, res.StopReason)
	}
	if p := res.Props[0]; p.ViolatingRuns != 1 || p.FirstRun != 0 || p.Witness == nil || p.Witness.Run != 0 {
		t.Errorf("NoStuck: %+v; want its run 0 alone (run 2 no longer counts)", p)
	}
	if p := res.Props[1]; p.ViolatingRuns != 1 || p.FirstRun != 2 || p.Witness == nil || p.Witness.Run != 2 {
		t.Errorf("GracePeriod: %+v; want run 2", p)
	}
}
