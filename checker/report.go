package checker

import (
	"fmt"
	"time"
)

// result assembles the Result of a finished or stopped run.
func (e *explorer) result(complete bool, reason string) *Result {
	r := &Result{
		States:      e.st.n,
		Transitions: e.transitions,
		Depth:       e.depth(),
		Complete:    complete,
		StopReason:  reason,
		Deadlocks:   e.deadlocks,
		MemoryBytes: e.memory(),
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
	n := e.st.n
	// Reverse graph in compressed form: predecessors of j are
	// pred[predStart[j]:predStart[j+1]].
	predStart := make([]uint64, n+1)
	for _, j := range e.succ {
		predStart[j+1]++
	}
	for j := uint64(0); j < n; j++ {
		predStart[j+1] += predStart[j]
	}
	pred := make([]uint32, len(e.succ))
	fill := append([]uint64(nil), predStart[:n]...)
	for i := uint64(0); i < n; i++ {
		for _, j := range e.succ[e.succStart[i]:e.succStart[i+1]] {
			pred[fill[j]] = uint32(i)
			fill[j]++
		}
	}
	fill = nil
	good := make([]bool, n)
	queue := make([]uint32, 0, 1024)
	for i, ok := range e.goalState[g] {
		if ok {
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

// trace rebuilds a shortest path from the initial state to state idx: the
// parent chain gives the states, and the parent's transitions are generated
// again to find the action that leads to each child.
func (e *explorer) trace(idx uint64) *Trace {
	var chain []uint64
	for i := idx; ; i = uint64(e.parent[i]) {
		chain = append(chain, i)
		if i == 0 {
			break
		}
	}
	inv := make([]bool, len(e.inv))
	goal := make([]bool, len(e.goal))
	obs := func(s []uint64) []int64 {
		m := make([]int64, len(e.metric))
		e.exp.Evaluate(s, inv, goal, m)
		return m
	}
	t := &Trace{Initial: append([]uint64(nil), e.st.state(0)...)}
	t.InitialMetrics = obs(t.Initial)
	for k := len(chain) - 1; k > 0; k-- {
		from := append([]uint64(nil), e.st.state(chain[k])...)
		to := e.st.state(chain[k-1])
		step, ok := e.findStep(from, to)
		if !ok {
			panic(fmt.Sprintf("checker: model is not deterministic: state %d no longer leads to state %d", chain[k], chain[k-1]))
		}
		step.Metrics = obs(step.State)
		t.Steps = append(t.Steps, step)
	}
	return t
}

// findStep returns the first transition of from that leads to to.
func (e *explorer) findStep(from, to []uint64) (Step, bool) {
	var step Step
	found := false
	e.exp.Successors(from, func(a Action, next []uint64) {
		if !found && equalWords(next, to) {
			found = true
			step = Step{Action: a, Name: e.m.ActionName(a), State: append([]uint64(nil), next...)}
		}
	})
	return step, found
}
