package checker

import (
	"math/bits"
	"unsafe"
)

// bigArray is an array grown in fixed blocks of hugeMin bytes: growing never
// copies what is stored, so it never holds twice its size, and distinct
// indices may be written concurrently once reserved. The blocks come from
// makeTable, which maps them outside Go's heap (the collector then neither
// scans them nor lets garbage pile up beside them) until free is called.
// T's size must be a power of two no larger than hugeMin.
type bigArray[T any] struct {
	blocks [][]T
	maps   [][]byte
	n      uint64 // length
}

// shift is log2 of the elements of a block.
func (a *bigArray[T]) shift() uint {
	var zero T
	return uint(bits.TrailingZeros64(hugeMin / uint64(unsafe.Sizeof(zero))))
}

// reserve makes room for n elements.
func (a *bigArray[T]) reserve(n uint64) {
	sh := a.shift()
	for uint64(len(a.blocks))<<sh < n {
		b, m := makeTable[T](1 << sh)
		a.blocks, a.maps = append(a.blocks, b), append(a.maps, m)
	}
}

// resize sets the length to n, reserving room first.
func (a *bigArray[T]) resize(n uint64) {
	a.reserve(n)
	a.n = n
}

// tail returns the elements from i to the end of i's block.
func (a *bigArray[T]) tail(i uint64) []T {
	sh := a.shift()
	return a.blocks[i>>sh][i&(1<<sh-1):]
}

func (a *bigArray[T]) at(i uint64) T {
	sh := a.shift()
	return a.blocks[i>>sh][i&(1<<sh-1)]
}

func (a *bigArray[T]) set(i uint64, v T) {
	sh := a.shift()
	a.blocks[i>>sh][i&(1<<sh-1)] = v
}

func (a *bigArray[T]) push(v T) {
	a.resize(a.n + 1)
	a.set(a.n-1, v)
}

// bytes is the memory held, given the size of an element.
func (a *bigArray[T]) bytes(elem uint64) uint64 {
	return uint64(len(a.blocks)) << a.shift() * elem
}

// free returns the blocks; the array is empty afterwards.
func (a *bigArray[T]) free() {
	for _, m := range a.maps {
		freeTable(m)
	}
	a.blocks, a.maps, a.n = nil, nil, 0
}

// extraBytes is the memory that growing the array to n elements of elem
// bytes adds.
func (a *bigArray[T]) extraBytes(n, elem uint64) uint64 {
	sh := a.shift()
	need := (n + 1<<sh - 1) >> sh
	if have := uint64(len(a.blocks)); need > have {
		return (need - have) << sh * elem
	}
	return 0
}
