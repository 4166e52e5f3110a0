package model_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// TestSymmetryReduction: with CPU symmetry the verdicts, maxima, depth and
// trace lengths are those of the full model, the counts computed from orbit
// sizes are the full model's counts, fewer states are stored, and every
// trace is a real run of the full model ending where it should.
func TestSymmetryReduction(t *testing.T) {
	cases := []struct {
		design string
		n, k   int
	}{
		{"head", 2, 1}, {"sync", 2, 1}, {"reserve", 2, 1}, {"limit", 2, 1}, {"early", 2, 1},
		{"sync", 2, 2}, {"reserve", 3, 1}, {"limit", 3, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/N=%d/K=%d", c.design, c.n, c.k), func(t *testing.T) {
			d, err := model.LookupDesign(c.design)
			if err != nil {
				t.Fatal(err)
			}
			p := model.DefaultParams()
			p.CPUs, p.Calls = c.n, c.k
			ctx := context.Background()
			full, err := model.Check(ctx, d, p, checker.Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			sym, err := model.Check(ctx, d, p, checker.Options{Workers: 2, Symmetry: true})
			if err != nil {
				t.Fatal(err)
			}
			fr, sr := full.Result, sym.Result
			if !sr.Symmetry || sr.States >= fr.States {
				t.Fatalf("symmetry %v: %d states stored, full model %d", sr.Symmetry, sr.States, fr.States)
			}
			if sr.FullStates != fr.States || sr.FullTransitions != fr.Transitions {
				t.Fatalf("full counts from orbits %d/%d; full model %d/%d", sr.FullStates, sr.FullTransitions, fr.States, fr.Transitions)
			}
			if sym.Depth != full.Depth || sym.Max != full.Max || sym.Deadlocks > full.Deadlocks {
				t.Fatalf("depth %d max %+v; full model depth %d max %+v", sym.Depth, sym.Max, full.Depth, full.Max)
			}
			for name, fp := range full.Properties {
				sp := sym.Properties[name]
				if sp.Verdict != fp.Verdict || len(sp.Trace) != len(fp.Trace) {
					t.Fatalf("%s: %s in %d steps with symmetry, %s in %d without", name, sp.Verdict, len(sp.Trace), fp.Verdict, len(fp.Trace))
				}
			}
			m, err := model.New(d, p)
			if err != nil {
				t.Fatal(err)
			}
			// Every trace replays on the full model.
			check := func(what string, tr *checker.Trace) {
				if tr == nil {
					return
				}
				s := m.Initial()
				for i, st := range tr.Steps {
					a := model.ActionFromCode(uint32(st.Action))
					if err := m.Step(s, a); err != nil {
						t.Fatalf("%s step %d: %v", what, i+1, err)
					}
					if got := m.Unpack(st.State); !got.Equal(s) {
						t.Fatalf("%s step %d: trace state %s, replay %s", what, i+1, got, s)
					}
				}
			}
			for _, mr := range sr.Metrics {
				check(mr.Name, mr.Trace)
				if got := mr.Trace.Len(); got != fullMetric(fr, mr.Name).Trace.Len() {
					t.Fatalf("%s: trace of %d steps, full model %d", mr.Name, got, fullMetric(fr, mr.Name).Trace.Len())
				}
			}
			for _, pr := range append(append([]checker.PropertyResult(nil), sr.Invariants...), sr.Goals...) {
				check(pr.Name, pr.Trace)
			}
		})
	}
}

// TestSymmetryWorkers: with --symmetry, 1, 2 and 3 workers give identical
// results: states, transitions, depth, deadlocks, the full model's counts,
// verdicts, maxima, and every trace (counterexamples, paths to the maxima,
// to a deadlock) step by step, state by state; on every spec design at N=3
// K=1 with the exact and the fingerprint store, and at N=2 K=2 exact.
func TestSymmetryWorkers(t *testing.T) {
	for _, d := range model.Designs() {
		for _, nk := range [][2]int{{3, 1}, {2, 2}} {
			p := model.DefaultParams()
			p.CPUs, p.Calls = nk[0], nk[1]
			for _, fp := range []bool{false, true} {
				if nk[0] == 2 && (fp || (d.Name() != "reserve" && d.Name() != "limit")) {
					// N=2 K=2 exact for two designs only, fingerprints at N=3
					// only: the canonical form does not depend on the design,
					// and this keeps the test's time down.
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/fingerprint=%v", d.Name(), p, fp), func(t *testing.T) {
					var first *model.Report
					for w := 1; w <= 3; w++ {
						r, err := model.Check(context.Background(), d, p, checker.Options{Workers: w, Symmetry: true, Fingerprint: fp})
						if err != nil {
							t.Fatal(err)
						}
						if !r.Complete || !r.Symmetry || r.Result.Workers != w {
							t.Fatalf("%d workers: complete %v symmetry %v workers %d", w, r.Complete, r.Symmetry, r.Result.Workers)
						}
						deadlock := r.Result.Deadlock
						r.ElapsedSec, r.StatesPerSec, r.Result = 0, 0, nil
						if first == nil {
							first = r
							first.Result = &checker.Result{Deadlock: deadlock}
							continue
						}
						if dl := first.Result.Deadlock; !reflect.DeepEqual(deadlock, dl) {
							t.Fatalf("%d workers: deadlock trace %v; 1 worker %v", w, deadlock, dl)
						}
						keep := first.Result
						first.Result = nil
						if !reflect.DeepEqual(r, first) {
							t.Fatalf("%d workers:\n%+v\n1 worker:\n%+v", w, r, first)
						}
						first.Result = keep
					}
				})
			}
		}
	}
}

func fullMetric(r *checker.Result, name string) checker.MetricResult {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m
		}
	}
	return checker.MetricResult{}
}

// TestCanonicalizeOrbit: every permutation of a state's CPUs has the same
// representative, and the orbit size is the number of distinct images.
func TestCanonicalizeOrbit(t *testing.T) {
	d, _ := model.LookupDesign("sync")
	p := model.DefaultParams()
	p.CPUs, p.Calls = 3, 2
	m, err := model.New(d, p)
	if err != nil {
		t.Fatal(err)
	}
	// Walk a fixed run to reach an asymmetric state with CPU sets in use.
	s := m.Initial()
	for _, text := range []string{"read_lock(1)", "free(0) cache", "free(0)", "shrink(2)", "free(2) alloc-fails synchronize_rcu", "read_lock(0)", "monitor(0)", "gp_start"} {
		a, err := model.ParseAction(text)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Step(s, a); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
	}
	perms := [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	canon := m.NewCanonicalizer()
	images := map[string]bool{}
	var rep []uint64
	var orbit uint64
	for _, pm := range perms {
		t2 := permute(s, pm)
		w := make([]uint64, m.Checkable().StateWords())
		m.Pack(t2, w)
		images[fmt.Sprint(w)] = true
		o := canon.Canonicalize(w)
		if rep == nil {
			rep, orbit = w, o
		} else if fmt.Sprint(w) != fmt.Sprint(rep) || o != orbit {
			t.Fatalf("permutation %v: representative %v orbit %d; first %v orbit %d", pm, w, o, rep, orbit)
		}
	}
	if orbit != uint64(len(images)) {
		t.Fatalf("orbit %d, distinct images %d", orbit, len(images))
	}
}

// permute renames CPU c of s to pm[c].
func permute(s *model.State, pm []int) *model.State {
	ms := func(x model.CPUSet) model.CPUSet {
		var y model.CPUSet
		for c := range pm {
			if x.Has(c) {
				y |= 1 << uint(pm[c])
			}
		}
		return y
	}
	t := s.Clone()
	t.QS = ms(s.QS)
	for c := range s.CPUs {
		u := s.CPUs[c]
		u.Pin, u.BlkPin = ms(u.Pin), ms(u.BlkPin)
		u.Slot[0].Pin, u.Slot[1].Pin = ms(u.Slot[0].Pin), ms(u.Slot[1].Pin)
		t.CPUs[pm[c]] = u
	}
	return t
}
