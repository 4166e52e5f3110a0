package model

import (
	"errors"
	"fmt"
)

// Model is the reference model for one design and one set of parameters.
// It is immutable after New and safe for concurrent use.
type Model struct {
	design Design
	params Params
	layout layout
}

// New returns the model of design d with parameters p. The parameters are
// normalised (see Normalize); Params returns what the model uses.
func New(d Design, p Params) (*Model, error) {
	if d == nil {
		return nil, errors.New("no design given")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p = Normalize(d, p)
	if d.Resources().Limit && p.Limit < 1 {
		return nil, fmt.Errorf("design %s needs limit >= 1 (with limit 0 no free can ever run)", d.Name())
	}
	return &Model{design: d, params: p, layout: newLayout(p)}, nil
}

// Design returns the model's design.
func (m *Model) Design() Design { return m.design }

// Params returns the normalised parameters.
func (m *Model) Params() Params { return m.params }

// Initial returns the initial state: everything 0 / IDLE / NONE / FREE,
// cache[c] = C, reserve = R.
func (m *Model) Initial() *State {
	s := &State{Reserve: int32(m.params.Reserve), CPUs: make([]CPU, m.params.CPUs)}
	for c := range s.CPUs {
		s.CPUs[c].Cache = int32(m.params.Cache)
	}
	return s
}

// freeCases appends the branches of free(c) in s. The first two cases
// (room in the newest page, a cached page) are the spec's; past them the
// design's MissPlan decides (see missBranches).
func (m *Model) freeCases(s *State, c int, buf []Action) []Action {
	u := &s.CPUs[c]
	a := Action{Kind: KindFree, CPU: uint8(c)}
	switch {
	case int64(u.Objs) < int64(u.Pages)*int64(m.params.Bulk):
		a.Free = FreeInPage
		return append(buf, a)
	case u.Cache > 0:
		a.Free = FreeCache
		return append(buf, a)
	}
	br := missBranches(m.design.Miss(View{s, &m.params}, c), s.Reserve > 0)
	for _, a.Free = range br.list() {
		buf = append(buf, a)
	}
	return buf
}

// branches is a short list of free branches, in order.
type branches struct {
	n  int
	fc [MaxSources + 1]FreeCase
}

// add appends f; a list holds at most MaxSources+1 branches (the sources, then the fallback).
func (b *branches) add(f FreeCase) { b.fc[b.n] = f; b.n++ }

// list returns the branches in order.
func (b *branches) list() []FreeCase { return b.fc[:b.n] }

// missBranches returns the branches of a free that needs a page and has an
// empty cache, under plan, reserveLeft being whether the pool has a page:
// each source in order (the allocator and the lockless lists branch on
// success or failure, the reserve gives a page whenever one is left), then
// the fallback. It is shared by Enabled and the fast expander, which
// computes it once per design for Policies.
func missBranches(plan MissPlan, reserveLeft bool) branches {
	var b branches
	var seen [SourceLockless + 1]bool
sources:
	for _, src := range plan.Try {
		if src > SourceLockless {
			break
		}
		if seen[src] {
			continue
		}
		seen[src] = true
		switch src {
		case SourceNone:
			break sources
		case SourceAllocator:
			b.add(FreeAllocOK)
		case SourceReserve:
			if reserveLeft {
				b.add(FreeReserve)
				return b
			}
		case SourceLockless:
			if reserveLeft {
				b.add(FreeLockless)
			}
		}
	}
	switch plan.Else {
	case FallbackHead:
		b.add(FreeHead)
	case FallbackSync:
		b.add(FreeSync)
	default:
		b.add(FreeStuck)
	}
	return b
}

// Enabled appends to buf every transition enabled in s, in a fixed order (the
// spec's action order, CPUs ascending), and returns the extended slice.
func (m *Model) Enabled(s *State, buf []Action) []Action {
	if s.Stuck {
		return buf
	}
	p := &m.params
	n := len(s.CPUs)
	for c := 0; c < n; c++ {
		u := &s.CPUs[c]
		if int(u.Calls) < p.Calls && u.Blk == PhaseNone && m.design.Admit(View{s, p}, c) {
			buf = m.freeCases(s, c, buf)
		}
	}
	for c := 0; c < n; c++ {
		if !s.CPUs[c].Rd {
			buf = append(buf, Action{Kind: KindReadLock, CPU: uint8(c)})
		}
	}
	for c := 0; c < n; c++ {
		if s.CPUs[c].Rd {
			buf = append(buf, Action{Kind: KindReadUnlock, CPU: uint8(c)})
		}
	}
	for c := 0; c < n; c++ {
		u := &s.CPUs[c]
		if u.Pages+u.Heads > 0 && (u.Slot[0].Phase == PhaseFree || u.Slot[1].Phase == PhaseFree) && m.design.HandOver(View{s, p}, c) {
			buf = append(buf, Action{Kind: KindMonitor, CPU: uint8(c)})
		}
	}
	if !s.GPRunning && m.anyNext(s) {
		buf = append(buf, Action{Kind: KindGPStart})
	}
	if s.GPRunning && s.QS == 0 {
		buf = append(buf, Action{Kind: KindGPEnd})
	}
	for c := 0; c < n; c++ {
		for j := range s.CPUs[c].Slot {
			if s.CPUs[c].Slot[j].Phase == PhaseDone {
				buf = append(buf, Action{Kind: KindReclaim, CPU: uint8(c), Slot: uint8(j)})
			}
		}
	}
	for c := 0; c < n; c++ {
		if s.CPUs[c].Blk == PhaseDone {
			buf = append(buf, Action{Kind: KindWake, CPU: uint8(c)})
		}
	}
	if refill := m.design.Refill(); refill != RefillNever {
		for c := 0; c < n; c++ {
			cache := int(s.CPUs[c].Cache)
			if cache < p.Cache {
				buf = append(buf, Action{Kind: KindRefill, CPU: uint8(c)})
				if refill == RefillBackoff && cache+1 < p.Cache {
					buf = append(buf, Action{Kind: KindRefill, CPU: uint8(c), Refill: RefillOne})
				}
			}
		}
	}
	for c := 0; c < n; c++ {
		if s.CPUs[c].Cache > 0 {
			buf = append(buf, Action{Kind: KindShrink, CPU: uint8(c)})
		}
	}
	return buf
}

func (m *Model) anyNext(s *State) bool {
	for c := range s.CPUs {
		u := &s.CPUs[c]
		if u.Blk == PhaseNext || u.Slot[0].Phase == PhaseNext || u.Slot[1].Phase == PhaseNext {
			return true
		}
	}
	return false
}

// Apply performs transition a on s in place. The transition must be enabled
// in s (one of Enabled's); Step checks that first.
func (m *Model) Apply(s *State, a Action) {
	p := &m.params
	c := int(a.CPU)
	switch a.Kind {
	case KindFree:
		u := &s.CPUs[c]
		u.Calls++
		rd := s.RD()
		switch a.Free {
		case FreeInPage:
			u.Objs++
			u.Pin |= rd
		case FreeCache:
			u.Cache--
			u.Pages++
			u.Objs++
			u.Pin |= rd
		case FreeAllocOK:
			u.Pages++
			u.Objs++
			u.Pin |= rd
		case FreeHead:
			u.Heads++
			u.Pin |= rd
		case FreeSync:
			u.Blk = PhaseNext
			u.BlkPin = rd
		case FreeReserve, FreeLockless:
			s.Reserve--
			u.Pages++
			u.Objs++
			u.Pin |= rd
		case FreeStuck:
			s.Stuck = true
		}
	case KindReadLock:
		s.CPUs[c].Rd = true
	case KindReadUnlock:
		s.CPUs[c].Rd = false
		clear := ^CPUSet(1 << uint(c))
		s.QS &= clear
		for i := range s.CPUs {
			u := &s.CPUs[i]
			u.Pin &= clear
			u.BlkPin &= clear
			u.Slot[0].Pin &= clear
			u.Slot[1].Pin &= clear
		}
	case KindMonitor:
		u := &s.CPUs[c]
		j := 0
		if u.Slot[0].Phase != PhaseFree {
			j = 1
		}
		ph := PhaseNext
		if s.GPRunning && m.design.Join() == JoinRunning {
			ph = PhaseCur
		}
		u.Slot[j] = Slot{Phase: ph, Pages: u.Pages, Objs: u.Objs, Heads: u.Heads, Pin: u.Pin}
		u.Pages, u.Objs, u.Heads, u.Pin = 0, 0, 0, 0
	case KindGPStart:
		s.GPRunning = true
		s.QS = s.RD()
		for i := range s.CPUs {
			u := &s.CPUs[i]
			if u.Blk == PhaseNext {
				u.Blk = PhaseCur
			}
			for j := range u.Slot {
				if u.Slot[j].Phase == PhaseNext {
					u.Slot[j].Phase = PhaseCur
				}
			}
		}
	case KindGPEnd:
		s.GPRunning = false
		for i := range s.CPUs {
			u := &s.CPUs[i]
			if u.Blk == PhaseCur {
				u.Blk = PhaseDone
			}
			for j := range u.Slot {
				if u.Slot[j].Phase == PhaseCur {
					u.Slot[j].Phase = PhaseDone
				}
			}
		}
	case KindReclaim:
		u := &s.CPUs[c]
		toPool, toCache := reclaimSplit(m.design.Reclaim(), u.Slot[a.Slot].Pages, int32(p.Reserve)-s.Reserve, int32(p.Cache)-u.Cache)
		s.Reserve += toPool
		u.Cache += toCache
		u.Slot[a.Slot] = Slot{}
	case KindWake:
		s.CPUs[c].Blk = PhaseNone
		s.CPUs[c].BlkPin = 0
	case KindRefill:
		if a.Refill == RefillOne {
			s.CPUs[c].Cache++
		} else {
			s.CPUs[c].Cache = int32(p.Cache)
		}
	case KindShrink:
		s.CPUs[c].Cache = 0
	}
}

// reclaimSplit returns how many of a reclaimed batch's pages go to the
// pool and to the cache under policy, given the room left in each; the
// pages left go back to the page allocator. Apply and the fast expander
// share it.
func reclaimSplit(policy ReclaimPolicy, pages, poolRoom, cacheRoom int32) (toPool, toCache int32) {
	switch policy {
	case ReclaimCache:
		toCache = min(pages, cacheRoom)
	case ReclaimReserveFirst:
		toPool = min(pages, poolRoom)
		toCache = min(pages-toPool, cacheRoom)
	case ReclaimCacheFirst:
		toCache = min(pages, cacheRoom)
		toPool = min(pages-toCache, poolRoom)
	}
	return toPool, toCache
}

// Step performs a on s if a is enabled in s, and reports an error otherwise.
func (m *Model) Step(s *State, a Action) error {
	var buf [4 * MaxCPUs * 4]Action
	for _, e := range m.Enabled(s, buf[:0]) {
		if e == a {
			m.Apply(s, a)
			return nil
		}
	}
	return fmt.Errorf("action %s is not enabled", a)
}

// Metrics are the spec's three metrics of one state.
type Metrics struct {
	Pages       int64 `json:"pages"`        // memory held to free memory
	Pending     int64 `json:"pending"`      // objects freed but not yet reclaimed
	ReserveUsed int64 `json:"reserve_used"` // R - reserve
}

// Metrics returns the metrics of s.
func (m *Model) Metrics(s *State) Metrics {
	var mt Metrics
	for c := range s.CPUs {
		u := &s.CPUs[c]
		mt.Pages += int64(u.Pages) + int64(u.Cache)
		mt.Pending += int64(u.Objs) + int64(u.Heads)
		for j := range u.Slot {
			mt.Pages += int64(u.Slot[j].Pages)
			mt.Pending += int64(u.Slot[j].Objs) + int64(u.Slot[j].Heads)
		}
		if u.Blk != PhaseNone {
			mt.Pending++
		}
	}
	mt.ReserveUsed = int64(m.params.Reserve) - int64(s.Reserve)
	return mt
}

// GracePeriodHolds reports the GracePeriod invariant: no slot is DONE with a
// non-empty bpin, and no blk is DONE with a non-empty blkpin.
func GracePeriodHolds(s *State) bool {
	for c := range s.CPUs {
		u := &s.CPUs[c]
		if u.Blk == PhaseDone && u.BlkPin != 0 {
			return false
		}
		for j := range u.Slot {
			if u.Slot[j].Phase == PhaseDone && u.Slot[j].Pin != 0 {
				return false
			}
		}
	}
	return true
}

// NewByName returns the model of the built-in design called name (see
// BuiltinRegistry) with parameters p.
func NewByName(name string, p Params) (*Model, error) {
	d, err := BuiltinRegistry().Lookup(name)
	if err != nil {
		return nil, err
	}
	return New(d, p)
}
