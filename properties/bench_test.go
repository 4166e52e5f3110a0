package properties

import (
	"context"
	"testing"

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
