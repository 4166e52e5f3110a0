package properties

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/rcucheck/rcucheck/model"
)

// AllocStats is the outcome of MeasureAllocations: per run, the frees made
// and the pages they needed, and the ratios' spread over the runs.
type AllocStats struct {
	Design string
	Params model.Params
	Seed   int64
	Runs   int
	// Frees is the number of kvfree_rcu() calls per run (the target; a run
	// stops earlier only when no free can happen any more).
	Frees int
	// PagesPerFree: bulk pages a free had to take (from the cache, the
	// allocator or the reserve) divided by the frees, per run.
	PagesPerFree Spread
	// AllocsPerFree: pages the page allocator handed out (on the free path
	// and to the page-cache worker) divided by the frees, per run.
	AllocsPerFree Spread
}

// Spread summarises one ratio over runs.
type Spread struct {
	Mean   float64 `json:"mean"`
	Stddev float64 `json:"stddev"` // sample standard deviation over the runs
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// FreesPer returns 1/Mean: "one page per this many frees" (+Inf when Mean is 0).
func (s Spread) FreesPer() float64 {
	if s.Mean == 0 {
		return math.Inf(1)
	}
	return 1 / s.Mean
}

func spread(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	sp := Spread{Min: xs[0], Max: xs[0]}
	for _, x := range xs {
		sp.Mean += x
		sp.Min = min(sp.Min, x)
		sp.Max = max(sp.Max, x)
	}
	sp.Mean /= float64(len(xs))
	if len(xs) > 1 {
		for _, x := range xs {
			sp.Stddev += (x - sp.Mean) * (x - sp.Mean)
		}
		sp.Stddev = math.Sqrt(sp.Stddev / float64(len(xs)-1))
	}
	return sp
}

// MeasureAllocations measures page allocations per free under heavy use
// without memory pressure (HeavyProfile): runs schedules of frees frees
// each (at most N*K) and counts, per run, the bulk pages the frees took and
// the pages the allocator handed out. Counting reads only the transitions'
// labels and the states before and after each: the number of pages a free
// added to its CPU's channel, and the cache pages a refill added.
func MeasureAllocations(ctx context.Context, d model.Design, p model.Params, seed int64, runs, frees int) (*AllocStats, error) {
	m, err := model.New(d, p)
	if err != nil {
		return nil, fmt.Errorf("design %s: %w", d.Name(), err)
	}
	if runs < 1 || frees < 1 {
		return nil, errors.New("runs and frees must be >= 1")
	}
	p = m.Params()
	frees = int(min(int64(frees), int64(p.CPUs)*int64(p.Calls)))
	st := &AllocStats{Design: d.Name(), Params: p, Seed: seed, Frees: frees}
	prof := HeavyProfile(p)
	var pagesPer, allocsPer []float64
	for i := 0; i < runs; i++ {
		if ctx.Err() != nil {
			break
		}
		w := newWalker(m, prof, runSeed(seed, i))
		s := m.Initial()
		var nFree, nPages, nAlloc int64
		idle := 0
		for nFree < int64(frees) && !s.Stuck {
			a, ok := w.next(s)
			if !ok {
				break
			}
			c := int(a.CPU)
			before := s.CPUs[c]
			m.Apply(s, a)
			switch a.Kind {
			case model.KindFree:
				nFree++
				idle = 0
				if d := s.CPUs[c].Pages - before.Pages; d > 0 {
					nPages += int64(d)
				}
				if allocated(a.Free) {
					nAlloc++
				}
			case model.KindRefill:
				if d := s.CPUs[c].Cache - before.Cache; d > 0 {
					nAlloc += int64(d)
				}
			}
			if idle++; idle > 1_000_000 {
				return nil, fmt.Errorf("run %d: a million steps without a free (after %d frees)", i, nFree)
			}
			if nFree&4095 == 0 && ctx.Err() != nil {
				break
			}
		}
		if nFree == 0 {
			continue
		}
		pagesPer = append(pagesPer, float64(nPages)/float64(nFree))
		allocsPer = append(allocsPer, float64(nAlloc)/float64(nFree))
		st.Runs++
	}
	st.PagesPerFree = spread(pagesPer)
	st.AllocsPerFree = spread(allocsPer)
	return st, nil
}
