package checker

// blockBits is log2 of the length of a block of a bigArray.
const blockBits = 19

// bigArray is an array grown in fixed blocks: growing never copies what is
// stored, so it never holds twice its size, and distinct indices may be
// written concurrently once reserved. Blocks come from makeTable: large
// ones live outside Go's heap until free is called.
type bigArray[T any] struct {
	blocks [][]T
	maps   [][]byte
	n      uint64 // length
}

// reserve makes room for n elements.
func (a *bigArray[T]) reserve(n uint64) {
	for uint64(len(a.blocks))<<blockBits < n {
		b, m := makeTable[T](1 << blockBits)
		a.blocks, a.maps = append(a.blocks, b), append(a.maps, m)
	}
}

// resize sets the length to n, reserving room first.
func (a *bigArray[T]) resize(n uint64) {
	a.reserve(n)
	a.n = n
}

func (a *bigArray[T]) at(i uint64) T { return a.blocks[i>>blockBits][i&(1<<blockBits-1)] }

func (a *bigArray[T]) set(i uint64, v T) { a.blocks[i>>blockBits][i&(1<<blockBits-1)] = v }

func (a *bigArray[T]) push(v T) {
	a.resize(a.n + 1)
	a.set(a.n-1, v)
}

// bytes is the memory held, given the size of an element.
func (a *bigArray[T]) bytes(elem uint64) uint64 {
	return uint64(len(a.blocks)) << blockBits * elem
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
	need := (n + 1<<blockBits - 1) >> blockBits
	if have := uint64(len(a.blocks)); need > have {
		return (need - have) << blockBits * elem
	}
	return 0
}
