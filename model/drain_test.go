package model

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

// TestDrainRankAgainstGraph: Drainable decided by the rank (drain.go) is
// what the transition graph gives, verdict and shortest trace, for every
// design at a few small instances, and the rank settles it alone (no second
// run on the graph) for every design but those the test lists: a weak rank
// would cost their default checks a second exploration.
func TestDrainRankAgainstGraph(t *testing.T) {
	var ps []Params
	for _, v := range [][3]int{{1, 3, 0}, {1, 4, 1}, {2, 1, 1}, {2, 1, 2}} {
		p := DefaultParams()
		p.CPUs, p.Calls, p.Reserve = v[0], v[1], v[2]
		ps = append(ps, p)
	}
	violated := 0
	for _, d := range append(AllDesigns(), fastDesigns()...) {
		for _, p := range ps {
			m, err := New(d, p)
			if err != nil {
				continue // e.g. limit 0
			}
			name := d.Name() + "/" + m.Params().String()
			run := func(onGraph bool) *checker.Result {
				r, err := checker.Explore(context.Background(), m.Checkable(), checker.Options{Workers: 2, GoalsOnGraph: onGraph})
				if err != nil || !r.Complete {
					t.Fatalf("%s: %v %+v", name, err, r)
				}
				return r
			}
			byRank, onGraph := run(false), run(true)
			if byRank.Goals[0].Verdict == checker.Violated {
				violated++
			}
			if byRank.GoalsBy != checker.GoalsByRank {
				t.Errorf("%s: Drainable decided by %q, not by the rank", name, byRank.GoalsBy)
			}
			if onGraph.GoalsBy != checker.GoalsByGraph {
				t.Fatalf("%s: GoalsOnGraph decided by %q", name, onGraph.GoalsBy)
			}
			if byRank.States != onGraph.States || !reflect.DeepEqual(byRank.Goals, onGraph.Goals) {
				t.Fatalf("%s: by rank %d states %+v; on the graph %d states %+v", name,
					byRank.States, byRank.Goals[0], onGraph.States, onGraph.Goals[0])
			}
		}
	}
	// Stuck states strand Drainable (reserve with R = 0): the rank must
	// decide violations too, with the graph's shortest trace.
	if violated == 0 {
		t.Fatal("no instance violates Drainable: the violations are not compared")
	}
}

// BenchmarkDrainRank ranks the successors of the states of head at K=2
// (the work the checker's rank check does per successor).
func BenchmarkDrainRank(b *testing.B) {
	m, err := New(Designs()[0], DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	x := m.Checkable().NewExpander()
	var states [][]uint64
	s := make([]uint64, m.layout.words)
	m.Checkable().Initial(s)
	frontier := [][]uint64{s}
	for len(states) < 4096 && len(frontier) > 0 {
		var next [][]uint64
		for _, u := range frontier {
			x.Successors(u, func(_ checker.Action, n []uint64) { next = append(next, append([]uint64(nil), n...)) })
		}
		states, frontier = append(states, next...), next
	}
	states = states[:min(len(states), 4096)]
	r := x.(checker.Ranker)
	b.ResetTimer()
	var sink uint64
	for i := 0; i < b.N; i++ {
		sink += r.Rank(states[i%len(states)], 0)
	}
	if sink == 1 {
		b.Log(sink)
	}
}

// TestDrainRankOfStates compares the packed rank with the definition at the
// top of drain.go computed on the typed state, on random walks, at sizes
// where a CPU's bits fit in a register (N <= 3) and where they do not
// (N = 12), and where the header passes the first word (N = 64), with and
// without the memo of CPU words.
func TestDrainRankOfStates(t *testing.T) {
	oracle := func(m *Model, s *State) uint64 {
		if s.Stuck {
			return math.MaxUint64
		}
		steps := uint64(b2u(s.GPRunning))
		for _, u := range s.CPUs {
			owed := stepsOwed[u.Blk] + stepsOwed[u.Slot[0].Phase] + stepsOwed[u.Slot[1].Phase]
			if u.Pages+u.Heads > 0 {
				owed += 3
			}
			steps += 2 * owed
		}
		return uint64(m.Metrics(s).Pending)<<(rankStepBits+rankReaderBits) | uint64(s.RD().Len())<<rankStepBits | steps
	}
	for _, n := range []int{1, 2, 3, 12, 64} {
		for _, d := range Designs() {
			p := DefaultParams()
			p.CPUs = n
			m, err := New(d, p)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			s := m.Initial()
			packed := make([]uint64, m.layout.words)
			memo := newRankMemo(&m.drain)
			for step := 0; step < 3000; step++ {
				m.Pack(s, packed)
				want := oracle(m, s)
				if got := m.drain.rank(packed, nil); got != want {
					t.Fatalf("%s N=%d step %d: rank %x, want %x in %s", d.Name(), n, step, got, want, s)
				}
				if got := m.drain.rank(packed, memo); got != want {
					t.Fatalf("%s N=%d step %d: rank through the memo %x, want %x in %s", d.Name(), n, step, got, want, s)
				}
				acts := m.Enabled(s, nil)
				if len(acts) == 0 {
					s = m.Initial()
					continue
				}
				m.Apply(s, acts[rng.IntN(len(acts))])
			}
		}
	}
}

// TestRankMemoOnlyWithoutCarry: the memo sums CPUs' parts of the rank, so
// newRankMemo gives none where a sum could carry from one term's bits into
// the next; fields widened here past what the defaults need, one at a time.
func TestRankMemoOnlyWithoutCarry(t *testing.T) {
	p := DefaultParams()
	p.CPUs = 3 // a CPU's bits fit in a register
	m, err := New(Designs()[0], p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		widen func(f *drainFields)
		memo  bool
	}{
		{"as laid out", func(*drainFields) {}, true},
		{"pending within its bits", func(f *drainFields) { f.objs.mask = 1<<44 - 1 }, true},
		{"pending past its bits", func(f *drainFields) { f.objs.mask = 1<<45 - 1 }, false},
		{"readers within their bits", func(f *drainFields) { f.rd.mask = 42 }, true},
		{"readers past their bits", func(f *drainFields) { f.rd.mask = 43 }, false},
		{"steps within their bits", func(f *drainFields) { f.n = 113 }, true},
		{"steps past their bits", func(f *drainFields) { f.n = 114 }, false},
	} {
		f := m.drain
		tc.widen(&f)
		if got := newRankMemo(&f) != nil; got != tc.memo {
			t.Errorf("%s: memo %v, want %v", tc.name, got, tc.memo)
		}
	}
}
