package properties

import (
	"fmt"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/rcucheck/rcucheck/model"
)

// MetricNames lists the metrics a growth hunt follows.
func MetricNames() []string {
	return []string{model.MetricPages, model.MetricPending, model.MetricReserve}
}

// MetricFunc returns the function that reads the named metric.
func MetricFunc(name string) (func(model.Metrics) int64, error) {
	switch name {
	case model.MetricPages:
		return func(mt model.Metrics) int64 { return mt.Pages }, nil
	case model.MetricPending:
		return func(mt model.Metrics) int64 { return mt.Pending }, nil
	case model.MetricReserve:
		return func(mt model.Metrics) int64 { return mt.ReserveUsed }, nil
	}
	return nil, fmt.Errorf("unknown metric %q (want pages, pending or reserve_used)", name)
}

// GenGrowthProfiles generates walker profiles that look for memory
// growth: frees weighted up and coming in long bursts on one CPU (the
// others' frees nearly stopped, so that one CPU reaches K at kernel sizes
// in about 2K steps), readers
// that stall grace periods for long stretches, the page allocator failing
// with a drawn probability (so both the allocator's pages and the
// fallbacks are tried), shrinker storms and delayed workers now and then.
func GenGrowthProfiles() gopter.Gen {
	return gopter.CombineGens(
		gen.Float64Range(2, 8),       // free weight
		gen.Float64Range(0, 1),       // allocator failure probability
		gen.Float64Range(1e-5, 1e-3), // a stall's end rate
		gen.Float64Range(0, 0.5),     // shrink weight
		gen.Float64Range(1e-5, 1e-3), // a free burst's end rate
		gen.Float64Range(0, 0.02),    // delayed workers' start rate
	).Map(func(v []interface{}) Profile {
		f := func(i int) float64 { return v[i].(float64) }
		pr := UniformProfile()
		pr.Name = "growth"
		pr.Weight[model.KindFree] = f(0)
		pr.Weight[model.KindShrink] = f(3)
		pr.FailProb, pr.PressureFailProb = f(1), 1
		pr.Stall = Burst{On: 0.2, Off: f(2)}
		pr.FreeBurst = Burst{On: 0.05, Off: f(4)}
		pr.BurstOthers = 1e-6
		pr.Delay = Burst{On: f(5), Off: 0.05}
		pr.Pressure = Burst{On: 0.01, Off: 0.05}
		return pr
	}).WithShrinker(gopter.NoShrinker)
}

// Peak walks sc and returns the largest value metric takes along it (in
// the initial state too) and the steps walked.
func Peak(sc *Schedule, metric func(model.Metrics) int64) (peak int64, steps int) {
	m := sc.Model
	s := m.Initial()
	peak = metric(m.Metrics(s))
	if !sc.compact {
		for _, a := range sc.Actions {
			if m.Step(s, a) != nil {
				break
			}
			peak = max(peak, metric(m.Metrics(s)))
			steps++
		}
		return peak, steps
	}
	w := newWalker(m, *sc.Profile, sc.Seed)
	for ; steps < sc.Length; steps++ {
		a, ok := w.next(s)
		if !ok {
			break
		}
		m.Apply(s, a)
		peak = max(peak, metric(m.Metrics(s)))
	}
	return peak, steps
}
