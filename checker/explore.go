package checker

import (
	"context"
	"fmt"
	"time"
)

// maxIndex is the largest number of states a run can store: state numbers
// are kept in 32 bits.
const maxIndex = 1<<32 - 2

// explorer holds one run of Explore.
type explorer struct {
	m      Model
	opt    Options
	ctx    context.Context
	words  int
	exp    Expander
	st     *store
	parent []uint32 // parent[i]: the state number that first reached i
	levels []uint64 // levels[d]: number of the first state at depth d

	// Per-state observation scratch.
	inv    []bool
	goal   []bool
	metric []int64

	// Findings: state numbers of the first (so shallowest) witness.
	invBad    []int64 // -1: none
	metricMax []int64
	metricAt  []uint64
	goalState [][]bool // goalState[g][i]: state i is a goal state of goal g
	deadlocks uint64
	deadAt    int64

	// Transition graph, kept when goals are decided: the successors of
	// state i are succ[succStart[i]:succStart[i+1]].
	keepEdges bool
	succ      []uint32
	succStart []uint64

	transitions uint64
	start       time.Time
}

// Explore visits every state of m reachable from its initial state, breadth
// first, and reports what it found. A run that hits a limit of opt, or whose
// ctx is cancelled, ends with Complete false and the figures so far: found
// violations are real, properties not found violated are Unknown and metric
// maxima are lower bounds.
func Explore(ctx context.Context, m Model, opt Options) (*Result, error) {
	words := m.StateWords()
	if words < 1 {
		return nil, fmt.Errorf("model has %d words per state; want at least 1", words)
	}
	e := &explorer{
		m: m, opt: opt, ctx: ctx, words: words,
		exp:       m.NewExpander(),
		st:        newStore(words),
		inv:       make([]bool, len(m.Invariants())),
		goal:      make([]bool, len(m.Goals())),
		metric:    make([]int64, len(m.Metrics())),
		invBad:    make([]int64, len(m.Invariants())),
		metricMax: make([]int64, len(m.Metrics())),
		metricAt:  make([]uint64, len(m.Metrics())),
		goalState: make([][]bool, len(m.Goals())),
		deadAt:    -1,
		keepEdges: len(m.Goals()) > 0 && !opt.SkipGoals,
		start:     time.Now(),
	}
	for i := range e.invBad {
		e.invBad[i] = -1
	}
	if opt.ProgressEvery <= 0 {
		e.opt.ProgressEvery = time.Second
	}
	complete, reason := e.run()
	return e.result(complete, reason), nil
}

func (e *explorer) observe(idx uint64, s []uint64) {
	e.exp.Evaluate(s, e.inv, e.goal, e.metric)
	for i, ok := range e.inv {
		if !ok && e.invBad[i] < 0 {
			e.invBad[i] = int64(idx)
		}
	}
	for g, ok := range e.goal {
		e.goalState[g] = append(e.goalState[g], ok)
	}
	for i, v := range e.metric {
		if idx == 0 || v > e.metricMax[i] {
			e.metricMax[i] = v
			e.metricAt[i] = idx
		}
	}
}

func (e *explorer) memory() uint64 {
	b := e.st.bytes() + uint64(cap(e.parent))*4
	if e.keepEdges {
		b += uint64(cap(e.succ))*4 + uint64(cap(e.succStart))*8
	}
	for _, g := range e.goalState {
		b += uint64(cap(g))
	}
	return b
}

// run explores; it returns whether the exploration finished and, if not, why.
func (e *explorer) run() (bool, string) {
	init := make([]uint64, e.words)
	e.m.Initial(init)
	e.st.insert(init)
	e.parent = append(e.parent, 0)
	e.levels = append(e.levels, 0)
	e.observe(0, init)

	cur := make([]uint64, e.words)
	var curIdx uint64
	var succCount int
	lastProgress := e.start
	var stop string
	emit := func(a Action, next []uint64) {
		e.transitions++
		succCount++
		idx, added := e.st.insert(next)
		if added {
			e.parent = append(e.parent, uint32(curIdx))
			e.observe(idx, next)
		}
		if e.keepEdges {
			e.succ = append(e.succ, uint32(idx))
		}
	}
	levelEnd := e.st.n
	for curIdx = 0; curIdx < e.st.n; curIdx++ {
		if curIdx == levelEnd {
			// Every state of the previous depth is expanded: the states
			// stored so far end the depth that starts here.
			e.levels = append(e.levels, curIdx)
			levelEnd = e.st.n
		}
		if curIdx&1023 == 0 {
			if stop = e.limitReached(); stop != "" {
				return false, stop
			}
			if e.opt.Progress != nil && time.Since(lastProgress) >= e.opt.ProgressEvery {
				lastProgress = time.Now()
				e.opt.Progress(e.progress())
			}
		}
		copy(cur, e.st.state(curIdx))
		if e.keepEdges {
			e.succStart = append(e.succStart, uint64(len(e.succ)))
		}
		succCount = 0
		e.exp.Successors(cur, emit)
		if succCount == 0 {
			e.deadlocks++
			if e.deadAt < 0 {
				e.deadAt = int64(curIdx)
			}
		}
	}
	if e.keepEdges {
		e.succStart = append(e.succStart, uint64(len(e.succ)))
	}
	return true, ""
}

func (e *explorer) limitReached() string {
	if contextDone(e.ctx) {
		return "interrupted"
	}
	if e.opt.MaxStates > 0 && e.st.n >= e.opt.MaxStates {
		return fmt.Sprintf("state limit %d reached", e.opt.MaxStates)
	}
	if e.st.n >= maxIndex {
		return fmt.Sprintf("state limit %d of this checker reached", uint64(maxIndex))
	}
	if e.opt.MaxMemory > 0 && e.memory() >= e.opt.MaxMemory {
		return fmt.Sprintf("memory limit %d MiB reached", e.opt.MaxMemory>>20)
	}
	if e.opt.Timeout > 0 && time.Since(e.start) >= e.opt.Timeout {
		return fmt.Sprintf("time limit %s reached", e.opt.Timeout)
	}
	return ""
}

func (e *explorer) progress() Progress {
	el := time.Since(e.start)
	return Progress{
		States:       e.st.n,
		Transitions:  e.transitions,
		Depth:        e.depth(),
		Elapsed:      el,
		StatesPerSec: float64(e.st.n) / el.Seconds(),
		MemoryBytes:  e.memory(),
	}
}

// depth returns the depth of the deepest state stored so far.
func (e *explorer) depth() int {
	d := len(e.levels) - 1
	if e.st.n > 0 && e.depthOf(e.st.n-1) > d {
		return d + 1
	}
	return d
}

// depthOf returns the depth of state i (its shortest distance from the
// initial state), from the level table and the parent of i.
func (e *explorer) depthOf(i uint64) int {
	// levels is sorted; states beyond the last opened level are one deeper
	// than their parent, which is in an opened level.
	lo, hi := 0, len(e.levels)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if e.levels[mid] <= i {
			lo = mid
		} else {
			hi = mid
		}
	}
	if i > 0 && lo == len(e.levels)-1 && uint64(e.parent[i]) >= e.levels[lo] {
		return lo + 1
	}
	return lo
}
