package checker

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// gen is a generation of the visited set on disk: states sorted by hash
// and state, partition p at byte off[p] of the file (counts[p] states of
// kb bytes). The visited set is a few generations, each older one at
// least about twice as large as the newer ones together: a level's new
// states form a new generation, merged on the way with the small
// generations before it, so that each state is written O(log n) times.
type gen struct {
	f      *diskFile
	n      uint64
	off    [numShards + 1]int64 // off[numShards]: the end of the room
	counts [numShards]uint64
}

// end is the end of the room of partition p.
func (g *gen) end(p int) int64 { return g.off[p+1] }

// reader reads partition p of a generation of states of kb bytes.
func (g *gen) reader(p int, kb uint64) *bufio.Reader {
	return g.f.reader(g.off[p], g.off[p]+int64(g.counts[p]*kb))
}

// cursor walks a sorted stream of states: a generation, a spilled run, or
// the run in memory.
type cursor struct {
	h     uint64
	key   []byte
	c     uint64 // candidate number (runs)
	ok    bool   // h, key and c hold an entry
	err   error
	words []uint64
	r     *bufio.Reader
	withC bool
	rec   []byte
	mem   *candRun
	recs  []hc // the rest of the run in memory
}

// fileCursor returns a cursor on entries of kb bytes of state (and 8 of
// candidate number, withC) from r.
func fileCursor(r *bufio.Reader, kb uint64, words int, withC bool) *cursor {
	n := kb
	if withC {
		n += 8
	}
	c := &cursor{r: r, withC: withC, rec: make([]byte, n), words: make([]uint64, words)}
	c.key = c.rec[:kb]
	c.next()
	return c
}

// memCursor returns a cursor on partition p of the sorted run r.
func memCursor(r *candRun, p int) *cursor {
	c := &cursor{mem: r, recs: r.recs[r.part[p]:r.part[p+1]]}
	c.next()
	return c
}

// next moves the cursor to the next entry; ok is false at the end or on an
// error (err).
func (c *cursor) next() {
	if c.mem != nil {
		if c.ok = len(c.recs) > 0; c.ok {
			c.h, c.c, c.key = c.recs[0].h, c.recs[0].c, c.mem.key(c.recs[0].c)
			c.recs = c.recs[1:]
		}
		return
	}
	_, err := io.ReadFull(c.r, c.rec)
	if c.ok = err == nil; !c.ok {
		if !errors.Is(err, io.EOF) {
			c.err = fmt.Errorf("disk run: reading back: %w", err)
		}
		return
	}
	unpackState(c.key, uint64(len(c.key)), c.words)
	c.h = hashState(c.words)
	if c.withC {
		c.c = binary.LittleEndian.Uint64(c.rec[len(c.key):])
	}
}

// order compares the entry of c with hash h and state key.
func (c *cursor) order(h uint64, key []byte) int {
	if c.h != h {
		return cmp.Compare(c.h, h)
	}
	return bytes.Compare(c.key, key)
}

// partMerge merges partition p of a level's runs with the visited set: it
// marks the new states (the first candidate of each state not visited) in
// isNew, and writes the new generation: the new states with the old
// generations from keep on, in order. It returns the states written.
type partMerge struct {
	e      *explorer
	runs   []*cursor // the runs of candidates
	old    []*cursor // the generations that stay
	merged []*cursor // the generations merged into the new one
	out    io.Writer
	isNew  []uint64
	key    []byte
	n      uint64 // states written
	fresh  uint64 // new states
}

// merge runs the merge; it returns why it stopped early (an error).
func (m *partMerge) merge() error {
	for steps := 0; ; steps++ {
		var least *cursor
		for _, s := range m.runs {
			if s.ok && (least == nil || s.order(least.h, least.key) < 0 || s.order(least.h, least.key) == 0 && s.c < least.c) {
				least = s
			}
		}
		if least == nil {
			break
		}
		h, c := least.h, least.c
		m.key = append(m.key[:0], least.key...)
		for _, s := range m.runs {
			for s.ok && s.h == h && bytes.Equal(s.key, m.key) {
				s.next()
			}
		}
		if err := m.emitBelow(h, m.key, true); err != nil {
			return err
		}
		if !m.visited(h, m.key) {
			atomic.OrUint64(&m.isNew[c/64], 1<<(c%64))
			m.fresh++
			if err := m.write(m.key); err != nil {
				return err
			}
		}
		if steps%(1<<16) == 0 && m.e.stop.Load() {
			return errors.New(m.e.mon.why())
		}
	}
	if err := m.emitBelow(0, nil, false); err != nil {
		return err
	}
	return m.err()
}

// visited reports whether a generation holds the state, moving the
// cursors of the generations that stay up to it.
func (m *partMerge) visited(h uint64, key []byte) bool {
	found := false
	for _, g := range m.merged {
		found = found || g.ok && g.order(h, key) == 0
	}
	for _, g := range m.old {
		for g.ok && g.order(h, key) < 0 {
			g.next()
		}
		found = found || g.ok && g.order(h, key) == 0
	}
	return found
}

// emitBelow writes, in order, the states of the merged generations below
// (h, key), or all of them when bounded is false.
func (m *partMerge) emitBelow(h uint64, key []byte, bounded bool) error {
	for {
		var least *cursor
		for _, g := range m.merged {
			if g.ok && (!bounded || g.order(h, key) < 0) && (least == nil || g.order(least.h, least.key) < 0) {
				least = g
			}
		}
		if least == nil {
			return nil
		}
		if err := m.write(least.key); err != nil {
			return err
		}
		least.next()
	}
}

func (m *partMerge) write(key []byte) error {
	m.n++
	_, err := m.out.Write(key)
	return err
}

// err returns the first read error of the cursors.
func (m *partMerge) err() error {
	for _, cs := range [][]*cursor{m.runs, m.old, m.merged} {
		for _, c := range cs {
			if c.err != nil {
				return c.err
			}
		}
	}
	return nil
}
