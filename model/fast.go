package model

import "github.com/rcucheck/rcucheck/checker"

// fastExpander is the expander the checker uses when one CPU's fields fit in
// a register (cpuBits() <= 63, see packCPU) and the global fields in the
// first word. It emits exactly what expander does, the same packed words and
// action codes in the same order, without unpacking the state or building a
// list of actions: it reads each CPU's packed word once, walks the actions in
// Enabled's order reading the fields it needs straight from those words, and
// computes each successor by rewriting the header and the packed words of the
// CPUs the action changes (one for most actions; every CPU for read_unlock,
// gp_start and gp_end), with the arithmetic of Apply done on the packed
// fields. No field can overflow into its neighbour: every count stays within
// the bound its width was chosen for (see newLayout), as in Apply.
//
// The design's decisions go through its hooks on the unpacked state, except
// for a design that is exactly a Policies value (every built-in design):
// their answers are constants or, for Admit, read from the packed word.
// The branches of a free after a cache miss (missBranches) and the split of
// a reclaimed batch's pages (reclaimSplit) are Enabled's and Apply's own
// helpers. TestFastExpanderMatchesStraightforward checks, successor by
// successor, that this agrees with Enabled, Apply and pack.
type fastExpander struct {
	m *Model
	p *Params
	l *layout
	f cpuFields
	// The header (gp, qs, reserve, stuck) is the low hb bits of word 0.
	hb                     uint
	hMask                  uint64
	hGP, hQS, hRes, hStuck field
	cb                     uint     // bits per CPU
	unpin                  []uint64 // unpin[c]: CPU c's bit in every pin set of a packed CPU
	pol                    *Policies
	missLeft, missNone     branches // pol's branches of a miss, with and without a page in the pool
	cur                    *State   // the state being expanded, for the hooks of other designs
	eval                   *State   // Evaluate's own: it runs inside Successors' emit
	w, nw                  []uint64 // CPUs' packed words: the state's, a successor's
	out                    []uint64
	emit                   func(checker.Action, []uint64) // Successors' argument, during the call
}

// cpuFields are the fields of a packed CPU (packCPU's layout).
type cpuFields struct {
	calls, rd, pages, objs, heads, cache, blk, pin, blkPin field
	slot                                                   [2]slotFields
	// phaseLow has the low bit of the three phases (blk and the slots').
	phaseLow uint64
	// pins has bit 0 of the four pin sets (pin, blkpin and the slots').
	pins uint64
}

// slotFields are the fields of one slot; all is the union of their bits.
type slotFields struct {
	phase, pages, objs, heads, pin field
	all                            uint64
}

func newCPUFields(l *layout) cpuFields {
	at := func(name string, slot int) field { return fieldOf(&l.cpu[lookup(l.cpu, name, slot)]) }
	f := cpuFields{
		calls: at("calls", -1), rd: at("rd", -1), pages: at("pages", -1), objs: at("objs", -1), heads: at("heads", -1),
		cache: at("cache", -1), blk: at("blk", -1), pin: at("pin", -1), blkPin: at("blkpin", -1),
	}
	f.phaseLow = f.blk.one()
	f.pins = f.pin.one() | f.blkPin.one()
	for j := range f.slot {
		sf := &f.slot[j]
		sf.phase, sf.pages, sf.objs, sf.heads, sf.pin = at("phase", j), at("bpages", j), at("bobjs", j), at("bheads", j), at("bpin", j)
		sf.all = sf.phase.bits() | sf.pages.bits() | sf.objs.bits() | sf.heads.bits() | sf.pin.bits()
		f.phaseLow |= sf.phase.one()
		f.pins |= sf.pin.one()
	}
	return f
}

// phasesAt returns, in the low bit of each of v's three phases, whether it
// is ph (PhaseNext or PhaseCur).
func (f *cpuFields) phasesAt(v uint64, ph Phase) uint64 {
	if ph == PhaseNext { // 01
		return v & f.phaseLow &^ (v >> 1)
	}
	return v >> 1 & f.phaseLow &^ v // 10
}

// inflight is State.Inflight on a packed CPU.
func (f *cpuFields) inflight(v uint64) uint64 {
	return f.objs.get(v) + f.heads.get(v) + f.slot[0].objs.get(v) + f.slot[0].heads.get(v) +
		f.slot[1].objs.get(v) + f.slot[1].heads.get(v)
}

func newFastExpander(m *Model) *fastExpander {
	n := m.params.CPUs
	l := &m.layout
	hb := l.hb
	hf := func(name string) field { return fieldOf(&l.header[lookup(l.header, name, -1)]) }
	x := &fastExpander{
		m:      m,
		p:      &m.params,
		l:      l,
		f:      newCPUFields(l),
		hb:     hb,
		hMask:  1<<(hb&63) - 1,
		hGP:    hf("gp"),
		hQS:    hf("qs"),
		hRes:   hf("reserve"),
		hStuck: hf("stuck"),
		cb:     l.cpuBits(),
		unpin:  make([]uint64, n),
		cur:    &State{CPUs: make([]CPU, n)},
		eval:   &State{CPUs: make([]CPU, n)},
		w:      make([]uint64, n),
		nw:     make([]uint64, n),
		out:    make([]uint64, l.words),
	}
	for c := range x.unpin {
		x.unpin[c] = x.f.pins << uint(c)
	}
	if pol, ok := m.design.(Policies); ok {
		x.pol = &pol
		x.missLeft, x.missNone = missBranches(pol.Plan, true), missBranches(pol.Plan, false)
	}
	return x
}

// Successors implements checker.Expander. Its blocks follow Enabled's.
func (x *fastExpander) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	f, p := &x.f, x.p
	h := s[0] & x.hMask
	if x.hStuck.get(h) != 0 {
		return
	}
	x.emit = emit
	w, nw := x.w, x.nw
	var rd CPUSet
	for c := range w {
		w[c] = getBits(s, x.hb+uint(c)*x.cb, x.cb)
		rd |= CPUSet(f.rd.get(w[c])) << uint(c)
	}
	if x.pol == nil {
		x.l.unpack(s, x.cur)
	}
	gp := x.hGP.get(h) != 0
	for c, v := range w {
		if f.calls.get(v) < uint64(p.Calls) && Phase(f.blk.get(v)) == PhaseNone && x.admit(c, v) {
			x.free(s, h, c, v, rd)
		}
	}
	for c, v := range w {
		if f.rd.get(v) == 0 {
			x.one(s, h, c, v|f.rd.one(), Action{Kind: KindReadLock, CPU: uint8(c)}.Code())
		}
	}
	for c, v := range w {
		if f.rd.get(v) != 0 {
			for i, u := range w {
				nw[i] = u &^ x.unpin[c]
			}
			nw[c] &^= f.rd.bits()
			x.all(s, h&^(x.hQS.one()<<uint(c)), Action{Kind: KindReadUnlock, CPU: uint8(c)}.Code())
		}
	}
	for c, v := range w {
		s0, s1 := Phase(f.slot[0].phase.get(v)), Phase(f.slot[1].phase.get(v))
		if f.pages.get(v)+f.heads.get(v) > 0 && (s0 == PhaseFree || s1 == PhaseFree) && x.handOver(c) {
			x.one(s, h, c, x.monitor(v, s0 != PhaseFree, gp), Action{Kind: KindMonitor, CPU: uint8(c)}.Code())
		}
	}
	if !gp {
		for _, v := range w {
			if f.phasesAt(v, PhaseNext) != 0 {
				for i, u := range w {
					nw[i] = u + f.phasesAt(u, PhaseNext) // NEXT (01) + 1 = CUR (10)
				}
				x.all(s, x.hQS.put(h|x.hGP.one(), uint64(rd)), Action{Kind: KindGPStart}.Code())
				break
			}
		}
	}
	if gp && x.hQS.get(h) == 0 {
		for i, u := range w {
			nw[i] = u | f.phasesAt(u, PhaseCur) // CUR (10) | 1 = DONE (11)
		}
		x.all(s, h&^x.hGP.one(), Action{Kind: KindGPEnd}.Code())
	}
	for c, v := range w {
		for j := range f.slot {
			if sf := &f.slot[j]; Phase(sf.phase.get(v)) == PhaseDone {
				cache, reserve := f.cache.get(v), x.hRes.get(h)
				toPool, toCache := reclaimSplit(x.reclaim(), int32(sf.pages.get(v)), int32(p.Reserve)-int32(reserve), int32(p.Cache)-int32(cache))
				x.one(s, h+uint64(toPool)*x.hRes.one(), c, f.cache.put(v&^sf.all, cache+uint64(toCache)),
					Action{Kind: KindReclaim, CPU: uint8(c), Slot: uint8(j)}.Code())
			}
		}
	}
	for c, v := range w {
		if Phase(f.blk.get(v)) == PhaseDone {
			x.one(s, h, c, v&^(f.blk.bits()|f.blkPin.bits()), Action{Kind: KindWake, CPU: uint8(c)}.Code())
		}
	}
	if refill := x.refill(); refill != RefillNever {
		for c, v := range w {
			if cache := f.cache.get(v); cache < uint64(p.Cache) {
				x.one(s, h, c, f.cache.put(v, uint64(p.Cache)), Action{Kind: KindRefill, CPU: uint8(c)}.Code())
				if refill == RefillBackoff && cache+1 < uint64(p.Cache) {
					x.one(s, h, c, v+f.cache.one(), Action{Kind: KindRefill, CPU: uint8(c), Refill: RefillOne}.Code())
				}
			}
		}
	}
	for c, v := range w {
		if f.cache.get(v) > 0 {
			x.one(s, h, c, v&^f.cache.bits(), Action{Kind: KindShrink, CPU: uint8(c)}.Code())
		}
	}
	x.emit = nil
}

// free emits the branches of free(c) (freeCases), v being c's packed word,
// h the header and rd the CPUs reading.
func (x *fastExpander) free(s []uint64, h uint64, c int, v uint64, rd CPUSet) {
	f := &x.f
	var br branches
	switch {
	case f.objs.get(v) < f.pages.get(v)*uint64(x.p.Bulk):
		br.add(FreeInPage)
	case f.cache.get(v) > 0:
		br.add(FreeCache)
	default:
		br = x.miss(c, x.hRes.get(h) > 0)
	}
	v += f.calls.one()
	pin := uint64(rd) << f.pin.o
	newPage := f.pages.one() + f.objs.one()
	for _, fc := range br.list() {
		nv, nh := v, h
		switch fc { // Apply's cases
		case FreeInPage:
			nv = (nv + f.objs.one()) | pin
		case FreeCache:
			nv = (nv - f.cache.one() + newPage) | pin
		case FreeAllocOK:
			nv = (nv + newPage) | pin
		case FreeHead:
			nv = (nv + f.heads.one()) | pin
		case FreeSync:
			nv = f.blkPin.put(f.blk.put(nv, uint64(PhaseNext)), uint64(rd))
		case FreeReserve, FreeLockless:
			nh -= x.hRes.one()
			nv = (nv + newPage) | pin
		case FreeStuck:
			nh |= x.hStuck.one()
		}
		x.one(s, nh, c, nv, Action{Kind: KindFree, CPU: uint8(c), Free: fc}.Code())
	}
}

// monitor returns packed CPU v after monitor: its channel handed over to
// slot 1 if full is set (slot 0 is taken), else to slot 0.
func (x *fastExpander) monitor(v uint64, full, gp bool) uint64 {
	f := &x.f
	sf := &f.slot[0]
	if full {
		sf = &f.slot[1]
	}
	ph := PhaseNext
	if gp && x.join() == JoinRunning {
		ph = PhaseCur
	}
	nv := v &^ (sf.all | f.pages.bits() | f.objs.bits() | f.heads.bits() | f.pin.bits())
	return nv | sf.phase.put(0, uint64(ph)) | sf.pages.put(0, f.pages.get(v)) | sf.objs.put(0, f.objs.get(v)) |
		sf.heads.put(0, f.heads.get(v)) | sf.pin.put(0, f.pin.get(v))
}

// start returns x.out holding s with header h. It copies word by word:
// copy's vector stores would stall the loads of the words that follow.
func (x *fastExpander) start(s []uint64, h uint64) []uint64 {
	out := x.out
	out[0] = s[0]&^x.hMask | h
	for i := 1; i < len(out); i++ {
		out[i] = s[i]
	}
	return out
}

// one emits the successor of header h whose CPU c has packed word v, the
// other CPUs being unchanged.
func (x *fastExpander) one(s []uint64, h uint64, c int, v uint64, code uint32) {
	out := x.start(s, h)
	setBits(out, x.hb+uint(c)*x.cb, x.cb, v)
	x.emit(checker.Action(code), out)
}

// all emits the successor of header h whose CPUs have packed words x.nw.
func (x *fastExpander) all(s []uint64, h uint64, code uint32) {
	out := x.start(s, h)
	for c, v := range x.nw {
		if v != x.w[c] {
			setBits(out, x.hb+uint(c)*x.cb, x.cb, v)
		}
	}
	x.emit(checker.Action(code), out)
}

// The design's hooks. For a Policies design they are answered here: these
// must agree with Policies' methods (design.go).

// admit is Design.Admit for CPU c, whose packed word is v.
func (x *fastExpander) admit(c int, v uint64) bool {
	if x.pol != nil {
		return !x.pol.LimitInflight || x.f.inflight(v) < uint64(x.p.Limit)
	}
	return x.m.design.Admit(View{x.cur, x.p}, c)
}

// miss returns the branches of free(c) after a cache miss (missBranches).
func (x *fastExpander) miss(c int, reserveLeft bool) branches {
	if x.pol != nil {
		if reserveLeft {
			return x.missLeft
		}
		return x.missNone
	}
	return missBranches(x.m.design.Miss(View{x.cur, x.p}, c), reserveLeft)
}

// handOver is Design.HandOver for CPU c.
func (x *fastExpander) handOver(c int) bool {
	if x.pol != nil {
		return true
	}
	return x.m.design.HandOver(View{x.cur, x.p}, c)
}

// join is Design.Join.
func (x *fastExpander) join() JoinPolicy {
	if x.pol != nil {
		return x.pol.JoinPolicy
	}
	return x.m.design.Join()
}

// reclaim is Design.Reclaim.
func (x *fastExpander) reclaim() ReclaimPolicy {
	if x.pol != nil {
		return x.pol.ReclaimPolicy
	}
	return x.m.design.Reclaim()
}

// refill is Design.Refill.
func (x *fastExpander) refill() RefillPolicy {
	if x.pol != nil {
		return x.pol.RefillPolicy
	}
	return x.m.design.Refill()
}

// Evaluate implements checker.Expander.
func (x *fastExpander) Evaluate(s []uint64, inv, goal []bool, metric []int64) {
	evaluate(x.m, x.eval, s, inv, goal, metric)
}
