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

// shard is an open-addressing table of buckets, each of one or more cache
// lines (bucketShape): in its first byte, how many of its slots are used,
// then the slots, filled from the first. A key goes to the first
// bucket from its home bucket that has room (linear probing by buckets), so
// a lookup reads one bucket unless its home bucket is full (at a load of 0.67,
// the mean between two growths, 18% of the buckets of 7 slots are). A
// bucket that is not full ends every search through it. In fingerprint mode a slot holds fpBytes of the
// state's hash; in exact mode it holds the state's key (keyer) in kb bytes,
// as many as its bits need less those the shard gives. With values, each
// slot also carries a 32-bit value (the state's number).
type shard struct {
	tab     []byte // buckets*bucket bytes and 8 of padding
	val     []uint32
	maps    [2][]byte // the mappings of tab and val (makeTable)
	buckets uint64
	n       uint64 // keys stored
}

// store is the visited set.
type store struct {
	words   int    // words of a state
	keys    keyer  // exact mode: the states' keys
	kw      int    // words of a key: words, or 1 in fingerprint mode
	kb      uint64 // bytes of a key in a slot: fpBytes, or (bits-keys.drop+7)/8 for states of bits bits
	last    uint64 // the bits of a key's last word that the kb bytes cover
	first   uint64 // the bits of a key's first word that a slot keeps
	bucket  uint64 // bytes of a bucket
	per     uint64 // slots of a bucket
	fp      bool   // keys are fingerprints
	indexed bool   // slots carry values
	shards  [numShards]shard
}

// lineBytes is the size of a cache line, the unit of a bucket.
const lineBytes = 64

// bucketShape returns the bytes of a bucket for keys of kb bytes, and how
// many slots it has: one cache line, or as few more as keep the bytes
// unused (the count's byte included) within an eighth of the bucket, so
// that no key width wastes more than that (keys of 9 bytes: 7 in one line;
// 18: 7 in two; 34: 5 in three).
func bucketShape(kb uint64) (bytes, per uint64) {
	for bytes = lineBytes; ; bytes += lineBytes {
		per = (bytes - 1) / kb
		if per > 0 && 8*(bytes-per*kb) <= bytes {
			return bytes, per
		}
	}
}

// newStore returns an empty visited set of states of words words, whose
// bits from bits on are 0.
func newStore(words, bits int, fingerprint, indexed bool) *store {
	s := &store{words: words, kw: words, fp: fingerprint, indexed: indexed, keys: newKeyer(words, bits)}
	s.kb = uint64(bits-int(s.keys.drop)+7) / 8
	if fingerprint {
		s.kw, s.kb = 1, fpBytes
	}
	s.last = lowBits64(8 * (s.kb - 8*uint64(s.kw-1)))
	s.first = ^uint64(0)
	if s.kw == 1 {
		s.first = s.last
	}
	s.bucket, s.per = bucketShape(s.kb)
	for i := range s.shards {
		// Shards start at sizes spread over one growth step, so that
		// they grow at different times: the load of the whole set then
		// stays near its mean instead of every shard halving its load
		// at once.
		s.alloc(&s.shards[i], 8+uint64(i)*4/numShards)
	}
	return s
}

// alloc gives sh new, empty tables of buckets buckets. (Sizes are not
// rounded to whole huge pages: that would bring the shards to equal sizes,
// and they would all grow at once.)
func (s *store) alloc(sh *shard, buckets uint64) {
	sh.buckets = buckets
	sh.tab, sh.maps[0] = makeTable[byte](buckets*s.bucket + 8)
	if s.indexed {
		sh.val, sh.maps[1] = makeTable[uint32](buckets * s.per)
	}
}

// release returns the tables of sh that makeTable mapped.
func (sh *shard) release() {
	for _, m := range sh.maps {
		freeTable(m)
	}
	sh.tab, sh.val, sh.maps = nil, nil, [2][]byte{}
}

// free returns the store's memory; the store must not be used afterwards.
func (s *store) free() {
	for i := range s.shards {
		s.shards[i].release()
	}
}

// home is the home bucket of hash h in a shard of size buckets: its
// fingerprint's, so that in fingerprint mode a shard can grow from its
// fingerprints alone.
func home(h, size uint64) uint64 { return fpHome(fingerprint(h), size) }

// fpHome is the home bucket of fingerprint k in a shard of size buckets: its
// bits, the hash's right below the shard's, scaled to the shard.
func fpHome(k, size uint64) uint64 {
	hi, _ := bits.Mul64(k<<(64-8*fpBytes), size)
	return hi
}

// fingerprint is the key of hash h in fingerprint mode: the fpBytes*8 bits
// below the shard's.
func fingerprint(h uint64) uint64 { return h << shardBits >> (64 - 8*fpBytes) }

// lowBits64 returns a mask of the n low bits, 0 < n <= 64.
func lowBits64(n uint64) uint64 { return ^uint64(0) >> (64 - n) }

// keyWord returns word w of the key at byte p of tab.
func (s *store) keyWord(tab []byte, p uint64, w int) uint64 {
	x := binary.LittleEndian.Uint64(tab[p+8*uint64(w):])
	if w == s.kw-1 {
		x &= s.last
	}
	return x
}

// setKey writes the key k at byte p of tab, leaving the bytes after it as
// they are.
func (s *store) setKey(tab []byte, p uint64, k []uint64) {
	if len(k) == 2 {
		s.setPair(tab, p, k[0], k[1])
		return
	}
	last := len(k) - 1
	for w, x := range k[:last] {
		binary.LittleEndian.PutUint64(tab[p+8*uint64(w):], x)
	}
	q := tab[p+8*uint64(last):]
	binary.LittleEndian.PutUint64(q, binary.LittleEndian.Uint64(q)&^s.last|k[last])
}

// setPair is setKey for a key of two words, k0 and k1.
func (s *store) setPair(tab []byte, p, k0, k1 uint64) {
	binary.LittleEndian.PutUint64(tab[p:], k0)
	q := tab[p+8:]
	binary.LittleEndian.PutUint64(q, binary.LittleEndian.Uint64(q)&^s.last|k1)
}

// matchWords returns the slots, of the per of kb bytes at the start of
// b, whose first key word (masked by mask) is k0, a bit each. It compares
// every slot, used or not, without a branch that depends on the keys: a
// search mispredicts at most when it leaves findSlot. Kept apart, its few
// variables stay in registers.
//
//go:noinline
func matchWords(b []byte, per, kb, mask, k0 uint64) uint64 {
	if per == 7 && kb == 9 {
		return match7x9(b, mask, k0)
	}
	var m, bit uint64 = 0, 1
	for range per {
		m |= bit & -b2u(binary.LittleEndian.Uint64(b)&mask == k0)
		bit <<= 1
		b = b[kb:]
	}
	return m
}

// match7x9 is matchWords for buckets of 7 slots of 9 bytes (states of 2
// words at the defaults), unrolled: a third of the instructions.
func match7x9(b []byte, mask, k0 uint64) uint64 {
	_ = b[61]
	eq := func(i uint64) uint64 { return b2u(binary.LittleEndian.Uint64(b[9*i:])&mask == k0) << i }
	return eq(0) | eq(1) | eq(2) | eq(3) | eq(4) | eq(5) | eq(6)
}

// sameRest reports whether the words after the first of the key at byte p
// of tab are those of k.
func (s *store) sameRest(tab []byte, p uint64, k []uint64) bool {
	for w := 1; w < len(k); w++ {
		if s.keyWord(tab, p, w) != k[w] {
			return false
		}
	}
	return true
}

// b2u is 1 for true, 0 for false.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// used is the number of used slots of the bucket at byte p of tab.
func (s *store) used(tab []byte, p uint64) uint64 { return uint64(tab[p]) }

// slot is the byte of slot i of the bucket at byte p.
func (s *store) slot(p, i uint64) uint64 { return p + 1 + i*s.kb }

// findSlot returns the bucket and the slot in it of key k in sh, searched
// from bucket b, or the free slot where it would go.
func (s *store) findSlot(sh *shard, k []uint64, b uint64) (bucket, slot uint64, found bool) {
	if s.kw == 2 {
		return s.findPair(sh.tab, sh.buckets, k[0], k[1], b)
	}
	for {
		p := b * s.bucket
		n := s.used(sh.tab, p)
		for m := matchWords(sh.tab[s.slot(p, 0):], s.per, s.kb, s.first, k[0]) & (1<<n - 1); m != 0; m &= m - 1 {
			if i := uint64(bits.TrailingZeros64(m)); s.sameRest(sh.tab, s.slot(p, i), k) {
				return b, i, true
			}
		}
		if n < s.per {
			return b, n, false
		}
		if b++; b == sh.buckets {
			b = 0
		}
	}
}

// findPair is findSlot for keys of two words, k0 and k1 (the spec's
// states), the second compared in place: a third fewer instructions.
func (s *store) findPair(tab []byte, buckets, k0, k1, b uint64) (bucket, slot uint64, found bool) {
	seven := s.per == 7 && s.kb == 9
	for {
		p := b * s.bucket
		n := uint64(tab[p])
		var m uint64
		if seven {
			m = match7x9(tab[p+1:], s.first, k0)
		} else {
			m = matchWords(tab[p+1:], s.per, s.kb, s.first, k0)
		}
		for m &= 1<<n - 1; m != 0; m &= m - 1 {
			i := uint64(bits.TrailingZeros64(m))
			if binary.LittleEndian.Uint64(tab[s.slot(p, i)+8:])&s.last == k1 {
				return b, i, true
			}
		}
		if n < s.per {
			return b, n, false
		}
		if b++; b == buckets {
			b = 0
		}
	}
}

// room returns the first free slot from bucket b of sh on, and its bucket:
// where a key known to be new goes.
func (s *store) room(sh *shard, b uint64) (bucket, slot uint64) {
	for {
		if n := s.used(sh.tab, b*s.bucket); n < s.per {
			return b, n
		}
		if b++; b == sh.buckets {
			b = 0
		}
	}
}

// put writes key k into slot i, the first free one, of bucket b of sh.
func (s *store) put(sh *shard, b, i uint64, k []uint64) {
	p := b * s.bucket
	s.setKey(sh.tab, s.slot(p, i), k)
	s.used1(sh.tab, p, i)
}

// used1 notes that slot i, the first free one of the bucket at byte p of
// tab, is used now.
func (s *store) used1(tab []byte, p, i uint64) { tab[p] = byte(i + 1) }

// key returns what the store looks state w up by, in buf when it fits,
// and that key's hash: in exact mode its slot key (keyer.slotKey), in
// fingerprint mode its fingerprint. Lookups and insertions take both.
func (s *store) key(w []uint64, buf *[maxStackWords]uint64) ([]uint64, uint64) {
	key := buf[:]
	if s.kw > maxStackWords {
		key = make([]uint64, s.kw)
	}
	key = key[:s.kw]
	return key, s.keyInto(key, w)
}

// keyInto is key writing the key to dst (kw words long).
func (s *store) keyInto(dst, w []uint64) uint64 {
	if s.fp {
		h := hashState(w)
		dst[0] = fingerprint(h)
		return h
	}
	return s.keys.slotKey(dst, w)
}

// keysInto is keyInto for the states packed one after the other in src:
// the key of state j goes to dst[j*kw:], its hash to hs[j].
func (s *store) keysInto(dst, hs, src []uint64) {
	if !s.fp {
		s.keys.slotKeys(dst, hs, src)
		return
	}
	for j := range hs {
		hs[j] = s.keyInto(dst[j:j+1], src[j*s.words:(j+1)*s.words])
	}
}

// storedAll looks up the keys j of keys (kw words each, hashes hs) listed
// in idx: found[j] tells whether key j is stored, and with values val[j]
// is its value (val may be nil without values). With insert it
// stores those that are not, with value 0, as insert does: one worker's
// search, which looks each key up and stores it at once. Keys of two words
// take a loop of their own without a call per key.
func (s *store) storedAll(keys, hs []uint64, idx []int32, found []bool, val []uint32, insert bool) {
	if s.kw == 2 && !s.indexed {
		s.storedPairs(keys, hs, idx, found, insert)
		return
	}
	kw := s.kw
	for _, j := range idx {
		h := hs[j]
		k := keys[int(j)*kw : (int(j)+1)*kw]
		var v uint32
		if insert {
			v, found[j] = s.insert(k, h, 0)
		} else {
			v, found[j] = s.lookup(k, h)
		}
		if val != nil {
			val[j] = v
		}
	}
}

// storedPairs is storedAll for keys of two words and no values.
func (s *store) storedPairs(keys, hs []uint64, idx []int32, found []bool, insert bool) {
	for _, j := range idx {
		h := hs[j]
		k0, k1 := keys[2*j], keys[2*j+1]
		si := shardOf(h)
		sh := &s.shards[si]
		b, i, ok := s.findPair(sh.tab, sh.buckets, k0, k1, home(h, sh.buckets))
		found[j] = ok
		if !ok && insert {
			s.add(si, b, i, keys[2*j:2*j+2], 0)
		}
	}
}

// find returns the shard of the state of key k and hash h (from key), and
// the bucket and the slot in it of the state, or of the free slot where it
// would go.
func (s *store) find(k []uint64, h uint64) (sh *shard, bucket, slot uint64, found bool) {
	sh = &s.shards[shardOf(h)]
	bucket, slot, found = s.findSlot(sh, k, home(h, sh.buckets))
	return sh, bucket, slot, found
}

// lookup reports whether the state of key k and hash h (from key) is
// stored and its value. It only reads, so workers may call it concurrently
// while nobody inserts.
func (s *store) lookup(k []uint64, h uint64) (uint32, bool) {
	sh, b, i, found := s.find(k, h)
	if found && s.indexed {
		return sh.val[b*s.per+i], true
	}
	return 0, found
}

// insert adds the state of key k and hash h (from key) with value v unless
// it is stored; it returns whether it was already there and, if so, its
// value. Only the owner of the shard may call it.
func (s *store) insert(k []uint64, h uint64, v uint32) (uint32, bool) {
	sh, b, i, found := s.find(k, h)
	switch {
	case found && s.indexed:
		return sh.val[b*s.per+i], true
	case found:
		return 0, true
	}
	s.add(shardOf(h), b, i, k, v)
	return 0, false
}

// add stores key k, which a search of shard si did not find, in the free
// slot i of bucket b where the search ended, with value v, and grows the
// shard once it passes its load.
func (s *store) add(si int, b, i uint64, k []uint64, v uint32) {
	sh := &s.shards[si]
	sh.n++
	s.put(sh, b, i, k)
	if s.indexed {
		sh.val[b*s.per+i] = v
	}
	if s.mustGrow(si, 0) {
		s.grow(si)
	}
}

// mustGrow reports whether shard i would grow if n more states were stored
// in it.
func (s *store) mustGrow(i int, n uint64) bool {
	sh := &s.shards[i]
	return (sh.n+n)*1024 > sh.buckets*s.per*maxLoad
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
	if sh, b, i, found := s.find(k, h); found {
		sh.val[b*s.per+i] = v
	}
}

// grow rebuilds shard i with half as many buckets again.
func (s *store) grow(i int) {
	old := s.shards[i]
	s.shards[i] = s.rebuilt(i)
	old.release()
}

// grown is the number of buckets of a shard of size buckets once grown.
func grown(size uint64) uint64 { return size + size/2 }

// rebuilt returns a copy of shard si with half as many buckets again. It
// only reads the shard, so lookups may run meanwhile. A fingerprint or a
// key is placed by itself: the hash of a key is made of its bits and the
// shard's.
func (s *store) rebuilt(si int) shard {
	sh := &s.shards[si]
	nsh := shard{n: sh.n}
	s.alloc(&nsh, grown(sh.buckets))
	if s.kw == 2 && !s.fp {
		s.movePairs(sh, &nsh, si)
		return nsh
	}
	k := make([]uint64, s.kw)
	for b := range sh.buckets {
		p := b * s.bucket
		for i := range s.used(sh.tab, p) {
			for w := range k {
				k[w] = s.keyWord(sh.tab, s.slot(p, i), w)
			}
			var nb uint64
			if s.fp {
				nb = fpHome(k[0], nsh.buckets)
			} else {
				nb = home(s.keys.restore(k, si), nsh.buckets)
				k[s.kw-1] &= s.keys.keep
			}
			s.move(sh, &nsh, b, i, nb, k)
		}
	}
	return nsh
}

// move puts key k, in slot i of bucket b of shard from, into shard to at
// its first free slot from bucket nb on, with its value.
func (s *store) move(from, to *shard, b, i, nb uint64, k []uint64) {
	nb, ni := s.room(to, nb)
	s.put(to, nb, ni, k)
	if s.indexed {
		to.val[nb*s.per+ni] = from.val[b*s.per+i]
	}
}

// movePairs is rebuilt's loop for keys of two words (exact store), with
// no call per key.
func (s *store) movePairs(from, to *shard, si int) {
	tab := from.tab
	for b := range from.buckets {
		p := b * s.bucket
		for i := range uint64(tab[p]) {
			q := s.slot(p, i)
			k0, k1 := binary.LittleEndian.Uint64(tab[q:]), binary.LittleEndian.Uint64(tab[q+8:])&s.last
			nb, ni := s.room(to, home(s.keys.hashIn(uint64(si), k0), to.buckets))
			d := nb * s.bucket
			s.setPair(to.tab, s.slot(d, ni), k0, k1)
			s.used1(to.tab, d, ni)
			if s.indexed {
				to.val[nb*s.per+ni] = from.val[b*s.per+i]
			}
		}
	}
}

// bytes is the memory the store holds.
func (s *store) bytes() uint64 {
	var b uint64
	for i := range s.shards {
		sh := &s.shards[i]
		b += uint64(cap(sh.tab)) + uint64(cap(sh.val))*4
	}
	return b
}

// touchSome reads the home bucket of each hash hs[i], i in idx, so that
// lookups soon after find it in the cache. The loop has no call and no
// branch but its own: the processor then keeps many of these loads, which
// miss the cache, in flight at once.
func (s *store) touchSome(hs []uint64, idx []int32) uint64 {
	var sink uint64
	for _, i := range idx {
		sink += s.homeWord(hs[i])
	}
	return sink
}

// homeWord reads the first word of the home bucket of hash h.
func (s *store) homeWord(h uint64) uint64 {
	sh := &s.shards[shardOf(h)]
	return binary.LittleEndian.Uint64(sh.tab[home(h, sh.buckets)*s.bucket:])
}

// sizeBytes is the memory of a shard of size buckets.
func (s *store) sizeBytes(size uint64) uint64 {
	b := size*s.bucket + 8
	if s.indexed {
		b += size * s.per * 4
	}
	return b
}

// grownBytes is the memory that storing n more states in shard i allocates
// beside the shard's tables: nothing when it does not grow, else its new
// tables (and those of the step before, alive at the same time, when it
// grows more than once).
func (s *store) grownBytes(i int, n uint64) uint64 {
	sh := &s.shards[i]
	size, prev := sh.buckets, uint64(0)
	for (sh.n+n)*1024 > size*s.per*maxLoad {
		if size != sh.buckets {
			prev = size
		}
		size = grown(size)
	}
	if size == sh.buckets {
		return 0
	}
	b := s.sizeBytes(size)
	if prev > 0 {
		b += s.sizeBytes(prev)
	}
	return b
}
