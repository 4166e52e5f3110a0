package checker

import "unsafe"

// hugeMin is the size of the blocks that levels and growing arrays are
// made of: a huge page.
const hugeMin = 2 << 20

// mapMin is the size from which a table is mapped from the operating
// system rather than taken from Go's heap (see makeTable). A table freed
// from Go's heap stays in the process until the runtime gives its pages
// back, which it does slowly: the shards of the visited set, which grow
// through every size and are freed as they grow, left about 10 MiB behind
// at the peak of check --design sync (100 to 110 MiB, now 93).
const mapMin = 64 << 10

// hugePageSize is the size of a transparent huge page on x86-64 and arm64.
const hugePageSize = 2 << 20

// makeTable returns a zeroed slice of n elements of a pointer-free type, and
// the mapping that holds it, or nil when it comes from the heap. Tables of
// mapMin bytes or more are mapped outside Go's heap, with transparent huge
// pages where the system offers them: a visited set is probed at random,
// and with 4 KiB pages almost every probe of a table of hundreds of
// megabytes also misses the TLB. Outside the heap, the tables also cost the
// garbage collector nothing and are returned to the system as soon as
// freeTable is called, not at the next collection.
func makeTable[T any](n uint64) ([]T, []byte) {
	var zero T
	size := n * uint64(unsafe.Sizeof(zero))
	if size < mapMin {
		return make([]T, n), nil
	}
	m, b := mapBytes(size)
	if m == nil {
		return make([]T, n), nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n), m
}

// freeTable returns the mapping of a table made by makeTable (nothing for a
// table from the heap). No slice of the table may be used afterwards.
func freeTable(mapping []byte) {
	if mapping != nil {
		unmapBytes(mapping)
	}
}
