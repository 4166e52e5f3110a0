package checker

import (
	"fmt"
	"strings"
)

// stopEvery is how many steps of the goals' decision run between two looks
// at the stop flag.
const stopEvery = 1 << 20

// decideGoals decides every goal on the transition graph: stranded[g] is
// the lowest-numbered (so shallowest) state from which no state of goal g
// is reachable, or -1. It walks the reverse graph from the goal states when
// its tables fit under the memory cap; else it sweeps the forward graph
// until nothing changes, which needs only a bit per state. It returns why it
// could not decide them (the memory limit, the time limit, an interruption),
// or "".
func (e *explorer) decideGoals() ([]int64, string) {
	if e.tune.beforeGoals != nil {
		e.tune.beforeGoals(e)
	}
	if e.stop.Load() {
		return nil, e.goalStop(e.mon.why())
	}
	n, m := e.n, e.succ.n
	words := (n + 63) / 64
	reverse := 8*(n+1) + 4*m + 4*n + 8*words // predStart, pred, stack, bits
	limit := e.opt.MaxMemory
	used := e.memory()
	sweep := e.tune.sweep
	switch {
	case sweep || limit == 0 || used+reverse <= limit:
	case used+8*words <= limit:
		sweep = true
	default:
		return nil, e.goalStop(fmt.Sprintf("memory limit %d MiB reached", limit>>20))
	}
	good, gm := makeTable[uint64](words)
	defer freeTable(gm)
	e.extra = 8 * words
	defer func() { e.extra = 0 }()
	var stranded []int64
	if sweep {
		for g := range e.goalBits {
			if why := e.sweepGoal(g, good); why != "" {
				return nil, e.goalStop(why)
			}
			stranded = append(stranded, firstClear(good, n))
		}
		return stranded, ""
	}
	pred, predStart, free, why := e.reverseGraph()
	defer free()
	if why != "" {
		return nil, e.goalStop(why)
	}
	stack, sm := makeTable[uint32](n)
	defer freeTable(sm)
	e.extra += 4 * n
	e.notePeak()
	for g := range e.goalBits {
		e.mon.setPhase("deciding "+e.m.Goals()[g]+": backwards from the goal states", 0)
		clear(good)
		top := 0
		for i := uint64(0); i < n; i++ {
			if e.isGoal(g, i) {
				good[i/64] |= 1 << (i % 64)
				stack[top], top = uint32(i), top+1
			}
		}
		for top > 0 {
			top--
			j := stack[top]
			for _, i := range pred[predStart[j]:predStart[j+1]] {
				if good[i/64]&(1<<(i%64)) == 0 {
					good[i/64] |= 1 << (i % 64)
					stack[top], top = i, top+1
				}
			}
		}
		stranded = append(stranded, firstClear(good, n))
	}
	return stranded, ""
}

// goalStop is the stop reason of a run whose goals could not be decided.
func (e *explorer) goalStop(why string) string { return goalStopText(e.m, why) }

// goalStopText is the stop reason of a run of m whose goals could not be
// decided, for why.
func goalStopText(m Model, why string) string {
	return fmt.Sprintf("%s deciding %s: every state was explored, the other verdicts and the maxima are exact",
		why, strings.Join(m.Goals(), ", "))
}

// reverseGraph builds the predecessors of every state in compressed form:
// those of j are pred[predStart[j]:predStart[j+1]]. It returns the
// function that frees them, and why it stopped, or "".
func (e *explorer) reverseGraph() (pred []uint32, predStart []uint64, free func(), why string) {
	n, m := e.n, e.succ.n
	predStart, psm := makeTable[uint64](n + 1)
	pred, pm := makeTable[uint32](m)
	free = func() { freeTable(psm); freeTable(pm) }
	e.extra += 8*(n+1) + 4*m
	e.notePeak()
	e.mon.setPhase("deciding "+strings.Join(e.m.Goals(), ", ")+": reverse graph", 2*m)
	for k := uint64(0); k < m; k++ {
		predStart[e.succ.at(k)]++
		if k%stopEvery == 0 {
			e.mon.done.Store(k)
			if e.stop.Load() {
				return nil, nil, free, e.mon.why()
			}
		}
	}
	for j := uint64(1); j < n; j++ {
		predStart[j] += predStart[j-1]
	}
	predStart[n] = m
	// predStart[j] is the end of j's predecessors: filling them downwards
	// leaves it at their start.
	for i := uint64(0); i < n; i++ {
		for k := e.succStart.at(i); k < e.succStart.at(i+1); k++ {
			j := e.succ.at(k)
			predStart[j]--
			pred[predStart[j]] = uint32(i)
			if k%stopEvery == 0 {
				e.mon.done.Store(m + k)
				if e.stop.Load() {
					return nil, nil, free, e.mon.why()
				}
			}
		}
	}
	return pred, predStart, free, ""
}

// sweepGoal sets in good the states from which a state of goal g is
// reachable, by sweeping the states from the last to the first, marking
// those with a marked successor, until a sweep marks none. It returns why
// it stopped, or "".
func (e *explorer) sweepGoal(g int, good []uint64) string {
	n := e.n
	copy(good, e.goalBits[g])
	for sweep := 1; ; sweep++ {
		e.mon.setPhase(fmt.Sprintf("deciding %s under the memory cap: sweep %d", e.m.Goals()[g], sweep), n)
		changed := false
		for i := n; i > 0; i-- {
			s := i - 1
			if s%stopEvery == 0 {
				e.mon.done.Store(n - s)
				if e.stop.Load() {
					return e.mon.why()
				}
			}
			if good[s/64]&(1<<(s%64)) != 0 {
				continue
			}
			for k := e.succStart.at(s); k < e.succStart.at(s+1); k++ {
				if j := e.succ.at(k); good[j/64]&(1<<(j%64)) != 0 {
					good[s/64] |= 1 << (s % 64)
					changed = true
					break
				}
			}
		}
		if !changed {
			return ""
		}
	}
}

// firstClear returns the first of the n bits of b that is clear, or -1.
func firstClear(b []uint64, n uint64) int64 {
	for i := uint64(0); i < n; i++ {
		if b[i/64]&(1<<(i%64)) == 0 {
			return int64(i)
		}
	}
	return -1
}
