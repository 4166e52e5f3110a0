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
	rules  []rule              // the table of transitions (rules.go), resolved in layout
	byKind [KindShrink + 1]int // byKind[k]: the index of k's rule in rules, -1 if none
	// byCase[k][f][r]: the index in its rule of the branch of kind k, free
	// case f and refill case r, -1 if none (branchOf).
	byCase [KindShrink + 1][FreeLockless + 1][RefillOne + 1]int8
	// For a Policies design, whose plan is a constant: missBranches of the
	// plan with and without a page in the pool (pol).
	pol                bool
	missLeft, missNone branches
	// genEnabled is the generated enabled (zz_generated.go) for the
	// structure of rules, or nil.
	genEnabled func(m *Model, s *State, buf []Action) []Action
	// genApply is the generated apply for the structure of rules, or nil:
	// it performs branch bi of rule ri.
	genApply func(m *Model, s *State, a Action, ri, bi int)
	drain    drainFields // what Drainable's rank reads (drain.go)
	eval     evalFields  // what Evaluate reads (evaluate.go)
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
	m := &Model{design: d, params: p, layout: newLayout(p), rules: rules(d)}
	m.layout.resolve(m.rules, &p)
	m.drain = newDrainFields(&m.layout)
	m.eval = newEvalFields(&m.layout)
	for k := range m.byKind {
		m.byKind[k] = -1
	}
	for i := range m.byCase {
		for f := range m.byCase[i] {
			m.byCase[i][f] = [RefillOne + 1]int8{-1, -1}
		}
	}
	for i, r := range m.rules {
		m.byKind[r.kind] = i
		for bi := len(r.branches) - 1; bi >= 0; bi-- { // the first of equal cases wins
			b := &r.branches[bi]
			m.byCase[r.kind][b.free][b.refill] = int8(bi)
		}
	}
	m.genEnabled = generatedEnabled[rulesSig(m.rules)]
	m.genApply = generatedApply[applySig(m.rules)]
	if pol, ok := d.(Policies); ok {
		m.pol = true
		m.missLeft, m.missNone = missBranches(pol.Plan, true), missBranches(pol.Plan, false)
	}
	return m, nil
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
// spec's action order, CPUs ascending, as the table of rules lists them),
// and returns the extended slice.
func (m *Model) Enabled(s *State, buf []Action) []Action { return m.enabled(s, buf) }

// enabledFast is Enabled by the generated code for the table's structure
// when there is one: the reference expander's. Enabled itself interprets
// the table, the oracle TestFastExpanderMatchesStraightforward checks both
// expanders against.
func (m *Model) enabledFast(s *State, buf []Action) []Action {
	if m.genEnabled != nil {
		return m.genEnabled(m, s, buf)
	}
	return m.enabled(s, buf)
}

// Apply performs transition a on s in place, by the effects the table of
// rules gives its branch. The transition must be enabled in s (one of
// Enabled's); Step checks that first.
func (m *Model) Apply(s *State, a Action) { m.apply(s, a) }

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
