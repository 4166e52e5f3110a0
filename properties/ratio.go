package properties

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/leanovate/gopter/gen"
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
	// Flow counts, over all runs, where the pages came from and went to:
	// what CompareKernel reads the reason for a difference from.
	Flow AllocFlow
}

// AllocFlow counts the pages of an allocation measurement by where they
// came from and went to, over all its runs.
type AllocFlow struct {
	Frees int64 `json:"frees"`
	// PagesTaken are the bulk pages the frees took: FromCache of them from
	// the per-CPU cache, FromAllocator from the page allocator on the free
	// path (alloc-ok, lockless), FromReserve from the emergency reserve.
	PagesTaken    int64 `json:"pages_taken"`
	FromCache     int64 `json:"from_cache"`
	FromAllocator int64 `json:"from_allocator"`
	FromReserve   int64 `json:"from_reserve"`
	// Refills are the page-cache worker's runs (refill(c)), RefillsNotEmpty
	// those that found the cache not empty, RefillPages the pages the
	// allocator gave them.
	Refills         int64 `json:"refills"`
	RefillsNotEmpty int64 `json:"refills_not_empty"`
	RefillPages     int64 `json:"refill_pages"`
	// Reclaimed are the bulk pages reclaim(c, j) released: ToReserve and
	// ToCache of them kept, ToAllocator given back to the page allocator.
	Reclaimed   int64 `json:"reclaimed"`
	ToReserve   int64 `json:"to_reserve"`
	ToCache     int64 `json:"to_cache"`
	ToAllocator int64 `json:"to_allocator"`
}

// Allocs returns the pages the page allocator handed out.
func (f AllocFlow) Allocs() int64 { return f.FromAllocator + f.RefillPages }

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
// without memory pressure (HeavyProfile): runs schedules gopter draws
// (GenScheduleWith, on the parameters of run i, RunParams) of frees frees
// each (at most N*K) and counts, per run, the bulk pages the frees took and
// the pages the allocator handed out. Counting reads only the transitions'
// labels and the states before and after each: the number of pages a free
// added to its CPU's channel, and the cache pages a refill added.
func MeasureAllocations(ctx context.Context, d model.Design, p model.Params, seed int64, runs, frees int) (*AllocStats, error) {
	return Allocations(ctx, AllocConfig{Design: d, Params: p, Seed: seed, Runs: runs, Frees: frees})
}

// AllocConfig is one measurement of Allocations.
type AllocConfig struct {
	Design model.Design
	Params model.Params
	Seed   int64
	Runs   int // schedules (>= 1)
	Frees  int // frees per schedule (>= 1; at most N*K are made)
	// Progress, when set, is called about every ProgressEvery (default
	// 1 s) while the schedules run.
	Progress      func(AllocProgress)
	ProgressEvery time.Duration
}

// AllocProgress is a snapshot of a running Allocations.
type AllocProgress struct {
	Runs    int   // schedules done
	Target  int   // schedules to run
	Frees   int64 // frees made, over all schedules
	Elapsed time.Duration
}

// Allocations is MeasureAllocations with progress reports.
func Allocations(ctx context.Context, cfg AllocConfig) (*AllocStats, error) {
	d, p, runs, frees := cfg.Design, cfg.Params, cfg.Runs, cfg.Frees
	m, err := model.New(d, p)
	if err != nil {
		return nil, fmt.Errorf("design %s: %w", d.Name(), err)
	}
	if runs < 1 || frees < 1 {
		return nil, errors.New("runs and frees must be >= 1")
	}
	p = m.Params()
	frees = int(min(int64(frees), int64(p.CPUs)*int64(p.Calls)))
	st := &AllocStats{Design: d.Name(), Params: p, Seed: cfg.Seed, Frees: frees}
	start := time.Now()
	tick := ticker{every: cmp.Or(max(cfg.ProgressEvery, 0), time.Second), last: start}
	var done int64 // frees of the runs done
	g := GenScheduleWith(m, gen.Const(HeavyProfile(p)), 1)
	var pagesPer, allocsPer []float64
	for i := 0; i < runs && ctx.Err() == nil; i++ {
		report := func(nFree int64) {
			if cfg.Progress != nil && tick.due() {
				cfg.Progress(AllocProgress{Runs: i, Target: runs, Frees: done + nFree, Elapsed: time.Since(start)})
			}
		}
		// gopter draws the run's walker (its seed); the run goes on until
		// the frees are made.
		v, ok := g(RunParams(cfg.Seed, i, 1)).Retrieve()
		if !ok {
			return nil, errors.New("the schedule generator gave no value")
		}
		sc := v.(*Schedule)
		was := st.Flow
		if err := allocRun(ctx, m, newWalker(m, *sc.Profile, sc.Seed), int64(frees), report, &st.Flow); err != nil {
			return nil, fmt.Errorf("run %d: %w", i, err)
		}
		nFree := st.Flow.Frees - was.Frees
		done += nFree
		if nFree == 0 {
			continue
		}
		pagesPer = append(pagesPer, float64(st.Flow.PagesTaken-was.PagesTaken)/float64(nFree))
		allocsPer = append(allocsPer, float64(st.Flow.Allocs()-was.Allocs())/float64(nFree))
		st.Runs++
	}
	st.PagesPerFree = spread(pagesPer)
	st.AllocsPerFree = spread(allocsPer)
	return st, nil
}

// allocRun runs one schedule of w until it has made frees frees (or no
// free can happen any more) and adds to fl where the pages came from and
// went to; report is told the run's frees every 4096 steps.
func allocRun(ctx context.Context, m *model.Model, w *walker, frees int64, report func(nFree int64), fl *AllocFlow) error {
	s := m.Initial()
	nFree := int64(0)
	idle := 0
	for step := 1; nFree < frees && !s.Stuck; step++ {
		a, ok := w.next(s)
		if !ok {
			break
		}
		c := int(a.CPU)
		before, reserve := s.CPUs[c], s.Reserve
		m.Apply(s, a)
		fl.count(a, &before, &s.CPUs[c], s.Reserve-reserve)
		if a.Kind == model.KindFree {
			nFree, idle = nFree+1, 0
		}
		if idle++; idle > 1_000_000 {
			return fmt.Errorf("a million steps without a free (after %d frees)", nFree)
		}
		if step&4095 == 0 {
			if report(nFree); ctx.Err() != nil {
				break
			}
		}
	}
	return nil
}

// count counts the pages action a moved, from the state of its CPU before
// and after and the change of the reserve.
func (f *AllocFlow) count(a model.Action, before, after *model.CPU, dReserve int32) {
	switch a.Kind {
	case model.KindFree:
		f.Frees++
		d := int64(after.Pages - before.Pages)
		if d <= 0 {
			return
		}
		f.PagesTaken += d
		switch {
		case a.Free == model.FreeCache:
			f.FromCache += d
		case allocated(a.Free):
			f.FromAllocator += d
		case a.Free == model.FreeReserve:
			f.FromReserve += d
		}
	case model.KindRefill:
		f.Refills++
		if before.Cache > 0 {
			f.RefillsNotEmpty++
		}
		f.RefillPages += int64(max(after.Cache-before.Cache, 0))
	case model.KindReclaim:
		n := int64(before.Slot[a.Slot].Pages)
		toCache, toReserve := int64(max(after.Cache-before.Cache, 0)), int64(max(dReserve, 0))
		f.Reclaimed += n
		f.ToCache += toCache
		f.ToReserve += toReserve
		f.ToAllocator += n - toCache - toReserve
	}
}
