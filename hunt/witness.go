package hunt

import (
	"context"
	"fmt"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// witness looks for a pumped witness in the worst schedules, from the
// second smallest K up (the smallest may not have settled into its
// growth), then the smallest.
func (c *Config) witness(ctx context.Context, worst []*properties.Schedule, pts []Point) (*bound.Witness, string) {
	order := make([]int, 0, len(worst))
	for i := 1; i < len(worst); i++ {
		order = append(order, i)
	}
	order = append(order, 0)
	for _, i := range order {
		if ctx.Err() != nil || worst[i] == nil {
			break
		}
		if c.Progress != nil {
			c.Progress(fmt.Sprintf("extracting a repeating part of the worst schedule at K = %d", pts[i].Calls))
		}
		if w, from := c.extract(ctx, worst[i]); w != nil {
			return w, fmt.Sprintf("the worst schedule at K = %d: %s", pts[i].Calls, from)
		}
	}
	return nil, ""
}

// maxSegments bounds the parts of one schedule tried.
const maxSegments = 8

// extract tries parts of schedule sc between two late increments of the
// metric (before its peak), each as it is and reduced to its frees and
// the kernel's workers, to its frees, and to the frees of its busiest
// CPU: the first that replays pumped (bound.CycleWitness, Witness.Pump:
// every step enabled, the same gain each repetition) and is weakly fair
// is returned, else the first unfair one.
func (c *Config) extract(ctx context.Context, sc *properties.Schedule) (*bound.Witness, string) {
	acts := sc.Steps()
	incs := c.increments(sc, acts)
	var fallback *bound.Witness
	var fallbackFrom string
	tried := 0
	for e := len(incs) - 1; e >= 1 && tried < maxSegments && ctx.Err() == nil; e-- {
		for _, span := range []int{1, 2} {
			if e-span < 0 {
				continue
			}
			tried++
			a, b := incs[e-span], incs[e]
			for _, v := range variants(acts[a:b], sc.Model.Params().CPUs) {
				w, err := bound.CycleWitness(c.Design, sc.Model.Params(), c.Metric, acts[:a], v.cycle)
				if err != nil || w.Pump(c.Design, c.Pump) != nil || !w.Linear {
					continue
				}
				from := fmt.Sprintf("steps %d..%d (%s), after a prefix of %d steps", a+1, b, v.name, a)
				if w.Fair {
					return w, from
				}
				if fallback == nil {
					fallback, fallbackFrom = w, from
				}
			}
		}
	}
	return fallback, fallbackFrom
}

// increments returns the step counts t (up to the metric's first peak) at
// which the metric rose.
func (c *Config) increments(sc *properties.Schedule, acts []model.Action) []int {
	metric, _ := properties.MetricFunc(c.Metric)
	m := sc.Model
	s := m.Initial()
	prev, peak := metric(m.Metrics(s)), metric(m.Metrics(s))
	var incs []int
	peakAt := 0
	for t, a := range acts {
		m.Apply(s, a)
		v := metric(m.Metrics(s))
		if v > prev {
			incs = append(incs, t+1)
		}
		if v > peak {
			peak, peakAt = v, t+1
		}
		prev = v
	}
	for len(incs) > 0 && incs[len(incs)-1] > peakAt {
		incs = incs[:len(incs)-1]
	}
	return incs
}

type variant struct {
	name  string
	cycle []model.Action
}

// variants are the candidate cycles of a segment.
func variants(seg []model.Action, cpus int) []variant {
	keep := func(f func(model.Action) bool) []model.Action {
		var out []model.Action
		for _, a := range seg {
			if f(a) {
				out = append(out, a)
			}
		}
		return out
	}
	frees := make([]int, cpus)
	busiest := 0
	for _, a := range seg {
		if a.Kind == model.KindFree {
			if frees[a.CPU]++; frees[a.CPU] > frees[busiest] {
				busiest = int(a.CPU)
			}
		}
	}
	return []variant{
		{"the whole part", seg},
		{"its frees and the kernel's workers", keep(func(a model.Action) bool { return a.Kind == model.KindFree || bound.SystemAction(a.Kind) })},
		{"its frees", keep(func(a model.Action) bool { return a.Kind == model.KindFree })},
		{fmt.Sprintf("the frees of CPU %d", busiest), keep(func(a model.Action) bool { return a.Kind == model.KindFree && int(a.CPU) == busiest })},
	}
}
