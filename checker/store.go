package checker

import (
	"encoding/binary"
	"math/bits"
)

// shardBits is log2 of the number of shards of the visited set. A state goes
// to the shard named by the top bits of its hash; during a level's insertion
// phase each shard belongs to one worker, so no locks are needed, and a shard
// grows on its own, so growing never doubles the whole table at once.
const (
	shardBits = 4
	numShards = 1 << shardBits
)

// maxLoad is the fill ratio (in 1/1024) beyond which a shard grows by half.
const maxLoad = 800

// fpBytes is the size of a slot of the fingerprint store: the 56 bits of a
// state's hash right below the shardBits that chose its shard, so that a
// slot and its shard together keep fpBits (60) bits of the hash.
const (
	fpBytes = 7
	fpMask  = 1<<(8*fpBytes) - 1
	fpBits  = shardBits + 8*fpBytes // bits of the hash that tell states apart
)

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

// shard is an open-addressing table with linear probing. In fingerprint
// mode a slot holds fpBytes of the state's hash (a zero fingerprint, the
// mark of an empty slot, is stored as 1); in exact mode it holds the
// state's key (keyer) in kb bytes, as many as its bits need less those the
// shard gives (the all-zero key, which would look like an empty slot, is
// kept aside). With values, each slot also
// carries a 32-bit value (the state's number).
type shard struct {
	fp      []byte // fingerprint mode: size*fpBytes bytes and one of padding
	keys    []byte // exact mode: size*kb bytes and 8 of padding
	val     []uint32
	maps    [3][]byte // the mappings of fp, keys and val (makeTable)
	size    uint64    // slots
	n       uint64    // keys stored (the zero key included)
	zero    bool
	zeroVal uint32
}

// store is the visited set.
type store struct {
	words   int    // words of a state
	keys    keyer  // exact mode: the states' keys
	kb      uint64 // bytes of an exact key: (bits-keys.drop+7)/8 for states of bits bits
	last    uint64 // the bits of a key's last word that the kb bytes cover
	fp      bool   // keys are fingerprints
	indexed bool   // slots carry values
	shards  [numShards]shard
}

// newStore returns an empty visited set of states of words words, whose
// bits from bits on are 0.
func newStore(words, bits int, fingerprint, indexed bool) *store {
	s := &store{words: words, fp: fingerprint, indexed: indexed, keys: newKeyer(words, bits)}
	s.kb = uint64(bits-int(s.keys.drop)+7) / 8
	s.last = lowBits64(8 * (s.kb - 8*uint64(words-1)))
	for i := range s.shards {
		// Shards start at sizes spread over one growth step (64 to 94
		// slots), so that they grow at different times: the load of the
		// whole set then stays near its mean instead of every shard
		// halving its load at once.
		s.alloc(&s.shards[i], 64+uint64(i)*32/numShards)
	}
	return s
}

// alloc gives sh new, empty tables of size slots. (Sizes are not rounded
// to whole huge pages: that would bring the shards to equal sizes, and they
// would all grow at once.)
func (s *store) alloc(sh *shard, size uint64) {
	sh.size = size
	if s.fp {
		sh.fp, sh.maps[0] = makeTable[byte](size*fpBytes + 1)
	} else {
		sh.keys, sh.maps[1] = makeTable[byte](size*s.kb + 8)
	}
	if s.indexed {
		sh.val, sh.maps[2] = makeTable[uint32](size)
	}
}

// release returns the tables of sh that makeTable mapped.
func (sh *shard) release() {
	for _, m := range sh.maps {
		freeTable(m)
	}
	sh.fp, sh.keys, sh.val, sh.maps = nil, nil, nil, [3][]byte{}
}

// free returns the store's memory; the store must not be used afterwards.
func (s *store) free() {
	for i := range s.shards {
		s.shards[i].release()
	}
}

// home is the first slot probed for hash h in a shard of size slots: the
// bits of h right below the shard's, scaled to the shard.
func home(h, size uint64) uint64 {
	hi, _ := bits.Mul64(h<<shardBits, size)
	return hi
}

// fpHome is home for fingerprint k: the same top bits, taken from the
// fingerprint alone so that a shard can grow without the states.
func fpHome(k, size uint64) uint64 {
	hi, _ := bits.Mul64(k<<(64-8*fpBytes), size)
	return hi
}

// fingerprint is the key of hash h in fingerprint mode: the fpBytes*8 bits
// below the shard's.
func fingerprint(h uint64) uint64 {
	if k := h << shardBits >> (64 - 8*fpBytes); k != 0 {
		return k
	}
	return 1
}

func (sh *shard) fpAt(i uint64) uint64 {
	return binary.LittleEndian.Uint64(sh.fp[i*fpBytes:]) & fpMask
}

func (sh *shard) setFP(i, k uint64) {
	p := sh.fp[i*fpBytes:]
	binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)&^fpMask|k)
}

// findFP returns the slot of fingerprint k in sh, or the empty slot where it
// would go.
func (sh *shard) findFP(k uint64) (slot uint64, found bool) {
	i := fpHome(k, sh.size)
	for {
		switch sh.fpAt(i) {
		case k:
			return i, true
		case 0:
			return i, false
		}
		if i++; i == sh.size {
			i = 0
		}
	}
}

// lowBits64 returns a mask of the n low bits, 0 < n <= 64.
func lowBits64(n uint64) uint64 { return ^uint64(0) >> (64 - n) }

// keyWord returns word w of the exact key at byte p of keys.
func (s *store) keyWord(keys []byte, p uint64, w int) uint64 {
	x := binary.LittleEndian.Uint64(keys[p+8*uint64(w):])
	if w == s.words-1 {
		x &= s.last
	}
	return x
}

// setKey writes the state k as the exact key at byte p of keys, leaving
// the bytes after it as they are.
func (s *store) setKey(keys []byte, p uint64, k []uint64) {
	last := len(k) - 1
	for w, x := range k[:last] {
		binary.LittleEndian.PutUint64(keys[p+8*uint64(w):], x)
	}
	q := keys[p+8*uint64(last):]
	binary.LittleEndian.PutUint64(q, binary.LittleEndian.Uint64(q)&^s.last|k[last])
}

// findExact returns the slot of the nonzero state k (hash h) in sh, or the
// empty slot where it would go. Probes compare the first word alone, which
// tells most slots apart.
func (s *store) findExact(sh *shard, k []uint64, h uint64) (slot uint64, found bool) {
	i := home(h, sh.size)
	for {
		p := i * s.kb
		switch x := s.keyWord(sh.keys, p, 0); {
		case x == k[0] && s.sameRest(sh.keys, p, k):
			return i, true
		case x == 0 && s.zeroRest(sh.keys, p):
			return i, false
		}
		if i++; i == sh.size {
			i = 0
		}
	}
}

// sameRest reports whether the words after the first of the key at byte p
// are those of k.
func (s *store) sameRest(keys []byte, p uint64, k []uint64) bool {
	for w := 1; w < len(k); w++ {
		if s.keyWord(keys, p, w) != k[w] {
			return false
		}
	}
	return true
}

// zeroRest reports whether the words after the first of the key at byte p
// are 0.
func (s *store) zeroRest(keys []byte, p uint64) bool {
	for w := 1; w < s.words; w++ {
		if s.keyWord(keys, p, w) != 0 {
			return false
		}
	}
	return true
}

// key returns what the store looks state w up by: in exact mode its slot
// key (keyer.slotKey), in buf when it fits, and that key's hash; in
// fingerprint mode no key and hashState's hash. Lookups and insertions take
// both.
func (s *store) key(w []uint64, buf *[maxStackWords]uint64) ([]uint64, uint64) {
	if s.fp {
		return nil, s.keyInto(nil, w)
	}
	key := buf[:]
	if s.words > maxStackWords {
		key = make([]uint64, s.words)
	}
	key = key[:s.words]
	return key, s.keyInto(key, w)
}

// keyInto is key writing the key to dst (words long; unused in
// fingerprint mode).
func (s *store) keyInto(dst, w []uint64) uint64 {
	if s.fp {
		return hashState(w)
	}
	return s.keys.slotKey(dst, w)
}

// find returns the shard of the state of key k and hash h (from key) and
// its slot there, or the empty slot where it would go; zero reports the
// all-zero key of exact mode, which has no slot.
func (s *store) find(key []uint64, h uint64) (sh *shard, slot uint64, found, zero bool) {
	sh = &s.shards[shardOf(h)]
	if s.fp {
		slot, found = sh.findFP(fingerprint(h))
		return sh, slot, found, false
	}
	if isZero(key) {
		return sh, 0, sh.zero, true
	}
	slot, found = s.findExact(sh, key, h)
	return sh, slot, found, false
}

// lookup reports whether the state of key k and hash h (from key) is
// stored and its value. It only reads, so workers may call it concurrently
// while nobody inserts.
func (s *store) lookup(k []uint64, h uint64) (uint32, bool) {
	sh, slot, found, zero := s.find(k, h)
	switch {
	case !found:
		return 0, false
	case zero:
		return sh.zeroVal, true
	case s.indexed:
		return sh.val[slot], true
	}
	return 0, true
}

// insert adds the state of key k and hash h (from key) with value v unless
// it is stored; it returns whether it was already there and, if so, its
// value. Only the owner of the shard may call it.
func (s *store) insert(k []uint64, h uint64, v uint32) (uint32, bool) {
	sh, slot, found, zero := s.find(k, h)
	switch {
	case found && zero:
		return sh.zeroVal, true
	case found && s.indexed:
		return sh.val[slot], true
	case found:
		return 0, true
	}
	sh.n++
	switch {
	case zero:
		sh.zero, sh.zeroVal = true, v
		return 0, false
	case s.fp:
		sh.setFP(slot, fingerprint(h))
	default:
		s.setKey(sh.keys, slot*s.kb, k)
	}
	if s.indexed {
		sh.val[slot] = v
	}
	if sh.n*1024 > sh.size*maxLoad {
		s.grow(shardOf(h))
	}
	return 0, false
}

// mustGrow reports whether shard i would grow if n more states were stored
// in it.
func (s *store) mustGrow(i int, n uint64) bool {
	sh := &s.shards[i]
	return (sh.n+n)*1024 > sh.size*maxLoad
}

// reserve grows shard i until n more states fit in it without growing.
// Only the shard's owner may call it.
func (s *store) reserve(i int, n uint64) {
	for s.mustGrow(i, n) {
		s.grow(i)
	}
}

// setValue changes the value of a stored state. Only the shard's owner may
// call it.
func (s *store) setValue(k []uint64, h uint64, v uint32) {
	sh, slot, found, zero := s.find(k, h)
	switch {
	case zero:
		sh.zeroVal = v
	case found:
		sh.val[slot] = v
	}
}

// grow rebuilds shard i with half as many slots again.
func (s *store) grow(i int) {
	old := s.shards[i]
	s.shards[i] = s.rebuilt(i)
	old.release()
}

// rebuilt returns a copy of shard si with half as many slots again. It only
// reads the shard, so lookups may run meanwhile. A fingerprint or a key is
// placed by itself: the hash of a key is made of its bits and the shard's.
func (s *store) rebuilt(si int) shard {
	sh := &s.shards[si]
	nsh := shard{n: sh.n, zero: sh.zero, zeroVal: sh.zeroVal}
	s.alloc(&nsh, sh.size+sh.size/2)
	k := make([]uint64, s.words)
	for i := uint64(0); i < sh.size; i++ {
		var slot uint64
		if s.fp {
			k := sh.fpAt(i)
			if k == 0 {
				continue
			}
			slot, _ = nsh.findFP(k)
			nsh.setFP(slot, k)
		} else {
			for w := range k {
				k[w] = s.keyWord(sh.keys, i*s.kb, w)
			}
			if isZero(k) {
				continue
			}
			h := s.keys.restore(k, si)
			k[s.words-1] &= s.keys.keep
			slot, _ = s.findExact(&nsh, k, h)
			s.setKey(nsh.keys, slot*s.kb, k)
		}
		if s.indexed {
			nsh.val[slot] = sh.val[i]
		}
	}
	return nsh
}

// bytes is the memory the store holds.
func (s *store) bytes() uint64 {
	var b uint64
	for i := range s.shards {
		sh := &s.shards[i]
		b += uint64(cap(sh.fp)) + uint64(cap(sh.keys)) + uint64(cap(sh.val))*4
	}
	return b
}

// touch reads the first slot probed for each hash of hs, so that lookups
// soon after find them in the cache. The loops have no call and no branch
// but their own: the processor then keeps many of these loads, which miss
// the cache, in flight at once.
func (s *store) touch(hs []uint64) uint64 {
	var sink uint64
	if s.fp {
		for _, h := range hs {
			sink += s.fpSlot(h)
		}
	} else {
		for _, h := range hs {
			sink += s.keySlot(h)
		}
	}
	return sink
}

// touchSome is touch for the hashes hs[i], i in idx.
func (s *store) touchSome(hs []uint64, idx []int32) uint64 {
	var sink uint64
	if s.fp {
		for _, i := range idx {
			sink += s.fpSlot(hs[i])
		}
	} else {
		for _, i := range idx {
			sink += s.keySlot(hs[i])
		}
	}
	return sink
}

// fpSlot reads the first slot probed for hash h in fingerprint mode.
func (s *store) fpSlot(h uint64) uint64 {
	sh := &s.shards[shardOf(h)]
	return binary.LittleEndian.Uint64(sh.fp[fpHome(fingerprint(h), sh.size)*fpBytes:])
}

// keySlot reads the first word of the first slot probed for hash h in exact
// mode.
func (s *store) keySlot(h uint64) uint64 {
	sh := &s.shards[shardOf(h)]
	return binary.LittleEndian.Uint64(sh.keys[home(h, sh.size)*s.kb:])
}

// sizeBytes is the memory of a shard of size slots.
func (s *store) sizeBytes(size uint64) uint64 {
	b := size*s.kb + 8
	if s.fp {
		b = size*fpBytes + 1
	}
	if s.indexed {
		b += size * 4
	}
	return b
}

// grownBytes is the memory that storing n more states in shard i allocates
// beside the shard's tables: nothing when it does not grow, else its new
// tables (and those of the step before, alive at the same time, when it
// grows more than once).
func (s *store) grownBytes(i int, n uint64) uint64 {
	sh := &s.shards[i]
	size, prev := sh.size, uint64(0)
	for (sh.n+n)*1024 > size*maxLoad {
		if size != sh.size {
			prev = size
		}
		size += size / 2
	}
	if size == sh.size {
		return 0
	}
	b := s.sizeBytes(size)
	if prev > 0 {
		b += s.sizeBytes(prev)
	}
	return b
}
