package traces

import "hash/maphash"

// genMap is a map that remembers a bounded number of entries: two
// generations of at most gen entries each. New entries go to the current
// generation; when it is full it becomes the old one and the old one is
// forgotten (counted in forgotten). So the last gen entries put are
// always remembered, never more than 2*gen, and what was forgotten is
// counted exactly: a check that relies on the map says how much it lost
// (lossNote) instead of answering as if it had seen everything.
//
// It is built on Go maps (swiss tables, grown table by table, so that
// growth costs no transient copy of the whole map).
type genMap[K comparable, V any] struct {
	cur, old  map[K]V // disjoint: a key is in one of them at most
	gen       int     // entries of a generation; <= 0: unbounded
	forgotten int     // entries dropped with an old generation
}

func newGenMap[K comparable, V any](gen int) genMap[K, V] {
	return genMap[K, V]{cur: map[K]V{}, gen: gen}
}

// get returns the value of k and whether it is remembered.
func (m *genMap[K, V]) get(k K) (V, bool) {
	if v, ok := m.cur[k]; ok {
		return v, true
	}
	v, ok := m.old[k]
	return v, ok
}

// put sets k to v as the most recent entry, forgetting the old
// generation when the current one is full.
func (m *genMap[K, V]) put(k K, v V) {
	if _, ok := m.cur[k]; !ok {
		delete(m.old, k)
		if m.gen > 0 && len(m.cur) >= m.gen {
			m.forgotten += len(m.old)
			m.old, m.cur = m.cur, make(map[K]V, m.gen)
		}
	}
	m.cur[k] = v
}

// del forgets k without counting it as lost (it is no longer needed).
func (m *genMap[K, V]) del(k K) {
	delete(m.cur, k)
	delete(m.old, k)
}

// len returns the entries remembered.
func (m *genMap[K, V]) len() int { return len(m.cur) + len(m.old) }

// Generations of the maps of what a streaming check has finished with
// (entries each; at most twice as many are remembered). With Go's maps at
// about 25 to 50 bytes an entry, all of them full take about 200 MB at
// most: lin and import ftrace stay under 400 MiB on any length.
const (
	closedGen = 1 << 20 // judged objects (stream.go), 16-byte hashes
	addrGen   = 1 << 20 // addresses with their last free (fimport.go)
	secGen    = 1 << 19 // ended read sections of a trace file (reader.go)
	gpGen     = 1 << 19 // grace periods of a trace file with both boundaries
)

// nameHasher hashes names to 128 bits (two seeded maphash values): the
// keys of the genMaps of names, 16 bytes whatever the name's length. Two
// names get the same key with probability 2^-128 a pair.
type nameHasher [2]maphash.Seed

func newNameHasher() nameHasher { return nameHasher{maphash.MakeSeed(), maphash.MakeSeed()} }

func (h *nameHasher) key(name string) [2]uint64 {
	return [2]uint64{maphash.String(h[0], name), maphash.String(h[1], name)}
}
