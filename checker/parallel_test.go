package checker_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// sameResult fails when two results differ in any figure other than time
// and memory: counts, depth, verdicts, maxima and every trace.
func sameResult(t *testing.T, what string, a, b *checker.Result) {
	t.Helper()
	strip := func(r *checker.Result) checker.Result {
		c := *r
		c.Elapsed, c.MemoryBytes, c.PeakBytes, c.Workers = 0, 0, 0, 0
		c.Fingerprint, c.OmissionBound = false, 0
		return c
	}
	if sa, sb := strip(a), strip(b); !reflect.DeepEqual(sa, sb) {
		t.Fatalf("%s: results differ:\n%+v\n%+v", what, sa, sb)
	}
}

// TestWorkersIdentical: the figures and traces are the same for every
// number of workers, and in fingerprint and exact mode.
func TestWorkersIdentical(t *testing.T) {
	for seed := int64(0); seed < 60; seed++ {
		rng := rand.New(rand.NewSource(seed))
		// Big enough for several chunks per level on some seeds.
		g := randomGraph(rng, 2+rng.Intn(5000), 5)
		ref := explore(t, g, checker.Options{Workers: 1})
		for _, opt := range []checker.Options{{Workers: 2}, {Workers: 4}, {Workers: 3, Fingerprint: true}, {Workers: 1, Fingerprint: true}} {
			sameResult(t, fmt.Sprintf("seed %d %+v", seed, opt), ref, explore(t, g, opt))
		}
	}
}

// TestWorkersIdenticalModel checks the same on the reference model.
func TestWorkersIdenticalModel(t *testing.T) {
	cases := []struct {
		design string
		n, k   int
	}{{"head", 2, 1}, {"sync", 2, 2}, {"reserve", 2, 2}, {"limit", 3, 1}, {"early", 2, 1}}
	for _, c := range cases {
		p := model.DefaultParams()
		p.CPUs, p.Calls = c.n, c.k
		m, err := model.NewByName(c.design, p)
		if err != nil {
			t.Fatal(err)
		}
		ref := explore(t, m.Checkable(), checker.Options{Workers: 1})
		if !ref.Complete || ref.States < 1000 {
			t.Fatalf("%s: %d states, complete %v", c.design, ref.States, ref.Complete)
		}
		for _, opt := range []checker.Options{{Workers: 2}, {Workers: 4, Fingerprint: true}} {
			sameResult(t, fmt.Sprintf("%s N=%d K=%d %+v", c.design, c.n, c.k, opt), ref, explore(t, m.Checkable(), opt))
		}
	}
}

// TestFingerprintBound: the omission bound is reported in fingerprint mode
// only: n(n-1)/2 / 2^60 for the 60 bits of hash that tell states apart.
func TestFingerprintBound(t *testing.T) {
	g := randomGraph(rand.New(rand.NewSource(7)), 3000, 4)
	exact := explore(t, g, checker.Options{})
	fp := explore(t, g, checker.Options{Fingerprint: true})
	n := float64(fp.States)
	want := n * (n - 1) / 2 / math.Exp2(60)
	if exact.OmissionBound != 0 || math.Abs(fp.OmissionBound-want) > want*1e-9 {
		t.Fatalf("omission bounds: exact %g, fingerprint %g for %g states", exact.OmissionBound, fp.OmissionBound, n)
	}
}

// TestStopsCleanly: limits stop the run with consistent partial figures.
func TestStopsCleanly(t *testing.T) {
	d, _ := model.LookupDesign("head")
	p := model.DefaultParams()
	p.Calls = 2
	m, err := model.New(d, p)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opt  checker.Options
	}{
		{"states", checker.Options{MaxStates: 5000, Workers: 2}},
		{"memory", checker.Options{MaxMemory: 4 << 20, Workers: 2}},
		{"time", checker.Options{Timeout: time.Millisecond, Workers: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := explore(t, m.Checkable(), c.opt)
			if r.Complete || r.StopReason == "" || r.States == 0 {
				t.Fatalf("complete %v reason %q states %d", r.Complete, r.StopReason, r.States)
			}
			if c.opt.MaxStates > 0 && r.States != c.opt.MaxStates {
				t.Fatalf("states %d, want exactly the limit %d", r.States, c.opt.MaxStates)
			}
			for _, p := range r.Invariants {
				if p.Verdict == checker.Holds {
					t.Fatalf("%s holds on an incomplete run", p.Name)
				}
			}
		})
	}
}

func benchExplore(b *testing.B, design string, k int, opt checker.Options) {
	d, err := model.LookupDesign(design)
	if err != nil {
		b.Fatal(err)
	}
	p := model.DefaultParams()
	p.Calls = k
	m, err := model.New(d, p)
	if err != nil {
		b.Fatal(err)
	}
	var states uint64
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r, err := checker.Explore(context.Background(), m.Checkable(), opt)
		if err != nil {
			b.Fatal(err)
		}
		states += r.States
		b.ReportMetric(float64(r.PeakBytes)/float64(r.States), "bytes/state")
	}
	b.ReportMetric(float64(states)/time.Since(start).Seconds(), "states/s")
}

// BenchmarkExploreHeadK2 explores head at K=2 (891,464 states): states per
// second and bytes per state of the checker's tables, by workers and store,
// for the safety properties alone and, "check", with Drainable decided as
// rcucheck check does (by the model's rank).
func BenchmarkExploreHeadK2(b *testing.B) {
	for _, c := range []struct {
		name string
		opt  checker.Options
	}{
		{"exact/workers=1", checker.Options{Workers: 1, SkipGoals: true}},
		{"exact/workers=2", checker.Options{Workers: 2, SkipGoals: true}},
		{"fingerprint/workers=1", checker.Options{Workers: 1, Fingerprint: true, SkipGoals: true}},
		{"fingerprint/workers=2", checker.Options{Workers: 2, Fingerprint: true, SkipGoals: true}},
		{"check/workers=1", checker.Options{Workers: 1}},
		{"check/workers=2", checker.Options{Workers: 2}},
	} {
		b.Run(c.name, func(b *testing.B) { benchExplore(b, "head", 2, c.opt) })
	}
}
