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
