package checker

import "math/bits"

// shardBits is log2 of the number of shards of the visited set. A state goes
// to the shard named by the top bits of its hash; during a level's insertion
// phase each shard belongs to one worker, so no locks are needed, and a shard
// grows on its own, so growing never doubles the whole table at once.
const (
	shardBits = 8
	numShards = 1 << shardBits
)

// maxLoad is the fill ratio (in 1/1024) beyond which a shard grows by half.
const maxLoad = 768

// hashState mixes the words of a state into 64 bits. It is computed once per
// generated state: the shard, the probe position and the fingerprint all
// come from it.
func hashState(w []uint64) uint64 {
	h := uint64(0x9E3779B97F4A7C15) ^ uint64(len(w))
	for _, x := range w {
		hi, lo := bits.Mul64(h^x, 0xA0761D6478BD642F)
		h = hi ^ lo
	}
	hi, lo := bits.Mul64(h, 0xE7037ED1A0B428DB)
	return hi ^ lo
}

func shardOf(h uint64) int { return int(h >> (64 - shardBits)) }

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func isZero(a []uint64) bool {
	for _, x := range a {
		if x != 0 {
			return false
		}
	}
	return true
}

// shard is an open-addressing table with linear probing. A slot holds a key
// of kw words: the whole state (exact mode; the all-zero state, which would
// look like an empty slot, is kept aside) or its 64-bit hash (fingerprint
// mode; a zero hash is stored as 1). With val, each slot also carries a
// 32-bit value (the state's number).
type shard struct {
	keys    []uint64
	val     []uint32
	size    uint64 // slots
	n       uint64 // keys stored (the zero key included)
	zero    bool
	zeroVal uint32
}

// store is the visited set.
type store struct {
	words   int  // words of a state
	kw      int  // words of a key
	fp      bool // keys are fingerprints
	indexed bool // slots carry values
	shards  [numShards]shard
}

func newStore(words int, fingerprint, indexed bool) *store {
	s := &store{words: words, kw: words, fp: fingerprint, indexed: indexed}
	if fingerprint {
		s.kw = 1
	}
	for i := range s.shards {
		s.alloc(&s.shards[i], 64)
	}
	return s
}

func (s *store) alloc(sh *shard, size uint64) {
	sh.size = size
	sh.keys = make([]uint64, size*uint64(s.kw))
	if s.indexed {
		sh.val = make([]uint32, size)
	} else {
		sh.val = nil
	}
}

// home is the first slot probed for hash h in a shard of size slots.
func home(h, size uint64) uint64 {
	hi, _ := bits.Mul64(h<<shardBits, size)
	return hi
}

// key returns the key of state w with hash h; buf holds a fingerprint.
func (s *store) key(w []uint64, h uint64, buf *[1]uint64) []uint64 {
	if !s.fp {
		return w
	}
	buf[0] = h
	return buf[:]
}

// locate returns the shard, the key and the hash under which state w (hash
// h) is kept; buf holds the key in fingerprint mode.
func (s *store) locate(w []uint64, h uint64, buf *[1]uint64) (*shard, []uint64, uint64) {
	if s.fp && h == 0 {
		h = 1 // a fingerprint is never 0, the mark of an empty slot
	}
	return &s.shards[shardOf(h)], s.key(w, h, buf), h
}

// find returns the slot of key k in sh, or the empty slot where it would go.
func (s *store) find(sh *shard, k []uint64, h uint64) (slot uint64, found bool) {
	kw := uint64(s.kw)
	i := home(h, sh.size)
	if kw == 1 {
		x := k[0]
		for {
			y := sh.keys[i]
			if y == x {
				return i, true
			}
			if y == 0 {
				return i, false
			}
			if i++; i == sh.size {
				i = 0
			}
		}
	}
	k0 := k[0]
	for {
		e := sh.keys[i*kw : i*kw+kw]
		if e[0] == k0 && equalWords(e[1:], k[1:]) {
			return i, true
		}
		if e[0] == 0 && isZero(e) {
			return i, false
		}
		if i++; i == sh.size {
			i = 0
		}
	}
}

// lookup reports whether the state w (hash h) is stored and its value.
// It only reads, so workers may call it concurrently while nobody inserts.
func (s *store) lookup(w []uint64, h uint64) (uint32, bool) {
	var buf [1]uint64
	sh, k, h := s.locate(w, h, &buf)
	if !s.fp && isZero(k) {
		return sh.zeroVal, sh.zero
	}
	slot, ok := s.find(sh, k, h)
	if !ok {
		return 0, false
	}
	if s.indexed {
		return sh.val[slot], true
	}
	return 0, true
}

// insert adds the state w (hash h) with value v unless it is stored; it
// returns whether it was already there and, if so, its value. Only the owner
// of the shard may call it.
func (s *store) insert(w []uint64, h uint64, v uint32) (uint32, bool) {
	var buf [1]uint64
	sh, k, h := s.locate(w, h, &buf)
	if !s.fp && isZero(k) {
		if sh.zero {
			return sh.zeroVal, true
		}
		sh.zero, sh.zeroVal = true, v
		sh.n++
		return 0, false
	}
	slot, ok := s.find(sh, k, h)
	if ok {
		if s.indexed {
			return sh.val[slot], true
		}
		return 0, true
	}
	copy(sh.keys[slot*uint64(s.kw):], k)
	if s.indexed {
		sh.val[slot] = v
	}
	sh.n++
	if sh.n*1024 > sh.size*maxLoad {
		s.grow(sh, h)
	}
	return 0, false
}

// setValue changes the value of a stored state. Only the shard's owner may
// call it.
func (s *store) setValue(w []uint64, h uint64, v uint32) {
	var buf [1]uint64
	sh, k, h := s.locate(w, h, &buf)
	if !s.fp && isZero(k) {
		sh.zeroVal = v
		return
	}
	if slot, ok := s.find(sh, k, h); ok {
		sh.val[slot] = v
	}
}

// grow rebuilds sh with half as many slots again. The hash of a stored key
// is needed to place it: a fingerprint is its own hash, a whole state is
// hashed again.
func (s *store) grow(sh *shard, _ uint64) {
	old := *sh
	s.alloc(sh, old.size+old.size/2)
	kw := uint64(s.kw)
	for i := uint64(0); i < old.size; i++ {
		k := old.keys[i*kw : i*kw+kw]
		if isZero(k) {
			continue
		}
		h := k[0]
		if !s.fp {
			h = hashState(k)
		}
		slot, _ := s.find(sh, k, h)
		copy(sh.keys[slot*kw:], k)
		if s.indexed {
			sh.val[slot] = old.val[i]
		}
	}
}

// bytes is the memory the store holds.
func (s *store) bytes() uint64 {
	var b uint64
	for i := range s.shards {
		b += uint64(cap(s.shards[i].keys))*8 + uint64(cap(s.shards[i].val))*4
	}
	return b
}

// touch reads the first slot probed for hash h, so that a lookup soon after
// finds it in the cache.
func (s *store) touch(h uint64) uint64 {
	if s.fp && h == 0 {
		h = 1
	}
	sh := &s.shards[shardOf(h)]
	return sh.keys[home(h, sh.size)*uint64(s.kw)]
}
