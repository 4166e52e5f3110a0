package bound

import (
	"context"
	"fmt"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// The workload bound K = infinity and the counter abstraction.
//
// Unbounded workload. The free counter calls[c] is read by exactly one rule
// of the model: the guard calls[c] < K of free(c). Dropping it (keeping
// calls[c] at 0 after every step, with K >= 1) gives the model with no
// workload bound, and every run of the model at any finite K, with calls
// dropped, is a run of that model. Its reachable states, with calls
// dropped, include those of every K.
//
// Counter abstraction. The counters of the channel and of the batch slots
// (pages, objs, heads, bpages, bobjs, bheads) grow without bound in the
// unbounded model. clampState keeps each of them below a threshold T and
// reads a value of T as "T or more" ("many"). A bulk page holds at most B
// objects and only the newest has room, so a channel (or slot) with pages
// p > 0 holds objs = p*B - room with 0 <= room < B; the abstraction keeps
// room exactly: (p, objs) becomes (T, T*B - room). With
// T > max(R + C, L) every rule of the model decides the same way on a state
// and on its clamped image, and applying a rule then clamping gives the same
// result as clamping, applying, clamping (docs/bound.md walks through the
// rules). So the abstraction simulates the unbounded model: the clamp of
// every reachable state is an abstract reachable state, and the abstract
// state space is finite. Stuck, the reserve and the grace-period variables
// are never clamped: NoStuck and reserve_used found on the abstraction hold
// for every K. A metric that sums clamped counters is exact wherever none of
// its counters is clamped; the clamped_pages and clamped_pending metrics say
// whether that was so in every abstract state.

// hasReserve reports whether design d reads R.
func hasReserve(d model.Design) bool {
	return model.Normalize(d, model.Params{Reserve: 1}).Reserve > 0
}

// Threshold returns the abstraction's threshold T for parameters p: the
// least T with T > R + C and T > L (and T >= 1).
func Threshold(p model.Params) int {
	return max(p.Reserve+p.Cache, p.Limit) + 1
}

// dropCalls keeps every calls[c] at 0: the model without the workload bound.
func dropCalls(s *model.State) {
	for c := range s.CPUs {
		s.CPUs[c].Calls = 0
	}
}

// clampPair clamps a (pages, objs) pair at T pages, keeping its room.
func clampPair(pages, objs *int32, t, b int32) bool {
	if *pages <= t {
		return *pages == t
	}
	room := *pages*b - *objs
	*pages = t
	*objs = t*b - room
	return true
}

// clampState applies the counter abstraction with threshold t to s (after
// dropping calls). It returns whether a pages counter and whether a
// pending counter of the result stand for "t or more".
func clampState(s *model.State, t, b int32) (pages, pending bool) {
	dropCalls(s)
	for c := range s.CPUs {
		u := &s.CPUs[c]
		if clampPair(&u.Pages, &u.Objs, t, b) {
			pages, pending = true, true
		}
		if u.Heads >= t {
			u.Heads = t
			pending = true
		}
		for j := range u.Slot {
			sl := &u.Slot[j]
			if clampPair(&sl.Pages, &sl.Objs, t, b) {
				pages, pending = true, true
			}
			if sl.Heads >= t {
				sl.Heads = t
				pending = true
			}
		}
	}
	return pages, pending
}

// The extra metrics of the abstraction: 1 in an abstract state where a
// counter of the metric is "many".
const (
	metricClampedPages   = "clamped_pages"
	metricClampedPending = "clamped_pending"
)

// Abstract is the outcome of exploring the counter abstraction of design
// d's model with no workload bound.
type Abstract struct {
	Design string       `json:"design"`
	Params model.Params `json:"params"` // calls is meaningless here (K = infinity)
	T      int          `json:"threshold"`
	States uint64       `json:"states"`
	// Complete is false when the exploration stopped at the first stuck
	// state: the maxima are then those of the states seen.
	Complete bool `json:"complete"`
	// NoStuck and GracePeriod hold for every K when true (sound).
	NoStuck     bool `json:"no_stuck"`
	GracePeriod bool `json:"grace_period"`
	// Max are the maxima over the abstract states; Max.Pages (Pending) is
	// a bound for every K only when PagesExact (PendingExact).
	Max          model.Metrics `json:"max"`
	PagesExact   bool          `json:"pages_exact"`
	PendingExact bool          `json:"pending_exact"`
	// Stuck is a shortest abstract trace to a stuck state, when one exists
	// (an abstract trace need not be a real one).
	Stuck []model.TraceStep `json:"stuck_trace,omitempty"`
	// Loss says whether the exploration stored fingerprints: its "holds"
	// and maxima are then probabilistic.
	Loss
}

// ExploreAbstract explores the counter abstraction of design d with
// parameters p (K is ignored: the workload is unbounded). It fails for a
// design whose rules the soundness argument does not cover: one that is not
// a model.Policies value made of the specification's policies.
func ExploreAbstract(ctx context.Context, d model.Design, p model.Params, opt checker.Options) (*Abstract, error) {
	return exploreAbstract(ctx, d, p, opt, false, nil)
}

// exploreAbstract is ExploreAbstract; with stopOnStuck it ends at the first
// abstract stuck state (Complete is then false and the maxima are partial).
func exploreAbstract(ctx context.Context, d model.Design, p model.Params, opt checker.Options, stopOnStuck bool, rp RunProgress) (*Abstract, error) {
	if !AbstractionCovers(d) {
		return nil, fmt.Errorf("design %s: the counter abstraction is proved sound only for the specification's designs and recombinations of their policies", d.Name())
	}
	p = model.Normalize(d, p)
	t := Threshold(p)
	// K only sizes the packed fields here: clamped states hold at most
	// T pages and T*B objects per channel or slot, and calls stays 0.
	p.Calls = t * p.Bulk
	m, err := model.New(d, p)
	if err != nil {
		return nil, fmt.Errorf("abstraction of %s: %w", d.Name(), err)
	}
	t32, b32 := int32(t), int32(p.Bulk)
	sys := &system{
		m:    m,
		norm: func(s *model.State) { clampState(s, t32, b32) },
		extra: []extraMetric{
			{metricClampedPages, func(s *model.State) int64 { pg, _ := clampState(s, t32, b32); return b2i(pg) }},
			{metricClampedPending, func(s *model.State) int64 { _, pd := clampState(s, t32, b32); return b2i(pd) }},
		},
	}
	opt.SkipGoals = true
	res, err := run(ctx, sys, rp.on(opt, "abstraction of "+d.Name()+" "+m.Params().String()), stopOnStuck)
	if err != nil {
		return nil, fmt.Errorf("abstraction of %s: %w", d.Name(), err)
	}
	a := &Abstract{
		Complete:     res.Complete,
		Design:       d.Name(),
		Params:       m.Params(),
		T:            t,
		States:       res.States,
		Max:          maxima(res),
		PagesExact:   metricMax(res, metricClampedPages) == 0,
		PendingExact: metricMax(res, metricClampedPending) == 0,
		Loss:         exactLoss(),
	}
	a.Loss.add(res, true)
	a.Params.Calls = 0
	for _, inv := range res.Invariants {
		switch inv.Name {
		case model.PropNoStuck:
			a.NoStuck = inv.Verdict == checker.Holds
			if inv.Verdict == checker.Violated {
				a.Stuck = m.Steps(inv.Trace)
			}
		case model.PropGracePeriod:
			a.GracePeriod = inv.Verdict == checker.Holds
		}
	}
	return a, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// LeastReserveAllK searches the least R under which the counter
// abstraction of design d (no workload bound) has no stuck state, trying
// R = from, from+1, ..., upto. Such an R suffices for every K (sound). It
// returns -1 and the last abstraction explored when none up to upto does.
func LeastReserveAllK(ctx context.Context, d model.Design, p model.Params, from, upto int, opt checker.Options) (int, *Abstract, error) {
	return leastReserveAllK(ctx, d, p, from, upto, opt, nil)
}

// leastReserveAllK is LeastReserveAllK, telling rp about every run.
func leastReserveAllK(ctx context.Context, d model.Design, p model.Params, from, upto int, opt checker.Options, rp RunProgress) (int, *Abstract, error) {
	if !hasReserve(d) {
		from, upto = 0, 0
	}
	var last *Abstract
	for r := from; r <= upto; r++ {
		q := p
		q.Reserve = r
		a, err := exploreAbstract(ctx, d, q, opt, true, rp)
		if err != nil {
			return -1, last, err
		}
		last = a
		if a.NoStuck {
			return r, a, nil
		}
	}
	return -1, last, nil
}
