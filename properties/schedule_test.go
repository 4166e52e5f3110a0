package properties

import (
	"context"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/rcucheck/rcucheck/model"
)

func parseActions(t *testing.T, texts ...string) []model.Action {
	t.Helper()
	var out []model.Action
	for _, s := range texts {
		a, err := model.ParseAction(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func TestReplayLenient(t *testing.T) {
	m, err := model.New(design(t, "reserve"), model.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []string
		want []string
		bad  bool
	}{
		// A free recorded as "reserve" replays as "cache" when the cache
		// still has a page; disabled actions (gp_end, reclaim) are skipped.
		{"branches follow the state", []string{"free(0) reserve", "gp_end", "reclaim(0,1)", "free(0)"}, []string{"free(0) cache", "free(0)"}, false},
		{"stops at the violation", []string{"shrink(1)", "free(1) reserve", "shrink(0)", "free(0) stuck", "read_lock(0)"}, []string{"shrink(1)", "free(1) reserve", "shrink(0)", "free(0) stuck"}, true},
	}
	prop := NoStuck()
	for _, tc := range tests {
		got, bad := Replay(m, parseActions(t, tc.in...), &prop)
		want := parseActions(t, tc.want...)
		if bad != tc.bad || len(got) != len(want) {
			t.Fatalf("%s: got %v (violated %v), want %v (violated %v)", tc.name, got, bad, want, tc.bad)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: step %d is %s, want %s", tc.name, i+1, got[i], want[i])
			}
		}
	}
}

// Shrink's result is 1-minimal: removing any one step loses the violation.
func TestShrinkIsMinimal(t *testing.T) {
	p := model.DefaultParams()
	for _, tc := range []struct {
		design string
		prop   Property
	}{{"reserve", NoStuck()}, {"early", GracePeriod()}, {"limit", NoStuck()}} {
		m, err := model.New(design(t, tc.design), p)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for i := 0; i < 400 && found < 5; i++ {
			sc, _ := GenSchedule(m, nil, 200)(genParamsFor(runSeed(7, i))).Retrieve()
			acts := sc.(*Schedule).Steps()
			if _, bad := Replay(m, acts, &tc.prop); !bad {
				continue
			}
			found++
			w := Shrink(context.Background(), m, acts, tc.prop, 0)
			if _, bad := Replay(m, w, &tc.prop); !bad {
				t.Fatalf("%s: shrunk schedule %v does not violate %s", tc.design, w, tc.prop.Name)
			}
			for k := range w {
				if _, bad := Replay(m, without(w, k, 1), &tc.prop); bad {
					t.Errorf("%s: shrunk %v still violates without step %d", tc.design, w, k+1)
				}
			}
		}
		if found == 0 {
			t.Errorf("%s: no violating schedule generated", tc.design)
		}
	}
}

// The gopter property fails on early with a shrunk schedule, and holds on
// head.
func TestGopterProp(t *testing.T) {
	p := model.DefaultParams()
	for _, tc := range []struct {
		design string
		pass   bool
	}{{"head", true}, {"early", false}} {
		m, err := model.New(design(t, tc.design), p)
		if err != nil {
			t.Fatal(err)
		}
		tp := gopter.DefaultTestParametersWithSeed(1)
		tp.MinSuccessfulTests = 300
		res := Prop(m, nil, 60).Check(tp)
		if res.Passed() != tc.pass {
			t.Fatalf("%s: passed %v, want %v (%v)", tc.design, res.Passed(), tc.pass, res.Labels)
		}
		if !tc.pass {
			sc := res.Args[0].Arg.(*Schedule)
			orig := res.Args[0].OrigArg.(*Schedule)
			if len(sc.Steps()) >= len(orig.Steps()) || res.Args[0].Shrinks == 0 {
				t.Errorf("gopter did not shrink: %d -> %d steps", len(orig.Steps()), len(sc.Steps()))
			}
			prop := GracePeriod()
			if _, bad := Replay(m, sc.Actions, &prop); !bad {
				t.Errorf("shrunk schedule does not violate GracePeriod: %v", sc)
			}
		}
	}
}

// Every generated schedule is a real path of the model.
func TestGeneratedSchedulesAreEnabled(t *testing.T) {
	p := model.Params{CPUs: 3, Bulk: 4, Cache: 2, Reserve: 2, Calls: 6, Limit: 3}
	for _, d := range model.Designs() {
		m, err := model.New(d, p)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			v, _ := GenSchedule(m, nil, 300)(genParamsFor(runSeed(2, i))).Retrieve()
			s := m.Initial()
			for k, a := range v.(*Schedule).Steps() {
				if err := m.Step(s, a); err != nil {
					t.Fatalf("%s schedule %d step %d: %v", d.Name(), i, k+1, err)
				}
			}
		}
	}
}

func TestProfiles(t *testing.T) {
	for _, name := range ProfileNames() {
		pr, err := LookupProfile(name, model.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		if err := pr.Validate(); err != nil {
			t.Error(err)
		}
	}
	for i := 0; i < 50; i++ {
		v, _ := GenProfile()(genParamsFor(uint64(i))).Retrieve()
		pr := v.(Profile)
		if err := pr.Validate(); err != nil {
			t.Error(err)
		}
	}
	bad := UniformProfile()
	bad.Weight[model.KindFree] = -1
	if bad.Validate() == nil {
		t.Error("negative weight accepted")
	}
}

// Under the heavy profile frees fill pages: a page holds B objects, so at
// least 1/B pages per free, and with the monitor about every 4*B frees the
// pages are mostly full.
func TestMeasureAllocations(t *testing.T) {
	p := model.Params{CPUs: 2, Bulk: 508, Cache: 5, Calls: 40000}
	st, err := MeasureAllocations(context.Background(), design(t, "head"), p, 1, 4, 40000)
	if err != nil {
		t.Fatal(err)
	}
	if st.Runs != 4 || st.Frees != 40000 {
		t.Fatalf("runs %d frees %d", st.Runs, st.Frees)
	}
	lo := 1 / float64(p.Bulk)
	if st.PagesPerFree.Min < lo || st.PagesPerFree.Max > 2*lo {
		t.Errorf("pages per free %+v outside [1/B, 2/B]", st.PagesPerFree)
	}
	if !(st.PagesPerFree.Min <= st.PagesPerFree.Mean && st.PagesPerFree.Mean <= st.PagesPerFree.Max) {
		t.Errorf("spread inconsistent: %+v", st.PagesPerFree)
	}
	if st.AllocsPerFree.Mean <= 0 || st.AllocsPerFree.Mean > st.PagesPerFree.Mean+float64(p.Cache*p.CPUs)/float64(st.Frees) {
		t.Errorf("allocator pages per free %+v vs pages per free %+v", st.AllocsPerFree, st.PagesPerFree)
	}
	again, _ := MeasureAllocations(context.Background(), design(t, "head"), p, 1, 4, 40000)
	if *again != *st {
		t.Errorf("same seed, different figures: %+v vs %+v", again, st)
	}
}
