package ebr

import (
	"context"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

func explore(t *testing.T, m Model, workers int) *checker.Result {
	t.Helper()
	spec, err := m.Spec()
	if err != nil {
		t.Fatal(err)
	}
	res, err := checker.ExploreSpec(context.Background(), spec, checker.Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete {
		t.Fatalf("incomplete: %s", res.StopReason)
	}
	return res
}

func names(tr *checker.Trace) string {
	var s []string
	for _, st := range tr.Steps {
		s = append(s, st.Name)
	}
	return strings.Join(s, " ")
}

// The figures of the hand-written checker.Model this package had before it
// moved to checker.Spec (same states, transitions, depths, verdicts, traces
// and maxima), for 1 and 2 workers.
func TestEBR(t *testing.T) {
	tests := []struct {
		m                   Model
		states, transitions uint64
		depth               int
		safe                checker.Verdict
		safeTrace           string
		limbo               int64
	}{
		{Model{Threads: 1, Retires: 2}, 114, 216, 11, checker.Holds, "", 2},
		{Model{Threads: 2, Retires: 2}, 3096, 9519, 16, checker.Holds, "", 4},
		{Model{Threads: 3, Retires: 1}, 7506, 29460, 16, checker.Holds, "", 3},
		{Model{Threads: 2, Retires: 0}, 27, 66, 5, checker.Holds, "", 0},
		// The shortest use-after-free: retire while pinned, then two epoch
		// advances that ignore the pinned thread free its bin.
		{Model{Threads: 2, Retires: 1, Buggy: true}, 1398, 4710, 13, checker.Violated, "pin(0) retire(0) advance advance", 2},
		{Model{Threads: 2, Retires: 1, TagLocal: true}, 795, 2226, 14, checker.Violated, "pin(0) advance pin(1) retire(0) unpin(0) advance", 2},
		{Model{Threads: 3, Retires: 2}, 73791, 324270, 21, checker.Holds, "", 6},
	}
	for _, tc := range tests {
		for _, workers := range []int{1, 2} {
			res := explore(t, tc.m, workers)
			if res.States != tc.states || res.Transitions != tc.transitions || res.Depth != tc.depth || res.Deadlocks != 0 {
				t.Errorf("%+v: %d states %d transitions depth %d, %d deadlocks; want %d %d %d 0",
					tc.m, res.States, res.Transitions, res.Depth, res.Deadlocks, tc.states, tc.transitions, tc.depth)
			}
			safe := res.Property("Safe")
			if safe.Verdict != tc.safe || (safe.Trace != nil) != (tc.safeTrace != "") || (safe.Trace != nil && names(safe.Trace) != tc.safeTrace) {
				t.Errorf("%+v: Safe %s %v, want %s %q", tc.m, safe.Verdict, safe.Trace, tc.safe, tc.safeTrace)
			}
			if d := res.Property("Drainable"); d.Verdict != checker.Holds {
				t.Errorf("%+v: Drainable %s", tc.m, d.Verdict)
			}
			// A stalled pinned thread keeps every bin from draining: limbo
			// reaches all N*K retired objects, EBR's unbounded memory.
			if got := res.Metric("limbo").Max; got != tc.limbo {
				t.Errorf("%+v: max limbo %d, want %d", tc.m, got, tc.limbo)
			}
		}
	}
}

func TestSpecRefuses(t *testing.T) {
	for _, m := range []Model{{Threads: 0}, {Threads: 9}, {Threads: 2, Retires: 200}, {Threads: 1, Retires: -1}} {
		if _, err := m.Spec(); err == nil {
			t.Errorf("%+v accepted", m)
		}
	}
}
