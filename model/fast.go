package model

import "github.com/rcucheck/rcucheck/checker"

// fastExpander is the expander the checker uses when one CPU's fields fit in
// a register (cpuBits() <= 63, see packCPU). It computes exactly what
// expander does, with the same packed words in the same order, but packs a
// successor without starting from scratch: it starts from the words of the
// state being expanded, rewrites the global fields, and re-packs only the
// CPUs whose fields the action changed (most actions change one CPU;
// read_unlock, gp_start and gp_end may change several).
// For the actions of one CPU (oneCPU) only that CPU is re-packed; for the
// others the CPUs that changed are found by comparing them with the expanded
// state's. TestFastExpanderMatchesStraightforward checks that this agrees
// with packing every successor from scratch.
type fastExpander struct {
	m    *Model
	l    *layout
	cb   uint   // bits per CPU
	cur  *State // the state being expanded
	next *State // equal to cur between two successors
	eval *State // Evaluate's own: it runs inside Successors' emit
	out  []uint64
	acts []Action
}

func newFastExpander(m *Model) *fastExpander {
	n := m.params.CPUs
	return &fastExpander{
		m:    m,
		l:    &m.layout,
		cb:   m.layout.cpuBits(),
		cur:  &State{CPUs: make([]CPU, n)},
		next: &State{CPUs: make([]CPU, n)},
		eval: &State{CPUs: make([]CPU, n)},
		out:  make([]uint64, m.layout.words),
		acts: make([]Action, 0, 8*n+2),
	}
}

// Successors implements checker.Expander.
func (x *fastExpander) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	l, cb := x.l, x.cb
	cur, next := x.cur, x.next
	r := bitReader{w: s}
	cur.GPRunning = r.get(1) == 1
	cur.QS = CPUSet(r.get(l.wSet))
	cur.Reserve = int32(r.get(l.wRes))
	cur.Stuck = r.get(1) == 1
	for c := range cur.CPUs {
		l.unpackCPU(r.get(cb), &cur.CPUs[c])
	}
	x.acts = x.m.Enabled(cur, x.acts[:0])
	if len(x.acts) == 0 {
		return
	}
	next.CopyFrom(cur)
	out := x.out
	hb := 1 + l.wSet + l.wRes + 1 // header bits: gp, qs, reserve, stuck
	for _, a := range x.acts {
		x.m.Apply(next, a)
		copy(out, s)
		out[0] = out[0]&^(1<<hb-1) | b2u(next.GPRunning) | uint64(next.QS)<<1 |
			uint64(next.Reserve)<<(1+l.wSet) | b2u(next.Stuck)<<(hb-1)
		if oneCPU(a.Kind) {
			c := int(a.CPU)
			setBits(out, hb+uint(c)*cb, cb, l.packCPU(&next.CPUs[c]))
			next.CPUs[c] = cur.CPUs[c]
		} else {
			for c := range next.CPUs {
				if u, v := &next.CPUs[c], &cur.CPUs[c]; *u != *v {
					setBits(out, hb+uint(c)*cb, cb, l.packCPU(u))
					*u = *v
				}
			}
		}
		next.GPRunning, next.QS, next.Reserve, next.Stuck = cur.GPRunning, cur.QS, cur.Reserve, cur.Stuck
		emit(checker.Action(a.Code()), out)
	}
}

// Evaluate implements checker.Expander.
func (x *fastExpander) Evaluate(s []uint64, inv, goal []bool, metric []int64) {
	evaluate(x.m, x.eval, s, inv, goal, metric)
}

// setBits overwrites the n bits (0 < n < 64) of dst at bit pos with v.
func setBits(dst []uint64, pos, n uint, v uint64) {
	i, off := pos>>6, pos&63
	mask := uint64(1)<<(n&63) - 1
	dst[i] = dst[i]&^(mask<<off) | v<<off
	if off+n > 64 {
		dst[i+1] = dst[i+1]&^(mask>>(64-off)) | v>>(64-off)
	}
}

// oneCPU reports whether Apply changes, besides the global fields (gp, qs,
// reserve, stuck), only the fields of the CPU the action names: true for
// every action but read_unlock (it clears a bit of every CPU's pin sets),
// gp_start and gp_end (they advance every CPU's phases). Unknown kinds are
// treated as touching every CPU.
func oneCPU(k Kind) bool {
	switch k {
	case KindFree, KindReadLock, KindMonitor, KindReclaim, KindWake, KindRefill, KindShrink:
		return true
	}
	return false
}
