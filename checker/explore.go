package checker

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxIndex is the largest number of states a run can store: state numbers
// are kept in 32 bits.
const maxIndex = 1<<32 - 2

// chunkStates is the largest number of frontier states a worker expands at
// a time; a batch, expanded before its successors are stored, holds
// batchChunks chunks a worker (at least minBatchChunks). Chunks hold fewer
// states when the candidates of chunkStates states would take more than
// chunkBytes (large states, many successors); a batch is cut short once its
// chunks' buffers pass the batch budget (batchBytes, or less under a memory
// cap), and holds at most maxChunks chunks.
//
// Small chunks keep what phase 1 reads ahead in the cache until it is used:
// the home buckets of a chunk's successors (768 lines at the defaults)
// until its lookups. Small batches do the same for phase 2, but make the
// workers wait more at the phases' ends. Measured with check --design head
// (times relative to chunks of 256 states in batches of 128 chunks): one
// worker, chunks of 128 in batches of 128 chunks 0.93, of 16 chunks 0.85,
// of 32 chunks 0.87 (chunks of 64 or batches of 4 chunks no better); two
// workers, batches of 16 chunks 1.08, of 64 chunks 1.02.
const (
	chunkStates    = 128
	batchChunks    = 32
	minBatchChunks = 16
	chunkBytes     = 1 << 20
	batchBytes     = 256 << 20
	maxChunks      = 512
)

// MaxWorkers is the largest number of workers Explore accepts.
const MaxWorkers = 1024

// tuning holds the sizes a test may change.
type tuning struct {
	batch      uint64 // frontier states a batch at most; 0: by the workers (batchChunks)
	chunkBytes uint64 // the memory a chunk's candidates are meant to take
	sweep      bool   // decide the goals by sweeps, as under a tight memory cap
	again      bool   // the run is exploreGoals' second, on the graph
	// beforeGoals, when set, is called once every state is explored,
	// before the goals are decided.
	beforeGoals func(e *explorer)
}

// explorer holds one run of Explore.
//
// The search is breadth first and level synchronous. The states of depth d
// (the frontier) are cut into chunks. Phase 1: the workers expand chunks and
// keep every successor that is not yet stored (a candidate), in the order
// the sequential search generates them; the visited set is only read.
// Phase 2: each worker owns a set of shards of the visited set and inserts
// the candidates that fall in them, in chunk order, so that the first
// candidate equal to a state is the one a sequential search would have met
// first. Phase 3: the new states are numbered in that order, their parents
// (state number and successor ordinal) recorded and their properties
// evaluated. Every figure is therefore the same for any number of workers.
// A single worker expands the chunks in order, so it does phase 2 within
// phase 1 (direct): it stores a chunk's candidates as it looks them up, one
// search each, while their buckets are in the cache.
type explorer struct {
	m       Model
	opt     Options
	ctx     context.Context
	words   int
	workers []*worker
	st      *store

	n       uint64               // states stored
	links   linkLog              // link of each state: parent position, ordinal (links.go)
	linkBig map[uint64][2]uint64 // disk runs: state: parent position, ordinal; for links that do not fit
	levels  []uint64             // levels[d]: number of the first state at depth d
	pool    blockPool
	// lastCounts[s]: the candidates of the last batch in shard s.
	lastCounts [numShards]uint64
	frontier   *level   // the states of the level being expanded
	front      []uint64 // their orbit sizes (symmetry)
	next       *level   // the states of the next level found so far
	nextOrbit  []uint64 // their orbit sizes
	chunks     []*chunk
	candIdx    []uint32 // indexed mode: state number of each candidate of the level

	invBad    []int64 // -1: none
	metricMax []int64
	metricAt  []uint64
	goalBits  [][]uint64 // goalBits[g]: bit i set when state i is a goal state of goal g
	deadlocks uint64
	deadAt    int64
	rank      ranking
	disk      *diskRun // the files of a disk run (Options.DiskDir), else nil

	// Transition graph, kept when goals are decided: the successors of
	// state i are succ[succStart[i]:succStart[i+1]].
	keepEdges bool
	direct    bool     // phase 2 is done in phase 1 (one worker)
	directSum batchSum // the chunks a direct batch has stored so far
	succ      bigArray[uint32]
	succStart bigArray[uint64]

	symmetric       bool
	fullKnown       bool
	fullStates      uint64
	fullTransitions uint64

	transitions uint64
	pending     atomic.Uint64 // transitions of the level being expanded
	stop        atomic.Bool
	peak        uint64
	metricInit  bool   // metricMax holds the initial state's values
	batchSize   uint64 // frontier states per batch at most
	start       time.Time

	tune        tuning
	chunkSize   uint64       // frontier states per chunk in the next batch
	expanded    uint64       // frontier states expanded so far
	budget      uint64       // phase 1: the chunks' bytes past which the batch is cut
	cut         atomic.Bool  // phase 1: expand no more chunks
	heldBytes   atomic.Int64 // the buffers of the chunks and the workers
	workerFixed uint64       // the workers' own memory (expanders, scratch)
	extra       uint64       // tables beside those memory() sees: shards rebuilt in phase 1, the goals' graph
	mon         monitor
}

// worker is one goroutine's expander and scratch space.
type worker struct {
	e       *explorer
	exp     Expander
	app     Appender // exp, when it appends its successors
	ranker  Ranker   // exp, when it ranks and the goals are decided by ranks
	canon   Canonicalizer
	scratch []uint64
	state   []uint64 // the frontier state being expanded
	inv     []bool
	goal    []bool
	metric  []int64
	c       *chunk
	pos     uint64 // frontier position of the state being expanded
	ordinal uint32
	emit    func(Action, []uint64)
	sink    uint64   // keeps filter's loads from being optimised away
	uniq    []int32  // dedupe's: the successors of a chunk that are no copy
	found   []bool   // filter's: whether each successor of a chunk is stored
	val     []uint32 // filter's: the value of each stored successor
	local   []uint32 // dedupe's table, for chunks of 65535 successors or more
	local16 []uint16 // dedupe's table
	first   []int32  // dedupe's result
	held    int64    // bytes of the buffers above, as counted in e.heldBytes
}

// chunk is a run of frontier states and what expanding them produced.
type chunk struct {
	lo, hi uint64 // frontier positions

	cw   []uint64 // candidates, packed back to back
	ck   []uint64 // their keys as the visited set keeps them (store.key)
	ch   []uint64 // their hashes (store.key)
	from []uint32 // frontier position of the parent, minus lo (compact)
	cord []uint32 // successor ordinal (compact)
	// starts[p]: the first successor of frontier state lo+p; its last
	// entry is the number of successors.
	starts []uint32
	orbit  []uint64 // orbit size (symmetry)
	isNew  []bool   // the first candidate equal to its state in the level
	// byShard[s]: the candidates in shard s of the visited set, in order.
	byShard [numShards][]int32
	ref     []uint32 // indexed mode: level-wide number of that first candidate

	deg  []uint32 // indexed mode: successors of each expanded state
	edge []uint64 // indexed mode: a state number, or candMark|candidate

	transitions uint64
	fullTrans   uint64
	deadlocks   uint64
	firstDead   int64
	candBase    uint32 // level-wide number of candidate 0
	newBase     uint64 // rank of its first new state among the level's
	nNew        uint64

	// Observations of its new states.
	invFirst   []int64
	metricMax  []int64
	metricAt   []uint64
	metricSeen bool
	fullStates uint64
	links      linkSeg     // the links of its new states
	bigLinks   [][3]uint64 // disk runs: state, parent position, ordinal

	// The rank check of its states (see ranking): frontier positions.
	rankFirst []int64
	rankOpen  []bool

	done     bool  // phase 1 expanded it
	rejected bool  // a direct run did not store it: over the memory cap
	held     int64 // bytes of its buffers, as counted in e.heldBytes
}

// batchSum sums chunks of a batch: their candidates (in a direct run, every
// successor that is not a duplicate within its chunk), transitions and
// frontier states; what storing them may cost (storeCost).
type batchSum struct{ cands, trans, states uint64 }

const candMark = 1 << 63

// Explore visits every state of m reachable from its initial state, breadth
// first, and reports what it found. A run that hits a limit of opt, or whose
// ctx is cancelled, ends with Complete false and the figures so far: found
// violations are real, properties not found violated are Unknown and metric
// maxima are lower bounds.
func Explore(ctx context.Context, m Model, opt Options) (*Result, error) {
	if opt.DiskDir != "" {
		return exploreDisk(ctx, m, opt, tuning{chunkBytes: chunkBytes}, diskTuning{})
	}
	return exploreGoals(ctx, m, opt, tuning{chunkBytes: chunkBytes})
}

// checkOptions refuses options that make no sense.
func checkOptions(m Model, opt Options) error {
	switch words := m.StateWords(); {
	case words < 1:
		return fmt.Errorf("model has %d words per state; want at least 1", words)
	case opt.Workers < 0 || opt.Workers > MaxWorkers:
		return fmt.Errorf("workers must be between 0 and %d, got %d", MaxWorkers, opt.Workers)
	case opt.Timeout < 0:
		return fmt.Errorf("timeout must be at least 0 (0: no limit), got %s", opt.Timeout)
	case opt.ProgressEvery < 0:
		return fmt.Errorf("progress period must be at least 0, got %s", opt.ProgressEvery)
	}
	return nil
}

// explore is Explore with the sizes of batches and chunks as parameters,
// for tests.
func explore(ctx context.Context, m Model, opt Options, tune tuning) (*Result, error) {
	if err := checkOptions(m, opt); err != nil {
		return nil, err
	}
	e := newExplorer(ctx, m, opt, tune)
	e.direct = len(e.workers) == 1 && !e.keepEdges
	if tune.again {
		e.mon.setPhase("exploring again, keeping the transition graph: the rank left states open", 0)
	}
	stopMonitor := e.startMonitor()
	complete, reason := e.run()
	e.releaseSearch()
	res := e.result(complete, reason)
	stopMonitor()
	e.free()
	return res, nil
}

// newExplorer sets up a run of m: workers, rank check, visited set and
// levels.
func newExplorer(ctx context.Context, m Model, opt Options, tune tuning) *explorer {
	words := m.StateWords()
	nw := opt.Workers
	if nw == 0 {
		nw = runtime.GOMAXPROCS(0)
	}
	sym, symOK := m.(Symmetric)
	e := &explorer{
		m: m, opt: opt, ctx: ctx, words: words,
		invBad:    make([]int64, len(m.Invariants())),
		metricMax: make([]int64, len(m.Metrics())),
		metricAt:  make([]uint64, len(m.Metrics())),
		goalBits:  make([][]uint64, len(m.Goals())),
		deadAt:    -1,
		symmetric: opt.Symmetry && symOK,
		linkBig:   map[uint64][2]uint64{},
		batchSize: tune.batch,
		start:     time.Now(),
		tune:      tune,
		chunkSize: chunkStates,
	}
	if e.opt.ProgressEvery == 0 {
		e.opt.ProgressEvery = time.Second
	}
	if e.batchSize == 0 {
		e.batchSize = chunkStates * uint64(max(minBatchChunks, batchChunks*nw))
	}
	e.newWorkers(nw, sym)
	e.startRanks()
	e.keepEdges = len(m.Goals()) > 0 && !opt.SkipGoals && !e.rank.on
	bits := 64 * words
	if c, ok := m.(Compact); ok && c.StateBits() > 0 && c.StateBits() < bits {
		bits = c.StateBits()
	}
	e.st = newStore(words, bits, opt.Fingerprint, e.keepEdges)
	e.frontier, e.next = newLevel(&e.pool, words, bits), newLevel(&e.pool, words, bits)
	for i := range e.invBad {
		e.invBad[i] = -1
	}
	return e
}

// newWorkers makes nw workers; their own memory (expanders and scratch) is
// measured as what the heap gave them.
func (e *explorer) newWorkers(nw int, sym Symmetric) {
	m, words := e.m, e.words
	before := heapAllocated()
	for i := 0; i < nw; i++ {
		w := &worker{
			e:       e,
			exp:     m.NewExpander(),
			scratch: make([]uint64, words),
			state:   make([]uint64, words),
			inv:     make([]bool, len(m.Invariants())),
			goal:    make([]bool, len(m.Goals())),
			metric:  make([]int64, len(m.Metrics())),
		}
		if e.symmetric {
			w.canon = sym.NewCanonicalizer()
		}
		w.emit = w.add
		w.app, _ = w.exp.(Appender)
		e.workers = append(e.workers, w)
	}
	e.workerFixed = heapAllocated() - before
}

// free returns the memory of the tables mapped outside the heap.
func (e *explorer) free() {
	e.st.free()
	e.links.free()
	e.succ.free()
	e.succStart.free()
	e.frontier.reset()
	e.next.reset()
	e.pool.release()
}

// releaseSearch returns what only the search needed (the visited set, the
// levels, the chunks' and workers' buffers) before the goals are decided
// and the traces rebuilt.
func (e *explorer) releaseSearch() {
	e.st.free()
	e.frontier.reset()
	e.next.reset()
	e.pool.release()
	e.trimChunks(0)
	e.chunks, e.candIdx, e.front, e.nextOrbit = nil, nil, nil, nil
	e.heldBytes.Store(0)
	e.notePeak()
}

// run explores; it returns whether the exploration finished and, if not, why.
func (e *explorer) run() (bool, string) {
	if stop := e.begin(); stop != "" {
		return false, stop
	}
	for e.frontier.n > 0 {
		if stop := e.level(); stop != "" {
			return false, stop
		}
	}
	if e.keepEdges {
		e.succStart.push(e.succ.n)
	}
	return true, ""
}

// begin stores and observes the initial state, the first frontier; it
// returns why the run stops, or "".
func (e *explorer) begin() string {
	w0 := e.workers[0]
	init := make([]uint64, e.words)
	e.m.Initial(init)
	orbit := uint64(1)
	if e.symmetric {
		orbit = w0.canon.Canonicalize(init)
	}
	e.fullKnown = orbit > 0
	e.fullStates = orbit
	var buf [maxStackWords]uint64
	k, h := e.st.key(init, &buf)
	e.st.insert(k, h, 0)
	e.n = 1
	var link linkSeg
	link.reset(0)
	link.add(0, 0)
	e.links.append(&link)
	e.levels = append(e.levels, 0)
	e.frontier.resize(1)
	e.frontier.put(0, init)
	e.front = append(e.front[:0], orbit)
	for g := range e.goalBits {
		e.goalBits[g] = make([]uint64, 1)
	}
	// The initial state is observed as a chunk of its own.
	c := &chunk{}
	e.resetObs(c)
	w0.observe(c, 0, init)
	e.mergeObs(c)
	return e.limitReached()
}

// parallel runs task(w, i) for i in [0, n) on at most n workers and waits.
// Indices are handed out in increasing order.
func (e *explorer) parallel(n int, task func(w *worker, i int)) {
	if len(e.workers) == 1 || n == 1 {
		for i := 0; i < n; i++ {
			task(e.workers[0], i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range e.workers[:min(len(e.workers), n)] {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				task(w, i)
			}
		}(w)
	}
	wg.Wait()
}

// level expands the frontier and makes the next level the frontier. It
// returns why the run stops, or "".
func (e *explorer) level() string {
	size := e.frontier.n
	base := e.levels[len(e.levels)-1]
	levelStart := e.n
	e.rank.base = base
	e.nextOrbit = e.nextOrbit[:0]
	var stop string
	for lo := uint64(0); lo < size && stop == ""; {
		lo, stop = e.batch(base, lo, size)
		e.frontier.releaseBelow(lo)
	}
	e.frontier.reset()
	if e.n > levelStart {
		e.levels = append(e.levels, levelStart)
	}
	e.frontier, e.next = e.next, e.frontier
	e.front, e.nextOrbit = e.nextOrbit, e.front
	e.mon.setPosition(e)
	if stop != "" {
		return stop
	}
	return e.limitReached()
}

// batch expands frontier states from lo on (of a level of size states
// whose first state is number base), and stores their new successors; it
// returns where the next batch starts and why the run stops, or "".
// Batches run in frontier order, so a state first met in an earlier batch
// is already stored (and numbered) when a later one meets it again: the
// order of the sequential search is kept, and where a batch ends changes no
// figure. The batch ends after batchSize states, when its chunks' buffers
// pass the budget, or where storing its candidates would pass the memory
// cap: the candidates of one batch bound the memory of a level.
func (e *explorer) batch(base, lo, size uint64) (uint64, string) {
	if stop := e.planBudget(); stop != "" {
		return lo, stop
	}
	chunks := e.cutChunks(lo, size)
	if stop := e.expandAll(chunks); stop != "" {
		return lo, stop
	}
	kept := e.fit(chunks)
	e.trimChunks(len(kept))
	if len(kept) == 0 {
		return lo, e.memStop()
	}
	chunks = kept
	hi := chunks[len(chunks)-1].hi
	cands, stop := e.numberCandidates(chunks)
	if stop != "" {
		return lo, stop
	}
	e.insertAll(chunks)
	keep, stop := e.rankNew(chunks)
	first := e.n
	e.record(chunks, first, keep, cands)
	if e.keepEdges && stop == "" {
		e.storeEdges(chunks)
	}
	e.merge(base, chunks)
	e.n = first + keep
	e.expanded += hi - lo
	e.adaptChunks()
	e.notePeak()
	e.mon.setPosition(e)
	if stop != "" {
		return hi, stop
	}
	return hi, e.limitReached()
}

// cutChunks returns the chunks of a batch from frontier position lo.
func (e *explorer) cutChunks(lo, size uint64) []*chunk {
	cs := e.chunkSize
	hi := min(lo+min(e.batchSize, cs*maxChunks), size)
	nc := int((hi - lo + cs - 1) / cs)
	for len(e.chunks) < nc {
		c := &chunk{}
		e.chunks = append(e.chunks, c)
		e.noteChunk(c)
	}
	chunks := e.chunks[:nc]
	for i, c := range chunks {
		c.lo = lo + uint64(i)*cs
		c.hi = min(c.lo+cs, hi)
		c.done = false
	}
	return chunks
}

// expandAll runs phase 1 on the chunks, in order, until the batch is cut;
// chunks expanded are marked done. It returns why the run stops, or "".
//
// Meanwhile, the shards that the batch is likely to make grow (those the
// last batch's candidates would) are rebuilt larger: the tasks that rebuild
// them come first, and the other workers expand chunks in the meantime,
// instead of waiting while phase 2 grows them. The rebuilds only read the
// shards, which phase 1 only reads too.
func (e *explorer) expandAll(chunks []*chunk) string {
	grows := e.growsAhead()
	rebuilt := make([]shard, len(grows))
	e.directSum = batchSum{}
	e.pending.Store(0)
	e.cut.Store(e.stop.Load())
	e.notePeak()
	e.parallel(len(grows)+len(chunks), func(w *worker, i int) {
		if i < len(grows) {
			rebuilt[i] = e.st.rebuilt(grows[i])
			return
		}
		// The first chunk is always expanded: a batch cut by a worker
		// that finished a later chunk first still makes progress.
		c := chunks[i-len(grows)]
		if e.cut.Load() && c != chunks[0] {
			return
		}
		w.expand(c)
		if c.rejected {
			e.cut.Store(true)
			return
		}
		c.done = true
		e.noteChunk(c)
		w.noteBuffers()
		if e.overBudget() {
			e.cut.Store(true)
		}
	})
	e.notePeak() // the rebuilt shards still count, in e.extra
	e.extra = 0
	for i, sh := range grows {
		old := e.st.shards[sh]
		e.st.shards[sh] = rebuilt[i]
		old.release()
	}
	e.notePeak()
	if e.stop.Load() {
		return e.mon.why()
	}
	return ""
}

// growsAhead returns the shards to rebuild during phase 1, and counts their
// new tables in e.extra. Under a memory cap, it rebuilds none unless all fit
// beside the batch's budget.
func (e *explorer) growsAhead() []int {
	var grows []int
	if e.direct {
		return nil // a direct run stores as it goes: its shards grow then
	}
	var bytes uint64
	for sh, n := range e.lastCounts {
		if e.st.mustGrow(sh, n) {
			grows = append(grows, sh)
			bytes += e.st.sizeBytes(grown(e.st.shards[sh].buckets))
		}
	}
	if e.opt.MaxMemory > 0 && e.memory()+bytes+e.budget > e.opt.MaxMemory {
		return nil
	}
	e.extra = bytes
	return grows
}

// numberCandidates numbers the candidates batch-wide and sizes the
// buffers of phase 2; it returns their number and why the run stops, or "".
func (e *explorer) numberCandidates(chunks []*chunk) (uint64, string) {
	var cands uint64
	for _, c := range chunks {
		c.candBase = uint32(cands)
		cands += uint64(len(c.ch))
		if cap(c.isNew) < len(c.ch) {
			c.isNew = make([]bool, len(c.ch), cap(c.ch))
		}
		c.isNew = c.isNew[:len(c.ch)]
		if e.keepEdges {
			if cap(c.ref) < len(c.ch) {
				c.ref = make([]uint32, len(c.ch), cap(c.ch))
			}
			c.ref = c.ref[:len(c.ch)]
		}
		e.noteChunk(c)
	}
	if cands > math.MaxUint32 {
		return cands, fmt.Sprintf("state limit of this checker reached: %d candidates in one level", cands)
	}
	return cands, ""
}

// insertAll is phase 2: it inserts the candidates, shard by shard, each in
// level order. A shard that the batch will make grow grows first, and is
// taken first: growing is the longest task, and the other workers insert
// into the other shards meanwhile.
func (e *explorer) insertAll(chunks []*chunk) {
	if e.direct {
		// Stored in phase 1, where the stored successors were dropped.
		for _, c := range chunks {
			for j := range c.isNew {
				c.isNew[j] = true
			}
		}
		return
	}
	var counts [numShards]uint64
	for _, c := range chunks {
		for sh := range counts {
			counts[sh] += uint64(len(c.byShard[sh]))
		}
	}
	e.lastCounts = counts
	order := make([]int, numShards)
	for sh := range order {
		order[sh] = sh
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return b2i(e.st.mustGrow(b, counts[b])) - b2i(e.st.mustGrow(a, counts[a]))
	})
	e.parallel(numShards, func(w *worker, i int) {
		sh := order[i]
		e.st.reserve(sh, counts[sh])
		// Read the slots first, loads independent of each other that the
		// processor overlaps, then insert from the cache.
		for _, c := range chunks {
			w.sink += e.st.touchSome(c.ch, c.byShard[sh])
		}
		for _, c := range chunks {
			if !e.keepEdges { // no values: the loop of storedAll
				e.st.storedAll(c.ck, c.ch, c.byShard[sh], c.isNew, nil, true)
				for _, j := range c.byShard[sh] {
					c.isNew[j] = !c.isNew[j] // found -> new
				}
				continue
			}
			for _, j32 := range c.byShard[sh] {
				j := int(j32)
				h := c.ch[j]
				id := c.candBase + uint32(j)
				v, found := e.st.insert(e.keyAt(c, j), h, id)
				c.isNew[j] = !found
				if e.keepEdges {
					if found {
						c.ref[j] = v
					} else {
						c.ref[j] = id
					}
				}
			}
		}
	})
	e.notePeak()
}

// rankNew ranks the new states in level order; it returns how many of them
// are kept (all, unless a state limit cuts them) and why the run stops.
func (e *explorer) rankNew(chunks []*chunk) (uint64, string) {
	var total uint64
	for _, c := range chunks {
		c.nNew = 0
		for _, ok := range c.isNew {
			if ok {
				c.nNew++
			}
		}
		c.newBase = total
		total += c.nNew
	}
	return e.capNew(total)
}

// capNew returns how many of total new states are kept (all, unless a
// state limit cuts them) and why the run stops.
func (e *explorer) capNew(total uint64) (uint64, string) {
	keep := total
	var stop string
	if e.opt.MaxStates > 0 && e.n+keep > e.opt.MaxStates {
		keep = e.opt.MaxStates - e.n
		stop = fmt.Sprintf("state limit %d reached", e.opt.MaxStates)
	}
	if e.n+keep > maxIndex {
		keep = maxIndex - e.n
		stop = fmt.Sprintf("state limit %d of this checker reached", uint64(maxIndex))
	}
	return keep, stop
}

// record is phase 3: it numbers the keep first new states from number
// first, records their parents and observes them.
func (e *explorer) record(chunks []*chunk, first, keep, cands uint64) {
	e.growGoals(first + keep)
	off := e.next.n
	e.next.resize(off + keep)
	var nextOrbit []uint64
	if e.symmetric {
		e.nextOrbit = append(e.nextOrbit, make([]uint64, keep)...)
		nextOrbit = e.nextOrbit[off:]
	}
	if e.keepEdges {
		if uint64(cap(e.candIdx)) < cands {
			e.candIdx = make([]uint32, cands)
		}
		e.candIdx = e.candIdx[:cands]
	}
	e.parallel(len(chunks), func(w *worker, i int) {
		c := chunks[i]
		e.resetObs(c)
		r := c.newBase
		c.links.reset(first + r)
		for j, ok := range c.isNew {
			if !ok {
				continue
			}
			if r >= keep {
				break
			}
			idx := first + r
			s := c.cw[j*e.words : (j+1)*e.words]
			e.next.put(off+r, s)
			c.links.add(c.lo+uint64(c.from[j]), c.cord[j])
			if e.symmetric {
				nextOrbit[r] = c.orbit[j]
				c.fullStates += c.orbit[j]
			}
			if e.keepEdges {
				e.candIdx[c.candBase+uint32(j)] = uint32(idx)
			}
			w.observe(c, idx, s)
			r++
		}
	})
	for _, c := range chunks {
		e.links.append(&c.links)
	}
	e.notePeak()
}

// growGoals makes room for n states in the goals' bits.
func (e *explorer) growGoals(n uint64) {
	for g := range e.goalBits {
		need := int((n + 63) / 64)
		for len(e.goalBits[g]) < need {
			e.goalBits[g] = append(e.goalBits[g], 0)
		}
	}
}

// storeEdges appends the transitions of the batch's states to the
// transition graph, in state order.
func (e *explorer) storeEdges(chunks []*chunk) {
	e.parallel(numShards, func(w *worker, sh int) {
		for _, c := range chunks {
			for _, j32 := range c.byShard[sh] {
				if j := int(j32); c.isNew[j] {
					e.st.setValue(e.keyAt(c, j), c.ch[j], e.candIdx[c.candBase+uint32(j)])
				}
			}
		}
	})
	for _, c := range chunks {
		k := 0
		for _, d := range c.deg {
			e.succStart.push(e.succ.n)
			for _, x := range c.edge[k : k+int(d)] {
				if x&candMark != 0 {
					j := uint32(x &^ candMark)
					x = uint64(e.candIdx[c.ref[j]])
				}
				e.succ.push(uint32(x))
			}
			k += int(d)
		}
	}
}

// merge folds what the chunks found into the run's figures, in level order.
func (e *explorer) merge(base uint64, chunks []*chunk) {
	for _, c := range chunks {
		e.transitions += c.transitions
		e.fullTransitions += c.fullTrans
		e.deadlocks += c.deadlocks
		if e.deadAt < 0 && c.firstDead >= 0 {
			e.deadAt = int64(base + uint64(c.firstDead))
		}
		e.mergeObs(c)
		e.mergeRanks(c)
		for _, b := range c.bigLinks {
			e.linkBig[b[0]] = [2]uint64{b[1], b[2]}
		}
		e.fullStates += c.fullStates
		e.noteChunk(c)
	}
}

// expand runs phase 1 on a chunk.
func (w *worker) expand(c *chunk) {
	e := w.e
	c.cw, c.ck, c.ch, c.from, c.cord, c.orbit = c.cw[:0], c.ck[:0], c.ch[:0], c.from[:0], c.cord[:0], c.orbit[:0]
	c.starts = c.starts[:0]
	c.deg, c.edge = c.deg[:0], c.edge[:0]
	c.transitions, c.fullTrans, c.deadlocks, c.firstDead = 0, 0, 0, -1
	c.rejected = false
	w.c = c
	e.resetRanks(c)
	for pos := c.lo; pos < c.hi; pos++ {
		w.pos = pos
		w.ordinal = 0
		e.frontier.get(pos, w.state)
		k0 := len(c.cw) / e.words
		c.starts = append(c.starts, uint32(k0))
		if w.app != nil {
			c.cw = w.app.AppendSuccessors(w.state, c.cw)
			w.ordinal = uint32(len(c.cw)/e.words - k0)
		} else {
			w.exp.Successors(w.state, w.emit)
		}
		w.candidates(c, k0)
		if w.ranker != nil {
			w.certify(c, pos, k0)
		}
		d := uint64(w.ordinal)
		c.transitions += d
		if e.symmetric {
			c.fullTrans += e.front[pos] * d
		}
		if d == 0 {
			c.deadlocks++
			if c.firstDead < 0 {
				c.firstDead = int64(pos)
			}
		}
		if e.keepEdges {
			c.deg = append(c.deg, uint32(d))
		}
	}
	c.starts = append(c.starts, uint32(len(c.cw)/e.words))
	e.keys(c)
	w.filter(c)
	e.pending.Add(c.transitions)
}

// add is the emit function of a worker, for expanders that do not append
// (Appender): it appends the successor to the chunk's states.
func (w *worker) add(_ Action, next []uint64) {
	w.ordinal++
	w.c.cw = append(w.c.cw, next...)
}

// candidates completes the successors of the state at w.pos, those of c
// from k0 on, as candidates: under symmetry each is put in canonical form.
// (compact gives the candidates kept their parent and ordinal.)
func (w *worker) candidates(c *chunk, k0 int) {
	words := w.e.words
	n := len(c.cw) / words
	if w.canon != nil {
		c.orbit = slices.Grow(c.orbit, n-k0)[:n]
		for j := k0; j < n; j++ {
			c.orbit[j] = w.canon.Canonicalize(c.cw[j*words : (j+1)*words])
		}
	}
}

// keys gives every candidate of c its hash, and its key as store.key
// gives it: the visited set's; in a disk run, whose files order states by
// it, hashState's, and no key.
func (e *explorer) keys(c *chunk) {
	words := e.words
	n := len(c.cw) / words
	c.ch = slices.Grow(c.ch[:0], n)[:n]
	if e.disk != nil {
		for j := range n {
			c.ch[j] = hashState(c.cw[j*words : (j+1)*words])
		}
		return
	}
	kw := e.st.kw
	c.ck = slices.Grow(c.ck[:0], n*kw)[:n*kw]
	e.st.keysInto(c.ck, c.ch, c.cw)
}

// keyAt is the key of candidate j of c as store.key gives it.
func (e *explorer) keyAt(c *chunk, j int) []uint64 {
	if len(c.ck) == 0 {
		return nil
	}
	kw := e.st.kw
	return c.ck[j*kw : (j+1)*kw]
}

// filter drops the successors of a chunk that are stored, keeping the
// others (the candidates) in order; a direct run stores them as it finds
// them, once the chunk fits under the memory cap (fitsDirect), and else
// rejects the chunk.
func (w *worker) filter(c *chunk) {
	e := w.e
	first, uniq := w.dedupe(c)
	if e.direct && !e.fitsDirect(c, uniq) {
		c.rejected = true
		return
	}
	found, val := w.lookups(c, uniq)
	w.compact(c, first, uniq, found, val)
	if e.direct {
		return // stored already: phase 2, which reads byShard, is skipped
	}
	for sh := range c.byShard {
		c.byShard[sh] = c.byShard[sh][:0]
	}
	for j, h := range c.ch {
		sh := shardOf(h)
		c.byShard[sh] = append(c.byShard[sh], int32(j))
	}
}

// lookups looks the successors of c up in the visited set, those that
// are the first of their kind in the chunk (uniq): found[j] tells, for j
// in uniq, whether successor j is stored and val[j] its value; a direct run stores
// those that are not. Their slots are first read in one pass of
// independent loads, so that the processor overlaps their cache misses,
// then searched. A disk run keeps its visited set in files, where its
// levels are merged: nothing is found here.
func (w *worker) lookups(c *chunk, uniq []int32) (found []bool, val []uint32) {
	e := w.e
	n := len(c.ch)
	if cap(w.found) < n {
		w.found, w.val = make([]bool, n), make([]uint32, n)
	}
	found, val = w.found[:n], w.val[:n]
	if e.disk != nil {
		clear(found)
		return found, val
	}
	// Read the slots first, loads independent of each other that the
	// processor overlaps; then look them up from the cache. The loop has
	// no branch: a mispredicted one would cancel the loads issued after
	// it.
	w.sink += e.st.touchSome(c.ch, uniq)
	e.st.storedAll(c.ck, c.ch, uniq, found, val, e.direct)
	return found, val
}

// compact keeps the successors of c that are neither copies (first; uniq
// lists the others) nor stored (found), in order, and with edges, notes the
// edge to each successor: c.edge is empty here, and the edge of successor j
// goes at c.edge[j].
func (w *worker) compact(c *chunk, first, uniq []int32, found []bool, val []uint32) {
	if w.e.keepEdges {
		w.compactEdges(c, first, found, val)
		return
	}
	w.sizeParents(c, len(uniq))
	kept, p := 0, 0
	for _, j := range uniq {
		if !found[j] {
			p = c.parentOf(int(j), p)
			w.move(c, kept, int(j), p)
			kept++
		}
	}
	w.truncate(c, kept)
}

// compactEdges is compact with edges.
func (w *worker) compactEdges(c *chunk, first []int32, found []bool, val []uint32) {
	w.sizeParents(c, len(c.ch))
	kept, p := 0, 0
	for j := range c.ch {
		var edge uint64
		switch k := first[j]; {
		case k >= 0:
			edge = c.edge[k]
		case found[j]:
			edge = uint64(val[j])
		default:
			edge = candMark | uint64(kept)
			p = c.parentOf(j, p)
			w.move(c, kept, j, p)
			kept++
		}
		c.edge = append(c.edge, edge)
	}
	w.truncate(c, kept)
}

// sizeParents makes room for the parents of n candidates.
func (w *worker) sizeParents(c *chunk, n int) {
	c.from = slices.Grow(c.from[:0], n)[:n]
	c.cord = slices.Grow(c.cord[:0], n)[:n]
}

// parentOf returns the parent of successor j of c, a position in the
// chunk, searched from position p on (that of an earlier successor).
func (c *chunk) parentOf(j, p int) int {
	for int(c.starts[p+1]) <= j {
		p++
	}
	return p
}

// move moves successor j of c, a successor of the state at position p of
// the chunk, to position to (to <= j), and notes its parent and ordinal.
func (w *worker) move(c *chunk, to, j, p int) {
	c.from[to], c.cord[to] = uint32(p), uint32(j)-c.starts[p]
	if to == j {
		return
	}
	moveWords(c.cw, to, j, w.e.words)
	if len(c.ck) > 0 {
		moveWords(c.ck, to, j, w.e.st.kw)
	}
	c.ch[to] = c.ch[j]
	if w.canon != nil {
		c.orbit[to] = c.orbit[j]
	}
}

// sameItem reports whether items k and j of a, of n words each, are
// equal, those of two words (the spec's states) without a loop.
func sameItem(a []uint64, k, j, n int) bool {
	if n == 2 {
		return a[2*k] == a[2*j] && a[2*k+1] == a[2*j+1]
	}
	return equalWords(a[k*n:(k+1)*n], a[j*n:(j+1)*n])
}

// moveWords moves the n words of item j of a to item to, the states of
// two words (the spec's) without a call.
func moveWords(a []uint64, to, j, n int) {
	if n == 2 {
		a[2*to], a[2*to+1] = a[2*j], a[2*j+1]
		return
	}
	copy(a[to*n:(to+1)*n], a[j*n:(j+1)*n])
}

// truncate keeps the first kept successors of c.
func (w *worker) truncate(c *chunk, kept int) {
	words, kw := w.e.words, w.e.st.kw
	c.cw, c.ch, c.from, c.cord = c.cw[:kept*words], c.ch[:kept], c.from[:kept], c.cord[:kept]
	if len(c.ck) > 0 {
		c.ck = c.ck[:kept*kw]
	}
	if w.canon != nil {
		c.orbit = c.orbit[:kept]
	}
}

// dedupe finds the successors of a chunk equal to an earlier one of the
// same chunk: first[j] is the position of the first successor equal to j,
// or -1 when j is the first; uniq lists the firsts. States close in the
// breadth-first order share many successors (the two orders of two
// independent transitions), and looking each up once spares the visited
// set, whose probes miss the cache, a large part of its work. A small
// table of positions, reused from chunk to chunk, finds them.
func (w *worker) dedupe(c *chunk) (first, uniq []int32) {
	n := len(c.ch)
	size := 64
	for size < 2*n {
		size *= 2
	}
	if cap(w.first) < n {
		w.first, w.uniq = make([]int32, n), make([]int32, 0, n)
	}
	t := dedupeTable{ch: c.ch, cw: c.cw, words: w.e.words, fp: w.e.st.fp, first: w.first[:n], uniq: w.uniq[:0]}
	if n < math.MaxUint16 { // entries of 16 bits: half the cache lines
		if cap(w.local16) < size {
			w.local16 = make([]uint16, size)
		}
		return t.first, dedupeIn(&t, w.local16[:size])
	}
	if cap(w.local) < size {
		w.local = make([]uint32, size)
	}
	return t.first, dedupeIn(&t, w.local[:size])
}

// dedupeTable is what dedupeIn reads and writes: a chunk's hashes and
// states, and dedupe's results.
type dedupeTable struct {
	ch, cw []uint64
	words  int
	fp     bool
	first  []int32
	uniq   []int32
}

// dedupeIn is dedupe with a table of positions plus one (0: free) whose
// length is a power of two, at least twice the number of successors; it
// returns uniq. The successors that are no copy are listed as they are
// found.
func dedupeIn[T uint16 | uint32](t *dedupeTable, local []T) []int32 {
	clear(local)
	ch, cw, words, fp := t.ch, t.cw, t.words, t.fp
	first, uniq := t.first, t.uniq
	mask := uint64(len(local) - 1)
	for j, h := range ch {
		for i := h & mask; ; i = (i + 1) & mask {
			f := local[i]
			if f == 0 {
				local[i] = T(j + 1)
				first[j] = -1
				uniq = append(uniq, int32(j))
				break
			}
			// Equal hashes are the same state for the fingerprint
			// store, which keeps only hash bits.
			if k := int(f - 1); ch[k] == h && (fp || sameItem(cw, k, j, words)) {
				first[j] = int32(k)
				break
			}
		}
	}
	return uniq
}

func (e *explorer) resetObs(c *chunk) {
	if c.invFirst == nil {
		c.invFirst = make([]int64, len(e.invBad))
		c.metricMax = make([]int64, len(e.metricMax))
		c.metricAt = make([]uint64, len(e.metricAt))
	}
	for i := range c.invFirst {
		c.invFirst[i] = -1
	}
	c.metricSeen = false
	c.fullStates = 0
	c.bigLinks = c.bigLinks[:0]
}

// observe evaluates the new state idx into its chunk's findings.
func (w *worker) observe(c *chunk, idx uint64, s []uint64) {
	w.exp.Evaluate(s, w.inv, w.goal, w.metric)
	for i, ok := range w.inv {
		if !ok && c.invFirst[i] < 0 {
			c.invFirst[i] = int64(idx)
		}
	}
	for g, ok := range w.goal {
		if ok {
			atomic.OrUint64(&w.e.goalBits[g][idx/64], 1<<(idx%64))
		}
	}
	for i, v := range w.metric {
		if !c.metricSeen || v > c.metricMax[i] {
			c.metricMax[i] = v
			c.metricAt[i] = idx
		}
	}
	c.metricSeen = true
}

// mergeObs folds a chunk's findings into the run's; chunks come in state
// order, so the first witness stays the lowest-numbered.
func (e *explorer) mergeObs(c *chunk) {
	for i, at := range c.invFirst {
		if at >= 0 && e.invBad[i] < 0 {
			e.invBad[i] = at
		}
	}
	if !c.metricSeen {
		return
	}
	first := !e.metricInit
	e.metricInit = true
	for i, v := range c.metricMax {
		if first || v > e.metricMax[i] {
			e.metricMax[i] = v
			e.metricAt[i] = c.metricAt[i]
		}
	}
}

func (e *explorer) isGoal(g int, i uint64) bool { return e.goalBits[g][i/64]&(1<<(i%64)) != 0 }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
