package model_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

func mustModel(t *testing.T, design string, p model.Params) *model.Model {
	t.Helper()
	d, err := model.LookupDesign(design)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(d, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func params(n, b, c, r, k, l int) model.Params {
	return model.Params{CPUs: n, Bulk: b, Cache: c, Reserve: r, Calls: k, Limit: l}
}

// TestHandEnumerated pins the counts of instances small enough to enumerate
// by hand. The enumerations:
//
// K=0, N=1, C=1: no free ever runs; rd in {0,1} x cache in {0,1} = 4 states.
// Every state has exactly two transitions (read_lock or read_unlock; refill
// or shrink): 8 transitions; depth 2.
//
// K=0, N=2, C=1: the product of two such CPUs: 16 states, 4 transitions
// each = 64, depth 4.
//
// head, N=1, K=1, C=0 (no cache, so no refill or shrink; B is irrelevant
// with one object). The object is not yet freed, in the channel (as a page
// or as a head: 2 forms), in slot 0 as NEXT, CUR or DONE, or reclaimed.
// pin = {0} needs rd = 1 (read_unlock clears it); qs = {0} needs rd = 1.
//   - not freed: rd 0/1                                   2 states, 3 transitions each (alloc-ok, alloc-fails, lock/unlock) = 6
//   - channel: (rd,pin) in {(0,{}),(1,{}),(1,{0})} x 2 forms  6 states, 2 each (lock/unlock, monitor) = 12
//   - NEXT: the same 6 combinations                        6 states, 2 each (lock/unlock, gp_start) = 12
//   - CUR: (rd,pin,qs) in {(0,{},{}), (1,{},{}), (1,{},{0}), (1,{0},{0})}
//     ((1,{0},{}) cannot happen: a reader running since the free was
//     running at gp_start) x 2 forms                        8 states; lock/unlock each, gp_end when qs={} (4) = 12
//   - DONE: rd 0/1, pin {} (GracePeriod holds) x 2 forms  4 states, 2 each (lock/unlock, reclaim) = 8
//   - reclaimed: rd 0/1                                    2 states, 1 each = 2
//     total 28 states, 52 transitions; the deepest is reclaimed with rd = 1:
//     free, monitor, gp_start, gp_end, reclaim, read_lock = depth 6.
//     early is the same: with one object no grace period runs at monitor time.
//
// sync, N=1, K=1, C=0: the free either gets a page (alloc-ok) or blocks
// the caller (alloc-fails). The page path is the head enumeration with one
// form only; the blocked caller has blk NEXT with (rd,blkpin) in the same 3
// combinations, CUR in the same 4 (rd,blkpin,qs) combinations, DONE with
// rd 0/1; wake leads to the same reclaimed states.
//
//	not freed 2 states (6 transitions); page path channel 3 (6), NEXT 3 (6),
//	CUR 4 (6), DONE 2 (4), reclaimed 2 (2); blocked NEXT 3 (6), CUR 4 (6),
//	DONE 2 (4): 25 states, 46 transitions. The reclaimed states are now
//	reached sooner through the blocked caller (free, gp_start, gp_end, wake,
//	read_lock = 5), as is DONE with rd = 1 (free, monitor, gp_start, gp_end,
//	read_lock = 5): depth 5.
//
// reserve, N=1, K=1, C=0, R=0: the only free gets stuck. Not freed rd 0/1
// (free-stuck, lock/unlock: 2 each), stuck rd 0/1 (no transition): 4 states,
// 4 transitions, depth 2, 2 deadlocks, NoStuck violated in 1 step. The
// stuck free stored nothing (calls++ and stuck only), so pending = 0 in
// every state and Drainable holds; no page is ever held.
//
// limit, N=1, B=1, C=0, R=0, K=1, L=1: the free asks the allocator: alloc-ok
// (the page path of the head enumeration, one form: channel 3 states (6
// transitions), NEXT 3 (6), CUR 4 (6), DONE 2 (4), reclaimed 2 (2)) or
// alloc-fails with an empty reserve: stuck, rd 0/1 (no transition). Not
// freed rd 0/1: alloc-ok, stuck, lock/unlock (6 transitions). 2+14+2 = 18
// states, 6+24 = 30 transitions, depth 6 (as head), 2 deadlocks, NoStuck
// violated in 1 step, Drainable holds (pending 0 when stuck).
//
// limit, N=1, B=1, C=0, R=1, K=2, L=1: the limit binds: inflight(0) < 1 only
// when no object is in flight, so the second free waits until the first is
// reclaimed. Each object's life has two forms, its page from the allocator
// (reserve 1) or from the reserve (reserve 0), each with channel 3 states
// (6 transitions), NEXT 3 (6), CUR 4 (6), DONE 2 (4): 24 states and 44
// transitions per object. Reclaim gives the reserve its page back first
// (R - reserve is 1 for the second form, 0 for the first), C = 0 takes
// nothing: both forms end in the same state, calls 1, reserve 1, rd 0/1,
// from which the second free (alloc-ok, reserve, lock/unlock: 6
// transitions) starts the second object's life exactly like the first
// (not freed: 6 transitions). After the second reclaim: rd 0/1, 1
// transition each. 2+24+2+24+2 = 54 states, 6+44+6+44+2 = 102 transitions;
// the deepest state is the last with rd 1: 2 x (free, monitor, gp_start,
// gp_end, reclaim) + read_lock = 11. Every property holds; one page at a
// time (max pages 1, pending 1), max reserve_used 1.
//
// reserve, N=1, B=1, C=0, R=1, K=1: no allocator, so the free always takes
// the reserve's page: the page path of the head enumeration with one form
// (reserve 0 while the object lives): not freed 2 states (free reserve,
// lock/unlock: 4 transitions), channel 3 (6), NEXT 3 (6), CUR 4 (6), DONE 2
// (4), reclaimed 2 (2; the page went back to the reserve): 16 states, 28
// transitions, depth 6; everything holds, max reserve_used 1.
//
// limit, N=1, B=1, C=0, R=1, K=1, L=2: alloc-ok or the reserve's page: the
// head enumeration with its two forms (reserve 1 or 0 while the object
// lives; both reclaimed states have reserve 1): 28 states, 52 transitions,
// depth 6; everything holds, max reserve_used 1.
//
// The maxima of the other instances: with K=0 only the caches hold pages
// (N*C), nothing is pending; with one object, one page (B objects fit in
// it) and one pending object (for sync, the blocked caller's object counts
// in pending: [blk != NONE]).
func TestHandEnumerated(t *testing.T) {
	const holds = -1 // a property's verdict: holds, else the shortest trace's length
	cases := []struct {
		design                      string
		p                           model.Params
		states, trans               uint64
		depth                       int
		deadlocks                   uint64
		noStuck, grace, drainable   int
		maxPages, maxPending, maxRU int64
	}{
		{"head", params(1, 1, 1, 0, 0, 0), 4, 8, 2, 0, holds, holds, holds, 1, 0, 0},
		{"head", params(2, 1, 1, 0, 0, 0), 16, 64, 4, 0, holds, holds, holds, 2, 0, 0},
		{"head", params(1, 1, 0, 0, 1, 0), 28, 52, 6, 0, holds, holds, holds, 1, 1, 0},
		{"head", params(1, 3, 0, 0, 1, 0), 28, 52, 6, 0, holds, holds, holds, 1, 1, 0},
		{"early", params(1, 1, 0, 0, 1, 0), 28, 52, 6, 0, holds, holds, holds, 1, 1, 0},
		{"sync", params(1, 1, 0, 0, 1, 0), 25, 46, 5, 0, holds, holds, holds, 1, 1, 0},
		{"reserve", params(1, 1, 0, 0, 1, 0), 4, 4, 2, 2, 1, holds, holds, 0, 0, 0},
		{"limit", params(1, 1, 0, 0, 1, 1), 18, 30, 6, 2, 1, holds, holds, 1, 1, 0},
		{"limit", params(1, 1, 0, 1, 2, 1), 54, 102, 11, 0, holds, holds, holds, 1, 1, 1},
		{"reserve", params(1, 1, 0, 1, 1, 0), 16, 28, 6, 0, holds, holds, holds, 1, 1, 1},
		{"limit", params(1, 1, 0, 1, 1, 2), 28, 52, 6, 0, holds, holds, holds, 1, 1, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%v", c.design, c.p), func(t *testing.T) {
			d, err := model.LookupDesign(c.design)
			if err != nil {
				t.Fatal(err)
			}
			r, err := model.Check(context.Background(), d, c.p, checker.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.States != c.states || r.Transitions != c.trans || r.Depth != c.depth || r.Deadlocks != c.deadlocks {
				t.Errorf("states %d transitions %d depth %d deadlocks %d; want %d %d %d %d",
					r.States, r.Transitions, r.Depth, r.Deadlocks, c.states, c.trans, c.depth, c.deadlocks)
			}
			got := [3]int{traceLen(r.Properties[model.PropNoStuck]), traceLen(r.Properties[model.PropGracePeriod]), traceLen(r.Properties[model.PropDrainable])}
			if want := [3]int{c.noStuck, c.grace, c.drainable}; got != want {
				t.Errorf("NoStuck/GracePeriod/Drainable %v (-1: holds, else the shortest trace); want %v", got, want)
			}
			if want := (model.Metrics{Pages: c.maxPages, Pending: c.maxPending, ReserveUsed: c.maxRU}); r.Max != want {
				t.Errorf("max %+v; want %+v", r.Max, want)
			}
		})
	}
}

// TestHandDerivedEarlyViolation: early at N=1, B=1, C=0, K=2 violates
// GracePeriod, and no trace shorter than 7 steps does: a DONE batch with a
// pin needs a free while a reader runs (read_lock, free), handed over while
// a grace period runs so that it joins it (monitor during RUN), and that
// grace period's end (gp_end). The reader must start after gp_start (else
// qs holds it, and gp_end needs its read_unlock, which clears the pin);
// gp_start needs a NEXT batch, so an earlier object freed and handed over
// (free, monitor). free, monitor, gp_start, read_lock, free, monitor,
// gp_end: 7 steps, each needed. head, which hands over as NEXT, holds.
func TestHandDerivedEarlyViolation(t *testing.T) {
	for _, c := range []struct {
		design string
		want   int
	}{{"early", 7}, {"head", -1}} {
		d, err := model.LookupDesign(c.design)
		if err != nil {
			t.Fatal(err)
		}
		r, err := model.Check(context.Background(), d, params(1, 1, 0, 0, 2, 0), checker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := traceLen(r.Properties[model.PropGracePeriod]); got != c.want {
			t.Errorf("%s: GracePeriod %d (-1: holds); want %d", c.design, got, c.want)
		}
	}
}

// key identifies a state independently of the packed encoding.
func key(s *model.State) string {
	return fmt.Sprint(s.GPRunning, s.QS, s.Reserve, s.Stuck, s.CPUs)
}

// bruteForce explores the model with maps over unpacked states, independently
// of the checker and of the packing, and returns the figures the checker
// must reproduce.
type bruteFigures struct {
	states, trans          uint64
	depth                  int
	noStuck, grace, strand int // shortest distance to a violation, -1 if none
	max                    model.Metrics
	maxDist                [3]int
}

func bruteForce(m *model.Model) bruteFigures {
	init := m.Initial()
	dist := map[string]int{key(init): 0}
	order := []*model.State{init}
	succ := map[string][]string{}
	f := bruteFigures{noStuck: -1, grace: -1, strand: -1}
	for k := 0; k < len(order); k++ {
		s := order[k]
		ks := key(s)
		d := dist[ks]
		f.depth = max(f.depth, d)
		if s.Stuck && f.noStuck < 0 {
			f.noStuck = d
		}
		if !model.GracePeriodHolds(s) && f.grace < 0 {
			f.grace = d
		}
		mt := m.Metrics(s)
		vals := [3]int64{mt.Pages, mt.Pending, mt.ReserveUsed}
		maxs := [3]*int64{&f.max.Pages, &f.max.Pending, &f.max.ReserveUsed}
		for i := range vals {
			if k == 0 || vals[i] > *maxs[i] {
				*maxs[i] = vals[i]
				f.maxDist[i] = d
			}
		}
		for _, a := range m.Enabled(s, nil) {
			n := s.Clone()
			m.Apply(n, a)
			kn := key(n)
			f.trans++
			succ[ks] = append(succ[ks], kn)
			if _, ok := dist[kn]; !ok {
				dist[kn] = d + 1
				order = append(order, n)
			}
		}
	}
	f.states = uint64(len(order))
	good := map[string]bool{}
	for _, s := range order {
		if m.Metrics(s).Pending == 0 {
			good[key(s)] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for k := len(order) - 1; k >= 0; k-- {
			ks := key(order[k])
			if good[ks] {
				continue
			}
			for _, kn := range succ[ks] {
				if good[kn] {
					good[ks], changed = true, true
					break
				}
			}
		}
	}
	for _, s := range order {
		if ks := key(s); !good[ks] {
			f.strand = dist[ks]
			break
		}
	}
	return f
}

func traceLen(p model.PropertyReport) int {
	if p.Verdict != checker.Violated {
		return -1
	}
	return len(p.Trace)
}

// TestAgainstBruteForce checks the checker and the packed encoding against
// an independent map-based search on every design at tiny parameters.
func TestAgainstBruteForce(t *testing.T) {
	grid := []model.Params{
		params(2, 2, 1, 1, 1, 2),
		params(1, 1, 1, 1, 2, 1),
		params(1, 2, 2, 2, 2, 2),
		params(2, 1, 0, 0, 1, 1),
		params(1, 2, 1, 2, 4, 3),
	}
	for _, d := range model.Designs() {
		for _, p := range grid {
			t.Run(fmt.Sprintf("%s/%v", d.Name(), p), func(t *testing.T) {
				m, err := model.New(d, p)
				if err != nil {
					t.Fatal(err)
				}
				want := bruteForce(m)
				r, err := model.Check(context.Background(), d, p, checker.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if r.States != want.states || r.Transitions != want.trans || r.Depth != want.depth {
					t.Fatalf("states %d transitions %d depth %d; brute force %d %d %d", r.States, r.Transitions, r.Depth, want.states, want.trans, want.depth)
				}
				got := [3]int{traceLen(r.Properties[model.PropNoStuck]), traceLen(r.Properties[model.PropGracePeriod]), traceLen(r.Properties[model.PropDrainable])}
				if got != [3]int{want.noStuck, want.grace, want.strand} {
					t.Errorf("shortest NoStuck/GracePeriod/Drainable traces %v; brute force %v", got, [3]int{want.noStuck, want.grace, want.strand})
				}
				if r.Max != want.max {
					t.Errorf("max %+v; brute force %+v", r.Max, want.max)
				}
				gotDist := [3]int{len(r.MaxTraces[model.MetricPages]), len(r.MaxTraces[model.MetricPending]), len(r.MaxTraces[model.MetricReserve])}
				if gotDist != want.maxDist {
					t.Errorf("shortest traces to the maxima %v; brute force %v", gotDist, want.maxDist)
				}
			})
		}
	}
}

// TestTracesReplay replays every counterexample of the defaults at K=1 on
// the model, step by step, and checks that it ends in a violation.
func TestTracesReplay(t *testing.T) {
	for _, d := range model.Designs() {
		p := model.DefaultParams()
		p.Calls = 1
		m, err := model.New(d, p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := checker.Explore(context.Background(), m.Checkable(), checker.Options{SkipGoals: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range res.Invariants {
			if inv.Verdict != checker.Violated {
				continue
			}
			s := m.Initial()
			for _, st := range inv.Trace.Steps {
				a := model.ActionFromCode(uint32(st.Action))
				if err := m.Step(s, a); err != nil {
					t.Fatalf("%s %s: %v", d.Name(), inv.Name, err)
				}
				parsed, err := model.ParseAction(st.Name)
				if err != nil || parsed != a {
					t.Fatalf("%s: ParseAction(%q) = %v, %v; want %v", d.Name(), st.Name, parsed, err, a)
				}
			}
			bad := (inv.Name == model.PropNoStuck && s.Stuck) || (inv.Name == model.PropGracePeriod && !model.GracePeriodHolds(s))
			if !bad {
				t.Errorf("%s: %s trace ends in a state where it holds: %v", d.Name(), inv.Name, s)
			}
		}
	}
}

// TestPackRoundTrip packs and unpacks every reachable state of small
// instances, including ones with large counts.
func TestPackRoundTrip(t *testing.T) {
	for _, p := range []model.Params{params(2, 2, 1, 1, 2, 2), params(3, 5, 3, 7, 9, 4), params(1, 508, 5, 100, 1000, 600)} {
		for _, d := range model.Designs() {
			m, err := model.New(d, p)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]uint64, m.Checkable().StateWords())
			s := m.Initial()
			var acts []model.Action
			for i := 0; i < 3000; i++ {
				m.Pack(s, buf)
				if u := m.Unpack(buf); !u.Equal(s) {
					t.Fatalf("%s %v: round trip of %v gave %v", d.Name(), p, s, u)
				}
				acts = m.Enabled(s, acts[:0])
				if len(acts) == 0 {
					break
				}
				// A fixed walk that favours frees: the first enabled action
				// every other step, the last otherwise.
				a := acts[0]
				if i%2 == 1 {
					a = acts[len(acts)-1]
				}
				m.Apply(s, a)
			}
		}
	}
}
