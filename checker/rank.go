package checker

import (
	"context"
	"math"
)

// unranked is the rank of a state its Ranker does not rank.
const unranked = math.MaxUint64

// ranking is the state of the rank check of a run that decides its goals by
// ranks (see Ranker) instead of on the transition graph.
type ranking struct {
	on bool
	// first[g] is the lowest-numbered state that failed the check of goal
	// g, or -1; open[g] tells that one of the failures was of a state that
	// is ranked or has successors, which only the graph can decide.
	first []int64
	open  []bool
	base  uint64 // the number of the level's first state
}

// startRanks sets up the rank check when every worker's expander ranks and
// the goals are to be decided, not on the graph.
func (e *explorer) startRanks() {
	if len(e.goalBits) == 0 || e.opt.SkipGoals || e.opt.GoalsOnGraph {
		return
	}
	for _, w := range e.workers {
		if w.ranker, _ = w.exp.(Ranker); w.ranker == nil {
			return
		}
	}
	e.rank.on = true
	e.rank.first = make([]int64, len(e.goalBits))
	e.rank.open = make([]bool, len(e.goalBits))
	for g := range e.rank.first {
		e.rank.first[g] = -1
	}
}

// rankOpen reports whether some goal is left to the graph.
func (r *ranking) rankOpen() bool {
	for _, o := range r.open {
		if o {
			return true
		}
	}
	return false
}

// resetRanks readies a chunk's rank findings.
func (e *explorer) resetRanks(c *chunk) {
	if !e.rank.on {
		return
	}
	if c.rankFirst == nil {
		c.rankFirst = make([]int64, len(e.goalBits))
		c.rankOpen = make([]bool, len(e.goalBits))
	}
	for g := range c.rankFirst {
		c.rankFirst[g], c.rankOpen[g] = -1, false
	}
}

// certify checks the frontier state at pos, just expanded, whose
// successors are the chunk's candidates from k0 on: for each goal, it must
// be a goal state or have a successor of lower rank.
func (w *worker) certify(c *chunk, pos uint64, k0 int) {
	e := w.e
	words := e.words
	n := len(c.cw) / words // the chunk's successors so far
	for g := range e.goalBits {
		if e.isGoal(g, e.rank.base+pos) {
			continue
		}
		r := w.ranker.Rank(w.state, g)
		ok := false
		for j := k0; j < n && !ok; j++ {
			ok = w.ranker.Rank(c.cw[j*words:(j+1)*words], g) < r
		}
		if ok {
			continue
		}
		if c.rankFirst[g] < 0 {
			c.rankFirst[g] = int64(pos)
		}
		if r != unranked || n > k0 {
			c.rankOpen[g] = true
		}
	}
}

// mergeRanks folds a chunk's rank findings into the run's, in state order.
func (e *explorer) mergeRanks(c *chunk) {
	if !e.rank.on {
		return
	}
	for g, p := range c.rankFirst {
		if p >= 0 && e.rank.first[g] < 0 {
			e.rank.first[g] = int64(e.rank.base + uint64(p))
		}
		e.rank.open[g] = e.rank.open[g] || c.rankOpen[g]
	}
}

// rankStranded returns, when the ranks decided every goal, the
// lowest-numbered state from which no goal state of g is reachable (or -1)
// for each goal g, else nil. The failures then are all unranked states
// without successors: every other state reaches a goal state, so those are
// exactly the stranded states.
func (e *explorer) rankStranded() []int64 {
	if !e.rank.on || e.rank.rankOpen() {
		return nil
	}
	return append([]int64(nil), e.rank.first...)
}

// exploreGoals is explore, run once more keeping the transition graph when
// the ranks left a goal undecided. What the first run found stays when the
// second stops early: every state was explored, only the goals are unknown.
func exploreGoals(ctx context.Context, m Model, opt Options, tune tuning) (*Result, error) {
	r, err := explore(ctx, m, opt, tune)
	if err != nil || !r.rankOpen {
		return r, err
	}
	again := opt
	if opt.Timeout > 0 {
		if again.Timeout = opt.Timeout - r.Elapsed; again.Timeout <= 0 {
			return r.goalsUndecided(m, "time limit "+opt.Timeout.String()+" reached"), nil
		}
	}
	again.GoalsOnGraph = true
	tune.again = true
	g, err := explore(ctx, m, again, tune)
	if err != nil {
		return nil, err
	}
	g.Elapsed += r.Elapsed
	g.PeakBytes = max(g.PeakBytes, r.PeakBytes)
	if !g.Complete {
		return r.goalsUndecided(m, g.StopReason), nil
	}
	return g, nil
}

// goalsUndecided marks a run whose goals the ranks left open, and whose
// second run on the graph stopped for why, as incomplete.
func (r *Result) goalsUndecided(m Model, why string) *Result {
	r.Complete, r.rankOpen = false, false
	r.StopReason = goalStopText(m, why)
	return r
}
