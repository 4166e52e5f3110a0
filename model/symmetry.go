package model

import (
	"cmp"

	"github.com/rcucheck/rcucheck/checker"
)

// The spec's CPUs are interchangeable: no rule names a particular CPU, so
// renaming the CPUs of a state by a permutation p (moving the variables of
// CPU c to p(c) and renaming every CPU set: qs, pin, blkpin and bpin) gives a
// state with the same metrics and properties, whose successors are the
// renamed successors. Symmetry reduction stores one state per orbit.

// maxCanonPerms bounds the permutations Canonicalize tries on one state.
// Beyond it (states with many identical-looking CPUs at large N) it keeps the
// first candidate: still a state of the orbit, so the search stays sound,
// but symmetric states may then be stored more than once, and the orbit
// size is reported unknown.
const maxCanonPerms = 40320

// cpuKey is what a permutation cannot change about a CPU: its counters and
// phases, and for each of its CPU sets the size and whether the CPU itself
// is in it, and whether it is in qs.
type cpuKey [20]int32

// Canonicalizer finds the representative of a state's orbit under CPU
// permutations. It is not safe for concurrent use; make one per goroutine.
type Canonicalizer struct {
	m     *Model
	s, t  *State
	keys  []cpuKey
	order []int // CPUs sorted by key
	block []int // block[pos]: first sorted position with the key of order[pos]
	perm  []int // perm[c]: new position of CPU c
	used  []bool
	buf   []uint64
	best  []uint64
	haveB bool
	ties  uint64
	fact  []uint64 // fact[i] = i!, 0 once it overflows
}

var _ checker.Canonicalizer = (*Canonicalizer)(nil)

// NewCanonicalizer returns a Canonicalizer for states of m.
func (m *Model) NewCanonicalizer() *Canonicalizer {
	n := m.params.CPUs
	c := &Canonicalizer{
		m:     m,
		s:     &State{CPUs: make([]CPU, n)},
		t:     &State{CPUs: make([]CPU, n)},
		keys:  make([]cpuKey, n),
		order: make([]int, n),
		block: make([]int, n),
		perm:  make([]int, n),
		used:  make([]bool, n),
		buf:   make([]uint64, m.layout.words),
		best:  make([]uint64, m.layout.words),
		fact:  make([]uint64, n+1),
	}
	c.fact[0] = 1
	for i := 1; i <= n; i++ {
		if f := c.fact[i-1] * uint64(i); c.fact[i-1] != 0 && f/uint64(i) == c.fact[i-1] {
			c.fact[i] = f
		}
	}
	return c
}

func setKey(s CPUSet, c int) (int32, int32) {
	in := int32(0)
	if s.Has(c) {
		in = 1
	}
	return int32(s.Len()), in
}

func (k *cpuKey) fill(s *State, c int) {
	u := &s.CPUs[c]
	k[0], k[1], k[2], k[3], k[4], k[5] = u.Calls, int32(b2u(u.Rd)), u.Pages, u.Objs, u.Heads, u.Cache
	k[6] = int32(u.Blk)
	k[7], k[8] = setKey(u.Pin, c)
	k[9], k[10] = setKey(u.BlkPin, c)
	_, k[11] = setKey(s.QS, c)
	for j := range u.Slot {
		sl := &u.Slot[j]
		o := 12 + 4*j
		// Phase and pages share a field: both are small.
		k[o], k[o+1], k[o+2] = int32(sl.Phase)<<24|sl.Pages, sl.Objs, sl.Heads
		k[o+3] = int32(sl.Pin.Len())<<1 | int32(b2u(sl.Pin.Has(c)))
	}
}

func compareKeys(a, b *cpuKey) int {
	for i := range a {
		if r := cmp.Compare(a[i], b[i]); r != 0 {
			return r
		}
	}
	return 0
}

func compareWords(a, b []uint64) int {
	for i := range a {
		if r := cmp.Compare(a[i], b[i]); r != 0 {
			return r
		}
	}
	return 0
}

func (c *Canonicalizer) mapSet(s CPUSet) CPUSet {
	var t CPUSet
	for s != 0 {
		i := 0
		for s&(1<<uint(i)) == 0 {
			i++
		}
		s &^= 1 << uint(i)
		t |= 1 << uint(c.perm[i])
	}
	return t
}

// apply renames the CPUs of c.s by c.perm into c.t.
func (c *Canonicalizer) apply() {
	s, t := c.s, c.t
	t.GPRunning, t.Reserve, t.Stuck = s.GPRunning, s.Reserve, s.Stuck
	t.QS = c.mapSet(s.QS)
	for i := range s.CPUs {
		u := s.CPUs[i]
		u.Pin = c.mapSet(u.Pin)
		u.BlkPin = c.mapSet(u.BlkPin)
		u.Slot[0].Pin = c.mapSet(u.Slot[0].Pin)
		u.Slot[1].Pin = c.mapSet(u.Slot[1].Pin)
		t.CPUs[c.perm[i]] = u
	}
}

// Canonicalize implements checker.Canonicalizer: it replaces the packed
// state w by the least packed state (word by word) among its images under
// the permutations that sort the CPUs by what no permutation changes, and
// returns the orbit's size, N! divided by the number of permutations that
// fix the state (0 when unknown).
func (c *Canonicalizer) Canonicalize(w []uint64) uint64 {
	n := len(c.s.CPUs)
	c.m.layout.unpack(w, c.s)
	for i := 0; i < n; i++ {
		c.keys[i].fill(c.s, i)
		c.order[i] = i
	}
	// Insertion sort: N is small, and it is stable.
	for i := 1; i < n; i++ {
		for j := i; j > 0 && compareKeys(&c.keys[c.order[j]], &c.keys[c.order[j-1]]) < 0; j-- {
			c.order[j], c.order[j-1] = c.order[j-1], c.order[j]
		}
	}
	total := uint64(1)
	run := 1
	for pos := 0; pos < n; pos++ {
		if pos > 0 && compareKeys(&c.keys[c.order[pos]], &c.keys[c.order[pos-1]]) == 0 {
			c.block[pos] = c.block[pos-1]
			run++
		} else {
			c.block[pos] = pos
			run = 1
		}
		total *= uint64(run)
		if total > maxCanonPerms {
			total = maxCanonPerms + 1
		}
	}
	c.haveB, c.ties = false, 0
	if total > maxCanonPerms {
		// Too many candidates: take the sorted order as it is.
		for pos, cpu := range c.order {
			c.perm[cpu] = pos
		}
		c.try()
		copy(w, c.best)
		return 0
	}
	clear(c.used)
	c.search(0)
	copy(w, c.best)
	if c.fact[n] == 0 {
		return 0
	}
	return c.fact[n] / c.ties
}

// search gives sorted position pos, and the ones after it, every CPU of the
// block of pos in turn.
func (c *Canonicalizer) search(pos int) {
	if pos == len(c.order) {
		c.try()
		return
	}
	b := c.block[pos]
	for q := b; q < len(c.order) && c.block[q] == b; q++ {
		cpu := c.order[q]
		if c.used[cpu] {
			continue
		}
		c.used[cpu] = true
		c.perm[cpu] = pos
		c.search(pos + 1)
		c.used[cpu] = false
	}
}

// try packs the image of the state under c.perm and keeps the least.
func (c *Canonicalizer) try() {
	c.apply()
	c.m.layout.pack(c.t, c.buf)
	switch r := compareWords(c.buf, c.best); {
	case !c.haveB || r < 0:
		copy(c.best, c.buf)
		c.haveB, c.ties = true, 1
	case r == 0:
		c.ties++
	}
}
