package hunt

import (
	"context"
	"fmt"
	"slices"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// found is a pumped witness extracted from a schedule: where it comes
// from, the frees of the busiest CPU in its cycle, and what its cycle's
// branches did to the metric.
type found struct {
	w       *bound.Witness
	from    string
	frees   int
	sources []Source
}

// witness looks for a pumped witness in the worst schedules, from the
// second smallest K up (the smallest may not have settled into its
// growth), then the smallest, and records it in r.
func (c *Config) witness(ctx context.Context, worst []*properties.Schedule, r *Result) {
	pts := r.Points
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
		if f := c.extract(ctx, worst[i]); f.w != nil {
			r.Witness, r.WitnessFrom = f.w, fmt.Sprintf("the worst schedule at K = %d: %s", pts[i].Calls, f.from)
			r.GrowthPerCall, r.WitnessSources = float64(f.w.Gain)/float64(max(f.frees, 1)), f.sources
			return
		}
	}
}

// maxSegments bounds the parts of one schedule tried.
const maxSegments = 8

// extract tries parts of schedule sc between two late increments of the
// metric (before its peak), each as it is and reduced to its frees and
// the kernel's workers, to its frees, and to the frees of its busiest
// CPU; then, at the last increments made by a free or a refill of one
// CPU, a page's worth of that CPU's frees ending in the same branch
// (synthesize). The first that replays pumped (bound.CycleWitness,
// Witness.Pump: every step enabled, the same gain each repetition) and is
// weakly fair is returned, else the first unfair one, with the frees of
// the busiest CPU in its cycle.
func (c *Config) extract(ctx context.Context, sc *properties.Schedule) found {
	acts := sc.Steps()
	incs := c.increments(sc, acts)
	// room is sc's model with the workload bound raised for the steps a
	// synthesized part adds.
	p := sc.Model.Params()
	p.Calls += 4 * (p.Bulk + p.Cache + 2)
	room, err := model.New(c.Design, p)
	if err != nil {
		return found{}
	}
	metric, _ := properties.MetricFunc(c.Metric)
	lo := max(0, len(incs)-maxIncrements)
	states := prefixStates(room, acts, incs[lo:])
	var fallback found
	// try reports whether the search is over: a fair witness was found.
	// A cycle that is not enabled from start (the state after prefix, on
	// the schedule's own parameters) or does not raise the metric there is
	// not replayed further.
	try := func(prefix, cycle []model.Action, start *model.State, from string) bool {
		if start == nil || !raises(room, start.Clone(), cycle, metric) {
			return false
		}
		w, err := bound.CycleWitness(c.Design, sc.Model.Params(), c.Metric, prefix, cycle)
		if err != nil || w.Pump(c.Design, c.Pump) != nil || !w.Linear || (!w.Fair && fallback.w != nil) {
			return false
		}
		fallback = found{w: w, from: from, sources: c.cycleSources(room, start.Clone(), cycle)}
		fallback.frees, _ = freesByCPU(cycle, sc.Model.Params().CPUs)
		return w.Fair
	}
	tried := 0
	for e := len(incs) - 1; e >= 1 && tried < maxSegments && ctx.Err() == nil; e-- {
		for _, span := range []int{1, 2} {
			if e-span < 0 {
				continue
			}
			tried++
			a, b := incs[e-span], incs[e]
			for _, v := range variants(acts[a:b], sc.Model.Params().CPUs) {
				if try(acts[:a], v.cycle, states[a], fmt.Sprintf("steps %d..%d (%s), after a prefix of %d steps", a+1, b, v.name, a)) {
					return fallback
				}
			}
		}
	}
	c.synthesized(ctx, room, acts, incs[lo:], states, try)
	return fallback
}

// maxIncrements bounds the increments of the metric (the last ones
// before its peak) a witness is looked for at.
const maxIncrements = 64

// prefixStates walks acts once on m (a real path: no enabledness check)
// and returns the states after acts[:t] for every t of ts (ascending).
func prefixStates(m *model.Model, acts []model.Action, ts []int) map[int]*model.State {
	out := make(map[int]*model.State, len(ts))
	s := m.Initial()
	done := 0
	for _, t := range ts {
		for ; done < t; done++ {
			m.Apply(s, acts[done])
		}
		out[t] = s.Clone()
	}
	return out
}

// raises applies cycle to s and reports whether every step was enabled
// and the metric ended higher than it began.
func raises(m *model.Model, s *model.State, cycle []model.Action, metric func(model.Metrics) int64) bool {
	before := metric(m.Metrics(s))
	return replays(m, s, cycle) && metric(m.Metrics(s)) > before
}

// synthesized tries, at the last increments of the metric made by a free
// or a refill of one CPU (one per CPU and branch), the cycle that CPU's
// frees make from there up to the next time the same branch is taken: a
// page's worth of frees (and the refill), after the schedule's steps up
// to the increment and one such part that aligns the page; first with the
// kernel's workers run until none is enabled before and after that part
// (so the cycle starves none that the schedule's state lets rest, e.g. a
// monitor with no free slot while a reader holds the grace period), then
// without.
func (c *Config) synthesized(ctx context.Context, m *model.Model, acts []model.Action, incs []int, states map[int]*model.State, try func(prefix, cycle []model.Action, start *model.State, from string) bool) {
	seen := map[string]bool{}
	for e := len(incs) - 1; e >= 0 && len(seen) < maxSegments && ctx.Err() == nil; e-- {
		t := acts[incs[e]-1]
		key := fmt.Sprintf("%d %s", t.CPU, branch(t))
		if (t.Kind != model.KindFree && t.Kind != model.KindRefill) || seen[key] {
			continue
		}
		seen[key] = true
		for _, way := range []struct{ drain, shrink bool }{{true, false}, {true, true}, {false, false}} {
			s := states[incs[e]].Clone()
			steps, cycle := synthesize(m, s, t, way.drain, way.shrink)
			if cycle == nil {
				continue
			}
			from := fmt.Sprintf("the frees of CPU %d from step %d, where %s raised %s, up to the next %s (%d steps), after one such part", t.CPU, incs[e], t, c.Metric, branch(t), len(cycle))
			if way.drain {
				from += ", the kernel's workers run until idle before and after it"
			}
			if way.shrink {
				from += ", the shrinker emptying the cache the worker refills"
			}
			prefix := append(append([]model.Action(nil), acts[:incs[e]]...), steps...)
			if try(prefix, cycle, s, from) {
				return
			}
		}
	}
}

// synthesize applies to s (the state after the schedule's steps up to an
// increment) one page of frees of target's CPU ending in target's branch,
// with the workers drained around it when drain, and returns those steps
// (the rest of the prefix) and the cycle (the next such page; see
// pageOfFrees for shrink), leaving s the state after the prefix; the
// cycle is nil when either page is not reached.
func synthesize(m *model.Model, s *model.State, target model.Action, drain, shrink bool) (steps, cycle []model.Action) {
	if drain {
		steps = drainWorkers(m, s)
	}
	align := pageOfFrees(m, s, target, shrink)
	if align == nil {
		return nil, nil
	}
	steps = append(steps, align...)
	if drain && !shrink { // with shrink the cycle runs the worker itself
		steps = append(steps, drainWorkers(m, s)...)
	}
	return steps, pageOfFrees(m, s.Clone(), target, shrink)
}

// drainWorkers runs the kernel's workers (bound.SystemAction) on s, the
// first enabled each time, until none is enabled or a bound on the steps
// is reached, and returns the steps.
func drainWorkers(m *model.Model, s *model.State) []model.Action {
	var out, buf []model.Action
	for len(out) < 64*m.Params().CPUs+64 {
		buf = m.Enabled(s, buf[:0])
		i := slices.IndexFunc(buf, func(a model.Action) bool { return bound.SystemAction(a.Kind) })
		if i < 0 {
			break
		}
		m.Apply(s, buf[i])
		out = append(out, buf[i])
	}
	return out
}

// replays applies acts to s, and reports whether each was enabled.
func replays(m *model.Model, s *model.State, acts []model.Action) bool {
	for _, a := range acts {
		if m.Step(s, a) != nil {
			return false
		}
	}
	return true
}

// pageOfFrees applies to s frees of target's CPU (a free into the current
// page first, then one from the cache) until target's branch is enabled
// after at least one free, then target, and returns the steps; nil when
// the branch is not reached within a page and the cache's worth of frees.
// With shrink, when the page is full and target is a free branch, the
// page-cache worker runs (when enabled) and the shrinker then empties the
// cache (memory pressure, the environment's move) before target: a cycle
// that needs an empty cache need not starve the worker.
func pageOfFrees(m *model.Model, s *model.State, target model.Action, shrink bool) []model.Action {
	p := m.Params()
	var out, buf []model.Action
	shrunk := false
	for len(out) < p.Bulk+p.Cache+4 {
		buf = m.Enabled(s, buf[:0])
		var free, next, refill, shrinker model.Action
		for _, a := range buf {
			switch {
			case a.CPU != target.CPU:
			case a.Kind == target.Kind && branch(a) == branch(target):
				next = a
			case a.Kind == model.KindFree && (free.Kind == 0 || a.Free == model.FreeInPage || (a.Free == model.FreeCache && free.Free != model.FreeInPage)):
				free = a
			case a.Kind == model.KindRefill && refill.Kind == 0:
				refill = a
			case a.Kind == model.KindShrink:
				shrinker = a
			}
		}
		pageFull := next.Kind != 0 || free.Free == model.FreeCache
		switch {
		case shrink && target.Kind == model.KindFree && len(out) > 0 && pageFull && refill.Kind != 0 && !shrunk:
			m.Apply(s, refill)
			out = append(out, refill)
			continue
		case shrink && target.Kind == model.KindFree && free.Free == model.FreeCache && shrinker.Kind != 0:
			shrunk = true
			m.Apply(s, shrinker)
			out = append(out, shrinker)
			continue
		case next.Kind != 0 && len(out) > 0:
			m.Apply(s, next)
			return append(out, next)
		case free.Kind == 0 || (free.Free != model.FreeInPage && free.Free != model.FreeCache):
			return nil
		}
		m.Apply(s, free)
		out = append(out, free)
	}
	return nil
}

// freesByCPU returns the frees of the busiest CPU of seg and that CPU.
func freesByCPU(seg []model.Action, cpus int) (most, busiest int) {
	frees := make([]int, cpus)
	for _, a := range seg {
		if a.Kind == model.KindFree {
			if frees[a.CPU]++; frees[a.CPU] > frees[busiest] {
				busiest = int(a.CPU)
			}
		}
	}
	return frees[busiest], busiest
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
	_, busiest := freesByCPU(seg, cpus)
	return []variant{
		{"the whole part", seg},
		{"its frees and the kernel's workers", keep(func(a model.Action) bool { return a.Kind == model.KindFree || bound.SystemAction(a.Kind) })},
		{"its frees", keep(func(a model.Action) bool { return a.Kind == model.KindFree })},
		{fmt.Sprintf("the frees of CPU %d", busiest), keep(func(a model.Action) bool { return a.Kind == model.KindFree && int(a.CPU) == busiest })},
	}
}
