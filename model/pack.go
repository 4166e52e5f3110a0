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
}

func newLayout(p Params) layout {
	l := layout{n: p.CPUs}
	l.wCalls = uint(bits.Len(uint(p.Calls)))
	l.wPages = uint(bits.Len(uint((p.Calls + p.Bulk - 1) / p.Bulk)))
	l.wCache = uint(bits.Len(uint(p.Cache)))
	l.wRes = uint(bits.Len(uint(p.Reserve)))
	l.wSet = uint(p.CPUs)
	l.total = 1 + l.wSet + l.wRes + 1 + uint(p.CPUs)*l.cpuBits()
	l.words = int((l.total + 63) / 64)
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

// packCPU composes the fields of one CPU in a register, lowest field first;
// it needs cpuBits() <= 64.
func (l *layout) packCPU(u *CPU) uint64 {
	v := uint64(u.Calls)
	off := l.wCalls
	put := func(x uint64, n uint) {
		v |= x << off
		off += n
	}
	put(b2u(u.Rd), 1)
	put(uint64(u.Pages), l.wPages)
	put(uint64(u.Objs), l.wCalls)
	put(uint64(u.Heads), l.wCalls)
	put(uint64(u.Cache), l.wCache)
	put(uint64(u.Blk), 2)
	put(uint64(u.Pin), l.wSet)
	put(uint64(u.BlkPin), l.wSet)
	for j := range u.Slot {
		sl := &u.Slot[j]
		put(uint64(sl.Phase), 2)
		put(uint64(sl.Pages), l.wPages)
		put(uint64(sl.Objs), l.wCalls)
		put(uint64(sl.Heads), l.wCalls)
		put(uint64(sl.Pin), l.wSet)
	}
	return v
}

// unpackCPU is the inverse of packCPU.
func (l *layout) unpackCPU(v uint64, u *CPU) {
	get := func(n uint) uint64 {
		x := v & (1<<n - 1)
		v >>= n
		return x
	}
	u.Calls = int32(get(l.wCalls))
	u.Rd = get(1) == 1
	u.Pages = int32(get(l.wPages))
	u.Objs = int32(get(l.wCalls))
	u.Heads = int32(get(l.wCalls))
	u.Cache = int32(get(l.wCache))
	u.Blk = Phase(get(2))
	u.Pin = CPUSet(get(l.wSet))
	u.BlkPin = CPUSet(get(l.wSet))
	for j := range u.Slot {
		sl := &u.Slot[j]
		sl.Phase = Phase(get(2))
		sl.Pages = int32(get(l.wPages))
		sl.Objs = int32(get(l.wCalls))
		sl.Heads = int32(get(l.wCalls))
		sl.Pin = CPUSet(get(l.wSet))
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
