package checker

import (
	"fmt"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// This file keeps the memory of a run under Options.MaxMemory and reports
// its progress. Every table that grows with the states, the transitions or
// the workers is counted: the visited set, the links, the levels, the
// transition graph and the goals' bits (memory), the buffers of the chunks
// and of the workers (heldBytes, updated by the workers as they grow), the
// workers' expanders (workerFixed) and the tables built for a step beside
// those (extra). Before each step that allocates, the run checks that what
// the step will add fits under the cap: phase 1 cuts its batch at a chunk
// once the buffers pass the batch's budget, and only the chunks whose
// storing fits are stored.

// chunkOverhead is the memory of an empty chunk.
const chunkOverhead = int64(unsafe.Sizeof(chunk{}))

// memory is the memory of the run's tables and buffers. Only the goroutine
// that runs the search may call it.
func (e *explorer) memory() uint64 {
	return e.tableBytes() + e.extra + e.workerFixed + uint64(max(0, e.heldBytes.Load()))
}

// tableBytes is the memory of the tables that grow with the states and
// transitions.
func (e *explorer) tableBytes() uint64 {
	b := e.st.bytes() + e.links.bytes() + e.pool.bytes() +
		uint64(cap(e.front)+cap(e.nextOrbit)+cap(e.levels))*8 + uint64(cap(e.candIdx))*4 +
		uint64(len(e.linkBig))*48
	if e.keepEdges {
		b += e.succ.bytes(4) + e.succStart.bytes(8)
	}
	for _, g := range e.goalBits {
		b += uint64(cap(g)) * 8
	}
	return b
}

// notePeak records the memory in the peak and in the snapshot that the
// workers and the monitor read.
func (e *explorer) notePeak() {
	t := e.tableBytes() + e.extra + e.workerFixed
	e.mon.tables.Store(t)
	e.peak = max(e.peak, t+uint64(max(0, e.heldBytes.Load())))
}

// bytes is the memory of a chunk's buffers.
func (c *chunk) bytes() int64 {
	b := int64(cap(c.cw)+cap(c.ck)+cap(c.ch)+cap(c.orbit)+cap(c.edge))*8 +
		int64(cap(c.from)+cap(c.cord)+cap(c.starts)+cap(c.ref)+cap(c.deg))*4 + int64(cap(c.isNew)) +
		int64(cap(c.bigLinks))*24 + c.links.bytes() + chunkOverhead
	for _, s := range c.byShard {
		b += int64(cap(s)) * 4
	}
	return b
}

// noteChunk counts the growth of c's buffers in heldBytes. A worker calls
// it on the chunk it expanded, the search goroutine on the others.
func (e *explorer) noteChunk(c *chunk) {
	b := c.bytes()
	e.heldBytes.Add(b - c.held)
	c.held = b
}

// noteBuffers counts the growth of a worker's buffers in heldBytes.
func (w *worker) noteBuffers() {
	b := int64(cap(w.local)+cap(w.first)+cap(w.uniq)+cap(w.val))*4 + int64(cap(w.local16))*2 + int64(cap(w.found))
	w.e.heldBytes.Add(b - w.held)
	w.held = b
}

// planBudget sets the budget of the next batch's buffers: batchBytes, or a
// quarter of the room left under the cap. It returns the memory limit when
// there is no room left.
func (e *explorer) planBudget() string {
	e.budget = batchBytes
	if e.opt.MaxMemory > 0 {
		used := e.memory()
		if used >= e.opt.MaxMemory {
			return e.memStop()
		}
		e.budget = min(e.budget, (e.opt.MaxMemory-used)/4)
	}
	if uint64(max(0, e.heldBytes.Load())) > e.budget {
		e.trimChunks(0)
	}
	e.notePeak()
	return ""
}

// overBudget reports, while the workers expand, whether the batch must be
// cut: its buffers passed the budget, or the memory the cap.
func (e *explorer) overBudget() bool {
	held := uint64(max(0, e.heldBytes.Load()))
	return held > e.budget || e.opt.MaxMemory > 0 && e.mon.tables.Load()+held > e.opt.MaxMemory
}

// trimChunks drops the buffers of the chunks from the k-th on (and, for k
// = 0, the workers' buffers): they were not used by the last batch, or the
// budget shrank.
func (e *explorer) trimChunks(k int) {
	for _, c := range e.chunks[min(k, len(e.chunks)):] {
		if c.held == chunkOverhead {
			continue
		}
		c.cw, c.ck, c.ch, c.from, c.cord, c.orbit, c.isNew = nil, nil, nil, nil, nil, nil, nil
		c.ref, c.deg, c.edge, c.bigLinks, c.starts = nil, nil, nil, nil, nil
		c.links = linkSeg{}
		c.byShard = [numShards][]int32{}
		e.noteChunk(c)
	}
	if k == 0 {
		for _, w := range e.workers {
			w.local, w.first, w.uniq, w.found, w.val = nil, nil, nil, nil, nil
			w.noteBuffers()
		}
	}
}

// fit returns the longest run of expanded chunks, from the first, whose
// new states would fit under the memory cap if every candidate were new:
// the visited set grown (each growing shard's old and new tables at once),
// the links, the next level, the orbits, the transition graph and the
// goals' bits.
func (e *explorer) fit(chunks []*chunk) []*chunk {
	k := 0
	for k < len(chunks) && chunks[k].done {
		k++
	}
	chunks = chunks[:k]
	if e.opt.MaxMemory == 0 || e.direct {
		return chunks // a direct run fitted each chunk before storing it
	}
	used := e.memory()
	var counts [numShards]uint64
	var cands, trans, states uint64
	for i, c := range chunks {
		cands += uint64(len(c.ch))
		trans += c.transitions
		states += c.hi - c.lo
		for sh := range counts {
			counts[sh] += uint64(len(c.byShard[sh]))
		}
		if used+e.storeCost(cands, trans, states, &counts) > e.opt.MaxMemory {
			return chunks[:i]
		}
	}
	return chunks
}

// fitsDirect reports whether a direct run may store chunk c, whose
// successors are not yet filtered (first: dedupe's): whether the memory
// cap holds with every successor that is not a duplicate within c taken
// for a candidate, beside what the batch's chunks stored before it may
// still cost (their shards have grown already: memory counts them). If so,
// c is added to e.directSum.
func (e *explorer) fitsDirect(c *chunk, uniq []int32) bool {
	if e.opt.MaxMemory == 0 {
		return true
	}
	var counts [numShards]uint64
	for _, j := range uniq {
		counts[shardOf(c.ch[j])]++
	}
	n := uint64(len(uniq))
	b := &e.directSum
	if e.memory()+e.storeCost(b.cands+n, b.trans+c.transitions, b.states+c.hi-c.lo, &counts) > e.opt.MaxMemory {
		return false
	}
	b.cands, b.trans, b.states = b.cands+n, b.trans+c.transitions, b.states+c.hi-c.lo
	return true
}

// storeCost is the memory that storing cands candidates of states frontier
// states with trans transitions may add, counts[s] of them in shard s.
func (e *explorer) storeCost(cands, trans, states uint64, counts *[numShards]uint64) uint64 {
	b := cands * 5 // isNew, ref
	for sh, n := range counts {
		b += e.st.grownBytes(sh, n)
	}
	b += e.links.extraBytes(cands) + e.next.extraBytes(e.next.n+cands)
	b += uint64(len(e.goalBits)) * (cands/8 + 16)
	if e.symmetric {
		b += cands * 8 * 2 // nextOrbit grows by append
	}
	if e.keepEdges {
		b += cands*4 + e.succ.extraBytes(e.succ.n+trans, 4) + e.succStart.extraBytes(e.succStart.n+states, 8)
	}
	return b
}

// adaptChunks sets the number of frontier states per chunk so that a
// chunk's candidates take about tune.chunkBytes, from the mean number of
// successors seen so far.
func (e *explorer) adaptChunks() {
	if e.expanded == 0 {
		return
	}
	deg := max(1, (e.transitions+e.expanded-1)/e.expanded)
	per := uint64(e.words+e.st.kw)*8 + 8 + 4 + 4 + 1 + 4 + 12 // state, key, hash, from, ordinal, isNew, shard list, dedupe
	if e.symmetric {
		per += 8
	}
	if e.keepEdges {
		per += 12
	}
	e.chunkSize = min(chunkStates, max(1, e.tune.chunkBytes/(deg*per)))
}

// memStop is the stop reason of the memory limit.
func (e *explorer) memStop() string {
	return fmt.Sprintf("memory limit %d MiB reached", e.opt.MaxMemory>>20)
}

// limitReached reports why the run must stop between batches, or "".
func (e *explorer) limitReached() string {
	if e.stop.Load() {
		return e.mon.why()
	}
	if why := e.timeUp(); why != "" {
		return why
	}
	if e.opt.MaxStates > 0 && e.n >= e.opt.MaxStates {
		return fmt.Sprintf("state limit %d reached", e.opt.MaxStates)
	}
	if e.opt.MaxMemory > 0 && e.memory() >= e.opt.MaxMemory {
		return e.memStop()
	}
	return ""
}

// timeUp reports an interruption or the time limit; unlike limitReached it
// may run while the workers do.
func (e *explorer) timeUp() string {
	if contextDone(e.ctx) {
		return "interrupted"
	}
	if e.opt.Timeout > 0 && time.Since(e.start) >= e.opt.Timeout {
		return fmt.Sprintf("time limit %s reached", e.opt.Timeout)
	}
	return ""
}

// halt stops the run for the reason why (the first reason given stays).
func (e *explorer) halt(why string) {
	e.mon.reason.CompareAndSwap(nil, &why)
	e.stop.Store(true)
	e.cut.Store(true)
}

// heapAllocated is the number of bytes the heap has handed out since the
// program started.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// monitor watches a run from a goroutine of its own: it calls
// Options.Progress every ProgressEvery, whatever the search is doing
// (expanding, storing, growing the visited set, deciding goals), and stops
// the search when its context ends or its time is up.
type monitor struct {
	reason atomic.Pointer[string] // why the run was halted
	tables atomic.Uint64          // e.tableBytes()+e.extra+e.workerFixed, as last noted

	mu          sync.Mutex
	states      uint64
	transitions uint64
	depth       int
	phase       string
	done, total atomic.Uint64 // progress of the phase, when it has a total
}

func (m *monitor) why() string {
	if r := m.reason.Load(); r != nil {
		return *r
	}
	return "interrupted"
}

// setPosition records the search's figures for the progress lines.
func (m *monitor) setPosition(e *explorer) {
	m.mu.Lock()
	m.states, m.transitions, m.depth = e.n, e.transitions, max(0, len(e.levels)-1)
	m.mu.Unlock()
}

// setPhase names what the search does after exploring, with its total of
// steps (0: none).
func (m *monitor) setPhase(phase string, total uint64) {
	m.mu.Lock()
	m.phase = phase
	m.mu.Unlock()
	m.done.Store(0)
	m.total.Store(total)
}

// startMonitor starts the monitor and returns the function that stops it.
func (e *explorer) startMonitor() func() {
	e.mon.setPosition(e)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ctxDone <-chan struct{}
		if e.ctx != nil {
			ctxDone = e.ctx.Done()
		}
		tick := time.NewTicker(min(e.opt.ProgressEvery, 50*time.Millisecond))
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-quit:
				return
			case <-ctxDone:
				e.halt("interrupted")
				ctxDone = nil
			case <-tick.C:
			}
			if !e.stop.Load() {
				if why := e.timeUp(); why != "" {
					e.halt(why)
				}
			}
			if e.opt.Progress != nil && time.Since(last) >= e.opt.ProgressEvery {
				last = time.Now()
				e.opt.Progress(e.progress())
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

// progress is a snapshot of the run, taken by the monitor.
func (e *explorer) progress() Progress {
	m := &e.mon
	el := time.Since(e.start)
	m.mu.Lock()
	p := Progress{
		States:       m.states,
		Transitions:  m.transitions + e.pending.Load(),
		Depth:        m.depth,
		Elapsed:      el,
		StatesPerSec: float64(m.states) / el.Seconds(),
		MemoryBytes:  m.tables.Load() + uint64(max(0, e.heldBytes.Load())),
		DiskBytes:    e.disk.used(),
		Phase:        m.phase,
	}
	m.mu.Unlock()
	if t := m.total.Load(); t > 0 && p.Phase != "" {
		p.Phase = fmt.Sprintf("%s %d%%", p.Phase, min(100, m.done.Load()*100/t))
	}
	return p
}
