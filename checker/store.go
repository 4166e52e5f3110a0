package checker

import "math/bits"

// store keeps every distinct state once, numbered in the order found. The
// states themselves sit back to back in one arena (which is also the
// breadth-first queue); an open-addressing table of 64-bit slots maps a state
// to its number. A slot holds the upper 32 bits of the state's hash and the
// state's number plus one (0 marks an empty slot), so that most probes are
// decided without touching the arena.
type store struct {
	words int
	arena []uint64
	table []uint64
	mask  uint64
	n     uint64
}

func newStore(words int) *store {
	s := &store{words: words}
	s.table = make([]uint64, 1<<16)
	s.mask = uint64(len(s.table) - 1)
	return s
}

// hashState mixes the words of a state into 64 bits.
func hashState(w []uint64) uint64 {
	h := uint64(0x9E3779B97F4A7C15) ^ uint64(len(w))
	for _, x := range w {
		hi, lo := bits.Mul64(h^x, 0xA0761D6478BD642F)
		h = hi ^ lo
	}
	hi, lo := bits.Mul64(h, 0xE7037ED1A0B428DB)
	return hi ^ lo
}

func (s *store) state(i uint64) []uint64 {
	return s.arena[i*uint64(s.words) : (i+1)*uint64(s.words)]
}

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// insert returns the number of w, adding it when it is new.
func (s *store) insert(w []uint64) (idx uint64, added bool) {
	h := hashState(w)
	tag := h >> 32 << 32
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		e := s.table[i]
		if e == 0 {
			idx = s.n
			s.table[i] = tag | (idx + 1)
			s.arena = append(s.arena, w...)
			s.n++
			if s.n*10 > uint64(len(s.table))*7 {
				s.grow()
			}
			return idx, true
		}
		if e>>32<<32 == tag {
			j := e&0xFFFFFFFF - 1
			if equalWords(s.state(j), w) {
				return j, false
			}
		}
	}
}

// lookup returns the number of w, or false when w is not stored.
func (s *store) lookup(w []uint64) (uint64, bool) {
	h := hashState(w)
	tag := h >> 32 << 32
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		e := s.table[i]
		if e == 0 {
			return 0, false
		}
		if e>>32<<32 == tag {
			j := e&0xFFFFFFFF - 1
			if equalWords(s.state(j), w) {
				return j, true
			}
		}
	}
}

func (s *store) grow() {
	old := s.table
	s.table = make([]uint64, 2*len(old))
	s.mask = uint64(len(s.table) - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		h := hashState(s.state(e&0xFFFFFFFF - 1))
		i := h & s.mask
		for s.table[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.table[i] = e
	}
}

// bytes is the memory the store holds.
func (s *store) bytes() uint64 {
	return uint64(cap(s.arena))*8 + uint64(len(s.table))*8
}
