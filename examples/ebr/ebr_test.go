package ebr

import (
	"context"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

func explore(t *testing.T, m Model) *checker.Result {
	t.Helper()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := checker.Explore(context.Background(), m, checker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete {
		t.Fatalf("incomplete: %s", res.StopReason)
	}
	return res
}

func TestEBR(t *testing.T) {
	tests := []struct {
		m         Model
		safe      checker.Verdict
		safeSteps int
		limbo     int64
	}{
		{Model{Threads: 1, Retires: 2}, checker.Holds, 0, 2},
		{Model{Threads: 2, Retires: 2}, checker.Holds, 0, 4},
		{Model{Threads: 3, Retires: 1}, checker.Holds, 0, 3},
		{Model{Threads: 2, Retires: 1, Buggy: true}, checker.Violated, 4, 2},
		{Model{Threads: 2, Retires: 1, TagLocal: true}, checker.Violated, 6, 2},
	}
	for _, tc := range tests {
		res := explore(t, tc.m)
		safe := res.Invariants[0]
		if safe.Verdict != tc.safe || safe.Trace.Len() != tc.safeSteps {
			t.Errorf("%+v: Safe %s in %d steps, want %s in %d", tc.m, safe.Verdict, safe.Trace.Len(), tc.safe, tc.safeSteps)
		}
		if res.Goals[0].Verdict != checker.Holds {
			t.Errorf("%+v: Drainable %s", tc.m, res.Goals[0].Verdict)
		}
		// A stalled pinned thread keeps every bin from draining: limbo
		// reaches all N*K retired objects, EBR's unbounded memory.
		if res.Metrics[0].Max != tc.limbo {
			t.Errorf("%+v: max limbo %d, want %d", tc.m, res.Metrics[0].Max, tc.limbo)
		}
	}
}

func TestBuggyTrace(t *testing.T) {
	m := Model{Threads: 2, Retires: 1, Buggy: true}
	res := explore(t, m)
	var names []string
	for _, s := range res.Invariants[0].Trace.Steps {
		names = append(names, s.Name)
	}
	got := strings.Join(names, " ")
	// The shortest use-after-free: retire while pinned, then two epoch
	// advances that ignore the pinned thread free its bin.
	if got != "pin(0) retire(0) advance advance" {
		t.Errorf("trace %q", got)
	}
}

func TestValidate(t *testing.T) {
	for _, m := range []Model{{Threads: 0}, {Threads: 9}, {Threads: 2, Retires: 200}, {Threads: 1, Retires: -1}} {
		if m.Validate() == nil {
			t.Errorf("%+v accepted", m)
		}
	}
}
