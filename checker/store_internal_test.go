package checker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStoreAgainstMap: the store finds what a map finds: in exact mode, a
// map of the whole states, the keys cut to the bytes the states' bits need,
// at widths that end inside a byte, on a byte and on a word (from 63 slots
// a bucket to one), through growth and with the all-zero state; in
// fingerprint mode, a map of the states' shards and fingerprints. Widths of
// 12 and 16 bits fill the buckets of their shards with keys of 1 and 2
// bytes.
func TestStoreAgainstMap(t *testing.T) {
	for _, bits := range []int{1, 5, 7, 8, 12, 16, 63, 64, 65, 68, 69, 74, 76, 128, 129, 200, 600} {
		for _, fp := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/fp=%v", bits, fp), func(t *testing.T) { testStoreAgainstMap(t, bits, fp) })
		}
	}
}

func testStoreAgainstMap(t *testing.T, bits int, fp bool) {
	words := (bits + 63) / 64
	rng := rand.New(rand.NewPCG(uint64(bits), 1))
	s := newStore(words, bits, fp, true)
	defer s.free()
	name := func(w []uint64) string {
		if !fp {
			return fmt.Sprint(w)
		}
		h := hashState(w)
		return fmt.Sprint(shardOf(h), fingerprint(h))
	}
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
		k := name(w)
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
		if old, ok := want[name(w)]; ok != found || (ok && old != v) {
			t.Fatalf("lookup %v: found %v value %d; map %v %d", w, found, v, ok, old)
		}
	}
}

// TestStoreFirstWordTies: keys that share their first word, which a search
// compares first, and so their home bucket, are told apart by the rest, in
// both the bucket they fill and those they overflow into, before and after
// their shard grows.
func TestStoreFirstWordTies(t *testing.T) {
	s := newStore(2, 76, false, true)
	defer s.free()
	key := func(x, y uint64) ([]uint64, uint64) {
		k := []uint64{x, y}
		h := s.keys.restore(k, 3)
		k[1] &= s.keys.keep
		return k, h
	}
	const n = 256 // every value of the 8 bits a slot keeps of the second word
	for y := range uint64(n) {
		k, h := key(0x0123456789abcdef, y)
		if v, found := s.insert(k, h, uint32(y)); found {
			t.Fatalf("key %d: found (value %d) before it was inserted", y, v)
		}
	}
	for y := range uint64(n) {
		k, h := key(0x0123456789abcdef, y)
		if v, found := s.lookup(k, h); !found || v != uint32(y) {
			t.Fatalf("key %d: found %v value %d, want value %d", y, found, v, y)
		}
		if _, found := s.lookup(key(0x0123456789abcdee, y)); found {
			t.Fatalf("key %d of another first word found", y)
		}
	}
}

// BenchmarkStoreLookup looks up keys of a store of 24M states (the size
// of check --design head at the defaults) as the explorer does, a chunk of
// m keys at a time (768: the successors of a chunk at the defaults), about
// 70% of them stored. It parts the cost: making the keys ("keys"), reading
// their home buckets ahead ("touch"), searching after the reads ahead
// ("touch+lookup"), searching again right after ("touch+lookup2", every
// bucket then in the cache), searching with no reads ahead ("lookup").
// Subtract "keys" from each, and "touch" from "touch+lookup", for the cost
// of a step.
func BenchmarkStoreLookup(b *testing.B) {
	const n = 24 << 20
	s := newStore(2, 76, false, false)
	defer s.free()
	state := func(i uint64) []uint64 { return []uint64{i * 0x9E3779B97F4A7C15, i >> 52 & 0xfff} }
	var buf [maxStackWords]uint64
	for i := range uint64(n) {
		k, h := s.key(state(i), &buf)
		s.reserve(shardOf(h), 1)
		s.insert(k, h, 0)
	}
	for _, m := range []int{16, 768} {
		all, found := make([]int32, m), make([]bool, m)
		for j := range all {
			all[j] = int32(j)
		}
		lookups := func(keys, hs []uint64) (n uint64) {
			s.storedAll(keys, hs, all, found, nil, false)
			for _, ok := range found {
				n += b2u(ok)
			}
			return n
		}
		for _, mode := range []string{"keys", "touch", "touch+lookup", "touch+lookup2", "lookup"} {
			b.Run(fmt.Sprintf("m=%d/%s", m, mode), func(b *testing.B) {
				keys, hs := make([]uint64, 2*m), make([]uint64, m)
				rng := rand.New(rand.NewPCG(1, 2))
				var sink uint64
				for range b.N {
					for j := range m {
						hs[j] = s.keyInto(keys[2*j:2*j+2], state(rng.Uint64N(n*10/7)))
					}
					if mode != "keys" && mode != "lookup" {
						sink += s.touchSome(hs, all)
					}
					if mode != "keys" && mode != "touch" {
						sink += lookups(keys, hs)
					}
					if mode == "touch+lookup2" {
						sink += lookups(keys, hs)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/key")
				if sink == 0 && mode != "keys" {
					b.Fatal("nothing found")
				}
			})
		}
	}
}

// TestBucketShape: a bucket is the fewest cache lines whose unused bytes
// (the count's byte included) are within an eighth of it, with at most 63
// slots, so that a bucket's slots fit the bits of a word.
func TestBucketShape(t *testing.T) {
	for _, c := range []struct{ kb, bytes, per uint64 }{
		{1, 64, 63}, {7, 64, 9}, {8, 64, 7}, {9, 64, 7}, {18, 128, 7}, {34, 192, 5}, {64, 512, 7},
	} {
		if bytes, per := bucketShape(c.kb); bytes != c.bytes || per != c.per {
			t.Errorf("bucketShape(%d) = %d bytes, %d slots; want %d, %d", c.kb, bytes, per, c.bytes, c.per)
		}
	}
	fits := func(kb, bytes uint64) bool {
		per := (bytes - 1) / kb
		return per > 0 && 8*(bytes-per*kb) <= bytes
	}
	for kb := uint64(1); kb <= 1024; kb++ {
		bytes, per := bucketShape(kb)
		if bytes%lineBytes != 0 || per == 0 || per > 63 || 1+per*kb > bytes || !fits(kb, bytes) || (bytes > lineBytes && fits(kb, bytes-lineBytes)) {
			t.Fatalf("bucketShape(%d) = %d bytes, %d slots", kb, bytes, per)
		}
	}
}

// TestStoredAllAgainstMap: storedAll, a chunk's lookups (and a direct
// run's insertions), finds what a map finds, batch after batch of states
// drawn from a small pool so that many are stored already, on the keys
// listed (those not marked as copies); keys of two words, the spec's, take a loop of
// their own, checked here at widths on both sides of it, with and without
// values.
func TestStoredAllAgainstMap(t *testing.T) {
	for _, bits := range []int{12, 64, 65, 76, 128, 129, 200} {
		for _, indexed := range []bool{false, true} {
			for _, fp := range []bool{false, true} {
				t.Run(fmt.Sprintf("%d/indexed=%v/fp=%v", bits, indexed, fp), func(t *testing.T) {
					testStoredAll(t, bits, indexed, fp)
				})
			}
		}
	}
}

func testStoredAll(t *testing.T, bits int, indexed, fp bool) {
	words := (bits + 63) / 64
	s := newStore(words, bits, fp, indexed)
	defer s.free()
	rng := rand.New(rand.NewPCG(uint64(bits), 3))
	pool := make([][]uint64, 3000)
	for i := range pool {
		pool[i] = make([]uint64, words)
		for w := range pool[i] {
			pool[i][w] = rng.Uint64()
		}
		if r := bits % 64; r != 0 {
			pool[i][words-1] &= 1<<r - 1
		}
	}
	stored := map[string]bool{} // by state: a narrow pool repeats states
	value := map[string]uint32{}
	const n = 200
	for batch := range 60 {
		insert := !indexed && batch%3 != 2 // lookups only, every third batch
		picks := make([]int, n)
		states := make([]uint64, 0, n*words)
		first := make([]int32, n)
		for j := range picks {
			picks[j] = rng.IntN(len(pool))
			states = append(states, pool[picks[j]]...)
			first[j] = -1
			if j > 0 && rng.IntN(5) == 0 {
				picks[j], first[j] = picks[j-1], int32(j-1)
				copy(states[j*words:], pool[picks[j]])
			}
		}
		keys, hs := make([]uint64, n*s.kw), make([]uint64, n)
		s.keysInto(keys, hs, states)
		var uniq []int32
		for j, k := range first {
			if k < 0 {
				uniq = append(uniq, int32(j))
			}
		}
		found, val := make([]bool, n), make([]uint32, n)
		s.storedAll(keys, hs, uniq, found, val, insert)
		for j, p := range picks {
			if first[j] >= 0 {
				continue
			}
			k := fmt.Sprint(pool[p])
			if found[j] != stored[k] {
				t.Fatalf("batch %d, key %d (state %x): found %v, want %v", batch, j, pool[p], found[j], stored[k])
			}
			if v, ok := value[k]; indexed && found[j] && val[j] != v {
				t.Fatalf("batch %d, key %d (state %x): value %d, want %d (%v)", batch, j, pool[p], val[j], v, ok)
			}
			stored[k] = stored[k] || insert // a later copy in the batch finds it
		}
		if indexed { // the values come from insert: store a few
			for j, p := range picks[:20] {
				if k := fmt.Sprint(pool[p]); !stored[k] {
					s.insert(keys[j*s.kw:(j+1)*s.kw], hs[j], uint32(p))
					stored[k], value[k] = true, uint32(p)
				}
			}
		}
	}
}

// TestStoredAllFirstWordTies is TestStoreFirstWordTies for storedAll on a
// store without values, the loop of a direct run: keys that share their
// first word are inserted in one batch and looked up in another, beside
// keys of another first word.
func TestStoredAllFirstWordTies(t *testing.T) {
	s := newStore(2, 76, false, false)
	defer s.free()
	const n = 256 // every value of the 8 bits a slot keeps of the second word
	batch := func(x uint64, insert bool) []bool {
		keys, hs := make([]uint64, 2*n), make([]uint64, n)
		for y := range uint64(n) {
			keys[2*y], keys[2*y+1] = x, y
			hs[y] = s.keys.restore(keys[2*y:2*y+2], 3)
			keys[2*y+1] &= s.keys.keep
		}
		all := make([]int32, n)
		for j := range all {
			all[j] = int32(j)
		}
		found := make([]bool, n)
		s.storedAll(keys, hs, all, found, nil, insert)
		return found
	}
	if found := batch(0x0123456789abcdef, true); slices.Contains(found, true) {
		t.Fatalf("a key was found before it was inserted: %v", found)
	}
	if found := batch(0x0123456789abcdef, false); slices.Contains(found, false) {
		t.Fatalf("an inserted key was not found: %v", found)
	}
	if found := batch(0x0123456789abcdee, false); slices.Contains(found, true) {
		t.Fatalf("a key of another first word was found: %v", found)
	}
}
