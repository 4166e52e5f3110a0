package checker_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

// graphModel is a model given as an explicit graph: state i is the one-word
// state {i}; succ[i] lists its successors in order. bad marks states that
// violate the invariant "ok", goal marks goal states, metric is a value per
// state.
type graphModel struct {
	succ   [][]int
	bad    []bool
	goal   []bool
	metric []int64
}

func (g *graphModel) StateWords() int                    { return 1 }
func (g *graphModel) Initial(dst []uint64)               { dst[0] = 0 }
func (g *graphModel) ActionName(a checker.Action) string { return fmt.Sprintf("e%d", a) }
func (g *graphModel) Invariants() []string               { return []string{"ok"} }
func (g *graphModel) Goals() []string                    { return []string{"goal"} }
func (g *graphModel) Metrics() []string                  { return []string{"m"} }
func (g *graphModel) NewExpander() checker.Expander {
	return &graphExpander{g: g, out: make([]uint64, 1)}
}

type graphExpander struct {
	g   *graphModel
	out []uint64
}

func (x *graphExpander) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	for k, t := range x.g.succ[s[0]] {
		x.out[0] = uint64(t)
		emit(checker.Action(k), x.out)
	}
}

func (x *graphExpander) Evaluate(s []uint64, inv, goal []bool, metric []int64) {
	inv[0] = !x.g.bad[s[0]]
	goal[0] = x.g.goal[s[0]]
	metric[0] = x.g.metric[s[0]]
}

func explore(t *testing.T, m checker.Model, opt checker.Options) *checker.Result {
	t.Helper()
	r, err := checker.Explore(context.Background(), m, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// replay follows a trace on the graph and returns the state it ends in,
// failing the test when a step is not an edge of the graph.
func replay(t *testing.T, g *graphModel, tr *checker.Trace) int {
	t.Helper()
	s := 0
	for _, st := range tr.Steps {
		k := int(st.Action)
		if k >= len(g.succ[s]) || uint64(g.succ[s][k]) != st.State[0] {
			t.Fatalf("trace step %s from %d is not an edge to %d", st.Name, s, st.State[0])
		}
		s = g.succ[s][k]
	}
	return s
}

// TestHandCounted pins the figures of graphs small enough to count by hand.
func TestHandCounted(t *testing.T) {
	// A line 0-1-...-9 walked both ways: 10 states, 9 edges up and 9 down
	// = 18 transitions, depth 9. The invariant fails first at 5 (5 steps),
	// the metric (the state number) peaks at 9 (9 steps), state 0 is the
	// goal and reachable from everywhere.
	line := &graphModel{}
	for i := 0; i < 10; i++ {
		var s []int
		if i < 9 {
			s = append(s, i+1)
		}
		if i > 0 {
			s = append(s, i-1)
		}
		line.succ = append(line.succ, s)
		line.bad = append(line.bad, i >= 5)
		line.goal = append(line.goal, i == 0)
		line.metric = append(line.metric, int64(i))
	}
	// A trap: 0 -> 1 -> 2 -> 2 (self loop), 0 -> 3 (dead end), goal = {0,3}.
	// 4 states, 4 transitions, depth 2. Drainable fails: 1 is the
	// shallowest state from which no goal is reachable (1 step). 3 is a
	// deadlock (1 step).
	trap := &graphModel{
		succ:   [][]int{{1, 3}, {2}, {2}, {}},
		bad:    make([]bool, 4),
		goal:   []bool{true, false, false, true},
		metric: []int64{0, 1, 1, 0},
	}
	cases := []struct {
		name            string
		g               *graphModel
		states, trans   uint64
		depth           int
		inv, goal       checker.Verdict
		invLen, goalLen int
		max             int64
		maxLen          int
		deadlocks       uint64
		deadLen         int
	}{
		{"line", line, 10, 18, 9, checker.Violated, checker.Holds, 5, 0, 9, 9, 0, 0},
		{"trap", trap, 4, 4, 2, checker.Holds, checker.Violated, 0, 1, 1, 1, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := explore(t, c.g, checker.Options{})
			if !r.Complete || r.States != c.states || r.Transitions != c.trans || r.Depth != c.depth {
				t.Fatalf("complete %v states %d transitions %d depth %d; want true %d %d %d",
					r.Complete, r.States, r.Transitions, r.Depth, c.states, c.trans, c.depth)
			}
			if v := r.Invariants[0].Verdict; v != c.inv || r.Invariants[0].Trace.Len() != c.invLen {
				t.Errorf("invariant %v in %d steps; want %v in %d", v, r.Invariants[0].Trace.Len(), c.inv, c.invLen)
			}
			if v := r.Goals[0].Verdict; v != c.goal || r.Goals[0].Trace.Len() != c.goalLen {
				t.Errorf("goal %v in %d steps; want %v in %d", v, r.Goals[0].Trace.Len(), c.goal, c.goalLen)
			}
			if m := r.Metrics[0]; m.Max != c.max || m.Trace.Len() != c.maxLen {
				t.Errorf("metric max %d in %d steps; want %d in %d", m.Max, m.Trace.Len(), c.max, c.maxLen)
			}
			if r.Deadlocks != c.deadlocks || r.Deadlock.Len() != c.deadLen {
				t.Errorf("deadlocks %d (trace %d); want %d (%d)", r.Deadlocks, r.Deadlock.Len(), c.deadlocks, c.deadLen)
			}
			if tr := r.Invariants[0].Trace; tr != nil && !c.g.bad[replay(t, c.g, tr)] {
				t.Errorf("invariant trace does not end in a bad state")
			}
		})
	}
}

// TestIncompleteNeverHolds: a run stopped by a limit decides nothing it has
// not seen: no "holds", only violations actually found.
func TestIncompleteNeverHolds(t *testing.T) {
	// A cycle of 5000 states: far more than the limit lets the run see.
	const n = 5000
	g := &graphModel{bad: make([]bool, n), goal: make([]bool, n), metric: make([]int64, n)}
	for i := 0; i < n; i++ {
		g.succ = append(g.succ, []int{(i + 1) % n})
	}
	r := explore(t, g, checker.Options{MaxStates: 10})
	if r.Complete || r.StopReason == "" {
		t.Fatalf("complete %v reason %q; want an incomplete run", r.Complete, r.StopReason)
	}
	if r.Invariants[0].Verdict != checker.Unknown || r.Goals[0].Verdict != checker.Unknown {
		t.Fatalf("verdicts %v %v on an incomplete run; want unknown", r.Invariants[0].Verdict, r.Goals[0].Verdict)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r2, err := checker.Explore(ctx, g, checker.Options{})
	if err != nil || r2.Complete || r2.StopReason != "interrupted" {
		t.Fatalf("cancelled run: complete %v reason %q err %v", r2.Complete, r2.StopReason, err)
	}
}

func randomGraph(rng *rand.Rand, n, deg int) *graphModel {
	g := &graphModel{succ: make([][]int, n), bad: make([]bool, n), goal: make([]bool, n), metric: make([]int64, n)}
	for i := 0; i < n; i++ {
		k := rng.Intn(deg + 1)
		for j := 0; j < k; j++ {
			g.succ[i] = append(g.succ[i], rng.Intn(n))
		}
		g.bad[i] = rng.Intn(25) == 0
		g.goal[i] = rng.Intn(6) == 0
		g.metric[i] = int64(rng.Intn(50))
	}
	return g
}

// TestAgainstBruteForce compares the engine with a plain breadth-first search
// written here on random graphs: counts, depth, shortest distances to the
// first violation and to the metric's maximum, and the states from which
// the goal is unreachable.
func TestAgainstBruteForce(t *testing.T) {
	for seed := int64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewSource(seed))
		// Every fourth graph has states with more successors than a
		// state's link can number (ordinals of 31 and more).
		deg := 4
		if seed%4 == 3 {
			deg = 70
		}
		g := randomGraph(rng, 2+rng.Intn(60), deg)
		r := explore(t, g, checker.Options{})
		// Brute force: distances by BFS.
		dist := map[int]int{0: 0}
		order := []int{0}
		var trans uint64
		for k := 0; k < len(order); k++ {
			s := order[k]
			for _, t := range g.succ[s] {
				trans++
				if _, ok := dist[t]; !ok {
					dist[t] = dist[s] + 1
					order = append(order, t)
				}
			}
		}
		depth, badDist, maxV, maxDist, dead := 0, -1, int64(-1), 0, uint64(0)
		for _, s := range order {
			d := dist[s]
			depth = max(depth, d)
			if g.bad[s] && (badDist < 0 || d < badDist) {
				badDist = d
			}
			if g.metric[s] > maxV || (g.metric[s] == maxV && d < maxDist) {
				maxV, maxDist = g.metric[s], d
			}
			if len(g.succ[s]) == 0 {
				dead++
			}
		}
		// Goal reachability by fixpoint.
		good := map[int]bool{}
		for changed := true; changed; {
			changed = false
			for _, s := range order {
				if good[s] {
					continue
				}
				ok := g.goal[s]
				for _, t := range g.succ[s] {
					ok = ok || good[t]
				}
				if ok {
					good[s], changed = true, true
				}
			}
		}
		strandDist := -1
		for _, s := range order {
			if !good[s] && (strandDist < 0 || dist[s] < strandDist) {
				strandDist = dist[s]
			}
		}
		name := fmt.Sprintf("seed %d", seed)
		if r.States != uint64(len(order)) || r.Transitions != trans || r.Depth != depth || r.Deadlocks != dead {
			t.Fatalf("%s: states %d transitions %d depth %d deadlocks %d; brute force %d %d %d %d",
				name, r.States, r.Transitions, r.Depth, r.Deadlocks, len(order), trans, depth, dead)
		}
		if (badDist >= 0) != (r.Invariants[0].Verdict == checker.Violated) || (badDist >= 0 && r.Invariants[0].Trace.Len() != badDist) {
			t.Fatalf("%s: invariant %v len %d; brute force shortest %d", name, r.Invariants[0].Verdict, r.Invariants[0].Trace.Len(), badDist)
		}
		if r.Metrics[0].Max != maxV || r.Metrics[0].Trace.Len() != maxDist {
			t.Fatalf("%s: metric %d at %d steps; brute force %d at %d", name, r.Metrics[0].Max, r.Metrics[0].Trace.Len(), maxV, maxDist)
		}
		if (strandDist >= 0) != (r.Goals[0].Verdict == checker.Violated) || (strandDist >= 0 && r.Goals[0].Trace.Len() != strandDist) {
			t.Fatalf("%s: goal %v len %d; brute force stranded at %d", name, r.Goals[0].Verdict, r.Goals[0].Trace.Len(), strandDist)
		}
		if tr := r.Goals[0].Trace; tr != nil && good[replay(t, g, tr)] {
			t.Fatalf("%s: goal trace ends in a state that can reach the goal", name)
		}
		if tr := r.Invariants[0].Trace; tr != nil && !g.bad[replay(t, g, tr)] {
			t.Fatalf("%s: invariant trace ends in a good state", name)
		}
	}
}
