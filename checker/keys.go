package checker

import "math/bits"

// keyer turns the states of the exact store into keys: mix is a bijection
// on the bits a state has, so a key stands for exactly one state, and its
// hash (keyHash) is made of the key's own bits. The top shardBits bits of
// the hash name the shard, and the key's last word gives them (drop bits)
// so that a slot need not keep them: the shard knows them. At the spec's
// defaults a state of 76 bits is kept in 9 bytes instead of 10. Because the
// hash is read off the key, a shard that grows places its keys again
// without hashing anything.
type keyer struct {
	words    int
	lastBits uint   // bits of the state's last word, 1 to 64
	drop     uint   // bits of the last word given by the shard: shardBits, or 0 when the word is that short
	keep     uint64 // the bits of the last word that a slot keeps
}

// newKeyer returns the keyer of states of words words and nbits bits.
func newKeyer(words, nbits int) keyer {
	k := keyer{words: words, lastBits: uint(nbits - 64*(words-1))}
	if k.lastBits > shardBits {
		k.drop = shardBits
	}
	k.keep = lowBits64(uint64(k.lastBits - k.drop))
	return k
}

// Odd multipliers of the mix (from wyhash and splitmix64).
const (
	mixA = 0xA0761D6478BD642F
	mixB = 0xE7037ED1A0B428DB
	mixC = 0xBF58476D1CE4E5B9
	mixD = 0x94D049BB133111EB
)

// mix writes the key of state src to dst. Each step can be undone given
// what it leaves alone, so the whole is a bijection on states whose bits
// past the last word's lastBits are 0, and keys keep those bits 0:
//  1. the first word takes a hash of the others (xor);
//  2. the first word is scrambled by a bijection of its bits;
//  3. every other word takes a hash of the new first word (xor).
//
// States of two words, the spec's, take a shorter way of the same steps.
func (k *keyer) mix(dst, src []uint64) {
	switch k.words {
	case 1:
		dst[0] = scramble(src[0], k.lastBits)
	case 2:
		x0 := scramble64(src[0] ^ src[1]*mixA)
		dst[0] = x0
		dst[1] = src[1] ^ x0*mixC>>(64-k.lastBits)
	default:
		k.mixN(dst, src)
	}
}

// mixN is mix for states of more than two words.
func (k *keyer) mixN(dst, src []uint64) {
	acc := uint64(0x9E3779B97F4A7C15)
	for _, x := range src[1:] {
		hi, lo := bits.Mul64(acc^x, mixA)
		acc = hi ^ lo
	}
	x0 := scramble64(src[0] ^ acc)
	dst[0] = x0
	for i := 1; i < k.words; i++ {
		b := uint(64)
		if i == k.words-1 {
			b = k.lastBits
		}
		y := (x0 ^ uint64(i)*mixB) * mixC
		dst[i] = src[i] ^ y>>(64-b)
	}
}

// scramble64 is a bijection of 64-bit words whose top bits depend on all
// of x's: cheaper than scramble, for words that a hash of others was
// already xored into.
func scramble64(x uint64) uint64 {
	x ^= x >> 32
	x *= mixD
	return x ^ x>>29
}

// scramble is a bijection of the values of b bits (xor-shifts and odd
// multipliers modulo 2^b) whose top bits depend on all of x's.
func scramble(x uint64, b uint) uint64 {
	m := ^uint64(0) >> (64 - b)
	r := max(b/2, 1)
	x ^= x >> r
	x = x * mixC & m
	x ^= x >> r
	x = x * mixD & m
	return x ^ x>>r
}

// keyHash is the hash of a whole key (its dropped bits in place): the
// shard in the top shardBits bits, then bits of the first word, which every
// slot keeps.
func (k *keyer) keyHash(key []uint64) uint64 {
	if k.words == 1 {
		return key[0] << (64 - k.lastBits)
	}
	return k.hashIn(key[k.words-1]>>(k.lastBits-k.drop), key[0])
}

// hashIn is keyHash of a key of more than one word whose first word is
// k0, kept in shard sh.
func (k *keyer) hashIn(sh, k0 uint64) uint64 {
	if k.drop == 0 {
		return k0
	}
	return sh<<(64-shardBits) | k0>>shardBits
}

// slotKey writes to dst the key of state src as a slot keeps it: mixed,
// without the bits the shard gives. It returns the key's hash.
func (k *keyer) slotKey(dst, src []uint64) uint64 {
	k.mix(dst, src)
	h := k.keyHash(dst)
	dst[k.words-1] &= k.keep
	return h
}

// slotKeys is slotKey for the states packed one after the other in src:
// the key of state j goes to dst[j*words:], its hash to hs[j]. States of
// two words with a shard's bits dropped, the spec's, take a loop of their
// own with mix and keyHash written out (a third of the instructions).
func (k *keyer) slotKeys(dst, hs, src []uint64) {
	if k.words == 2 && k.drop > 0 {
		k.slotKeys2(dst, hs, src)
		return
	}
	w := k.words
	for j := range hs {
		hs[j] = k.slotKey(dst[j*w:(j+1)*w], src[j*w:(j+1)*w])
	}
}

// slotKeys2 is slotKeys for states of two words, k.drop > 0.
func (k *keyer) slotKeys2(dst, hs, src []uint64) {
	n := len(hs)
	dst, src = dst[:2*n], src[:2*n]
	spread, top, keep := (64-k.lastBits)&63, (k.lastBits-k.drop)&63, k.keep
	for j := range n {
		s, d := src[2*j:2*j+2:2*j+2], dst[2*j:2*j+2:2*j+2]
		x0 := scramble64(s[0] ^ s[1]*mixA)
		x1 := s[1] ^ x0*mixC>>spread
		hs[j] = x1>>top<<(64-shardBits) | x0>>shardBits
		d[0], d[1] = x0, x1&keep
	}
}

// restore puts back into key, as a slot of shard sh keeps it, the bits
// the shard gives, and returns its hash.
func (k *keyer) restore(key []uint64, sh int) uint64 {
	if k.drop > 0 {
		key[k.words-1] |= uint64(sh) << (k.lastBits - k.drop)
	}
	return k.keyHash(key)
}

// maxStackWords is the widest state whose key is built on the stack.
const maxStackWords = 8
