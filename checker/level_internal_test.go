package checker

import (
	"math/rand"
	"testing"
)

// TestLevelRoundTrip: states written to a level, in no order, read back
// the same, for widths that end inside a word, on a word boundary and past
// one; blocks given back are reused by the next level.
func TestLevelRoundTrip(t *testing.T) {
	for _, c := range []struct{ words, bits int }{{1, 1}, {1, 63}, {1, 64}, {2, 65}, {2, 77}, {2, 121}, {2, 128}, {3, 130}, {3, 190}} {
		var pool blockPool
		rng := rand.New(rand.NewSource(int64(c.bits)))
		state := func(i uint64) []uint64 {
			w := make([]uint64, c.words)
			for j := range w {
				w[j] = hashState([]uint64{i, uint64(j)})
				if left := c.bits - 64*j; left < 64 {
					w[j] &= 1<<max(left, 0) - 1
				}
			}
			return w
		}
		cur := newLevel(&pool, c.words, c.bits)
		n := uint64(3*levelBlock/cur.size + uint64(rng.Intn(1000)))
		cur.resize(n)
		for _, i := range rng.Perm(int(n)) { // a put that wrote past its state shows
			cur.put(uint64(i), state(uint64(i)))
		}
		got := make([]uint64, c.words)
		for i := uint64(0); i < n; i++ {
			cur.get(i, got)
			if want := state(i); !equalWords(got, want) {
				t.Fatalf("bits %d: state %d read %x, wrote %x", c.bits, i, got, want)
			}
		}
		made := pool.n
		cur.releaseBelow(n)
		cur.reset()
		next := newLevel(&pool, c.words, c.bits)
		next.resize(n)
		if pool.n != made {
			t.Fatalf("bits %d: %d blocks made for the next level, want the %d given back reused", c.bits, pool.n-made, made)
		}
		next.reset()
		pool.release()
	}
}

// TestLevelRejectsBitsBeyond: a state with a bit set past the bytes that
// StateBits takes is a model error, not silently cut.
func TestLevelRejectsBitsBeyond(t *testing.T) {
	var pool blockPool
	defer pool.release()
	l := newLevel(&pool, 2, 70)
	l.resize(1)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a bit beyond StateBits")
		}
		l.reset()
	}()
	l.put(0, []uint64{0, 1 << 8}) // bit 72; 70 bits take 9 bytes
}
