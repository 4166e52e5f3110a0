package checker

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// unshift undoes y = x ^ x>>r on b bits, solving it from the top bits down.
func unshift(y uint64, r, b uint) uint64 {
	x := y
	for range b {
		x = y ^ x>>r
	}
	return x
}

// inverse is the inverse of the odd c modulo 2^64 (Newton's iteration).
func inverse(c uint64) uint64 {
	inv := c
	for range 6 {
		inv *= 2 - c*inv
	}
	return inv
}

// unscramble undoes scramble, step by step: an xor-shift by unshift, an
// odd multiplier by its inverse modulo 2^b.
func unscramble(x uint64, b uint) uint64 {
	m := ^uint64(0) >> (64 - b)
	r := max(b/2, 1)
	x = unshift(x, r, b)
	x = x * inverse(mixD) & m
	x = unshift(x, r, b)
	x = x * inverse(mixC) & m
	return unshift(x, r, b)
}

// unscramble64 undoes scramble64.
func unscramble64(x uint64) uint64 {
	x = unshift(x, 29, 64)
	x *= inverse(mixD)
	return unshift(x, 32, 64)
}

// unmix undoes keyer.mix: the words after the first lose the hash of the
// first, the first is unscrambled and loses the hash of the others.
func unmix(k *keyer, key []uint64) []uint64 {
	src := make([]uint64, k.words)
	if k.words == 1 {
		src[0] = unscramble(key[0], k.lastBits)
		return src
	}
	x0 := key[0]
	if k.words == 2 {
		src[1] = key[1] ^ x0*mixC>>(64-k.lastBits)
		src[0] = unscramble64(x0) ^ src[1]*mixA
		return src
	}
	for i := 1; i < k.words; i++ {
		b := uint(64)
		if i == k.words-1 {
			b = k.lastBits
		}
		src[i] = key[i] ^ ((x0^uint64(i)*mixB)*mixC)>>(64-b)
	}
	acc := uint64(0x9E3779B97F4A7C15)
	for _, x := range src[1:] {
		hi, lo := bits.Mul64(acc^x, mixA)
		acc = hi ^ lo
	}
	src[0] = unscramble64(x0) ^ acc
	return src
}

// TestKeysAreStates: a key stands for one state. mix is undone by its
// inverse on random states of many widths (so it is a bijection), its keys
// keep the bits past the state's at 0, a slot's key with the shard's bits
// put back gives the same hash and names the shard, and on widths small
// enough to enumerate no two states share a key.
func TestKeysAreStates(t *testing.T) {
	for _, nbits := range []int{1, 3, 4, 5, 12, 63, 64, 65, 67, 68, 69, 76, 128, 129, 200} {
		t.Run(fmt.Sprint(nbits), func(t *testing.T) {
			words := (nbits + 63) / 64
			k := newKeyer(words, nbits)
			rng := rand.New(rand.NewPCG(uint64(nbits), 2))
			for range 5000 {
				s := make([]uint64, words)
				for i := range s {
					s[i] = rng.Uint64() & rng.Uint64()
				}
				s[words-1] &= ^uint64(0) >> (64 - k.lastBits)
				checkKey(t, &k, s)
			}
		})
	}
	for _, nbits := range []int{1, 2, 5, 9, 13, 16} {
		k := newKeyer(1, nbits)
		seen := map[uint64]bool{}
		for x := range uint64(1) << nbits {
			key := make([]uint64, 1)
			k.mix(key, []uint64{x})
			if seen[key[0]] || key[0]>>nbits != 0 {
				t.Fatalf("%d bits: state %d gives key %d, seen before or too wide", nbits, x, key[0])
			}
			seen[key[0]] = true
		}
	}
}

// checkKey checks state s's key as TestKeysAreStates says.
func checkKey(t *testing.T, k *keyer, s []uint64) {
	t.Helper()
	key := make([]uint64, k.words)
	k.mix(key, s)
	if back := unmix(k, key); fmt.Sprint(back) != fmt.Sprint(s) {
		t.Fatalf("state %x: key %x undoes to %x", s, key, back)
	}
	if key[k.words-1]>>(k.lastBits-1)>>1 != 0 {
		t.Fatalf("state %x: key %x has bits past the state's %d of its last word", s, key, k.lastBits)
	}
	slot := make([]uint64, k.words)
	h := k.slotKey(slot, s)
	if h != k.keyHash(key) {
		t.Fatalf("state %x: hashes %x and %x differ", s, h, k.keyHash(key))
	}
	if got := k.restore(slot, shardOf(h)); got != h || fmt.Sprint(slot) != fmt.Sprint(key) {
		t.Fatalf("state %x: slot key restored to %x (hash %x), want %x (hash %x)", s, slot, got, key, h)
	}
}

// TestSlotKeysOneByOne: the keys and hashes of states packed one after the
// other, as slotKeys and store.keysInto give them (two-word states take a
// loop of their own), are those slotKey and keyInto give one state at a
// time, in both stores and at widths on both sides of that loop's.
func TestSlotKeysOneByOne(t *testing.T) {
	for _, nbits := range []int{3, 64, 65, 68, 69, 76, 128, 129, 200} {
		for _, fp := range []bool{false, true} {
			t.Run(fmt.Sprint(nbits, fp), func(t *testing.T) {
				words := (nbits + 63) / 64
				st := newStore(words, nbits, fp, false)
				const n = 300
				rng := rand.New(rand.NewPCG(uint64(nbits), 7))
				src := make([]uint64, n*words)
				for i := range src {
					src[i] = rng.Uint64()
					if i%words == words-1 {
						src[i] &= ^uint64(0) >> (64 - st.keys.lastBits)
					}
				}
				keys, hs := make([]uint64, n*st.kw), make([]uint64, n)
				st.keysInto(keys, hs, src)
				for j := range n {
					key := make([]uint64, st.kw)
					h := st.keyInto(key, src[j*words:(j+1)*words])
					if got := keys[j*st.kw : (j+1)*st.kw]; h != hs[j] || fmt.Sprint(got) != fmt.Sprint(key) {
						t.Fatalf("state %d %x: key %x hash %x in a batch, %x hash %x alone", j, src[j*words:(j+1)*words], got, hs[j], key, h)
					}
				}
			})
		}
	}
}
