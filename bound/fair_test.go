package bound

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

func parseActions(t *testing.T, texts ...string) []model.Action {
	t.Helper()
	out := make([]model.Action, len(texts))
	for i, x := range texts {
		a, err := model.ParseAction(x)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = a
	}
	return out
}

// naiveStarved is the test's own reading of weak fairness, written
// independently of fairness.step: replay cycle from s and return the
// names of the system actions enabled in every state and never taken.
func naiveStarved(t *testing.T, m *model.Model, s *model.State, cycle []model.Action) []string {
	t.Helper()
	s = s.Clone()
	count := map[string]int{}
	taken := map[string]bool{}
	name := func(a model.Action) string {
		switch a.Kind {
		case model.KindGPStart, model.KindGPEnd:
			return a.Kind.String()
		case model.KindReclaim:
			return a.String()
		}
		return (model.Action{Kind: a.Kind, CPU: a.CPU}).String()
	}
	for _, a := range cycle {
		seen := map[string]bool{}
		for _, e := range m.Enabled(s, nil) {
			switch e.Kind {
			case model.KindFree, model.KindReadLock, model.KindReadUnlock, model.KindShrink:
				continue
			}
			if n := name(e); !seen[n] {
				seen[n] = true
				count[n]++
			}
		}
		switch a.Kind {
		case model.KindFree, model.KindReadLock, model.KindReadUnlock, model.KindShrink:
		default:
			taken[name(a)] = true
		}
		if err := m.Step(s, a); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for n, k := range count {
		if k == len(cycle) && !taken[n] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// TestStarved checks the fairness of hand-written cycles of design
// reserve (N=1 B=2 C=1), among them the starving cycle the unfair search
// used to return, against the expected lists and the test's own reading.
func TestStarved(t *testing.T) {
	// blocked: a reader holds the grace period that slot 0 waits for,
	// slot 1 is queued behind it: monitor, gp_start, gp_end and reclaim
	// are all disabled.
	blocked := []string{"free(0) cache", "read_lock(0)", "monitor(0)", "free(0) reserve", "gp_start", "monitor(0)", "free(0) reserve"}
	tests := []struct {
		name          string
		prefix, cycle []string
		starved       []string
	}{
		{"monitor never runs (the old witness)", []string{"free(0) cache"}, []string{"free(0)", "free(0) reserve"}, []string{"monitor(0)", "refill(0)"}},
		{"reader blocks every worker but refill", blocked, []string{"free(0)", "free(0) reserve"}, []string{"refill(0)"}},
		{"refill runs, the shrinker empties the cache", blocked, []string{"free(0)", "refill(0)", "shrink(0)", "free(0) reserve"}, nil},
		{"the fair witness", blocked, []string{"free(0)", "free(0) reserve", "free(0)", "refill(0)", "free(0) cache"}, nil},
		{"monitor disabled once it has taken the channel", []string{"free(0) cache"}, []string{"monitor(0)", "gp_start", "gp_end", "reclaim(0,0)", "free(0) cache"}, nil},
		{"grace period never started", []string{"free(0) cache", "monitor(0)"}, []string{"refill(0)", "free(0) cache"}, []string{"gp_start"}},
	}
	d := design(t, "reserve")
	p := oneCPU()
	p.Calls, p.Reserve = 100, 100
	m, err := model.New(d, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := m.Initial()
			for _, a := range parseActions(t, tc.prefix...) {
				if err := m.Step(s, a); err != nil {
					t.Fatal(err)
				}
			}
			cycle := parseActions(t, tc.cycle...)
			got, err := Starved(m, s, cycle)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.starved) || (len(got) > 0 && !slices.Equal(got, tc.starved)) {
				t.Errorf("starved %v, want %v", got, tc.starved)
			}
			if naive := naiveStarved(t, m, s, cycle); !slices.Equal(naive, tc.starved) {
				t.Errorf("the test's own reading starves %v, want %v", naive, tc.starved)
			}
		})
	}
	if _, err := Starved(m, m.Initial(), parseActions(t, "gp_end")); err == nil {
		t.Error("a cycle with a disabled step: no error")
	}
}

// TestFairWitness: the search finds a weakly fair pumpable cycle for
// reserve, for one CPU and for two, which replays on the real model with
// reserve_used growing each repetition, no worker starved.
func TestFairWitness(t *testing.T) {
	d := design(t, "reserve")
	for _, n := range []int{1, 2} {
		p := oneCPU()
		p.CPUs = n
		w, err := FindWitness(context.Background(), d, p, FigureLeastReserve, WitnessOptions{Limit: 3})
		if err != nil || w == nil {
			t.Fatalf("N=%d: no witness: %v", n, err)
		}
		if !w.Fair || len(w.Starved) != 0 {
			t.Fatalf("N=%d: witness %v / %v not fair: starves %v", n, w.Prefix, w.Cycle, w.Starved)
		}
		if !slices.Equal(w.ReadersHeld, []int{0}) {
			t.Errorf("N=%d: readers held %v, want CPU 0's: only a reader can hold the grace period", n, w.ReadersHeld)
		}
		for _, u := range w.Workers {
			if u.EnabledIn == u.States && u.Runs == 0 {
				t.Errorf("N=%d: worker %+v enabled throughout and never run in a fair witness", n, u)
			}
		}
		if err := w.Pump(d, 6); err != nil {
			t.Fatalf("N=%d: %v", n, err)
		}
		for r := 1; r < len(w.Replay); r++ {
			if w.Replay[r] <= w.Replay[r-1] || w.Replay[r]-w.Replay[r-1] != w.Gain {
				t.Fatalf("N=%d: replay %v does not grow by %d each repetition", n, w.Replay, w.Gain)
			}
		}
		// The test's own fairness reading, on the real model after the prefix.
		q := w.Params
		q.Calls, q.Reserve = 200, 200
		m, err := model.New(d, q)
		if err != nil {
			t.Fatal(err)
		}
		s := m.Initial()
		prefix, cycle := w.Actions()
		for _, a := range prefix {
			if err := m.Step(s, a); err != nil {
				t.Fatal(err)
			}
		}
		if naive := naiveStarved(t, m, s, cycle); len(naive) != 0 {
			t.Errorf("N=%d: the test's own reading finds %v starved", n, naive)
		}
		if !strings.Contains(FairnessText(w), "weakly fair") {
			t.Errorf("fairness text %q", FairnessText(w))
		}
	}
}

// TestUnfairFallback: when no fair cycle exists within the limits the
// search falls back to an unfair one and says so. A limit of 2 pages per
// channel leaves no room for the fair cycle (its channel grows by 2 pages
// a repetition from 1), but the starving one (1 page to 2) fits.
func TestUnfairFallback(t *testing.T) {
	d := design(t, "reserve")
	w, err := FindWitness(context.Background(), d, oneCPU(), FigureLeastReserve, WitnessOptions{Limit: 2})
	if err != nil || w == nil {
		t.Fatalf("no witness: %v", err)
	}
	if w.Fair || !slices.Contains(w.Starved, "monitor(0)") {
		t.Fatalf("witness %v / %v: fair %v starved %v; want unfair, monitor(0) starved", w.Prefix, w.Cycle, w.Fair, w.Starved)
	}
	if err := w.Pump(d, 3); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(FairnessText(w), "NOT fair") || !strings.Contains(FairnessText(w), "monitor(0)") {
		t.Errorf("fairness text %q", FairnessText(w))
	}
}

// TestRepeatsRejectsReclaim: dominance alone is not pumping. Without a
// reader, this cycle ends in a state that dominates its start with one
// more reserve page used, but its reclaim hands back the whole channel of
// the previous repetition: the second repetition gains nothing. The
// search must not take it.
func TestRepeatsRejectsReclaim(t *testing.T) {
	d := design(t, "reserve")
	p := oneCPU()
	p.Calls, p.Reserve = 1000, 100
	m, err := model.New(d, p)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Initial()
	if err := m.Step(s, parseActions(t, "free(0) cache")[0]); err != nil {
		t.Fatal(err)
	}
	cycle := parseActions(t, "monitor(0)", "gp_start", "gp_end", "refill(0)", "free(0) cache", "free(0)", "free(0) reserve", "free(0)", "free(0) reserve", "reclaim(0,0)")
	end := s.Clone()
	for _, a := range cycle {
		if err := m.Step(end, a); err != nil {
			t.Fatal(err)
		}
	}
	dropCalls(end)
	start := s.Clone()
	dropCalls(start)
	gain := m.Metrics(end).ReserveUsed - m.Metrics(start).ReserveUsed
	if !dominates(end, start, int32(p.Bulk)) || gain != 1 {
		t.Fatalf("the cycle no longer dominates with gain 1 (gain %d): the test checks nothing", gain)
	}
	if repeats(m, start, 0, cycle, model.MetricReserve, gain, int32(p.Bulk)) {
		t.Error("repeats accepted a cycle whose second repetition gains nothing")
	}
}

// TestFairWitnessDesigns: every design and figure that grows without bound
// has a weakly fair witness within 60,000 states of a search pass at the
// default page limit (the margin fairBudget counts on), and it replays.
func TestFairWitnessDesigns(t *testing.T) {
	tests := []struct {
		design, figure string
		cpus           int
	}{
		{"reserve", FigureLeastReserve, 1},
		{"reserve", FigureLeastReserve, 2},
		{"head", FigurePages, 1},
		{"head", FigurePending, 2},
		{"early", FigurePages, 1},
		{"sync", FigurePending, 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s N=%d", tc.design, tc.figure, tc.cpus), func(t *testing.T) {
			d := design(t, tc.design)
			p := oneCPU()
			p.CPUs = tc.cpus
			w, err := FindWitness(context.Background(), d, p, tc.figure, WitnessOptions{Limit: 4, MaxStates: 60_000})
			if err != nil || w == nil {
				t.Fatalf("no witness: %v", err)
			}
			if !w.Fair {
				t.Fatalf("witness %v / %v starves %v", w.Prefix, w.Cycle, w.Starved)
			}
			if err := w.Pump(d, 4); err != nil || !w.Linear {
				t.Fatalf("replay %v linear %v: %v", w.Replay, w.Linear, err)
			}
		})
	}
}
