package checker

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// result assembles the Result of a finished or stopped run.
func (e *explorer) result(complete bool, reason string) *Result {
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
	}
	switch {
	case !e.symmetric:
		r.FullStates, r.FullTransitions = r.States, r.Transitions
	case e.fullKnown && complete:
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
		case complete:
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
		if complete && e.keepEdges {
			if bad := e.firstStranded(g); bad < 0 {
				p.Verdict = Holds
			} else {
				p.Verdict = Violated
				p.Trace = e.trace(uint64(bad))
			}
		}
		r.Goals = append(r.Goals, p)
	}
	r.Elapsed = time.Since(e.start)
	return r
}

// firstStranded returns the lowest-numbered (so shallowest) state from which
// no state of goal g is reachable, or -1 when there is none. It walks the
// transition graph backwards from the goal states.
func (e *explorer) firstStranded(g int) int64 {
	n := e.n
	// Reverse graph in compressed form: predecessors of j are
	// pred[predStart[j]:predStart[j+1]].
	predStart := make([]uint64, n+1)
	for k := uint64(0); k < e.succ.n; k++ {
		predStart[e.succ.at(k)+1]++
	}
	for j := uint64(0); j < n; j++ {
		predStart[j+1] += predStart[j]
	}
	pred := make([]uint32, e.succ.n)
	fill := append([]uint64(nil), predStart[:n]...)
	for i := uint64(0); i < n; i++ {
		for k := e.succStart.at(i); k < e.succStart.at(i+1); k++ {
			j := e.succ.at(k)
			pred[fill[j]] = uint32(i)
			fill[j]++
		}
	}
	fill = nil
	good := make([]bool, n)
	queue := make([]uint32, 0, 1024)
	for i := uint64(0); i < n; i++ {
		if e.isGoal(g, i) {
			good[i] = true
			queue = append(queue, uint32(i))
		}
	}
	for len(queue) > 0 {
		j := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, i := range pred[predStart[j]:predStart[j+1]] {
			if !good[i] {
				good[i] = true
				queue = append(queue, i)
			}
		}
	}
	for i, ok := range good {
		if !ok {
			return int64(i)
		}
	}
	return -1
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
	v := e.link.at(i)
	pos, o := uint64(v>>ordBits), v&(1<<ordBits-1)
	if v == linkBig {
		b := e.linkBig[i]
		pos, o = b[0], uint32(b[1])
	}
	return e.levels[d-1] + pos, o
}
