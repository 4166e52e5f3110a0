package properties

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/model"
)

// Shrinking reports its progress (the candidate, the replays made, the
// shortest length so far), not only the line before each shrink: a long
// shrink is never silent (issue 11, item 7).
func TestShrinkProgress(t *testing.T) {
	p := model.DefaultParams()
	p.Calls = 40
	var phases []string
	_, err := Run(context.Background(), Config{Design: design(t, "reserve"), Params: p, Props: []Property{NoStuck()}, Seed: 1, Runs: 200, Candidates: 2,
		ProgressEvery: time.Nanosecond, Progress: func(pr Progress) { phases = append(phases, pr.Phase) }})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(phases, "\n")
	if !strings.Contains(got, "shrinking NoStuck 1/2: ") || !strings.Contains(got, " replays, ") {
		t.Errorf("no progress inside the shrink; phases:\n%s", got)
	}
}

// Allocations reports the schedules and frees done while it runs, and its
// figures are MeasureAllocations'.
func TestAllocationsProgress(t *testing.T) {
	p := model.DefaultParams()
	p.Calls = 20000
	var mu sync.Mutex
	var last AllocProgress
	calls := 0
	st, err := Allocations(context.Background(), AllocConfig{Design: design(t, "head"), Params: p, Seed: 3, Runs: 2, Frees: 20000,
		ProgressEvery: time.Nanosecond, Progress: func(pr AllocProgress) { mu.Lock(); last = pr; calls++; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last.Frees == 0 || last.Target != 2 {
		t.Errorf("%d progress reports, last %+v", calls, last)
	}
	want, err := MeasureAllocations(context.Background(), design(t, "head"), p, 3, 2, 20000)
	if err != nil || *want != *st {
		t.Errorf("MeasureAllocations %+v (%v), Allocations %+v", want, err, st)
	}
}
