package model

import (
	"fmt"
	"math/bits"
	"unsafe"
)

// This file holds the one description of a packed state: the list of the
// spec's variables (the header's and one CPU's, the two slots' included),
// each with the domain that sets its width and the typed field it lives in.
// pack, unpack, the per-CPU register form, the header and the fast
// expander's fields all derive from it, and so do the effects of rules.go,
// which name variables as listed here.

// domain is the range of a variable's values, which sets its width in bits.
type domain uint8

// The domains.
const (
	domFlag    domain = iota // a bool: 1 bit
	domPhase                 // a Phase: 2 bits
	domSet                   // a CPUSet: N bits
	domCount                 // calls, objs, heads, bobjs, bheads: 0..K
	domPages                 // pages, bpages: 0..ceil(K/B)
	domCache                 // cache: 0..C
	domReserve               // reserve: 0..R
)

// width returns the bits a variable of domain d takes at parameters p.
func (d domain) width(p Params) uint {
	switch d {
	case domFlag:
		return 1
	case domPhase:
		return 2
	case domSet:
		return uint(p.CPUs)
	case domCount:
		return uint(bits.Len(uint(p.Calls)))
	case domPages:
		return uint(bits.Len(uint((p.Calls + p.Bulk - 1) / p.Bulk)))
	case domCache:
		return uint(bits.Len(uint(p.Cache)))
	case domReserve:
		return uint(bits.Len(uint(p.Reserve)))
	}
	panic(fmt.Sprintf("model: unknown domain %d", d))
}

// scalar is the Go type of a variable's field.
type scalar interface {
	~bool | ~uint8 | ~int32 | ~uint64
}

// ref locates a variable's field in its struct (State or CPU): the field's
// byte offset and size. It is how the descriptor reaches the typed fields
// without one accessor function per field (see BenchmarkPackUnpack).
type ref struct {
	at   uintptr
	size uintptr
}

// refTo returns the ref of field f of *base; f must point into *base.
func refTo[S any, T scalar](base *S, f *T) ref {
	return ref{uintptr(unsafe.Pointer(f)) - uintptr(unsafe.Pointer(base)), unsafe.Sizeof(*f)}
}

// load returns the field's value in the struct at p. Every value of the
// model is non-negative, so the int32 fields are read as unsigned.
func (r ref) load(p unsafe.Pointer) uint64 {
	q := unsafe.Add(p, r.at)
	switch r.size {
	case 1:
		return uint64(*(*uint8)(q))
	case 4:
		return uint64(*(*uint32)(q))
	}
	return *(*uint64)(q)
}

// store sets the field of the struct at p to x (a bool to x != 0: x is 0
// or 1 for a flag).
func (r ref) store(p unsafe.Pointer, x uint64) {
	q := unsafe.Add(p, r.at)
	switch r.size {
	case 1:
		*(*uint8)(q) = uint8(x)
	case 4:
		*(*uint32)(q) = uint32(x)
	default:
		*(*uint64)(q) = x
	}
}

// variable is one variable of the specification: its name (the spec's),
// its slot (0 or 1 for a batch slot's variable, -1 otherwise), its domain,
// its typed field and, once placed by newLayout, its offset and width.
type variable struct {
	name string
	slot int
	dom  domain
	ref  ref
	// from names the channel variable a slot's variable takes when the
	// monitor hands the channel over (bpages takes pages), "" if none.
	from  string
	off   uint
	width uint
}

// headerVars is the descriptor of the global variables, in packing order.
func headerVars() []variable {
	var s State
	return []variable{
		{name: "gp", slot: -1, dom: domFlag, ref: refTo(&s, &s.GPRunning)},
		{name: "qs", slot: -1, dom: domSet, ref: refTo(&s, &s.QS)},
		{name: "reserve", slot: -1, dom: domReserve, ref: refTo(&s, &s.Reserve)},
		{name: "stuck", slot: -1, dom: domFlag, ref: refTo(&s, &s.Stuck)},
	}
}

// cpuVars is the descriptor of one CPU's variables, in packing order: the
// CPU's own, then each slot's. Adding a per-CPU variable is one line here
// (and the field in CPU or Slot).
func cpuVars() []variable {
	var u CPU
	vs := []variable{
		{name: "calls", slot: -1, dom: domCount, ref: refTo(&u, &u.Calls)},
		{name: "rd", slot: -1, dom: domFlag, ref: refTo(&u, &u.Rd)},
		{name: "pages", slot: -1, dom: domPages, ref: refTo(&u, &u.Pages)},
		{name: "objs", slot: -1, dom: domCount, ref: refTo(&u, &u.Objs)},
		{name: "heads", slot: -1, dom: domCount, ref: refTo(&u, &u.Heads)},
		{name: "cache", slot: -1, dom: domCache, ref: refTo(&u, &u.Cache)},
		{name: "blk", slot: -1, dom: domPhase, ref: refTo(&u, &u.Blk)},
		{name: "pin", slot: -1, dom: domSet, ref: refTo(&u, &u.Pin)},
		{name: "blkpin", slot: -1, dom: domSet, ref: refTo(&u, &u.BlkPin)},
	}
	for j := range u.Slot {
		sl := &u.Slot[j]
		vs = append(vs,
			variable{name: "phase", slot: j, dom: domPhase, ref: refTo(&u, &sl.Phase)},
			variable{name: "bpages", slot: j, dom: domPages, ref: refTo(&u, &sl.Pages), from: "pages"},
			variable{name: "bobjs", slot: j, dom: domCount, ref: refTo(&u, &sl.Objs), from: "objs"},
			variable{name: "bheads", slot: j, dom: domCount, ref: refTo(&u, &sl.Heads), from: "heads"},
			variable{name: "bpin", slot: j, dom: domSet, ref: refTo(&u, &sl.Pin), from: "pin"},
		)
	}
	return vs
}

// layout is the placement of the variables in a packed state: the header
// (the global variables) from bit 0, then each CPU's variables in cb bits.
// It is built once per parameter set by newLayout.
type layout struct {
	n      int
	header []variable // offsets from bit 0 of the state
	cpu    []variable // offsets from the first bit of a CPU's bits
	hb, cb uint       // bits of the header and of one CPU
	total  uint       // bits per state
	words  int        // 64-bit words per state
	// co and ho are cpu's and header's variables in their register forms,
	// for the generated packCPU, packHeader and their inverses.
	co [numCPUVars]field
	ho [numHeaderVars]field
	// gen is set when the generated register forms are of these
	// variables (a stale zz_generated.go falls back to the loops on refs).
	gen bool
	// byDom[d] are the typed fields of cpu's variables of domain d.
	byDom [domReserve + 1][]ref
	// hsets are the typed fields of header's sets; slotRefs[j] those of
	// slot j's variables.
	hsets    []ref
	slotRefs [2][]ref
	// slots[j] are slot j's phase and the moves of a hand-over to it.
	slots [2]slotVars
}

// slotVars are the typed fields of a slot: its phase, and the pairs (slot
// variable, channel variable it takes at a hand-over).
type slotVars struct {
	phase ref
	moves [][2]ref
}

// newLayout places the descriptor's variables at parameters p.
func newLayout(p Params) layout {
	l := layout{n: p.CPUs, header: headerVars(), cpu: cpuVars()}
	l.hb = place(l.header, p)
	l.cb = place(l.cpu, p)
	l.total = l.hb + uint(p.CPUs)*l.cb
	l.words = int((l.total + 63) / 64)
	l.gen = matches(l.cpu, generatedCPUVars[:]) && matches(l.header, generatedHeaderVars[:])
	for i, v := range l.header {
		if l.gen {
			l.ho[i] = fieldOf(&l.header[i])
		}
		if v.dom == domSet {
			l.hsets = append(l.hsets, v.ref)
		}
	}
	for i, v := range l.cpu {
		if l.gen {
			l.co[i] = fieldOf(&v)
		}
		l.byDom[v.dom] = append(l.byDom[v.dom], v.ref)
		if v.slot >= 0 {
			l.slotRefs[v.slot] = append(l.slotRefs[v.slot], v.ref)
		}
		switch {
		case v.slot < 0:
		case v.dom == domPhase:
			l.slots[v.slot].phase = v.ref
		case v.from != "":
			sv := &l.slots[v.slot]
			sv.moves = append(sv.moves, [2]ref{v.ref, l.cpu[lookup(l.cpu, v.from, -1)].ref})
		}
	}
	return l
}

// matches reports whether vs are the variables the generated register
// forms were generated for, names the names and slots they list.
func matches(vs []variable, names []string) bool {
	if len(vs) != len(names) {
		return false
	}
	for i, v := range vs {
		if names[i] != fmt.Sprintf("%s/%d", v.name, v.slot) {
			return false
		}
	}
	return true
}

// place gives vs their widths and consecutive offsets, and returns the bits
// they take.
func place(vs []variable, p Params) uint {
	off := uint(0)
	for i := range vs {
		vs[i].off, vs[i].width = off, vs[i].dom.width(p)
		off += vs[i].width
	}
	return off
}

// cpuBits is the width of one CPU's variables.
func (l *layout) cpuBits() uint { return l.cb }

// lookup returns the index in vs of the variable called name in slot
// (-1 for none).
func lookup(vs []variable, name string, slot int) int {
	for i, v := range vs {
		if v.name == name && v.slot == slot {
			return i
		}
	}
	panic(fmt.Sprintf("model: no variable %s in slot %d", name, slot))
}

// pack writes s into dst, which must have l.words words.
func (l *layout) pack(s *State, dst []uint64) {
	clear(dst)
	if l.hb <= 63 && l.gen {
		dst[0] = l.packHeader(s)
	} else {
		for _, v := range l.header {
			setBits(dst, v.off, v.width, v.ref.load(unsafe.Pointer(s)))
		}
	}
	for c := range s.CPUs {
		base := l.hb + uint(c)*l.cb
		if l.cb <= 63 && l.gen {
			orBits(dst, base, l.packCPU(&s.CPUs[c]))
			continue
		}
		for _, v := range l.cpu {
			setBits(dst, base+v.off, v.width, v.ref.load(unsafe.Pointer(&s.CPUs[c])))
		}
	}
}

// unpack reads src into s, whose CPUs slice must have length l.n.
func (l *layout) unpack(src []uint64, s *State) {
	if l.hb <= 63 && l.gen {
		l.unpackHeader(src[0], s)
	} else {
		for _, v := range l.header {
			v.ref.store(unsafe.Pointer(s), getBits(src, v.off, v.width))
		}
	}
	for c := range s.CPUs {
		base := l.hb + uint(c)*l.cb
		if l.cb <= 63 && l.gen {
			l.unpackCPU(getBits(src, base, l.cb), &s.CPUs[c])
			continue
		}
		for _, v := range l.cpu {
			v.ref.store(unsafe.Pointer(&s.CPUs[c]), getBits(src, base+v.off, v.width))
		}
	}
}

// lowBits returns a mask of the n low bits, 0 <= n <= 64.
func lowBits(n uint) uint64 { return 1<<(n&63) - 1 | -uint64(n>>6) }

// getBits returns the n bits (0 <= n <= 64) of src at bit pos.
func getBits(src []uint64, pos, n uint) uint64 {
	if n == 0 {
		return 0
	}
	return bitsAt(src, pos, n, lowBits(n))
}

// bitsAt is getBits for 0 < n <= 64 bits whose mask, lowBits(n), is known.
func bitsAt(src []uint64, pos, n uint, mask uint64) uint64 {
	i, off := pos>>6, pos&63
	v := src[i] >> off
	if off+n > 64 {
		v |= src[i+1] << (64 - off)
	}
	return v & mask
}

// cpuPlace is where the CPUs' bits lie in a packed state: after the
// header's hb bits, cb bits (at most 64) each.
type cpuPlace struct {
	hb, cb  uint
	cpuMask uint64 // lowBits(cb)
}

func newCPUPlace(l *layout) cpuPlace { return cpuPlace{l.hb, l.cb, lowBits(l.cb)} }

// word returns the bits of CPU c of packed state s.
func (p *cpuPlace) word(s []uint64, c int) uint64 {
	return bitsAt(s, p.hb+uint(c)*p.cb, p.cb, p.cpuMask)
}

// setBits overwrites the n bits (0 <= n <= 64) of dst at bit pos with v,
// which must fit in them; pos must be inside dst.
func setBits(dst []uint64, pos, n uint, v uint64) {
	i, off := pos>>6, pos&63
	mask := lowBits(n)
	dst[i] = dst[i]&^(mask<<off) | v<<off
	if off+n > 64 {
		dst[i+1] = dst[i+1]&^(mask>>(64-off)) | v>>(64-off)
	}
}

// setReg is setBits for a register form (0 < n < 64).
func setReg(dst []uint64, pos, n uint, v uint64) {
	i, off := pos>>6, pos&63
	mask := uint64(1)<<(n&63) - 1
	dst[i] = dst[i]&^(mask<<off) | v<<off
	if off+n > 64 {
		dst[i+1] = dst[i+1]&^(mask>>(64-off)) | v>>(64-off)
	}
}

// orBits ors v into the bits of dst from bit pos on, which must be 0 and
// inside dst.
func orBits(dst []uint64, pos uint, v uint64) {
	i, off := pos>>6, pos&63
	dst[i] |= v << off
	if off != 0 && i+1 < uint(len(dst)) {
		dst[i+1] |= v >> (64 - off)
	}
}

// field is a variable of a packed register (a CPU's bits or the header in
// word 0): its offset and the mask of its width. The fast expander works
// with these.
type field struct {
	o uint
	m uint64
}

// fieldOf returns v's field in its register.
func fieldOf(v *variable) field { return field{v.off & 63, lowBits(v.width)} }

// get returns the field's value in v.
func (f field) get(v uint64) uint64 { return v >> (f.o & 63) & f.m }

// bits returns the field's bits in place.
func (f field) bits() uint64 { return f.m << (f.o & 63) }

// one returns 1 in the field: adding it to a word adds 1 to the field.
func (f field) one() uint64 { return 1 << (f.o & 63) }

// b2u returns 1 for true and 0 for false.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
