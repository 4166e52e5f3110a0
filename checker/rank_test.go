package checker_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

// rankedGraph is a graphModel whose expander ranks its states by rank.
type rankedGraph struct {
	*graphModel
	rank []uint64
}

func (g *rankedGraph) NewExpander() checker.Expander {
	return &rankedExpander{graphExpander{g: g.graphModel, out: make([]uint64, 1)}, g.rank}
}

type rankedExpander struct {
	graphExpander
	rank []uint64
}

func (x *rankedExpander) Rank(s []uint64, _ int) uint64 { return x.rank[s[0]] }

// goalDistance is each state's distance to a goal state, math.MaxUint64
// where none is reachable: a rank that decides every state but the
// stranded ones that have successors.
func goalDistance(g *graphModel) []uint64 {
	n := len(g.succ)
	dist := make([]uint64, n)
	for i := range dist {
		dist[i] = math.MaxUint64
		if g.goal[i] {
			dist[i] = 0
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range n {
			for _, t := range g.succ[i] {
				if dist[t] != math.MaxUint64 && dist[t]+1 < dist[i] {
					dist[i], changed = dist[t]+1, true
				}
			}
		}
	}
	return dist
}

// TestRanksAgainstGraph: whatever the ranks (exact distances, random,
// none, or lies that claim progress where there is none), deciding the
// goals by ranks gives what the transition graph gives, verdict and trace;
// ranks that cannot settle a goal leave it to the graph.
func TestRanksAgainstGraph(t *testing.T) {
	kinds := []struct {
		name string
		rank func(rng *rand.Rand, g *graphModel) []uint64
	}{
		{"distance", func(_ *rand.Rand, g *graphModel) []uint64 { return goalDistance(g) }},
		{"random", func(rng *rand.Rand, g *graphModel) []uint64 {
			r := make([]uint64, len(g.succ))
			for i := range r {
				r[i] = uint64(rng.Intn(4))
			}
			return r
		}},
		{"unranked", func(_ *rand.Rand, g *graphModel) []uint64 {
			r := make([]uint64, len(g.succ))
			for i := range r {
				r[i] = math.MaxUint64
			}
			return r
		}},
		// Stranded states claim a low rank: their successors' ranks then
		// look like progress to their predecessors.
		{"lying", func(_ *rand.Rand, g *graphModel) []uint64 {
			r := goalDistance(g)
			for i := range r {
				if r[i] == math.MaxUint64 {
					r[i] = 0
				}
			}
			return r
		}},
	}
	byRank := map[string]int{}
	for seed := int64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewSource(seed))
		g := randomGraph(rng, 2+rng.Intn(80), 3)
		ref := explore(t, g, checker.Options{})
		for _, k := range kinds {
			rg := &rankedGraph{g, k.rank(rng, g)}
			for _, w := range []int{1, 2} {
				r := explore(t, rg, checker.Options{Workers: w})
				if r.GoalsBy == checker.GoalsByRank {
					byRank[k.name]++
				}
				if r.GoalsBy == "" {
					t.Fatalf("seed %d %s: goals not decided", seed, k.name)
				}
				r.GoalsBy = ref.GoalsBy
				sameResult(t, fmt.Sprintf("seed %d %s workers %d", seed, k.name, w), ref, r)
			}
		}
	}
	// Each kind must have been decided by ranks some of the time (where it
	// can) and by the graph the rest, or the test checks nothing.
	if byRank["distance"] == 0 || byRank["unranked"] == 0 || byRank["lying"] == 0 {
		t.Fatalf("decided by ranks: %v", byRank)
	}
	t.Logf("decided by ranks (of 600 runs each): %v", byRank)
}
