package checker

import (
	"context"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"
)

// wideModel is a random graph wide enough for levels of many batches: its
// state i (one word) has deg successors drawn from the seeded generator.
type wideModel struct{ succ [][]uint64 }

func (g *wideModel) StateWords() int            { return 1 }
func (g *wideModel) Initial(dst []uint64)       { dst[0] = 0 }
func (g *wideModel) ActionName(a Action) string { return "e" }
func (g *wideModel) Invariants() []string       { return []string{"small"} }
func (g *wideModel) Goals() []string            { return []string{"zero"} }
func (g *wideModel) Metrics() []string          { return []string{"id"} }
func (g *wideModel) NewExpander() Expander      { return &wideExp{g: g, out: make([]uint64, 1)} }
func (x *wideExp) Evaluate(s []uint64, inv, goal []bool, m []int64) {
	inv[0], goal[0], m[0] = s[0] < 29000, s[0]%97 == 0, int64(s[0]%1000)
}

type wideExp struct {
	g   *wideModel
	out []uint64
}

func (x *wideExp) Successors(s []uint64, emit func(Action, []uint64)) {
	for k, t := range x.g.succ[s[0]] {
		x.out[0] = t
		emit(Action(k), x.out)
	}
}

// TestBatchesKeepOrder: cutting levels into batches and chunks of any size,
// with any number of workers, deciding the goal backwards or by sweeps,
// changes no figure and no trace.
func TestBatchesKeepOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const n = 30000
	g := &wideModel{succ: make([][]uint64, n)}
	for i := range g.succ {
		for k := rng.Intn(7); k > 0; k-- {
			g.succ[i] = append(g.succ[i], uint64(rng.Intn(n)))
		}
	}
	ref, err := explore(context.Background(), g, Options{Workers: 1}, tuning{batch: 1 << 40, chunkBytes: chunkBytes})
	if err != nil {
		t.Fatal(err)
	}
	if ref.States < n/2 || ref.Goals[0].Verdict != Violated {
		t.Fatalf("%d states, goal %s: the graph is too thin for the test", ref.States, ref.Goals[0].Verdict)
	}
	for _, c := range []struct {
		batch, chunk uint64
		workers      int
		fp           bool
		sweep        bool
	}{
		{chunkStates, chunkBytes, 1, false, false},
		{chunkStates, chunkBytes, 3, true, false},
		{3 * chunkStates, chunkBytes, 2, false, false},
		{1000, 1, 2, false, false}, // one state a chunk
		{77, 700, 3, false, true},  // a few states a chunk, sweeps
		{1 << 40, 5000, 1, true, true},
	} {
		tune := tuning{batch: c.batch, chunkBytes: c.chunk, sweep: c.sweep}
		r, err := explore(context.Background(), g, Options{Workers: c.workers, Fingerprint: c.fp}, tune)
		if err != nil {
			t.Fatal(err)
		}
		a, b := *ref, *r
		for _, x := range []*Result{&a, &b} {
			x.Elapsed, x.MemoryBytes, x.PeakBytes, x.Workers, x.Fingerprint, x.OmissionBound = 0, 0, 0, 0, false, 0
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%+v: results differ from one batch per level", c)
		}
	}
	// Without goals, one worker stores each chunk's candidates as it
	// expands it (direct): the same figures as the phases of two workers.
	skip := Options{Workers: 2, SkipGoals: true}
	ref, err = explore(context.Background(), g, skip, tuning{batch: 1 << 40, chunkBytes: chunkBytes})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ batch, chunk uint64 }{{1 << 40, chunkBytes}, {chunkStates, chunkBytes}, {1000, 1}, {77, 700}} {
		tune := tuning{batch: c.batch, chunkBytes: c.chunk}
		r, err := explore(context.Background(), g, Options{Workers: 1, SkipGoals: true}, tune)
		if err != nil {
			t.Fatal(err)
		}
		a, b := *ref, *r
		for _, x := range []*Result{&a, &b} {
			x.Elapsed, x.MemoryBytes, x.PeakBytes, x.Workers = 0, 0, 0, 0
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("direct, %+v: results differ from two workers'", c)
		}
	}
}

// TestPackLink: links keep position and ordinal when they fit, and say so
// when they do not.
func TestPackLink(t *testing.T) {
	for _, c := range []struct {
		pos  uint64
		o    uint32
		fits bool
	}{
		{0, 0, true}, {5, 30, true}, {5, 31, true}, {5, 32, false},
		{1<<27 - 1, 30, true}, {1<<27 - 1, 31, false}, {1 << 27, 0, false}, {1 << 40, 3, false},
	} {
		v, ok := packLink(c.pos, c.o)
		if ok != c.fits {
			t.Fatalf("packLink(%d, %d) fits %v, want %v", c.pos, c.o, ok, c.fits)
		}
		if ok && (uint64(v>>ordBits) != c.pos || v&(1<<ordBits-1) != c.o) {
			t.Fatalf("packLink(%d, %d) = %#x", c.pos, c.o, v)
		}
	}
}

// TestInterruptedDecidingGoals: an interruption once every state is
// explored leaves the goal unknown and the run incomplete, and keeps the
// invariant's verdict, the counts and the maxima of the whole model.
func TestInterruptedDecidingGoals(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	const n = 5000
	g := &wideModel{succ: make([][]uint64, n)}
	for i := range g.succ {
		for k := 1 + rng.Intn(4); k > 0; k-- {
			g.succ[i] = append(g.succ[i], uint64(rng.Intn(n)))
		}
	}
	ref, err := Explore(context.Background(), g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sweep := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		tune := tuning{chunkBytes: chunkBytes, sweep: sweep, beforeGoals: func(e *explorer) {
			cancel()
			for !e.stop.Load() { // the monitor halts the run
				time.Sleep(time.Millisecond)
			}
		}}
		r, err := explore(ctx, g, Options{}, tune)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if r.Complete || !strings.HasPrefix(r.StopReason, "interrupted deciding zero") {
			t.Fatalf("sweep %v: complete %v, stop reason %q", sweep, r.Complete, r.StopReason)
		}
		if r.Goals[0].Verdict != Unknown || r.Invariants[0].Verdict != ref.Invariants[0].Verdict ||
			r.States != ref.States || r.Metrics[0].Max != ref.Metrics[0].Max {
			t.Fatalf("sweep %v: %+v\nwant the invariant, counts and maxima of %+v", sweep, r, ref)
		}
	}
}
