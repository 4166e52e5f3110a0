package checker

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// diskMerge is phase 2: it merges the level's runs with the visited set,
// marking the new states in d.isNew and replacing the generations it
// merged with the new one. It returns why the run stops, or "".
func (e *explorer) diskMerge() string {
	d := e.disk
	e.trimChunks(0)
	d.run.sort(e)
	words := (d.cands + 63) / 64
	bufs := uint64(min(len(e.workers), numShards)) * diskBuf * uint64(len(d.spills)+len(d.gens)+2)
	if e.opt.MaxMemory > 0 && e.memory()+8*words+bufs > e.opt.MaxMemory {
		return e.memStop()
	}
	d.isNew, d.isNewMap = makeTable[uint64](words)
	d.hold(e, int64(8*words+bufs))
	defer d.hold(e, -int64(bufs))
	keep := d.mergedFrom()
	out, err := d.newGen(keep)
	if err != nil {
		return e.fault(err)
	}
	errs := make([]error, numShards)
	e.mon.setPhase(fmt.Sprintf("level %d: merging", len(e.levels)), numShards)
	e.parallel(numShards, func(_ *worker, p int) {
		w := bufio.NewWriterSize(&regionWriter{f: out.f, off: out.off[p]}, bufSize(out.end(p)-out.off[p]))
		m := d.partMerge(e, p, keep, w)
		errs[p] = m.merge()
		if errs[p] == nil {
			errs[p] = w.Flush()
		}
		out.counts[p] = m.n
		e.mon.done.Add(1)
	})
	if e.stop.Load() {
		out.f.remove()
		return e.mon.why()
	}
	if err := errors.Join(errs...); err != nil {
		out.f.remove()
		return e.fault(err)
	}
	for _, g := range d.gens[keep:] {
		g.f.remove()
	}
	for _, n := range out.counts {
		out.n += n
	}
	d.gens = append(d.gens[:keep], out)
	return ""
}

// newGen makes the file of the level's new generation, the generations
// from keep on merged into it: partition p gets room for all its
// candidates and all the states of those generations in it.
func (d *diskRun) newGen(keep int) (*gen, error) {
	f, err := d.files.create("gen", 16)
	if err != nil {
		return nil, err
	}
	f.w = nil
	g := &gen{f: f}
	var at int64
	for p := 0; p < numShards; p++ {
		g.off[p] = at
		n := uint64(d.run.part[p+1] - d.run.part[p])
		for _, s := range d.spills {
			n += uint64(s.off[p+1]-s.off[p]) / (d.kb + 8)
		}
		for _, o := range d.gens[keep:] {
			n += o.counts[p]
		}
		at += int64(n * d.kb)
	}
	g.off[numShards] = at
	return g, nil
}

// mergedFrom returns the first generation that the level's new one
// replaces: those at the end of the list no more than twice as large as
// the new states (at most the level's candidates) and the generations
// after them.
func (d *diskRun) mergedFrom() int {
	i, t := len(d.gens), d.cands
	for i > 0 && d.gens[i-1].n <= 2*t {
		t += d.gens[i-1].n
		i--
	}
	return i
}

// partMerge sets up the merge of partition p: cursors on the runs and the
// generations, those from keep on merged into out.
func (d *diskRun) partMerge(e *explorer, p, keep int, out io.Writer) *partMerge {
	m := &partMerge{e: e, out: out, isNew: d.isNew}
	for _, s := range d.spills {
		m.runs = append(m.runs, fileCursor(s.f.reader(s.off[p], s.off[p+1]), d.kb, e.words, true))
	}
	m.runs = append(m.runs, memCursor(d.run, p))
	for i, g := range d.gens {
		c := fileCursor(g.reader(p, d.kb), d.kb, e.words, false)
		if i < keep {
			m.old = append(m.old, c)
		} else {
			m.merged = append(m.merged, c)
		}
	}
	return m
}

// diskNumber is phase 3: it expands the frontier again, chunk by chunk as
// phase 1 did, numbers the candidates marked new in that order, observes
// them and writes them as the next frontier. It returns why the run stops,
// or "".
func (e *explorer) diskNumber() string {
	d := e.disk
	d.run.free()
	d.hold(e, -int64(candRunBytes(d.kb, d.run.capacity)))
	d.run = nil
	before := make([]uint64, len(d.spans)+1)
	for i, s := range d.spans {
		before[i+1] = before[i] + countBits(d.isNew, s.cand, s.cand+uint64(s.n))
	}
	keep, limit := e.capNew(before[len(d.spans)])
	next, err := d.files.create("level", int64(keep*d.kb))
	if err != nil {
		return e.fault(err)
	}
	rankers := make([]Ranker, len(e.workers))
	for i, w := range e.workers {
		rankers[i], w.ranker = w.ranker, nil
	}
	defer func() {
		for i, w := range e.workers {
			w.ranker = rankers[i]
		}
	}()
	fr := &frontReader{r: d.front.reader(0, d.front.len())}
	defer e.frontier.reset()
	first := e.n
	e.growGoals(first + keep)
	e.mon.setPhase(fmt.Sprintf("level %d: numbering", len(e.levels)), uint64(len(d.spans)))
	for i := 0; i < len(d.spans) && before[i] < keep; {
		e.mon.done.Store(uint64(i))
		j := d.group(i, e.words)
		if err := fr.load(e.frontier, d.spans[j-1].hi); err != nil {
			next.remove()
			return e.fault(err)
		}
		chunks := e.spanChunks(d.spans[i:j])
		e.budget = math.MaxUint64
		if stop := e.expandAll(chunks); stop != "" {
			next.remove()
			return stop
		}
		k := 0
		for k < len(chunks) && chunks[k].done {
			k++
		}
		if err := e.numberGroup(chunks[:k], d.spans[i:i+k], before[i:i+k+1], first, keep, next); err != nil {
			next.remove()
			return e.fault(err)
		}
		i += k
		e.pending.Store(0)
		e.frontier.releaseBelow(d.spans[i-1].hi)
		e.mon.setPosition(e)
	}
	if err := next.finish(); err != nil {
		next.remove()
		return e.fault(err)
	}
	d.front.remove()
	d.front, d.frontN = next, e.n-first
	return limit
}

// group returns the end of the group of spans from i that phase 3 expands
// at once: their candidates take at most a quarter of the room.
func (d *diskRun) group(i, words int) int {
	j, bytes := i, uint64(0)
	per := 8*uint64(words) + 64 + d.kb
	for j < len(d.spans) && j-i < maxChunks && (j == i || bytes+uint64(d.spans[j].n)*per <= d.room/4) {
		bytes += uint64(d.spans[j].n) * per
		j++
	}
	return j
}

// spanChunks returns chunks of the frontier positions of spans.
func (e *explorer) spanChunks(spans []span) []*chunk {
	for len(e.chunks) < len(spans) {
		c := &chunk{}
		e.chunks = append(e.chunks, c)
		e.noteChunk(c)
	}
	chunks := e.chunks[:len(spans)]
	for i, c := range chunks {
		c.lo, c.hi, c.done = spans[i].lo, spans[i].hi, false
	}
	return chunks
}

// numberGroup numbers the new states of a group of chunks (spans, with
// before[i] new states of the level before chunk i) from state first,
// keep of the level at most; it writes them and their links, and only then
// counts and observes them.
func (e *explorer) numberGroup(chunks []*chunk, spans []span, before []uint64, first, keep uint64, next *diskFile) error {
	d := e.disk
	lo, hi := min(before[0], keep), min(before[len(chunks)], keep)
	e.next.resize(hi - lo)
	links := make([]byte, 4*(hi-lo))
	d.hold(e, int64(len(links)))
	defer d.hold(e, -int64(len(links)))
	off := uint64(len(e.nextOrbit))
	if e.symmetric {
		e.nextOrbit = append(e.nextOrbit, make([]uint64, hi-lo)...)
	}
	e.parallel(len(chunks), func(w *worker, i int) {
		c, s := chunks[i], spans[i]
		if len(c.ch) != s.n {
			panic(fmt.Sprintf("checker: model is not deterministic: states %d to %d have %d new successors, then %d", c.lo, c.hi, s.n, len(c.ch)))
		}
		e.resetObs(c)
		e.resetRanks(c)
		c.transitions, c.fullTrans, c.deadlocks, c.firstDead = 0, 0, 0, -1
		r := before[i]
		for j := range c.ch {
			if x := s.cand + uint64(j); d.isNew[x/64]&(1<<(x%64)) == 0 {
				continue
			}
			if r >= keep {
				break
			}
			st := c.cw[j*e.words : (j+1)*e.words]
			e.next.put(r-lo, st)
			pos := c.lo + uint64(c.from[j])
			v, ok := packLink(pos, c.cord[j])
			binary.LittleEndian.PutUint32(links[4*(r-lo):], v)
			if !ok {
				c.bigLinks = append(c.bigLinks, [3]uint64{first + r, pos, uint64(c.cord[j])})
			}
			if e.symmetric {
				e.nextOrbit[off+r-lo] = c.orbit[j]
				c.fullStates += c.orbit[j]
			}
			w.observe(c, first+r, st)
			r++
		}
	})
	err := writeLevel(e.next, hi-lo, next)
	e.next.reset()
	if err == nil {
		err = errors.Join(next.flush(), write(d.links, links))
	}
	if err != nil {
		return err
	}
	e.merge(0, chunks) // the findings of the new states alone: the rest was counted in phase 1
	e.n = first + hi
	return nil
}
