package model

import (
	"math/bits"
	"slices"

	"github.com/rcucheck/rcucheck/checker"
)

// fastExpander is the expander the checker uses when one CPU's variables
// fit in a register (cpuBits() <= 63, see packCPU) and the global ones in
// the first word. It emits exactly what expander does, the same packed
// words and action codes in the same order, without unpacking the state or
// building a list of actions: it reads each CPU's packed word once, walks
// the table of rules compiled to word operations (compile.go) in Enabled's
// order, and computes each successor by rewriting the header and the packed
// words of the CPUs the action changes (one for most actions; every CPU for
// read_unlock, gp_start and gp_end). No field can overflow into its
// neighbour: every count stays within the bound its width was chosen for
// (see domain.width), as in Apply.
//
// The design's hooks (a design that is not a Policies value) are asked on
// the unpacked state. TestFastExpanderMatchesStraightforward checks,
// successor by successor, that this agrees with Enabled, Apply and pack.
type fastExpander struct {
	m        *Model
	rules    []wordRule
	hMask    uint64   // the header's bits in word 0
	cpuPlace          // the CPUs' bits
	phaseLow uint64   // the low bit of every phase field of a CPU
	pins     uint64   // bit 0 of every set field of a CPU
	hpins    uint64   // bit 0 of every set field of the header
	reserve  field    // the pool, for missBranches
	gp       field    // the grace period, for hand-over
	stuckF   field    // stuck: no rule is enabled
	rdF      field    // a CPU's reader, for RD
	rdSet    uint64   // RD in the state being expanded
	slots    [2]slotW // the slots, for hand-over
	pol      bool     // the design is a Policies value: no hook, a constant plan
	missLeft branches // the plan's branches with and without a page in the pool
	missNone branches //
	cur      *State   // the state being expanded, for the hooks
	w, nw    []uint64 // CPUs' packed words: the state's, a successor's
	out      []uint64
	emit     func(checker.Action, []uint64) // Successors' argument, during the call; nil while appending
	dst      []uint64                       // AppendSuccessors' slice, while it runs
	// walk is the generated walk of rules (zz_generated.go) whose
	// structure is the table's, or nil: the table is walked generically.
	walk     func(x *fastExpander, s []uint64, h uint64)
	memo     *rankMemo         // Rank's
	evalMemo *wordMemo[uint64] // Evaluate's
}

// slotW is a slot in a CPU's word: its phase, its bits with the channel's
// fields that move to it, and the moves.
type slotW struct {
	phase field
	clr   uint64
	moves []move
}

// move is a run of a hand-over: the bits m of the channel's fields at
// offset from go to offset to. Consecutive fields that go to consecutive
// fields move in one run (addMove).
type move struct {
	from, to uint
	m        uint64
}

// addMove adds the move of channel field src to slot field dst to ms.
func addMove(ms []move, dst, src field) []move {
	if n := len(ms); n > 0 {
		last := &ms[n-1]
		w := uint(bits.Len64(last.m))
		if last.from+w == src.o && last.to+w == dst.o && w+uint(bits.Len64(src.m)) < 64 {
			last.m |= src.m << w
			return ms
		}
	}
	return append(ms, move{from: src.o, to: dst.o, m: src.m})
}

func newFastExpander(m *Model) *fastExpander {
	n := m.params.CPUs
	l := &m.layout
	k := newCompiler(m)
	x := &fastExpander{
		m: m, rules: k.compile(), cpuPlace: newCPUPlace(l), hMask: lowBits(l.hb),
		cur: &State{CPUs: make([]CPU, n)},
		w:   make([]uint64, n), nw: make([]uint64, n), out: make([]uint64, l.words),
		memo: newRankMemo(&m.drain), evalMemo: newWordMemo(m.eval.cpuEval(^uint64(0))),
	}
	for i, v := range l.cpu {
		f := k.cpu[i]
		switch {
		case v.dom == domSet:
			x.pins |= f.one()
		case v.dom == domPhase:
			x.phaseLow |= f.one()
		}
		switch {
		case v.slot < 0:
		case v.dom == domPhase:
			x.slots[v.slot].phase = f
			x.slots[v.slot].clr |= f.bits()
		case v.from != "":
			src := k.cpu[lookup(l.cpu, v.from, -1)]
			x.slots[v.slot].moves = addMove(x.slots[v.slot].moves, f, src)
			x.slots[v.slot].clr |= f.bits() | src.bits()
		default:
			x.slots[v.slot].clr |= f.bits()
		}
	}
	for i, v := range l.header {
		if v.dom == domSet {
			x.hpins |= k.head[i].one()
		}
	}
	x.reserve, x.gp, x.stuckF = k.head[lookup(l.header, "reserve", -1)], k.head[lookup(l.header, "gp", -1)], k.head[lookup(l.header, "stuck", -1)]
	x.rdF = k.cpu[lookup(l.cpu, "rd", -1)]
	if pol, ok := m.design.(Policies); ok {
		x.pol = true
		x.missLeft, x.missNone = missBranches(pol.Plan, true), missBranches(pol.Plan, false)
	}
	x.walk = generatedWalks[tableSig(x.rules)]
	return x
}

// Successors implements checker.Expander. It walks the rules as Enabled
// does: with the walk generated for the table's structure if there is one,
// else with walkTable.
func (x *fastExpander) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	x.emit = emit
	x.walkAll(s)
	x.emit = nil
}

// AppendSuccessors implements checker.Appender: the walk of Successors,
// each successor written in place at the end of dst.
func (x *fastExpander) AppendSuccessors(s, dst []uint64) []uint64 {
	x.dst = dst
	x.walkAll(s)
	dst, x.dst = x.dst, nil
	return dst
}

// walkAll emits the successors of s.
func (x *fastExpander) walkAll(s []uint64) {
	h := s[0] & x.hMask
	if x.stuckF.get(h) != 0 {
		return
	}
	w := x.w
	rd := uint64(0)
	for c := range w {
		w[c] = x.word(s, c)
		rd |= x.rdF.get(w[c]) << uint(c)
	}
	x.rdSet = rd
	if !x.pol {
		x.m.layout.unpack(s, x.cur)
	}
	if x.walk != nil {
		x.walk(x, s, h)
	} else {
		x.walkTable(s, h)
	}
}

// walkTable emits the transitions of the rules, those of the common shapes
// (shapeOf) in loops of their own.
func (x *fastExpander) walkTable(s []uint64, h uint64) {
	w := x.w
	rd := x.rdSet
	for ri := range x.rules {
		r := &x.rules[ri]
		switch g := &r.guard[0]; r.shape {
		case shapeOne:
			b := &r.branches[0][0]
			for c, v := range w {
				if g.first(v, h) && (!g.more || x.holdsMore(g, c, v, h)) {
					nv, nh := b.step(v, h, rd)
					x.one(s, nh, c, nv, b.codes[2*c])
				}
			}
		case shapeChoose:
			for c, v := range w {
				if g.first(v, h) && (!g.more || x.holdsMore(g, c, v, h)) {
					x.choose(s, h, r, c, v)
				}
			}
		case shapeUnpin:
			x.unpinRule(s, h, r)
		case shapeAdvance:
			if x.holds(g, 0, 0, h) {
				x.advance(s, h, &r.branches[0][0])
			}
		case shapeHandOver:
			x.handOverRule(s, h, r)
		case shapeReclaim:
			x.reclaimRule(s, h, r)
		default:
			x.rule(s, h, r)
		}
	}
}

// rule emits the transitions of r, whatever its shape.
func (x *fastExpander) rule(s []uint64, h uint64, r *wordRule) {
	switch r.scope {
	case scopeGlobal:
		if x.holds(&r.guard[0], 0, 0, h) {
			x.fire(s, h, r, 0, 0, 0)
		}
	case scopeCPU:
		for c, v := range x.w {
			if x.holds(&r.guard[0], c, v, h) {
				x.fire(s, h, r, c, 0, v)
			}
		}
	default:
		for c, v := range x.w {
			for j := 0; j < 2; j++ {
				if x.holds(&r.guard[j], c, v, h) {
					x.fire(s, h, r, c, j, v)
				}
			}
		}
	}
}

// unpinRule emits the transitions of r of shapeUnpin: for each CPU c
// whose guard holds, c leaves every set of every CPU and of the header.
func (x *fastExpander) unpinRule(s []uint64, h uint64, r *wordRule) {
	g, b := &r.guard[0], &r.branches[0][0]
	for c, v := range x.w {
		if g.first(v, h) && (!g.more || x.holdsMore(g, c, v, h)) {
			x.unpin(s, h, b, c)
		}
	}
}

// unpin emits branch b of shapeUnpin for CPU c.
func (x *fastExpander) unpin(s []uint64, h uint64, b *wordBranch, c int) {
	e := &b.effect
	for i, u := range x.w {
		x.nw[i] = u &^ (x.pins << uint(c))
	}
	x.nw[c] = (x.nw[c]+e.add)&^e.clr | e.set
	x.all(s, ((h+e.hadd)&^e.hclr|e.hset)&^(x.hpins<<uint(c)), b.codes[2*c])
}

// advance emits branch b of shapeAdvance: on every CPU, the phases at
// e.from become e.to.
func (x *fastExpander) advance(s []uint64, h uint64, b *wordBranch) {
	e := &b.effect
	nh := (h+e.hadd)&^e.hclr | e.hset
	for _, o := range e.hrd {
		nh |= x.rdSet << (o & 63)
	}
	for i, u := range x.w {
		at := x.atPhase(u, e.from)
		x.nw[i] = u + at*uint64(e.to) - at*uint64(e.from)
	}
	x.all(s, nh, b.codes[0])
}

// handOverRule emits the transitions of r of shapeHandOver.
func (x *fastExpander) handOverRule(s []uint64, h uint64, r *wordRule) {
	g, b := &r.guard[0], &r.branches[0][0]
	e := &b.effect
	for c, v := range x.w {
		if g.first(v, h) && (!g.more || x.holdsMore(g, c, v, h)) {
			nv := (x.handOver(v, h, e.join)+e.add)&^e.clr | e.set
			x.one(s, (h+e.hadd)&^e.hclr|e.hset, c, nv, b.codes[2*c])
		}
	}
}

// reclaimRule emits the transitions of r of shapeReclaim: slot j's pages
// go to the pool and the cache by policy (reclaimSplit).
func (x *fastExpander) reclaimRule(s []uint64, h uint64, r *wordRule) {
	for c, v := range x.w {
		for j := 0; j < 2; j++ {
			if g := &r.guard[j]; g.first(v, h) && (!g.more || x.holdsMore(g, c, v, h)) {
				x.reclaim(s, h, &r.branches[j][0], c, j, v)
			}
		}
	}
}

// reclaim emits branch b of shapeReclaim for CPU c and slot j, v being
// c's packed word.
func (x *fastExpander) reclaim(s []uint64, h uint64, b *wordBranch, c, j int, v uint64) {
	p := &x.m.params
	e := &b.effect
	reserve, cache := e.pool.get(h), e.cache.get(v)
	toPool, toCache := reclaimSplit(e.policy, int32(e.pages.get(v)), int32(p.Reserve)-int32(reserve), int32(p.Cache)-int32(cache))
	nh := h + uint64(toPool)*e.pool.one()
	nv := v + uint64(toCache)*e.cache.one()
	x.one(s, (nh+e.hadd)&^e.hclr|e.hset, c, (nv+e.add)&^e.clr|e.set, b.codes[2*c+j])
}

// choose emits the branches of rule r of shapeChoose for CPU c, v being
// its packed word: those of its first choice whose guard holds.
func (x *fastExpander) choose(s []uint64, h uint64, r *wordRule, c int, v uint64) {
	bs := r.branches[0]
	for i := range r.choose[0] {
		ch := &r.choose[0][i]
		if g := &ch.guard; !g.first(v, h) || g.more && !x.holdsMore(g, c, v, h) {
			continue
		}
		if !ch.miss {
			b := &bs[ch.branch]
			nv, nh := b.step(v, h, x.rdSet)
			x.one(s, nh, c, nv, b.codes[2*c])
			return
		}
		br := x.miss(c, x.reserve.get(h) > 0)
		for _, fc := range br.list() {
			b := &bs[fc]
			nv, nh := b.step(v, h, x.rdSet)
			x.one(s, nh, c, nv, b.codes[2*c])
		}
		return
	}
}

// holds reports whether g holds for CPU c of packed word v, h being the
// header.
func (x *fastExpander) holds(g *wordGuard, c int, v, h uint64) bool {
	return g.first(v, h) && (!g.more || x.holdsMore(g, c, v, h))
}

// holdsMore reports whether g's conditions other than its ranges hold.
func (x *fastExpander) holdsMore(g *wordGuard, c int, v, h uint64) bool {
	for _, r := range g.cpus {
		if v&r.m-r.lo > r.span {
			return false
		}
	}
	for _, alt := range g.any {
		if !anyEq(alt, v) {
			return false
		}
	}
	for i := range g.lin {
		if !g.lin[i].holds(v, h) {
			return false
		}
	}
	if g.hasSome && !x.somePhase(g.some) {
		return false
	}
	return x.hooks(g, c)
}

// anyEq reports whether one of alt holds of v.
func anyEq(alt []maskEq, v uint64) bool {
	for _, e := range alt {
		if v&e.m == e.w {
			return true
		}
	}
	return false
}

// holds reports whether sum(terms) < bound in v and h.
func (l *wordLin) holds(v, h uint64) bool {
	var sum int64
	for _, t := range l.terms {
		src := v
		if t.hdr {
			src = h
		}
		sum += t.k * int64(t.f.get(src))
	}
	return sum < l.bound
}

// hooks asks the design's hooks g needs, on the unpacked state.
func (x *fastExpander) hooks(g *wordGuard, c int) bool {
	v := View{x.cur, &x.m.params}
	return (!g.admit || x.m.design.Admit(v, c)) && (!g.handOver || x.m.design.HandOver(v, c))
}

// atPhase returns, in the low bit of each of v's phase fields, whether it
// is ph.
func (x *fastExpander) atPhase(v uint64, ph Phase) uint64 {
	d := v ^ x.phaseLow*uint64(ph)
	return x.phaseLow &^ (d | d>>1)
}

// somePhase reports whether some CPU has a phase field at ph.
func (x *fastExpander) somePhase(ph Phase) bool {
	for _, v := range x.w {
		if x.atPhase(v, ph) != 0 {
			return true
		}
	}
	return false
}

// fire emits the enabled branches of r for CPU c and slot j, v being c's
// packed word.
func (x *fastExpander) fire(s []uint64, h uint64, r *wordRule, c, j int, v uint64) {
	bs := r.branches[j]
	for _, ch := range r.choose[j] {
		if !x.holds(&ch.guard, c, v, h) {
			continue
		}
		if !ch.miss {
			x.take(s, h, &bs[ch.branch], c, j, v)
			return
		}
		br := x.miss(c, x.reserve.get(h) > 0)
		for _, fc := range br.list() {
			x.take(s, h, &bs[fc], c, j, v)
		}
		return
	}
	for i := range bs {
		if b := &bs[i]; x.holds(&b.guard, c, v, h) {
			x.take(s, h, b, c, j, v)
		}
	}
}

// miss returns the branches of free(c) after a cache miss (missBranches).
func (x *fastExpander) miss(c int, reserveLeft bool) branches {
	if x.pol {
		if reserveLeft {
			return x.missLeft
		}
		return x.missNone
	}
	return missBranches(x.m.design.Miss(View{x.cur, &x.m.params}, c), reserveLeft)
}

// take emits branch b of CPU c and slot j, v being c's packed word.
func (x *fastExpander) take(s []uint64, h uint64, b *wordBranch, c, j int, v uint64) {
	if b.simple {
		x.simple(s, h, b, c, j, v)
		return
	}
	x.branch(s, h, b, c, j, v)
}

// simple emits simple branch b of CPU c and slot j, v being c's packed
// word.
func (x *fastExpander) simple(s []uint64, h uint64, b *wordBranch, c, j int, v uint64) {
	nv, nh := b.step(v, h, x.rdSet)
	x.one(s, nh, c, nv, b.codes[2*c+j])
}

// branch emits branch b of CPU c and slot j, v being c's packed word.
func (x *fastExpander) branch(s []uint64, h uint64, b *wordBranch, c, j int, v uint64) {
	e := &b.effect
	code := b.codes[2*c+j]
	nv, nh := v, h
	if e.handOver {
		nv = x.handOver(v, h, e.join)
	}
	if e.reclaim {
		reserve, cache := e.pool.get(h), e.cache.get(v)
		toPool, toCache := reclaimSplit(e.policy, int32(e.pages.get(v)), int32(x.m.params.Reserve)-int32(reserve), int32(x.m.params.Cache)-int32(cache))
		nh += uint64(toPool) * e.pool.one()
		nv += uint64(toCache) * e.cache.one()
	}
	nv = (nv+e.add)&^e.clr | e.set
	nh = (nh+e.hadd)&^e.hclr | e.hset
	if len(e.rd)+len(e.hrd) > 0 {
		rd := x.rdSet
		for _, o := range e.rd {
			nv |= rd << o
		}
		for _, o := range e.hrd {
			nh |= rd << o
		}
	}
	if !e.unpin && !e.advance {
		x.one(s, nh, c, nv, code)
		return
	}
	for i, u := range x.w {
		switch {
		case e.unpin:
			x.nw[i] = u &^ (x.pins << uint(c))
		default: // the phases at from: + to - from
			at := x.atPhase(u, e.from)
			x.nw[i] = u + at*uint64(e.to) - at*uint64(e.from)
		}
	}
	if e.unpin {
		nh &^= x.hpins << uint(c)
		x.nw[c] = (x.nw[c]+e.add)&^e.clr | e.set
	}
	x.all(s, nh, code)
}

// handOver returns packed CPU v after its channel is handed over to its
// lowest FREE slot (Model.handOver).
func (x *fastExpander) handOver(v, h uint64, join JoinPolicy) uint64 {
	sl := &x.slots[0]
	if sl.phase.get(v) != uint64(PhaseFree) {
		sl = &x.slots[1]
	}
	ph := PhaseNext
	if join == JoinRunning && x.gp.get(h) != 0 {
		ph = PhaseCur
	}
	nv := v&^sl.clr | uint64(ph)<<sl.phase.o
	for _, mv := range sl.moves {
		nv |= v >> (mv.from & 63) & mv.m << (mv.to & 63)
	}
	return nv
}

// start returns the successor being built, holding s with header h: at
// the end of x.dst while appending, else in x.out. It copies word by word:
// copy's vector stores would stall the loads of the words that follow.
// (States of two words, the spec's, are built in registers by one and all,
// and appended whole: see pair.)
func (x *fastExpander) start(s []uint64, h uint64) []uint64 {
	out := x.out
	if x.emit == nil {
		n := len(x.dst)
		if cap(x.dst)-n < len(s) {
			x.dst = slices.Grow(x.dst, len(s))
		}
		x.dst = x.dst[:n+len(s)]
		out = x.dst[n:]
	}
	out[0] = x.head0(s, h)
	for i := 1; i < len(out); i++ {
		out[i] = s[i]
	}
	return out
}

// head0 is the first word of s with header h.
func (x *fastExpander) head0(s []uint64, h uint64) uint64 { return s[0]&^x.hMask | h }

// pair reports whether successors of s are built as two words in
// registers and appended whole: states of two words, while appending.
func (x *fastExpander) pair(s []uint64) bool { return x.emit == nil && len(s) == 2 }

// done hands the successor built by start over: to emit, unless it is
// appended already.
func (x *fastExpander) done(code uint32, out []uint64) {
	if x.emit != nil {
		x.emit(checker.Action(code), out)
	}
}

// one emits the successor of header h whose CPU c has packed word v, the
// other CPUs being unchanged.
func (x *fastExpander) one(s []uint64, h uint64, c int, v uint64, code uint32) {
	if x.pair(s) {
		out := [2]uint64{x.head0(s, h), s[1]}
		setReg(out[:], x.hb+uint(c)*x.cb, x.cb, v)
		x.dst = append(x.dst, out[0], out[1])
		return
	}
	out := x.start(s, h)
	setReg(out, x.hb+uint(c)*x.cb, x.cb, v)
	x.done(code, out)
}

// all emits the successor of header h whose CPUs have packed words x.nw.
func (x *fastExpander) all(s []uint64, h uint64, code uint32) {
	if x.pair(s) {
		out := [2]uint64{x.head0(s, h), s[1]}
		x.setCPUs(out[:])
		x.dst = append(x.dst, out[0], out[1])
		return
	}
	out := x.start(s, h)
	x.setCPUs(out)
	x.done(code, out)
}

// setCPUs writes into out the CPUs' words x.nw that differ from x.w.
func (x *fastExpander) setCPUs(out []uint64) {
	for c, v := range x.nw {
		if v != x.w[c] {
			setReg(out, x.hb+uint(c)*x.cb, x.cb, v)
		}
	}
}

// Evaluate implements checker.Expander.
func (x *fastExpander) Evaluate(s []uint64, inv, goal []bool, metric []int64) {
	x.m.eval.evaluate(s, x.evalMemo, int64(x.m.params.Reserve), inv, goal, metric)
}
