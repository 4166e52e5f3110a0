package bound

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

func design(t *testing.T, name string) model.Design {
	t.Helper()
	d, err := model.LookupDesign(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func oneCPU() model.Params {
	p := model.DefaultParams()
	p.CPUs = 1
	return p
}

// TestAnalyzeSmallSweeps classifies the four designs of the thread on
// K = 1..5 with one CPU.
func TestAnalyzeSmallSweeps(t *testing.T) {
	sw, _ := ParseSweep("calls=1..5")
	tests := []struct {
		design  string
		trend   string
		verdict string
		bound   int64 // for bounded
	}{
		{"reserve", TrendGrowing, VerdictUnbounded, 0},
		{"limit", TrendPlateau, VerdictBounded, 2},
		{"head", TrendPlateau, VerdictBounded, 0},
		{"sync", TrendPlateau, VerdictBounded, 0},
	}
	for _, tc := range tests {
		t.Run(tc.design, func(t *testing.T) {
			r, err := Analyze(context.Background(), design(t, tc.design), oneCPU(), sw, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Trend.Kind != tc.trend || r.Verdict != tc.verdict {
				t.Fatalf("trend %s verdict %s (%s), want %s %s", r.Trend.Kind, r.Verdict, r.Why, tc.trend, tc.verdict)
			}
			if len(r.Points) != 5 {
				t.Fatalf("%d points, want 5", len(r.Points))
			}
			for i := 1; i < len(r.Points); i++ {
				if r.Points[i].LeastReserve < r.Points[i-1].LeastReserve {
					t.Errorf("least reserve fell from K=%d to K=%d", i, i+1)
				}
			}
			if r.Formula == nil {
				t.Fatal("no formula fits")
			}
			for _, pt := range r.Points {
				if v, ok := r.Formula.Eval(pt.Params); !ok || v != int64(pt.LeastReserve) {
					t.Errorf("formula %s gives %d at K=%d, point says %d", r.Formula.Text, v, pt.Value, pt.LeastReserve)
				}
			}
			switch tc.verdict {
			case VerdictBounded:
				if *r.Bound != tc.bound || r.Proof == nil || !r.Proof.NoStuck {
					t.Fatalf("bound %d proof %+v, want %d with a proof", *r.Bound, r.Proof, tc.bound)
				}
				if last := r.Points[len(r.Points)-1]; int64(last.LeastReserve) != *r.Bound {
					t.Fatalf("bound %d differs from the least reserve %d at the last point", *r.Bound, last.LeastReserve)
				}
			case VerdictUnbounded:
				if r.Witness == nil || !r.Witness.Linear {
					t.Fatalf("no linear witness: %+v", r.Witness)
				}
			}
		})
	}
}

// TestLeastReserveByHand: with B = 1 and no cache every free of design
// reserve needs a page of its own; with no grace period forced to end,
// K frees hold K pages, so the least reserve is K.
func TestLeastReserveByHand(t *testing.T) {
	p := model.Params{CPUs: 1, Bulk: 1, Cache: 0, Calls: 1}
	for k := 1; k <= 4; k++ {
		p.Calls = k
		pt, err := LeastReserve(context.Background(), design(t, "reserve"), p, checker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if pt.LeastReserve != k || pt.Runs != k+1 {
			t.Errorf("K=%d: least reserve %d after %d runs, want %d after %d", k, pt.LeastReserve, pt.Runs, k, k+1)
		}
	}
}

// TestWitnessReplay finds reserve's pumpable cycle, replays it and checks
// that every reserve R is exhausted, one more repetition for each page.
func TestWitnessReplay(t *testing.T) {
	d := design(t, "reserve")
	w, err := FindWitness(context.Background(), d, oneCPU(), FigureLeastReserve, WitnessOptions{Limit: 3})
	if err != nil || w == nil {
		t.Fatalf("no witness: %v", err)
	}
	if err := w.Pump(d, 6); err != nil {
		t.Fatal(err)
	}
	if !w.Linear || len(w.Replay) != 7 || w.Gain < 1 {
		t.Fatalf("replay %v gain %d linear %v", w.Replay, w.Gain, w.Linear)
	}
	for m := 1; m < len(w.Replay); m++ {
		if w.Replay[m]-w.Replay[m-1] != w.Gain {
			t.Fatalf("replay %v does not grow by %d", w.Replay, w.Gain)
		}
	}
	// The prefix uses Replay[0] reserve pages: a smaller reserve is stuck
	// within it; past that, each page costs one more repetition.
	prev := 0
	for r := 0; r <= 5; r++ {
		sp, err := w.Exhaust(d, r, 20)
		if err != nil {
			t.Fatalf("R=%d: %v", r, err)
		}
		switch {
		case int64(r) < w.Replay[0] && sp.Iterations != 0:
			t.Errorf("R=%d: stuck after %d repetitions, want within the prefix (it uses %d pages)", r, sp.Iterations, w.Replay[0])
		case int64(r) >= w.Replay[0] && sp.Iterations <= prev:
			t.Errorf("R=%d stuck after %d repetitions, R=%d after %d", r, sp.Iterations, r-1, prev)
		}
		prev = sp.Iterations
	}
	// A witness whose cycle is not enabled must fail to replay.
	bad := *w
	bad.cycle = append([]model.Action{{Kind: model.KindGPEnd}}, w.cycle...)
	if err := bad.Pump(d, 2); err == nil {
		t.Error("a cycle starting with a disabled gp_end replayed")
	}
	// limit has no pumpable cycle at all.
	if w, err := FindWitness(context.Background(), design(t, "limit"), oneCPU(), FigureLeastReserve, WitnessOptions{Limit: 3}); err != nil || w != nil {
		t.Errorf("limit witness %+v, %v; want none", w, err)
	}
}

// TestAbstractionSimulates checks the soundness argument of the counter
// abstraction on random runs of the real model (K = 1000, never reached in
// 120 steps, so the runs are those of the model with no workload bound):
// the clamp of every state (calls dropped) enables the same actions, and
// clamping after a step from a state equals clamping after the same step
// from its clamp.
func TestAbstractionSimulates(t *testing.T) {
	seed := uint64(20260925)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, d := range model.Designs() {
		clamped := 0
		for _, p := range []model.Params{
			{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 1, Calls: 1000, Limit: 2},
			{CPUs: 2, Bulk: 3, Cache: 0, Reserve: 2, Calls: 1000, Limit: 3},
			{CPUs: 1, Bulk: 1, Cache: 2, Reserve: 0, Calls: 1000, Limit: 1},
		} {
			m, err := model.New(d, p)
			if err != nil {
				t.Fatal(err)
			}
			q := m.Params()
			tt, b := int32(Threshold(q)), int32(q.Bulk)
			for walk := 0; walk < 30; walk++ {
				s := m.Initial()
				for step := 0; step < 120; step++ {
					acts := m.Enabled(s, nil)
					if len(acts) == 0 {
						break
					}
					a := s.Clone()
					if pg, pd := clampState(a, tt, b); pg || pd {
						clamped++
					}
					if got := m.Enabled(a, nil); !reflect.DeepEqual(acts, got) {
						t.Fatalf("%s %s: state %s enables %v, its clamp %v", d.Name(), q, s, acts, got)
					}
					act := acts[rng.IntN(len(acts))]
					m.Apply(s, act)
					m.Apply(a, act)
					want := s.Clone()
					clampState(want, tt, b)
					clampState(a, tt, b)
					if !a.Equal(want) {
						t.Fatalf("%s %s: after %s, clamp of the step %s, step of the clamp %s", d.Name(), q, act, want, a)
					}
				}
			}
		}
		if clamped == 0 && d.Name() != "limit" {
			t.Errorf("%s: no random state reached the threshold: the test checked nothing", d.Name())
		}
	}
}

// TestAbstractionByHand: design limit with N=1, B=1, L=1, C=1 holds at most
// one object, so one page in flight plus one in the cache: pages <= 2,
// pending <= 1, and one reserve page is needed (the shrinker may empty the
// cache and the allocator may fail), for every K.
func TestAbstractionByHand(t *testing.T) {
	d := design(t, "limit")
	p := model.Params{CPUs: 1, Bulk: 1, Cache: 1, Limit: 1}
	r, a, err := LeastReserveAllK(context.Background(), d, p, 0, 3, checker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r != 1 || !a.NoStuck || !a.PagesExact || !a.PendingExact || a.Max.Pages != 2 || a.Max.Pending != 1 || a.Max.ReserveUsed != 1 {
		t.Fatalf("least R %d, abstraction %+v; want R=1, pages 2, pending 1, reserve_used 1, exact", r, a)
	}
	// Every finite K stays within the abstraction's figures.
	for k := 1; k <= 6; k++ {
		q := p
		q.Calls, q.Reserve = k, 1
		rep, err := model.Check(context.Background(), d, q, checker.Options{SkipGoals: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Max.Pages > a.Max.Pages || rep.Max.Pending > a.Max.Pending || rep.Properties[model.PropNoStuck].Verdict != checker.Holds {
			t.Errorf("K=%d: %+v NoStuck %s exceeds the abstraction", k, rep.Max, rep.Properties[model.PropNoStuck].Verdict)
		}
	}
	// head's pending grows with K: the abstraction must not call it exact.
	h, err := ExploreAbstract(context.Background(), design(t, "head"), model.Params{CPUs: 1, Bulk: 1, Cache: 0}, checker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h.PendingExact || h.PagesExact || !h.NoStuck {
		t.Errorf("head abstraction %+v: want NoStuck, pages and pending not exact", h)
	}
}

func TestWritePlot(t *testing.T) {
	sw, _ := ParseSweep("calls=1..3")
	r, err := Analyze(context.Background(), design(t, "limit"), oneCPU(), sw, Options{NoProof: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"p.svg", "p.png"} {
		if err := WritePlot([]*Result{r}, dir+"/"+name); err != nil {
			t.Fatal(err)
		}
	}
	if err := WritePlot([]*Result{r}, dir+"/p.txt"); err == nil {
		t.Error("plot to .txt: no error")
	}
}
