package checker

import (
	"syscall"
	"unsafe"
)

// madvHugepage is MADV_HUGEPAGE (not in package syscall).
const madvHugepage = 14

// mapBytes maps at least n zeroed bytes of anonymous memory and returns the
// mapping and its first n bytes from a huge-page boundary, with transparent
// huge pages asked for on them. It returns nils when the mapping fails, and
// the caller then uses the heap.
func mapBytes(n uint64) (mapping, b []byte) {
	// A huge page more than asked, so that the table can start on a
	// huge-page boundary: the kernel backs only aligned 2 MiB ranges with
	// huge pages. The ends outside the table are never touched and take
	// no memory.
	m, err := syscall.Mmap(-1, 0, int(n+hugePageSize), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil
	}
	off := 0
	for off < hugePageSize && !aligned(m[off:]) {
		off += 4096
	}
	b = m[off : off+int(n) : off+int(n)]
	// Advice only: without huge pages the table works the same, slower.
	_ = syscall.Madvise(b, madvHugepage)
	return m, b
}

// unmapBytes returns a mapping made by mapBytes.
func unmapBytes(mapping []byte) {
	// A failure would leave the mapping in place: a leak, not an error
	// the search could act on.
	_ = syscall.Munmap(mapping)
}

// aligned reports whether b starts on a huge-page boundary.
func aligned(b []byte) bool {
	return uintptr(unsafe.Pointer(unsafe.SliceData(b)))%hugePageSize == 0
}
