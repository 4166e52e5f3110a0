package checker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strings"
)

// A disk run (Options.DiskDir) explores level by level as Explore does, but
// keeps the visited set, the levels and the parent links in files, with
// delayed duplicate detection (as disk-based Murphi and TLC's DiskFPSet):
//
//  1. The frontier is read from its file in batches and expanded by the
//     explorer's workers (the rank check included). The successors of a
//     chunk, each state once, are its candidates, numbered across the level
//     in the order a sequential search generates them. Candidates gather in
//     memory (candRun) up to a budget; a full run is sorted by hash, state
//     and number and written to a file.
//  2. The runs are merged, partition by partition on the workers, with the
//     visited set (a few sorted generations, gen): the first candidate of
//     each state not visited is new; a bitmap marks it, and the new states
//     form a new generation, merged on the way with the small generations
//     before it.
//  3. The frontier is read and expanded again, chunk by chunk as in 1: the
//     candidates marked new are numbered in that order, which is the order
//     of Explore, observed, and written as the next frontier, and their
//     parent links (4 bytes a state) to the links file.
//
// Every figure and trace is therefore Explore's. Files are only written
// sequentially; traces read the few links they need back. A write that
// fails (a full disk) stops the run as incomplete, with what was found
// before: a level's states are counted and observed only once their links
// are written. No transition graph is kept: goals the ranks leave open
// (see Ranker) stay Unknown and the run is incomplete.
type diskRun struct {
	files  diskFiles
	kb     uint64            // bytes of a state
	gens   []*gen            // the visited set, oldest first
	front  *diskFile         // the frontier
	frontN uint64            // its states
	links  *diskFile         // the parent link of every state
	chain  map[uint64]uint32 // links read back for the traces

	room        uint64 // memory for a level's buffers
	chunkBudget uint64 // phase 1: the chunks' buffers
	run         *candRun
	spills      []*spilled
	spans       []span   // the chunks of the level, as expanded in phase 1
	cands       uint64   // candidates of the level
	isNew       []uint64 // bit c: candidate c is a new state
	isNewMap    []byte
	held        int64 // bytes of the buffers above, in e.heldBytes
}

// span is a chunk of a level as phase 1 expanded it: frontier positions,
// the number of its first candidate and its candidates.
type span struct {
	lo, hi, cand uint64
	n            int
}

// exploreDisk is Explore with Options.DiskDir set.
func exploreDisk(ctx context.Context, m Model, opt Options, tune tuning, dt diskTuning) (*Result, error) {
	if err := checkOptions(m, opt); err != nil {
		return nil, err
	}
	if opt.Fingerprint || opt.GoalsOnGraph {
		return nil, errors.New("a disk run stores whole states and no transition graph: it takes neither fingerprints nor goals decided on the graph")
	}
	dir, err := os.MkdirTemp(opt.DiskDir, "rcucheck-")
	if err != nil {
		return nil, fmt.Errorf("disk directory: %w", err)
	}
	defer os.RemoveAll(dir)
	e := newExplorer(ctx, m, opt, tune)
	e.keepEdges = false
	d := &diskRun{files: diskFiles{dir: dir, tune: dt}, kb: e.frontier.size, chain: map[uint64]uint32{}}
	e.disk = d
	stopMonitor := e.startMonitor()
	explored, reason := e.runDisk()
	d.endLevel(e)
	e.releaseSearch()
	res, err := e.diskResult(explored, reason)
	stopMonitor()
	e.free()
	d.close()
	return res, err
}

// runDisk explores; it returns whether the exploration finished and, if
// not, why.
func (e *explorer) runDisk() (bool, string) {
	if stop := e.begin(); stop != "" {
		return false, stop
	}
	init := make([]uint64, e.words)
	e.frontier.get(0, init)
	e.frontier.reset()
	if err := e.disk.begin(init); err != nil {
		return false, err.Error()
	}
	for e.disk.frontN > 0 {
		if stop := e.diskLevel(); stop != "" {
			return false, stop
		}
	}
	return true, ""
}

// begin writes the first level: the initial state init, its link and the
// first generation.
func (d *diskRun) begin(init []uint64) error {
	var err error
	key := make([]byte, d.kb)
	packState(key, d.kb, init)
	if d.links, err = d.files.create("links", 0); err != nil {
		return err
	}
	if d.front, err = d.files.create("level", int64(d.kb)); err != nil {
		return err
	}
	g := &gen{n: 1}
	d.gens = []*gen{g}
	if g.f, err = d.files.create("gen", int64(d.kb)); err != nil {
		return err
	}
	g.counts[shardOf(hashState(init))] = 1
	d.frontN = 1
	_, e1 := d.front.Write(key)
	_, e2 := g.f.Write(key)
	errs := []error{e1, e2, write(d.links, make([]byte, 4)), d.front.finish(), g.f.finish()}
	return errors.Join(errs...)
}

// write writes b to f and flushes it.
func write(f *diskFile, b []byte) error {
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.flush()
}

// diskLevel explores a level: phases 1 to 3. It returns why the run stops,
// or "".
func (e *explorer) diskLevel() string {
	d := e.disk
	base := e.levels[len(e.levels)-1]
	e.rank.base = base
	levelStart := e.n
	e.nextOrbit = e.nextOrbit[:0]
	stop := d.plan(e)
	if stop == "" {
		stop = e.diskExpand(base)
	}
	if stop == "" {
		stop = e.diskMerge()
	}
	if stop == "" {
		stop = e.diskNumber()
	}
	d.endLevel(e)
	e.mon.setPhase("", 0)
	if e.n > levelStart {
		e.levels = append(e.levels, levelStart)
	}
	e.front, e.nextOrbit = e.nextOrbit, e.front
	e.mon.setPosition(e)
	if stop != "" {
		return stop
	}
	return e.limitReached()
}

// plan shares the memory left under the cap among the level's buffers:
// half for the run of candidates, an eighth for the chunks of phase 1.
func (d *diskRun) plan(e *explorer) string {
	d.room = 4 << 30
	if e.opt.MaxMemory > 0 {
		used := e.memory()
		if used >= e.opt.MaxMemory {
			return e.memStop()
		}
		d.room = e.opt.MaxMemory - used
	}
	d.chunkBudget = min(batchBytes, d.room/8)
	runBytes := d.room / 2
	if d.files.tune.runBytes > 0 {
		runBytes = d.files.tune.runBytes
	}
	capacity := int(max(1, runBytes/(d.kb+16)))
	d.run = newCandRun(d.kb, capacity)
	d.hold(e, int64(candRunBytes(d.kb, capacity)))
	d.spans, d.cands = d.spans[:0], 0
	return ""
}

// hold counts n more bytes of the disk run's buffers in the run's memory.
func (d *diskRun) hold(e *explorer, n int64) {
	d.held += n
	e.heldBytes.Add(n)
	e.notePeak()
}

// endLevel frees the level's buffers and runs.
func (d *diskRun) endLevel(e *explorer) {
	if d.run != nil {
		d.run.free()
		d.run = nil
	}
	for _, s := range d.spills {
		s.f.remove()
	}
	d.spills = nil
	freeTable(d.isNewMap)
	d.isNew, d.isNewMap = nil, nil
	e.heldBytes.Add(-d.held)
	d.held = 0
}

// close removes the files.
func (d *diskRun) close() {
	for _, g := range d.gens {
		g.f.remove()
	}
	d.front.remove()
	d.links.remove()
}

// fault is the stop reason of a failed write or read.
func (e *explorer) fault(err error) string {
	return fmt.Sprintf("disk run stopped: %v", err)
}

// frontReader reads the frontier's states into a level, in order.
type frontReader struct {
	r    io.Reader
	have uint64 // states read
}

// load reads the states up to position hi into l.
func (f *frontReader) load(l *level, hi uint64) error {
	if hi <= f.have {
		return nil
	}
	l.resize(hi)
	for i := f.have; i < hi; {
		b := l.blocks[i/l.per].b
		end := min(hi, (i/l.per+1)*l.per)
		if _, err := io.ReadFull(f.r, b[i%l.per*l.size:(end-(i/l.per)*l.per)*l.size]); err != nil {
			return fmt.Errorf("disk run: reading the frontier back: %w", err)
		}
		i = end
	}
	f.have = hi
	return nil
}

// writeLevel writes the first n states of l to w.
func writeLevel(l *level, n uint64, w io.Writer) error {
	for b := uint64(0); b*l.per < n; b++ {
		k := min(l.per, n-b*l.per)
		if _, err := w.Write(l.blocks[b].b[:k*l.size]); err != nil {
			return err
		}
	}
	return nil
}

// diskExpand is phase 1: it expands the frontier (its first state is
// number base) in batches and gathers the candidates into runs. It returns
// why the run stops, or "".
func (e *explorer) diskExpand(base uint64) string {
	d := e.disk
	size := d.frontN
	fr := &frontReader{r: d.front.reader(0, d.front.len())}
	defer e.frontier.reset()
	e.mon.setPhase(fmt.Sprintf("level %d: expanding", len(e.levels)), size)
	for lo := uint64(0); lo < size; {
		e.mon.done.Store(lo)
		hi := min(lo+min(e.batchSize, e.chunkSize*maxChunks), size)
		if err := fr.load(e.frontier, hi); err != nil {
			return e.fault(err)
		}
		e.budget = uint64(max(0, e.heldBytes.Load())) + d.chunkBudget
		chunks := e.cutChunks(lo, hi)
		if stop := e.expandAll(chunks); stop != "" {
			return stop
		}
		k := 0
		for k < len(chunks) && chunks[k].done {
			k++
		}
		chunks = chunks[:k]
		for _, c := range chunks {
			if err := d.gather(e, c); err != nil {
				return e.fault(err)
			}
			e.resetObs(c)
		}
		e.merge(base, chunks)
		hi = chunks[k-1].hi
		e.expanded += hi - lo
		e.adaptChunks()
		e.frontier.releaseBelow(hi)
		lo = hi
		e.notePeak()
		e.mon.setPosition(e)
		if stop := e.limitReached(); stop != "" {
			return stop
		}
	}
	return ""
}

// gather adds the candidates of an expanded chunk to the run in memory,
// writing the run to a file whenever it is full.
func (d *diskRun) gather(e *explorer, c *chunk) error {
	d.spans = append(d.spans, span{lo: c.lo, hi: c.hi, cand: d.cands, n: len(c.ch)})
	for j := 0; j < len(c.ch); {
		if d.run.n == d.run.capacity {
			if err := d.spill(e); err != nil {
				return err
			}
		}
		k := min(len(c.ch), j+d.run.capacity-d.run.n)
		d.run.add(c, j, k, d.cands, e.words)
		d.cands += uint64(k - j)
		j = k
	}
	return nil
}

// spill sorts the run in memory and writes it to a file.
func (d *diskRun) spill(e *explorer) error {
	d.run.sort(e)
	s, err := d.run.spill(&d.files)
	if s != nil {
		d.spills = append(d.spills, s)
	}
	return err
}

// diskResult assembles the Result, reading back the links of its traces.
func (e *explorer) diskResult(explored bool, reason string) (*Result, error) {
	d := e.disk
	if err := e.readChains(); err != nil {
		return nil, err
	}
	r := e.result(explored, reason)
	if explored && !e.opt.SkipGoals && len(e.goalBits) > 0 && r.GoalsBy == "" {
		r.Complete, r.rankOpen = false, false
		r.StopReason = fmt.Sprintf("%s undecided: the ranks left a state open and a disk run keeps no transition graph to decide it on; every state was explored, the other verdicts and the maxima are exact",
			strings.Join(e.m.Goals(), ", "))
	}
	r.DiskPeakBytes, r.DiskWrittenBytes = d.files.peak.Load(), d.files.written.Load()
	return r, nil
}

// readChains reads back the parent links of every state whose trace the
// Result gives, and of their ancestors.
func (e *explorer) readChains() error {
	targets := append([]int64{e.deadAt}, e.invBad...)
	targets = append(targets, e.rank.first...)
	for _, at := range e.metricAt {
		targets = append(targets, int64(at))
	}
	b := make([]byte, 4)
	for _, t := range targets {
		for i := uint64(max(t, 0)); i != 0; {
			if _, ok := e.disk.chain[i]; ok {
				break
			}
			if _, err := e.disk.links.f.ReadAt(b, int64(4*i)); err != nil {
				return fmt.Errorf("disk run: reading parent links back: %w", err)
			}
			e.disk.chain[i] = binary.LittleEndian.Uint32(b)
			i, _ = e.parentOf(i)
		}
	}
	return nil
}

// linkAt is the link of state i, its parent's position in the level before
// and the ordinal of the transition: from the links in memory, or, in a
// disk run, from those readChains read back.
func (e *explorer) linkAt(i uint64) (uint64, uint32) {
	if e.disk == nil {
		return e.links.at(i)
	}
	v, ok := e.disk.chain[i]
	if !ok {
		panic(fmt.Sprintf("checker: the parent link of state %d was not read back", i))
	}
	if v == linkBig {
		b := e.linkBig[i]
		return b[0], uint32(b[1])
	}
	return uint64(v >> ordBits), v & (1<<ordBits - 1)
}

// countBits counts the bits set in bm from bit lo to bit hi.
func countBits(bm []uint64, lo, hi uint64) uint64 {
	var n uint64
	for i := lo; i < hi; {
		w := bm[i/64] >> (i % 64)
		k := min(64-i%64, hi-i)
		if k < 64 {
			w &= 1<<k - 1
		}
		n += uint64(bits.OnesCount64(w))
		i += k
	}
	return n
}
