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

// channelSteps is what a non-empty channel owes: monitor, gp_start, gp_end.
const channelSteps = 3

// drainFields are the variables the rank reads, placed by the layout.
type drainFields struct {
	n int
	cpuPlace
	gp, stuck     bitField
	objs, heads   bitField
	pages, rd     bitField
	blk           bitField
	phase         [2]bitField
	bobjs, bheads [2]bitField
}

// bitField is a variable's place: its offset from the first bit of its
// CPU (of the state, for a header variable), its width and its mask.
type bitField struct {
	off, width uint
	mask       uint64
}

// in returns the variable's value in s, its CPU's bits starting at base.
func (b bitField) in(s []uint64, base uint) uint64 { return getBits(s, base+b.off, b.width) }

// head returns the value in s of a header variable, from the first word
// when it lies there (as every header variable does but at many CPUs).
func (b *bitField) head(s []uint64) uint64 {
	if b.off+b.width <= 64 {
		return b.of(s[0])
	}
	return bitsAt(s, b.off, b.width, b.mask)
}

// of returns the variable's value in w, its CPU's bits in a register.
func (b bitField) of(w uint64) uint64 { return w >> (b.off & 63) & b.mask }

// placeOf is the place of the variable of vs called name in slot (-1 for
// none).
func placeOf(vs []variable, name string, slot int) bitField {
	v := vs[lookup(vs, name, slot)]
	return bitField{v.off, v.width, lowBits(v.width)}
}

func newDrainFields(l *layout) drainFields {
	cpu := func(name string, slot int) bitField { return placeOf(l.cpu, name, slot) }
	f := drainFields{
		n: l.n, cpuPlace: newCPUPlace(l),
		gp: placeOf(l.header, "gp", -1), stuck: placeOf(l.header, "stuck", -1),
		objs: cpu("objs", -1), heads: cpu("heads", -1), pages: cpu("pages", -1), rd: cpu("rd", -1), blk: cpu("blk", -1),
	}
	for j := range f.phase {
		f.phase[j], f.bobjs[j], f.bheads[j] = cpu("phase", j), cpu("bobjs", j), cpu("bheads", j)
	}
	return f
}

// cpuTerms is one CPU's part of the rank: its pending objects, whether its
// reader runs, and the grace-period steps it is owed (see the top of the
// file), from the values of its variables.
func cpuTerms(objs, heads, pages, rd, blk, ph0, ph1, bobjs, bheads uint64) (pending, readers, owed uint64) {
	pending = objs + heads + bobjs + b2u(blk != uint64(PhaseNone))
	owed = stepsOwed[blk&3] + stepsOwed[ph0&3] + stepsOwed[ph1&3]
	if pages+heads > 0 {
		owed += channelSteps
	}
	return pending + bheads, rd, owed
}

// wordTerms is cpuTerms of the CPU whose bits are w.
func (f *drainFields) wordTerms(w uint64) (pending, readers, owed uint64) {
	return cpuTerms(f.objs.of(w), f.heads.of(w), f.pages.of(w), f.rd.of(w), f.blk.of(w), f.phase[0].of(w), f.phase[1].of(w),
		f.bobjs[0].of(w)+f.bobjs[1].of(w), f.bheads[0].of(w)+f.bheads[1].of(w))
}

// cpuRank is cpuTerms of CPU c of s.
func (f *drainFields) cpuRank(s []uint64, c int) (pending, readers, owed uint64) {
	base := f.hb + uint(c)*f.cb
	if f.cb <= 64 {
		return f.wordTerms(f.word(s, c))
	}
	return cpuTerms(f.objs.in(s, base), f.heads.in(s, base), f.pages.in(s, base), f.rd.in(s, base), f.blk.in(s, base),
		f.phase[0].in(s, base), f.phase[1].in(s, base),
		f.bobjs[0].in(s, base)+f.bobjs[1].in(s, base), f.bheads[0].in(s, base)+f.bheads[1].in(s, base))
}

// rank returns the Drainable rank of the packed state s; memo, when not
// nil, holds the parts of CPU words seen before (see newRankMemo).
func (f *drainFields) rank(s []uint64, memo *rankMemo) uint64 {
	if f.stuck.head(s) != 0 {
		return math.MaxUint64
	}
	if memo != nil {
		r := f.gp.head(s)
		for c := 0; c < f.n; c++ {
			r += f.memoPart(memo, f.word(s, c))
		}
		return r
	}
	steps := f.gp.head(s)
	var pending, readers uint64
	for c := 0; c < f.n; c++ {
		p, r, o := f.cpuRank(s, c)
		pending, readers, steps = pending+p, readers+r, steps+2*o
	}
	if pending >= 1<<(64-rankStepBits-rankReaderBits) {
		return math.MaxUint64
	}
	return pending<<(rankStepBits+rankReaderBits) | readers<<rankStepBits | steps
}

// memoBits is log2 of the entries of a wordMemo.
const memoBits = 10

// wordMemo is an expander's cache of what a function of one CPU's word
// gives (V): the states of a run share few CPU words, and a word's value
// costs a dozen field reads. It is direct-mapped; every entry holds a word
// and that word's value, from the start (all ones, whose value is
// computed), so a hit is never wrong.
type wordMemo[V any] struct {
	word [1 << memoBits]uint64
	got  [1 << memoBits]V
}

// newWordMemo returns a memo whose entries all hold the word of all ones
// and its value v.
func newWordMemo[V any](v V) *wordMemo[V] {
	m := &wordMemo[V]{}
	for i := range m.word {
		m.word[i], m.got[i] = ^uint64(0), v
	}
	return m
}

// slot returns the entry of word w, and whether it holds w's value; when
// not, it is w's from now on, and the caller writes the value.
func (m *wordMemo[V]) slot(w uint64) (*V, bool) {
	i := w * 0x9E3779B97F4A7C15 >> (64 - memoBits)
	if m.word[i] != w {
		m.word[i] = w
		return &m.got[i], false
	}
	return &m.got[i], true
}

// rankMemo is a memo of a CPU's part of the rank by CPU word (16 KiB).
type rankMemo = wordMemo[uint64]

// newRankMemo returns a memo for the CPUs of f, or nil when a CPU's bits do
// not fit a word, or when a sum of the CPUs' parts could carry from one
// term's bits into the next.
func newRankMemo(f *drainFields) *rankMemo {
	if f.cb > 64 {
		return nil
	}
	n := uint64(f.n)
	maxPending := f.objs.mask + f.heads.mask + f.bobjs[0].mask + f.bobjs[1].mask + 1 + f.bheads[0].mask + f.bheads[1].mask
	maxOwed := 3*stepsOwed[PhaseNext] + channelSteps // blk and both slots NEXT, the channel full
	if n*maxPending >= 1<<(64-rankStepBits-rankReaderBits) || n*f.rd.mask >= 1<<rankReaderBits || 1+n*2*maxOwed >= 1<<rankStepBits {
		return nil
	}
	return newWordMemo(rankPart(f.wordTerms(^uint64(0))))
}

// rankPart is a CPU's part of the rank, its terms in their bits: the rank
// of a state that is not stuck is its grace period's step plus its CPUs'
// parts, since no sum of parts carries from one term's bits into the next
// (rankStepBits, rankReaderBits, newRankMemo).
func rankPart(pending, readers, owed uint64) uint64 {
	return pending<<(rankStepBits+rankReaderBits) | readers<<rankStepBits | 2*owed
}

// memoPart returns rankPart of the CPU whose bits are w, from memo m.
func (f *drainFields) memoPart(m *rankMemo, w uint64) uint64 {
	t, ok := m.slot(w)
	if !ok {
		*t = rankPart(f.wordTerms(w))
	}
	return *t
}

// Rank implements checker.Ranker for the reference expander.
func (x *expander) Rank(s []uint64, _ int) uint64 { return x.m.drain.rank(s, nil) }

// Rank implements checker.Ranker for the fast expander.
func (x *fastExpander) Rank(s []uint64, _ int) uint64 { return x.m.drain.rank(s, x.memo) }

// Rank implements checker.Ranker for a verified run (check --verify), so
// that it decides Drainable as the plain run does.
func (x *verifyExpander) Rank(s []uint64, _ int) uint64 { return x.v.m.drain.rank(s, nil) }
