package properties

import (
	"context"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/model"
)

var benchSizes = []struct {
	name string
	p    model.Params
}{
	{"defaults", model.DefaultParams()},
	{"kernel", model.Params{CPUs: 8, Bulk: 508, Cache: 5, Reserve: 1, Calls: 1_000_000, Limit: 2}},
}

// BenchmarkSchedules measures schedules per second (and steps per second)
// of the fuzzing loop on head, which never stops early: every schedule runs
// to its length bound (AutoSteps: 88 steps at the defaults, 33088 at kernel
// size), with NoStuck and GracePeriod checked after every step.
func BenchmarkSchedules(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			d := design(b, "head")
			runs := 200
			if sz.name == "kernel" {
				runs = 2
			}
			var steps uint64
			n := 0
			for b.Loop() {
				res, err := Run(context.Background(), Config{Design: d, Params: sz.p, Seed: int64(n), Runs: runs})
				if err != nil {
					b.Fatal(err)
				}
				steps += res.Steps
				n += res.Runs
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(n)/sec, "schedules/s")
			b.ReportMetric(float64(steps)/sec, "steps/s")
		})
	}
}

// BenchmarkFirstViolation measures the time to the first violation and its
// shrink (one candidate, no exhaustive shortest), over many seeds.
func BenchmarkFirstViolation(b *testing.B) {
	cases := []struct {
		design string
		prop   Property
	}{{"reserve", NoStuck()}, {"early", GracePeriod()}}
	for _, sz := range benchSizes {
		for _, tc := range cases {
			b.Run(sz.name+"/"+tc.design, func(b *testing.B) {
				d := design(b, tc.design)
				seed := int64(0)
				runs := 0
				for b.Loop() {
					seed++
					res, err := Run(context.Background(), Config{Design: d, Params: sz.p, Props: []Property{tc.prop}, Seed: seed, Runs: 100000, Candidates: 1})
					if err != nil {
						b.Fatal(err)
					}
					if !res.Violated() {
						b.Fatalf("seed %d: no violation in %d runs", seed, res.Runs)
					}
					runs += res.Runs
				}
				b.ReportMetric(float64(runs)/float64(seed), "runs/violation")
			})
		}
	}
}

// BenchmarkEngineVsWalker measures, in one run, the gopter engine (Run:
// gopter parameters per run, GenSchedule's compact value, prop.ForAll's
// check) against the plain walker loop it wraps (the same walker, seeds
// and properties, with no gopter at all), alternating batches of 200
// schedules of early at the spec's defaults (what "rcucheck fuzz --design
// early" runs): schedules per second of each (the engine's search time,
// shrinks excluded, as fuzz reports it) and their ratio. The walker runs
// the uniform profile, and so does the engine's first figure; the
// engine's mixed figure is fuzz's default profile.
func BenchmarkEngineVsWalker(b *testing.B) {
	d := design(b, "early")
	p := model.DefaultParams()
	m, err := model.New(d, p)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 200
	var engine, mixed, walker time.Duration
	var nEngine, nMixed, nWalker int
	seed := int64(0)
	for b.Loop() {
		seed++
		for _, profile := range []string{"uniform", "mixed"} {
			res, err := Run(context.Background(), Config{Design: d, Params: p, Seed: seed, Runs: batch, Profile: profile})
			if err != nil {
				b.Fatal(err)
			}
			if profile == "uniform" {
				engine, nEngine = engine+res.Search, nEngine+res.Runs
			} else {
				mixed, nMixed = mixed+res.Search, nMixed+res.Runs
			}
		}
		start := time.Now()
		nWalker += plainWalks(m, UniformProfile(), seed, batch, AutoSteps(p))
		walker += time.Since(start)
	}
	e, w := float64(nEngine)/engine.Seconds(), float64(nWalker)/walker.Seconds()
	b.ReportMetric(e, "engine-schedules/s")
	b.ReportMetric(float64(nMixed)/mixed.Seconds(), "engine-mixed-schedules/s")
	b.ReportMetric(w, "walker-schedules/s")
	b.ReportMetric(e/w, "engine/walker")
}

// plainWalks walks runs schedules of m under prof (run i's walker seeded
// as Run seeds it) with NoStuck and GracePeriod checked after every step,
// each until both are violated or steps steps, and returns the schedules
// walked.
func plainWalks(m *model.Model, prof Profile, seed int64, runs, steps int) int {
	props := DefaultProperties()
	for i := 0; i < runs; i++ {
		w := newWalker(m, prof, runSeed(seed, i))
		s := m.Initial()
		violated := make([]bool, len(props))
		left := len(props)
		for step := 0; step < steps && left > 0; step++ {
			a, ok := w.next(s)
			if !ok {
				break
			}
			m.Apply(s, a)
			mt := m.Metrics(s)
			for j := range props {
				if !violated[j] && !props[j].Holds(m, s, mt) {
					violated[j], left = true, left-1
				}
			}
		}
	}
	return runs
}
