package checker

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// result assembles the Result of a finished or stopped run; explored
// tells whether every reachable state was expanded. Deciding the goals may
// still stop the run: the result is then incomplete, but its invariants,
// maxima and counts are those of the whole model.
func (e *explorer) result(explored bool, reason string) *Result {
	var stranded []int64
	complete := explored
	goalsBy := ""
	switch {
	case !explored || len(e.goalBits) == 0:
	case e.keepEdges:
		var why string
		if stranded, why = e.decideGoals(); why != "" {
			complete, reason = false, why
		}
		goalsBy = GoalsByGraph
	case e.rank.on:
		if stranded = e.rankStranded(); stranded != nil {
			goalsBy = GoalsByRank
		}
	}
	e.mon.setPhase("rebuilding the traces", 0)
	e.notePeak()
	r := &Result{
		States:      e.n,
		Transitions: e.transitions,
		Depth:       len(e.levels) - 1,
		Complete:    complete,
		StopReason:  reason,
		Deadlocks:   e.deadlocks,
		MemoryBytes: e.memory(),
		PeakBytes:   e.peak,
		Workers:     len(e.workers),
		Symmetry:    e.symmetric,
		Fingerprint: e.opt.Fingerprint,
		GoalsBy:     goalsBy,
		rankOpen:    explored && e.rank.on && stranded == nil,
	}
	switch {
	case !e.symmetric:
		r.FullStates, r.FullTransitions = r.States, r.Transitions
	case e.fullKnown && explored:
		r.FullStates, r.FullTransitions = e.fullStates, e.fullTransitions
	}
	if e.opt.Fingerprint {
		n := float64(e.n)
		r.OmissionBound = min(1, n*(n-1)/2/math.Exp2(fpBits))
	}
	for i, name := range e.m.Invariants() {
		p := PropertyResult{Name: name, Verdict: Unknown}
		switch {
		case e.invBad[i] >= 0:
			p.Verdict = Violated
			p.Trace = e.trace(uint64(e.invBad[i]))
		case explored:
			p.Verdict = Holds
		}
		r.Invariants = append(r.Invariants, p)
	}
	for i, name := range e.m.Metrics() {
		r.Metrics = append(r.Metrics, MetricResult{Name: name, Max: e.metricMax[i], Trace: e.trace(e.metricAt[i])})
	}
	if e.deadAt >= 0 {
		r.Deadlock = e.trace(uint64(e.deadAt))
	}
	for g, name := range e.m.Goals() {
		p := PropertyResult{Name: name, Verdict: Unknown}
		switch {
		case stranded == nil:
		case stranded[g] < 0:
			p.Verdict = Holds
		default:
			p.Verdict = Violated
			p.Trace = e.trace(uint64(stranded[g]))
		}
		r.Goals = append(r.Goals, p)
	}
	r.Elapsed = time.Since(e.start)
	return r
}

// trace rebuilds a shortest path from the initial state to state idx. The
// parent chain gives the states' numbers and the ordinal of the transition
// that first reached each; the path is replayed from the initial state. With
// symmetry the stored states are representatives: the replay follows them
// and, alongside, the concrete states of the model, taking at each step the
// first concrete transition whose target has the stored representative.
func (e *explorer) trace(idx uint64) *Trace {
	var chain []uint64
	var ords []uint32
	for i := idx; i != 0; {
		parent, o := e.parentOf(i)
		chain, ords = append(chain, i), append(ords, o)
		i = parent
	}
	w := e.workers[0]
	obs := func(s []uint64) []int64 {
		w.exp.Evaluate(s, w.inv, w.goal, w.metric)
		return append([]int64(nil), w.metric...)
	}
	t := &Trace{Initial: make([]uint64, e.words)}
	e.m.Initial(t.Initial)
	t.InitialMetrics = obs(t.Initial)
	cur := append([]uint64(nil), t.Initial...) // the concrete state
	rep := append([]uint64(nil), t.Initial...) // its representative
	if e.symmetric {
		w.canon.Canonicalize(rep)
	}
	for k := len(chain) - 1; k >= 0; k-- {
		o := ords[k]
		// The representative's o-th successor, as the search stored it.
		var want []uint64
		var n uint32
		w.exp.Successors(rep, func(_ Action, next []uint64) {
			if n == o {
				want = append([]uint64(nil), next...)
			}
			n++
		})
		if want == nil {
			panic(fmt.Sprintf("checker: model is not deterministic: state %d has no successor %d any more", chain[k], o))
		}
		if e.symmetric {
			w.canon.Canonicalize(want)
		}
		var step Step
		found := false
		w.exp.Successors(cur, func(a Action, next []uint64) {
			if found {
				return
			}
			s := next
			if e.symmetric {
				s = append(w.scratch[:0], next...)
				w.canon.Canonicalize(s)
			}
			if equalWords(s, want) {
				found = true
				step = Step{Action: a, Name: e.m.ActionName(a), State: append([]uint64(nil), next...)}
			}
		})
		if !found {
			panic(fmt.Sprintf("checker: model is not symmetric: no transition of the trace leads to state %d", chain[k]))
		}
		step.Metrics = obs(step.State)
		t.Steps = append(t.Steps, step)
		cur, rep = step.State, want
	}
	return t
}

// parentOf returns the parent of state i (not the initial state) and the
// number of the transition of the parent that first reached i.
func (e *explorer) parentOf(i uint64) (uint64, uint32) {
	// levels[d] is the first state of depth d: i has depth d, its parent
	// d-1.
	d := sort.Search(len(e.levels), func(d int) bool { return e.levels[d] > i }) - 1
	pos, o := e.linkAt(i)
	return e.levels[d-1] + pos, o
}
