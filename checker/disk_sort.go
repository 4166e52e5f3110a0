package checker

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
)

// hc is a candidate of a disk run in memory: its hash and its number in
// the level (candidates are numbered in the order a sequential search
// generates them, duplicates inside a chunk left out).
type hc struct{ h, c uint64 }

// candRun holds candidates in memory until they are sorted: by hash, then
// state, then number, so that the first of equal states is the one met
// first. Sorted, its records come partition by partition (the top bits of
// the hash, shardOf), partition p in recs[part[p]:part[p+1]].
type candRun struct {
	kb       uint64
	keys     []byte // the states, kb bytes each, candidate c at (c-base)*kb
	recs     []hc
	maps     [2][]byte // the mappings of keys and recs
	n        int       // candidates held
	base     uint64    // the number of the first
	part     [numShards + 1]int
	capacity int
}

// newCandRun returns a run of room for capacity candidates of kb bytes.
func newCandRun(kb uint64, capacity int) *candRun {
	r := &candRun{kb: kb, capacity: capacity}
	r.keys, r.maps[0] = makeTable[byte](uint64(capacity) * kb)
	r.recs, r.maps[1] = makeTable[hc](uint64(capacity))
	return r
}

// candRunBytes is the memory of a run of room for capacity candidates.
func candRunBytes(kb uint64, capacity int) uint64 { return uint64(capacity) * (kb + 16) }

// free returns the run's memory.
func (r *candRun) free() {
	freeTable(r.maps[0])
	freeTable(r.maps[1])
	r.keys, r.recs = nil, nil
}

// key is the state of candidate c.
func (r *candRun) key(c uint64) []byte {
	i := (c - r.base) * r.kb
	return r.keys[i : i+r.kb]
}

// add appends the candidates j0 to j1 of a chunk, numbered from first.
// The run must have room.
func (r *candRun) add(c *chunk, j0, j1 int, first uint64, words int) {
	if r.n == 0 {
		r.base = first
	}
	for j := j0; j < j1; j++ {
		r.recs[r.n] = hc{c.ch[j], first + uint64(j-j0)}
		packState(r.keys[uint64(r.n)*r.kb:], r.kb, c.cw[j*words:(j+1)*words])
		r.n++
	}
}

// compare orders two candidates by hash, state and number.
func (r *candRun) compare(a, b hc) int {
	if a.h != b.h {
		return cmp.Compare(a.h, b.h)
	}
	if x := bytes.Compare(r.key(a.c), r.key(b.c)); x != 0 {
		return x
	}
	return cmp.Compare(a.c, b.c)
}

// sort sorts the run: it puts the candidates in their partitions, then
// sorts the partitions on the explorer's workers.
func (r *candRun) sort(e *explorer) {
	recs := r.recs[:r.n]
	var count [numShards]int
	for _, x := range recs {
		count[shardOf(x.h)]++
	}
	var next [numShards]int
	for p := range count {
		r.part[p+1] = r.part[p] + count[p]
		next[p] = r.part[p]
	}
	// In place: each record goes to the next free place of its partition.
	for p := range next {
		for next[p] < r.part[p+1] {
			x := recs[next[p]]
			if q := shardOf(x.h); q != p {
				recs[next[p]], recs[next[q]] = recs[next[q]], x
				next[q]++
				continue
			}
			next[p]++
		}
	}
	e.parallel(numShards, func(_ *worker, p int) {
		slices.SortFunc(recs[r.part[p]:r.part[p+1]], r.compare)
	})
}

// spill writes the sorted run to a file, partition by partition, each
// state once (the first), as kb bytes of state and 8 of number; it
// returns the file and where each partition starts in it.
func (r *candRun) spill(d *diskFiles) (*spilled, error) {
	f, err := d.create("run", int64(r.n)*int64(r.kb+8))
	if err != nil {
		return nil, err
	}
	s := &spilled{f: f}
	rec := make([]byte, r.kb+8)
	for p := 0; p < numShards; p++ {
		s.off[p] = f.end + int64(f.w.Buffered())
		var last hc
		for i, x := range r.recs[r.part[p]:r.part[p+1]] {
			if i > 0 && x.h == last.h && bytes.Equal(r.key(x.c), r.key(last.c)) {
				continue
			}
			last = x
			copy(rec, r.key(x.c))
			binary.LittleEndian.PutUint64(rec[r.kb:], x.c)
			if _, err := f.Write(rec); err != nil {
				return s, err
			}
		}
	}
	s.off[numShards] = f.end + int64(f.w.Buffered())
	r.n = 0
	return s, f.finish()
}

// spilled is a sorted run of candidates on disk: partition p from byte
// off[p] to off[p+1].
type spilled struct {
	f   *diskFile
	off [numShards + 1]int64
}
