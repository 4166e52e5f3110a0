package model_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

// This file checks the rules themselves, not the engine: every expected
// value below was derived by reading shared/docs/reference-model.md, by
// hand, and is written down here; none is computed by the code under test.

// set returns the CPU set of cs.
func set(cs ...int) model.CPUSet {
	var s model.CPUSet
	for _, c := range cs {
		s |= 1 << uint(c)
	}
	return s
}

// with returns a copy of s changed by f: an expected successor is written
// as exactly the updates the spec's action makes.
func with(s *model.State, f func(t *model.State)) *model.State {
	t := s.Clone()
	f(t)
	return t
}

// specCase is a state and the exact set of its transitions, each with its
// successor, as derived from the spec.
type specCase struct {
	name   string
	design string
	p      model.Params
	s      *model.State
	want   map[string]*model.State // action, as rcucheck names it -> successor
}

// N=2 B=2 C=1 K=3 (R=1, L=2 for the designs that read them): the spec's
// defaults.
func defaults() model.Params { return params(2, 2, 1, 1, 3, 2) }

// specCaseHeadInitial: the initial state of head, N=2 K=1 (R is 0 for head:
// "R ... designs reserve, limit only, else 0"). free(c): objs 0 < pages*B
// = 0 fails, cache 1 > 0: the cache branch; read_lock(c) as rd = 0; no
// monitor (pages + heads = 0), no gp_start (nothing NEXT), no gp_end (IDLE),
// no reclaim or wake; refill needs cache < C (1 < 1: no); shrink(c) as
// cache > 0. Six transitions.
func specCaseHeadInitial() specCase {
	s := &model.State{CPUs: []model.CPU{{Cache: 1}, {Cache: 1}}}
	return specCase{"head initial", "head", params(2, 2, 1, 1, 1, 2), s, map[string]*model.State{
		"free(0) cache": with(s, func(t *model.State) { u := &t.CPUs[0]; u.Calls, u.Cache, u.Pages, u.Objs = 1, 0, 1, 1 }),
		"free(1) cache": with(s, func(t *model.State) { u := &t.CPUs[1]; u.Calls, u.Cache, u.Pages, u.Objs = 1, 0, 1, 1 }),
		"read_lock(0)":  with(s, func(t *model.State) { t.CPUs[0].Rd = true }),
		"read_lock(1)":  with(s, func(t *model.State) { t.CPUs[1].Rd = true }),
		"shrink(0)":     with(s, func(t *model.State) { t.CPUs[0].Cache = 0 }),
		"shrink(1)":     with(s, func(t *model.State) { t.CPUs[1].Cache = 0 }),
	}}
}

// specCaseHeadMiss: head, gp IDLE. CPU 0 reads, has a full page (objs 2 =
// 1*B) and no cache; CPU 1 does not read, has an empty channel, no cache,
// and a NEXT batch pinned by CPU 0's reader. RD = {0}.
//   - free(0), free(1): no room, no cache: the allocator, two branches:
//     alloc-ok (pages++, objs++, pin |= RD) and alloc-fails rcu_head
//     (heads++, pin |= RD);
//   - read_lock(1); read_unlock(0): rd[0] = 0, 0 leaves qs and every pin;
//   - monitor(0) (pages 1 > 0, slot 0 FREE): slot 0 takes {NEXT, 1, 2, 0,
//     {0}}; monitor(1) not (pages + heads = 0);
//   - gp_start (IDLE, a NEXT slot): RUN, qs = RD = {0}, NEXT -> CUR;
//   - refill(0), refill(1) (cache 0 < 1); no shrink (caches empty).
func specCaseHeadMiss() specCase {
	s := &model.State{CPUs: []model.CPU{
		{Calls: 2, Rd: true, Pages: 1, Objs: 2, Pin: set(0)},
		{Calls: 1, Slot: [2]model.Slot{{Phase: model.PhaseNext, Pages: 1, Objs: 1, Pin: set(0)}}},
	}}
	return specCase{"head miss", "head", defaults(), s, map[string]*model.State{
		"free(0) alloc-ok":             with(s, func(t *model.State) { u := &t.CPUs[0]; u.Calls, u.Pages, u.Objs = 3, 2, 3 }),
		"free(0) alloc-fails rcu_head": with(s, func(t *model.State) { u := &t.CPUs[0]; u.Calls, u.Heads = 3, 1 }),
		"free(1) alloc-ok": with(s, func(t *model.State) {
			u := &t.CPUs[1]
			u.Calls, u.Pages, u.Objs, u.Pin = 2, 1, 1, set(0)
		}),
		"free(1) alloc-fails rcu_head": with(s, func(t *model.State) { u := &t.CPUs[1]; u.Calls, u.Heads, u.Pin = 2, 1, set(0) }),
		"read_lock(1)":                 with(s, func(t *model.State) { t.CPUs[1].Rd = true }),
		"read_unlock(0)": with(s, func(t *model.State) {
			t.CPUs[0].Rd, t.CPUs[0].Pin, t.CPUs[1].Slot[0].Pin = false, 0, 0
		}),
		"monitor(0)": with(s, func(t *model.State) {
			u := &t.CPUs[0]
			u.Slot[0] = model.Slot{Phase: model.PhaseNext, Pages: 1, Objs: 2, Pin: set(0)}
			u.Pages, u.Objs, u.Pin = 0, 0, 0
		}),
		"gp_start": with(s, func(t *model.State) {
			t.GPRunning, t.QS, t.CPUs[1].Slot[0].Phase = true, set(0), model.PhaseCur
		}),
		"refill(0)": with(s, func(t *model.State) { t.CPUs[0].Cache = 1 }),
		"refill(1)": with(s, func(t *model.State) { t.CPUs[1].Cache = 1 }),
	}}
}

// specCaseJoin: gp RUN with qs = {}; CPU 0 reads, has used its K=3 frees
// (no free), holds a page with one object and one rcu_head object pinned by
// its reader, and a CUR batch in slot 0; CPU 1 is idle with a cached page.
//   - free(1) cache, pin |= RD = {0}; read_lock(1); read_unlock(0) (clears
//     CPU 0's pin);
//   - monitor(0): slot 0 is CUR, so the lowest FREE slot is 1: {NEXT, 1, 1,
//     1, {0}}, for early {CUR, ...} (gp = RUN: the batch joins);
//   - no gp_start (RUN); gp_end (RUN, qs = {}): IDLE, CUR -> DONE;
//   - refill(0) (0 < 1), shrink(1) (1 > 0).
func specCaseJoin(design string) specCase {
	s := &model.State{GPRunning: true, CPUs: []model.CPU{
		{Calls: 3, Rd: true, Pages: 1, Objs: 1, Heads: 1, Pin: set(0),
			Slot: [2]model.Slot{{Phase: model.PhaseCur, Pages: 1, Objs: 1}}},
		{Cache: 1},
	}}
	phase := model.PhaseNext
	if design == "early" {
		phase = model.PhaseCur
	}
	return specCase{"join", design, defaults(), s, map[string]*model.State{
		"free(1) cache": with(s, func(t *model.State) {
			u := &t.CPUs[1]
			u.Calls, u.Cache, u.Pages, u.Objs, u.Pin = 1, 0, 1, 1, set(0)
		}),
		"read_lock(1)":   with(s, func(t *model.State) { t.CPUs[1].Rd = true }),
		"read_unlock(0)": with(s, func(t *model.State) { t.CPUs[0].Rd, t.CPUs[0].Pin = false, 0 }),
		"monitor(0)": with(s, func(t *model.State) {
			u := &t.CPUs[0]
			u.Slot[1] = model.Slot{Phase: phase, Pages: 1, Objs: 1, Heads: 1, Pin: set(0)}
			u.Pages, u.Objs, u.Heads, u.Pin = 0, 0, 0, 0
		}),
		"gp_end":    with(s, func(t *model.State) { t.GPRunning, t.CPUs[0].Slot[0].Phase = false, model.PhaseDone }),
		"refill(0)": with(s, func(t *model.State) { t.CPUs[0].Cache = 1 }),
		"shrink(1)": with(s, func(t *model.State) { t.CPUs[1].Cache = 0 }),
	}}
}

// specCaseSyncBlocked: sync, gp RUN, qs = {1}. CPU 0's caller is blocked in
// synchronize_rcu (blk CUR, blkpin {1}); CPU 1 reads and has a page with
// one object pinned by itself.
//   - free(0) not (blk != NONE); free(1): objs 1 < 1*2, room in the page:
//     objs++, pin |= RD = {1};
//   - read_lock(0); read_unlock(1): rd 0, qs {} and every pin without 1
//     (CPU 0's blkpin, CPU 1's pin);
//   - monitor(1): slot 0 {NEXT, 1, 1, 0, {1}};
//   - no gp_start (RUN), no gp_end (qs = {1}), no reclaim, no wake (CUR);
//   - refill(0), refill(1); no shrink.
func specCaseSyncBlocked() specCase {
	s := &model.State{GPRunning: true, QS: set(1), CPUs: []model.CPU{
		{Calls: 1, Blk: model.PhaseCur, BlkPin: set(1)},
		{Calls: 1, Rd: true, Pages: 1, Objs: 1, Pin: set(1)},
	}}
	return specCase{"sync blocked", "sync", defaults(), s, map[string]*model.State{
		"free(1)":      with(s, func(t *model.State) { t.CPUs[1].Calls, t.CPUs[1].Objs = 2, 2 }),
		"read_lock(0)": with(s, func(t *model.State) { t.CPUs[0].Rd = true }),
		"read_unlock(1)": with(s, func(t *model.State) {
			t.QS, t.CPUs[1].Rd, t.CPUs[0].BlkPin, t.CPUs[1].Pin = 0, false, 0, 0
		}),
		"monitor(1)": with(s, func(t *model.State) {
			u := &t.CPUs[1]
			u.Slot[0] = model.Slot{Phase: model.PhaseNext, Pages: 1, Objs: 1, Pin: set(1)}
			u.Pages, u.Objs, u.Pin = 0, 0, 0
		}),
		"refill(0)": with(s, func(t *model.State) { t.CPUs[0].Cache = 1 }),
		"refill(1)": with(s, func(t *model.State) { t.CPUs[1].Cache = 1 }),
	}}
}

// specCaseSyncWake: sync, gp IDLE. CPU 0's caller's grace period has ended
// (blk DONE); CPU 1 reads, has a cached page and a DONE batch of one page.
//   - free(0) not (blk != NONE); free(1) cache, pin |= RD = {1};
//   - read_lock(0); read_unlock(1) (no pin holds 1);
//   - reclaim(1,0): sync has no reserve; the page goes to the cache up to
//     C: the cache is full (1), so back to the allocator; slot 0 FREE;
//   - wake(0): blk NONE, blkpin {};
//   - refill(0); shrink(1).
func specCaseSyncWake() specCase {
	s := &model.State{CPUs: []model.CPU{
		{Calls: 1, Blk: model.PhaseDone},
		{Calls: 1, Rd: true, Cache: 1, Slot: [2]model.Slot{{Phase: model.PhaseDone, Pages: 1, Objs: 1}}},
	}}
	return specCase{"sync wake", "sync", defaults(), s, map[string]*model.State{
		"free(1) cache": with(s, func(t *model.State) {
			u := &t.CPUs[1]
			u.Calls, u.Cache, u.Pages, u.Objs, u.Pin = 2, 0, 1, 1, set(1)
		}),
		"read_lock(0)":   with(s, func(t *model.State) { t.CPUs[0].Rd = true }),
		"read_unlock(1)": with(s, func(t *model.State) { t.CPUs[1].Rd = false }),
		"reclaim(1,0)":   with(s, func(t *model.State) { t.CPUs[1].Slot[0] = model.Slot{} }),
		"wake(0)":        with(s, func(t *model.State) { t.CPUs[0].Blk = model.PhaseNone }),
		"refill(0)":      with(s, func(t *model.State) { t.CPUs[0].Cache = 1 }),
		"shrink(1)":      with(s, func(t *model.State) { t.CPUs[1].Cache = 0 }),
	}}
}

// specCaseReserve: reserve (no allocator), gp IDLE, reserve = left. CPU 0
// has a full page (2 objects), CPU 1 reads; no cache anywhere. With a page
// left in the pool both frees take it (reserve--, pages++, objs++, pin |=
// RD = {1}); with none, both get stuck (stuck = true, calls++ and nothing
// else). Then read_lock(0), read_unlock(1), monitor(0) (slot 0 {NEXT, 1,
// 2, 0, {}}), refill(0), refill(1).
func specCaseReserve(left int32) specCase {
	s := &model.State{Reserve: left, CPUs: []model.CPU{{Calls: 2, Pages: 1, Objs: 2}, {Rd: true}}}
	want := map[string]*model.State{
		"read_lock(0)":   with(s, func(t *model.State) { t.CPUs[0].Rd = true }),
		"read_unlock(1)": with(s, func(t *model.State) { t.CPUs[1].Rd = false }),
		"monitor(0)": with(s, func(t *model.State) {
			u := &t.CPUs[0]
			u.Slot[0] = model.Slot{Phase: model.PhaseNext, Pages: 1, Objs: 2}
			u.Pages, u.Objs = 0, 0
		}),
		"refill(0)": with(s, func(t *model.State) { t.CPUs[0].Cache = 1 }),
		"refill(1)": with(s, func(t *model.State) { t.CPUs[1].Cache = 1 }),
	}
	if left > 0 {
		want["free(0) reserve"] = with(s, func(t *model.State) {
			t.Reserve--
			t.CPUs[0].Calls, t.CPUs[0].Pages, t.CPUs[0].Objs, t.CPUs[0].Pin = 3, 2, 3, set(1)
		})
		want["free(1) reserve"] = with(s, func(t *model.State) {
			t.Reserve--
			t.CPUs[1].Calls, t.CPUs[1].Pages, t.CPUs[1].Objs, t.CPUs[1].Pin = 1, 1, 1, set(1)
		})
	} else {
		want["free(0) stuck"] = with(s, func(t *model.State) { t.Stuck, t.CPUs[0].Calls = true, 3 })
		want["free(1) stuck"] = with(s, func(t *model.State) { t.Stuck, t.CPUs[1].Calls = true, 1 })
	}
	return specCase{fmt.Sprintf("reserve left %d", left), "reserve", defaults(), s, want}
}

// specCaseStuck: once stuck is true no action is enabled, though read_lock,
// refill, ... would be otherwise.
func specCaseStuck() specCase {
	s := &model.State{Stuck: true, CPUs: []model.CPU{{Calls: 3}, {Calls: 1}}}
	return specCase{"stuck", "reserve", defaults(), s, map[string]*model.State{}}
}

// specCaseLimit: limit, L=2, gp IDLE, reserve 1. CPU 0 has inflight(0) = 1
// (channel) + 1 (slot 0) = 2 >= L: its caller sleeps, no free(0). CPU 1 has
// inflight 1 < 2 and room in its page: free(1) stores the object (objs++,
// pin |= RD = {}).
//   - read_lock(0), read_lock(1);
//   - monitor(0): slot 0 is NEXT, slot 1 takes {NEXT, 1, 1, 0, {}};
//     monitor(1): slot 0 takes {NEXT, 1, 1, 0, {}};
//   - gp_start: RUN, qs = RD = {}, CPU 0's slot 0 CUR;
//   - refill(1) (0 < 1); shrink(0) (1 > 0).
func specCaseLimit() specCase {
	s := &model.State{Reserve: 1, CPUs: []model.CPU{
		{Calls: 2, Pages: 1, Objs: 1, Cache: 1, Slot: [2]model.Slot{{Phase: model.PhaseNext, Pages: 1, Objs: 1}}},
		{Calls: 1, Pages: 1, Objs: 1},
	}}
	return specCase{"limit", "limit", defaults(), s, map[string]*model.State{
		"free(1)":      with(s, func(t *model.State) { t.CPUs[1].Calls, t.CPUs[1].Objs = 2, 2 }),
		"read_lock(0)": with(s, func(t *model.State) { t.CPUs[0].Rd = true }),
		"read_lock(1)": with(s, func(t *model.State) { t.CPUs[1].Rd = true }),
		"monitor(0)": with(s, func(t *model.State) {
			u := &t.CPUs[0]
			u.Slot[1] = model.Slot{Phase: model.PhaseNext, Pages: 1, Objs: 1}
			u.Pages, u.Objs = 0, 0
		}),
		"monitor(1)": with(s, func(t *model.State) {
			u := &t.CPUs[1]
			u.Slot[0] = model.Slot{Phase: model.PhaseNext, Pages: 1, Objs: 1}
			u.Pages, u.Objs = 0, 0
		}),
		"gp_start":  with(s, func(t *model.State) { t.GPRunning, t.CPUs[0].Slot[0].Phase = true, model.PhaseCur }),
		"refill(1)": with(s, func(t *model.State) { t.CPUs[1].Cache = 1 }),
		"shrink(0)": with(s, func(t *model.State) { t.CPUs[0].Cache = 0 }),
	}}
}

// specCaseReclaimSplit: reserve with R=2, reserve 1, CPU 0 has a DONE batch
// of 2 pages (3 objects) and no cache, every free issued. reclaim(0,1): the
// pages go first to the reserve up to R (1 page: reserve 2), then to the
// cache up to C (1 page: cache 1), none left for the allocator. Also
// read_lock(0), read_lock(1), refill(0), shrink(1).
func specCaseReclaimSplit() specCase {
	s := &model.State{Reserve: 1, CPUs: []model.CPU{
		{Calls: 3, Slot: [2]model.Slot{{}, {Phase: model.PhaseDone, Pages: 2, Objs: 3}}},
		{Calls: 3, Cache: 1},
	}}
	return specCase{"reclaim split", "reserve", params(2, 2, 1, 2, 3, 2), s, map[string]*model.State{
		"read_lock(0)": with(s, func(t *model.State) { t.CPUs[0].Rd = true }),
		"read_lock(1)": with(s, func(t *model.State) { t.CPUs[1].Rd = true }),
		"reclaim(0,1)": with(s, func(t *model.State) { t.Reserve, t.CPUs[0].Cache, t.CPUs[0].Slot[1] = 2, 1, model.Slot{} }),
		"refill(0)":    with(s, func(t *model.State) { t.CPUs[0].Cache = 1 }),
		"shrink(1)":    with(s, func(t *model.State) { t.CPUs[1].Cache = 0 }),
	}}
}

// specCaseUnlockBoth: head, gp RUN, qs = {0,1}: both CPUs read; CPU 0 has a
// CUR batch pinned by both, CPU 1 an rcu_head object pinned by both.
//   - free(0) cache, free(1) cache (pin |= {0,1});
//   - read_unlock(0): qs {1}, 0 leaves every pin; read_unlock(1) likewise;
//   - monitor(1) (heads 1 > 0): slot 0 {NEXT, 0, 0, 1, {0,1}};
//   - no gp_end (qs not empty); no refill (caches full); shrink(0), shrink(1).
func specCaseUnlockBoth() specCase {
	s := &model.State{GPRunning: true, QS: set(0, 1), CPUs: []model.CPU{
		{Calls: 1, Rd: true, Cache: 1, Slot: [2]model.Slot{{Phase: model.PhaseCur, Pages: 1, Objs: 1, Pin: set(0, 1)}}},
		{Calls: 1, Rd: true, Heads: 1, Cache: 1, Pin: set(0, 1)},
	}}
	return specCase{"unlock both", "head", defaults(), s, map[string]*model.State{
		"free(0) cache": with(s, func(t *model.State) {
			u := &t.CPUs[0]
			u.Calls, u.Cache, u.Pages, u.Objs, u.Pin = 2, 0, 1, 1, set(0, 1)
		}),
		"free(1) cache": with(s, func(t *model.State) { u := &t.CPUs[1]; u.Calls, u.Cache, u.Pages, u.Objs = 2, 0, 1, 1 }),
		"read_unlock(0)": with(s, func(t *model.State) {
			t.QS, t.CPUs[0].Rd, t.CPUs[0].Slot[0].Pin, t.CPUs[1].Pin = set(1), false, set(1), set(1)
		}),
		"read_unlock(1)": with(s, func(t *model.State) {
			t.QS, t.CPUs[1].Rd, t.CPUs[0].Slot[0].Pin, t.CPUs[1].Pin = set(0), false, set(0), set(0)
		}),
		"monitor(1)": with(s, func(t *model.State) {
			u := &t.CPUs[1]
			u.Slot[0] = model.Slot{Phase: model.PhaseNext, Heads: 1, Pin: set(0, 1)}
			u.Heads, u.Pin = 0, 0
		}),
		"shrink(0)": with(s, func(t *model.State) { t.CPUs[0].Cache = 0 }),
		"shrink(1)": with(s, func(t *model.State) { t.CPUs[1].Cache = 0 }),
	}}
}

// TestSpecTransitions checks, on states chosen to exercise every action and
// every branch of free at N=2, that the model enables exactly the
// transitions derived from the spec and that each leads to exactly the
// successor derived from the spec.
func TestSpecTransitions(t *testing.T) {
	cases := []specCase{
		specCaseHeadInitial(), specCaseHeadMiss(), specCaseJoin("head"), specCaseJoin("early"),
		specCaseSyncBlocked(), specCaseSyncWake(), specCaseReserve(1), specCaseReserve(0), specCaseStuck(),
		specCaseLimit(), specCaseReclaimSplit(), specCaseUnlockBoth(),
	}
	for _, c := range cases {
		t.Run(c.design+"/"+c.name, func(t *testing.T) {
			m := mustModel(t, c.design, c.p)
			got := map[string]*model.State{}
			for _, a := range m.Enabled(c.s, nil) {
				next := c.s.Clone()
				m.Apply(next, a)
				if _, dup := got[a.String()]; dup {
					t.Errorf("%s enabled twice", a)
				}
				got[a.String()] = next
			}
			if g, w := sortedKeys(got), sortedKeys(c.want); g != w {
				t.Fatalf("enabled in %s:\n  %s\nspec:\n  %s", c.s, g, w)
			}
			for name, w := range c.want {
				if !got[name].Equal(w) {
					t.Errorf("%s from %s:\n  model %s\n  spec  %s", name, c.s, got[name], w)
				}
			}
		})
	}
}

func sortedKeys(m map[string]*model.State) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
