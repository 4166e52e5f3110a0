package checker

import "encoding/binary"

// levelBlock is the size of a block of a level's states.
const levelBlock = hugeMin

// block is a block of memory from makeTable, with its mapping.
type block struct {
	b       []byte
	mapping []byte
}

// blockPool recycles the blocks of the levels: the frontier gives back the
// blocks of the states it has expanded, and the next level takes them, so
// that the two together hold little more than the larger of them.
type blockPool struct {
	free []block
	n    int // blocks made
}

func (p *blockPool) get() block {
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		return b
	}
	p.n++
	b, m := makeTable[byte](levelBlock)
	return block{b, m}
}

func (p *blockPool) put(b block) { p.free = append(p.free, b) }

// release returns every block made, which must all be back in the pool.
func (p *blockPool) release() {
	for _, b := range p.free {
		freeTable(b.mapping)
	}
	p.free, p.n = nil, 0
}

// bytes is the memory the pool's blocks hold.
func (p *blockPool) bytes() uint64 { return uint64(p.n) * levelBlock }

// level holds the states of one breadth-first level, each in its first
// size bytes (the words little-endian, cut after the model's StateBits), in
// blocks from a pool.
type level struct {
	pool   *blockPool
	words  int
	size   uint64 // bytes a state
	per    uint64 // states a block
	blocks []block
	first  int    // blocks before it were given back
	n      uint64 // states
}

func newLevel(pool *blockPool, words int, bits int) *level {
	size := uint64(bits+7) / 8
	return &level{pool: pool, words: words, size: size, per: levelBlock / size}
}

// resize sets the number of states to n, taking the blocks it needs.
func (l *level) resize(n uint64) {
	for uint64(len(l.blocks))*l.per < n {
		l.blocks = append(l.blocks, l.pool.get())
	}
	l.n = n
}

// put writes state w at position i (< n). Distinct positions may be written
// concurrently.
func (l *level) put(i uint64, w []uint64) {
	packState(l.blocks[i/l.per].b[i%l.per*l.size:], l.size, w)
}

// packState writes the words of w little-endian into the first size bytes
// of b.
func packState(b []byte, size uint64, w []uint64) {
	rest := size
	for _, x := range w {
		if rest >= 8 {
			binary.LittleEndian.PutUint64(b, x)
			b, rest = b[8:], rest-8
			continue
		}
		for k := uint64(0); k < rest; k++ {
			b[k] = byte(x >> (8 * k))
		}
		if x>>(8*rest) != 0 {
			panic("checker: the model set bits of a state beyond its StateBits")
		}
		rest = 0
	}
}

// get reads the state at position i into w.
func (l *level) get(i uint64, w []uint64) {
	unpackState(l.blocks[i/l.per].b[i%l.per*l.size:], l.size, w)
}

// unpackState reads the words of w from the first size bytes of b, as
// packState wrote them.
func unpackState(b []byte, size uint64, w []uint64) {
	rest := size
	for j := range w {
		switch {
		case rest >= 8:
			w[j] = binary.LittleEndian.Uint64(b)
			b, rest = b[8:], rest-8
		default:
			var x uint64
			for k := uint64(0); k < rest; k++ {
				x |= uint64(b[k]) << (8 * k)
			}
			w[j], rest = x, 0
		}
	}
}

// releaseBelow gives back the blocks that hold only states before position i.
func (l *level) releaseBelow(i uint64) {
	for ; l.first < len(l.blocks) && uint64(l.first+1)*l.per <= i; l.first++ {
		l.pool.put(l.blocks[l.first])
		l.blocks[l.first] = block{}
	}
}

// reset gives back every block and empties the level.
func (l *level) reset() {
	l.releaseBelow(uint64(len(l.blocks)) * l.per)
	l.blocks, l.first, l.n = l.blocks[:0], 0, 0
}

// extraBytes is the memory that growing the level to n states takes from
// the system, beside the blocks free in the pool.
func (l *level) extraBytes(n uint64) uint64 {
	need := (n + l.per - 1) / l.per
	have := uint64(len(l.blocks) + len(l.pool.free))
	if need > have {
		return (need - have) * levelBlock
	}
	return 0
}
