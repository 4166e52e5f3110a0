package checker

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestExactStoreAgainstMap: the exact store, its keys cut to the bytes
// the states' bits need, finds what a map of the whole states finds, at
// widths that end inside a byte, on a byte and on a word, through growth
// and with the all-zero state.
func TestExactStoreAgainstMap(t *testing.T) {
	for _, bits := range []int{1, 5, 7, 8, 63, 64, 65, 68, 69, 74, 76, 128, 129, 200} {
		t.Run(fmt.Sprint(bits), func(t *testing.T) {
			words := (bits + 63) / 64
			rng := rand.New(rand.NewPCG(uint64(bits), 1))
			s := newStore(words, bits, false, true)
			defer s.free()
			want := map[string]uint32{}
			state := func() []uint64 {
				w := make([]uint64, words)
				for i := range w {
					w[i] = rng.Uint64() & rng.Uint64() // many zero bits
				}
				if r := bits % 64; r != 0 {
					w[words-1] &= 1<<r - 1
				}
				if rng.IntN(50) == 0 {
					clear(w)
				}
				return w
			}
			for i := range 20000 {
				w := state()
				k := fmt.Sprint(w)
				var buf [maxStackWords]uint64
				key, h := s.key(w, &buf)
				v, found := s.insert(key, h, uint32(i))
				old, ok := want[k]
				if ok != found || (ok && old != v) {
					t.Fatalf("insert %v: found %v value %d; map %v %d", w, found, v, ok, old)
				}
				if !ok {
					want[k] = uint32(i)
				}
				w = state()
				v, found = s.lookup(s.key(w, &buf))
				if old, ok := want[fmt.Sprint(w)]; ok != found || (ok && old != v) {
					t.Fatalf("lookup %v: found %v value %d; map %v %d", w, found, v, ok, old)
				}
			}
		})
	}
}
