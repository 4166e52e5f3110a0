package model

import "math/bits"

// layout gives the width in bits of every field of a packed state. Widths
// come from the parameters: a count bounded by K takes bits.Len(K) bits, a
// CPU set N bits, a phase 2 bits.
type layout struct {
	n      int
	wCalls uint // calls, objs, heads, bobjs, bheads: 0..K
	wPages uint // pages, bpages: 0..ceil(K/B)
	wCache uint // cache: 0..C
	wRes   uint // reserve: 0..R
	wSet   uint // a CPU set: N bits
	total  uint // bits per state
	words  int  // 64-bit words per state
	// The offsets of the fields within one CPU's bits (packCPU's order).
	oRd, oPages, oObjs, oHeads, oCache, oBlk, oPin, oBlkPin uint
	oSlot                                                   [2]slotOffsets
}

// slotOffsets are the offsets of a slot's fields within its CPU's bits.
type slotOffsets struct{ phase, pages, objs, heads, pin uint }

func newLayout(p Params) layout {
	l := layout{n: p.CPUs}
	l.wCalls = uint(bits.Len(uint(p.Calls)))
	l.wPages = uint(bits.Len(uint((p.Calls + p.Bulk - 1) / p.Bulk)))
	l.wCache = uint(bits.Len(uint(p.Cache)))
	l.wRes = uint(bits.Len(uint(p.Reserve)))
	l.wSet = uint(p.CPUs)
	l.total = 1 + l.wSet + l.wRes + 1 + uint(p.CPUs)*l.cpuBits()
	l.words = int((l.total + 63) / 64)
	off := l.wCalls
	next := func(n uint) uint {
		o := off
		off += n
		return o
	}
	l.oRd, l.oPages, l.oObjs, l.oHeads = next(1), next(l.wPages), next(l.wCalls), next(l.wCalls)
	l.oCache, l.oBlk, l.oPin, l.oBlkPin = next(l.wCache), next(2), next(l.wSet), next(l.wSet)
	for j := range l.oSlot {
		o := &l.oSlot[j]
		o.phase, o.pages, o.objs, o.heads, o.pin = next(2), next(l.wPages), next(l.wCalls), next(l.wCalls), next(l.wSet)
	}
	return l
}

type bitWriter struct {
	w   []uint64
	pos uint
}

func (b *bitWriter) put(v uint64, n uint) {
	if n == 0 {
		return
	}
	i, off := b.pos>>6, b.pos&63
	b.w[i] |= v << off
	if off+n > 64 {
		b.w[i+1] |= v >> (64 - off)
	}
	b.pos += n
}

type bitReader struct {
	w   []uint64
	pos uint
}

func (b *bitReader) get(n uint) uint64 {
	if n == 0 {
		return 0
	}
	i, off := b.pos>>6, b.pos&63
	v := b.w[i] >> off
	if off+n > 64 {
		v |= b.w[i+1] << (64 - off)
	}
	b.pos += n
	if n < 64 {
		v &= 1<<n - 1
	}
	return v
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// cpuBits is the width of one CPU's fields.
func (l *layout) cpuBits() uint {
	slot := 2 + l.wPages + 2*l.wCalls + l.wSet
	return l.wCalls + 1 + l.wPages + 2*l.wCalls + l.wCache + 2 + 2*l.wSet + 2*slot
}

// packCPU composes the fields of one CPU in a register, lowest field first
// (Calls, Rd, Pages, Objs, Heads, Cache, Blk, Pin, BlkPin, then each slot's
// Phase, Pages, Objs, Heads, Pin); it needs cpuBits() <= 63. The offsets are
// the layout's, so that the fields are placed independently of each other
// (masking them with 63 lets the compiler drop its oversized-shift checks).
func (l *layout) packCPU(u *CPU) uint64 {
	s0, s1 := &u.Slot[0], &u.Slot[1]
	o0, o1 := &l.oSlot[0], &l.oSlot[1]
	return uint64(u.Calls) | b2u(u.Rd)<<(l.oRd&63) | uint64(u.Pages)<<(l.oPages&63) |
		uint64(u.Objs)<<(l.oObjs&63) | uint64(u.Heads)<<(l.oHeads&63) | uint64(u.Cache)<<(l.oCache&63) |
		uint64(u.Blk)<<(l.oBlk&63) | uint64(u.Pin)<<(l.oPin&63) | uint64(u.BlkPin)<<(l.oBlkPin&63) |
		uint64(s0.Phase)<<(o0.phase&63) | uint64(s0.Pages)<<(o0.pages&63) | uint64(s0.Objs)<<(o0.objs&63) |
		uint64(s0.Heads)<<(o0.heads&63) | uint64(s0.Pin)<<(o0.pin&63) |
		uint64(s1.Phase)<<(o1.phase&63) | uint64(s1.Pages)<<(o1.pages&63) | uint64(s1.Objs)<<(o1.objs&63) |
		uint64(s1.Heads)<<(o1.heads&63) | uint64(s1.Pin)<<(o1.pin&63)
}

// unpackCPU is the inverse of packCPU.
func (l *layout) unpackCPU(v uint64, u *CPU) {
	field := func(o, n uint) uint64 { return v >> (o & 63) & (1<<(n&63) - 1) }
	u.Calls = int32(field(0, l.wCalls))
	u.Rd = field(l.oRd, 1) == 1
	u.Pages = int32(field(l.oPages, l.wPages))
	u.Objs = int32(field(l.oObjs, l.wCalls))
	u.Heads = int32(field(l.oHeads, l.wCalls))
	u.Cache = int32(field(l.oCache, l.wCache))
	u.Blk = Phase(field(l.oBlk, 2))
	u.Pin = CPUSet(field(l.oPin, l.wSet))
	u.BlkPin = CPUSet(field(l.oBlkPin, l.wSet))
	for j := range u.Slot {
		sl, o := &u.Slot[j], &l.oSlot[j]
		sl.Phase = Phase(field(o.phase, 2))
		sl.Pages = int32(field(o.pages, l.wPages))
		sl.Objs = int32(field(o.objs, l.wCalls))
		sl.Heads = int32(field(o.heads, l.wCalls))
		sl.Pin = CPUSet(field(o.pin, l.wSet))
	}
}

// pack writes s into dst, which must have l.words words.
func (l *layout) pack(s *State, dst []uint64) {
	clear(dst)
	w := bitWriter{w: dst}
	w.put(b2u(s.GPRunning), 1)
	w.put(uint64(s.QS), l.wSet)
	w.put(uint64(s.Reserve), l.wRes)
	w.put(b2u(s.Stuck), 1)
	if cb := l.cpuBits(); cb <= 63 {
		for c := range s.CPUs {
			w.put(l.packCPU(&s.CPUs[c]), cb)
		}
		return
	}
	for c := range s.CPUs {
		u := &s.CPUs[c]
		w.put(uint64(u.Calls), l.wCalls)
		w.put(b2u(u.Rd), 1)
		w.put(uint64(u.Pages), l.wPages)
		w.put(uint64(u.Objs), l.wCalls)
		w.put(uint64(u.Heads), l.wCalls)
		w.put(uint64(u.Cache), l.wCache)
		w.put(uint64(u.Blk), 2)
		w.put(uint64(u.Pin), l.wSet)
		w.put(uint64(u.BlkPin), l.wSet)
		for j := range u.Slot {
			sl := &u.Slot[j]
			w.put(uint64(sl.Phase), 2)
			w.put(uint64(sl.Pages), l.wPages)
			w.put(uint64(sl.Objs), l.wCalls)
			w.put(uint64(sl.Heads), l.wCalls)
			w.put(uint64(sl.Pin), l.wSet)
		}
	}
}

// unpack reads src into s, whose CPUs slice must have length l.n.
func (l *layout) unpack(src []uint64, s *State) {
	r := bitReader{w: src}
	s.GPRunning = r.get(1) == 1
	s.QS = CPUSet(r.get(l.wSet))
	s.Reserve = int32(r.get(l.wRes))
	s.Stuck = r.get(1) == 1
	if cb := l.cpuBits(); cb <= 63 {
		for c := range s.CPUs {
			l.unpackCPU(r.get(cb), &s.CPUs[c])
		}
		return
	}
	for c := range s.CPUs {
		u := &s.CPUs[c]
		u.Calls = int32(r.get(l.wCalls))
		u.Rd = r.get(1) == 1
		u.Pages = int32(r.get(l.wPages))
		u.Objs = int32(r.get(l.wCalls))
		u.Heads = int32(r.get(l.wCalls))
		u.Cache = int32(r.get(l.wCache))
		u.Blk = Phase(r.get(2))
		u.Pin = CPUSet(r.get(l.wSet))
		u.BlkPin = CPUSet(r.get(l.wSet))
		for j := range u.Slot {
			sl := &u.Slot[j]
			sl.Phase = Phase(r.get(2))
			sl.Pages = int32(r.get(l.wPages))
			sl.Objs = int32(r.get(l.wCalls))
			sl.Heads = int32(r.get(l.wCalls))
			sl.Pin = CPUSet(r.get(l.wSet))
		}
	}
}
