package model

import "math"

// This file gives the checker a rank for Drainable (checker.Ranker), so that
// it decides AG EF (pending = 0) on every state as it expands it, without
// keeping the transition graph. The rank is lexicographic:
//
//  1. pending, which reclaim and wake lower;
//  2. the running readers, which read_unlock lowers;
//  3. the steps the grace-period machinery still owes, twice over, plus 1
//     while a grace period runs: a non-empty channel owes 3 (monitor, then
//     gp_start, then gp_end), a NEXT slot or blk 2, a CUR one 1; monitor,
//     gp_start (NEXT becomes CUR, and the grace period runs: -2 per NEXT,
//     +1) and gp_end (CUR becomes DONE, and it stops) each lower it.
//
// None of these actions raises a component before the one it lowers, so
// each is a transition of lower rank. A stuck state has no successor: it is
// unranked. The checker verifies the decrease state by state and falls
// back on the transition graph where it fails, so this rank can cost time
// if it is weak for a design, never a verdict (checker.Ranker).

// Bits of the rank's components below pending.
const (
	rankStepBits   = 11 // 2*(9 per CPU) + 1 <= 1153 for N <= 64
	rankReaderBits = 7  // N <= 64
)

// stepsOwed is what a slot or blk in a phase still owes: NEXT 2, CUR 1.
var stepsOwed = [4]uint64{PhaseNext: 2, PhaseCur: 1}

// drainFields are the variables the rank reads, placed by the layout.
type drainFields struct {
	n             int
	hb, cb        uint
	gp, stuck     bitField
	objs, heads   bitField
	pages, rd     bitField
	blk           bitField
	phase         [2]bitField
	bobjs, bheads [2]bitField
}

// bitField is a variable's place: its offset from the first bit of its
// CPU (of the state, for a header variable) and its width.
type bitField struct{ off, width uint }

// in returns the variable's value in s, its CPU's bits starting at base.
func (b bitField) in(s []uint64, base uint) uint64 { return getBits(s, base+b.off, b.width) }

func newDrainFields(l *layout) drainFields {
	place := func(vs []variable, name string, slot int) bitField {
		v := vs[lookup(vs, name, slot)]
		return bitField{v.off, v.width}
	}
	cpu := func(name string, slot int) bitField { return place(l.cpu, name, slot) }
	f := drainFields{
		n: l.n, hb: l.hb, cb: l.cb,
		gp: place(l.header, "gp", -1), stuck: place(l.header, "stuck", -1),
		objs: cpu("objs", -1), heads: cpu("heads", -1), pages: cpu("pages", -1), rd: cpu("rd", -1), blk: cpu("blk", -1),
	}
	for j := range f.phase {
		f.phase[j], f.bobjs[j], f.bheads[j] = cpu("phase", j), cpu("bobjs", j), cpu("bheads", j)
	}
	return f
}

// rank returns the Drainable rank of the packed state s.
func (f *drainFields) rank(s []uint64) uint64 {
	if f.stuck.in(s, 0) != 0 {
		return math.MaxUint64
	}
	steps := f.gp.in(s, 0)
	var pending, readers uint64
	for c := 0; c < f.n; c++ {
		base := f.hb + uint(c)*f.cb
		heads, blk := f.heads.in(s, base), f.blk.in(s, base)
		pending += f.objs.in(s, base) + heads + b2u(blk != uint64(PhaseNone))
		readers += f.rd.in(s, base)
		owed := stepsOwed[blk&3]
		if f.pages.in(s, base)+heads > 0 {
			owed += 3
		}
		for j := range f.phase {
			pending += f.bobjs[j].in(s, base) + f.bheads[j].in(s, base)
			owed += stepsOwed[f.phase[j].in(s, base)&3]
		}
		steps += 2 * owed
	}
	if pending >= 1<<(64-rankStepBits-rankReaderBits) {
		return math.MaxUint64
	}
	return pending<<(rankStepBits+rankReaderBits) | readers<<rankStepBits | steps
}

// Rank implements checker.Ranker for the reference expander.
func (x *expander) Rank(s []uint64, _ int) uint64 { return x.m.drain.rank(s) }

// Rank implements checker.Ranker for the fast expander.
func (x *fastExpander) Rank(s []uint64, _ int) uint64 { return x.m.drain.rank(s) }

// Rank implements checker.Ranker for a verified run (check --verify), so
// that it decides Drainable as the plain run does.
func (x *verifyExpander) Rank(s []uint64, _ int) uint64 { return x.v.m.drain.rank(s) }
