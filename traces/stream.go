package traces

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
)

// DefaultMaxOpen is CheckOptions.MaxOpen's default: the operations a
// streaming check holds at once before it stops as incomplete.
const DefaultMaxOpen = 4 << 20

// Tuning of the streaming check. Rounds close the partitions that can no
// longer change; none runs while fewer than lazyOps operations are held,
// so a small history is judged whole, in any record order.
const (
	lazyOps    = 1 << 15 // operations held before rounds start
	roundEvery = 1 << 12 // operations added between rounds
	chunkQueue = 2       // chunks waiting for the judge
)

// sobj is an object whose partition is still open.
type sobj struct {
	seq      int // order of first appearance
	ops      []cop
	lo, hi   int64
	frees    int
	reclaims int
}

// ssec is a read section: its lock and, once read, its unlock.
type ssec struct {
	lock, unlock cop
	ended        bool
}

// part is a closed partition: an object and the operations it needs
// (full), and the same with only one grace period when one surely lies
// between the object's free and its reclaim (ops; full when none does).
type part struct {
	obj  string
	seq  int
	ops  []cop
	full []cop
}

// reduce returns the partition ops with, of its grace-period boundaries,
// only those of a grace period that surely began after the object's free
// and surely ended before its reclaim; nil when there is none, or the
// object has not exactly one free and one reclaim. It is sound for a
// "holds": grace-period steps are always legal and only ever help a
// reclaim (they set gpAfter and gpDone, which a later free resets), and a
// valid order of a subset of the operations extends to the others, so
// when the reduced partition is linearizable so is the full one. A reduced
// partition found illegal is judged again in full.
func reduce(ops []cop, own int) []cop {
	var free, rec *cop
	for i := range ops[:own] {
		switch o := &ops[i]; {
		case o.kind == kFree && free == nil:
			free = o
		case o.kind == kReclaim && rec == nil:
			rec = o
		default:
			return nil
		}
	}
	if free == nil || rec == nil {
		return nil
	}
	var starts []*cop // of grace periods that surely began after the free
	for i := range ops[own:] {
		if o := &ops[own+i]; o.kind == kGPStart && o.call > free.ret {
			starts = append(starts, o)
		}
	}
	for i := range ops[own:] {
		e := &ops[own+i]
		if e.kind != kGPEnd || e.ret >= rec.call || !slices.ContainsFunc(starts, func(st *cop) bool { return st.gp == e.gp }) {
			continue
		}
		out := make([]cop, 0, len(ops))
		for _, o := range ops {
			if (o.kind != kGPStart && o.kind != kGPEnd) || o.gp == e.gp {
				out = append(out, o)
			}
		}
		return out
	}
	return nil
}

// chunk is a batch of partitions judged by one Porcupine call.
type chunk struct {
	parts      []part
	gpRequired bool
}

// streamer judges the reclaim contract on operations as they arrive: each
// object's partition once no operation still to come can meet its window,
// handed to Porcupine in chunks by a goroutine of its own, then forgotten.
// Operations must come in order of their widened call time, up to a
// straggler allowance: a record earlier than a window already judged makes
// the verdict unknown, never wrong.
type streamer struct {
	opt   CheckOptions
	res   *Result
	start time.Time
	names nameHasher

	objs    map[string]*sobj
	closed  genMap[[2]uint64, struct{}] // objects judged, by 128-bit hash (the last ones)
	openSec map[string]*ssec
	openL   []*ssec                // open sections in the order they began
	secs    []*ssec                // ended sections sorted by lock call
	gps     []cop                  // grace-period boundaries sorted by call
	gpHalf  genMap[int64, copKind] // grace periods of which one boundary was seen: its kind
	maxSec  int64
	maxGP   int64
	scratch []cop // partition's, reused: one allocation of the right size a partition
	held    int   // operations held
	added   int   // operations added

	exact       bool  // the producer says when time has advanced (advance)
	unique      bool  // every free names a new object: a reclaim of no open object is of a judged one
	maxLo       int64 // latest widened call seen
	slack       int64 // for records: the largest disorder seen, doubled
	sure        int64 // exact: no operation to come is widened below this
	judgedH     int64 // partitions whose windows end before this are judged
	lastRnd     int
	gpSeen      bool
	noGPRule    bool   // partitions were judged without the grace-period rule
	stop        string // why the verdict cannot be "linearizable" ("overflow": see overflowMsg)
	overflowMsg string
	lastProg    time.Time

	chunk chan chunk
	done  chan struct{}
	jd    *streamJudge
}

// newStreamer starts a streaming check of a history in unit; exact says
// whether the producer calls advance (operations then may come in any
// order above the time it gives).
func newStreamer(ctx context.Context, opt CheckOptions, unit string, exact bool) *streamer {
	opt.ChunkSize = cmp.Or(max(opt.ChunkSize, 0), 256)
	opt.MaxFailures = cmp.Or(max(opt.MaxFailures, 0), 10)
	opt.MaxOpen = cmp.Or(max(opt.MaxOpen, 0), DefaultMaxOpen)
	opt.lazy = cmp.Or(max(opt.lazy, 0), lazyOps)
	opt.remember = cmp.Or(max(opt.remember, 0), closedGen)
	s := &streamer{opt: opt, start: time.Now(), names: newNameHasher(),
		res: &Result{Window: opt.Window, TimeUnit: unit}, objs: map[string]*sobj{}, closed: newGenMap[[2]uint64, struct{}](opt.remember),
		openSec: map[string]*ssec{}, gpHalf: newGenMap[int64, copKind](gpGen), exact: exact,
		maxLo: math.MinInt64, sure: math.MinInt64, judgedH: math.MinInt64,
		chunk: make(chan chunk, chunkQueue), done: make(chan struct{})}
	s.lastProg = s.start
	s.jd = &streamJudge{ctx: ctx, unit: unit, maxFailures: opt.MaxFailures, onFailure: opt.OnFailure}
	if opt.Timeout > 0 {
		s.jd.deadline = s.start.Add(opt.Timeout)
	}
	go func() {
		defer close(s.done)
		for c := range s.chunk {
			s.jd.judge(c)
		}
	}()
	return s
}

// advance says that no operation to come has a widened call before t.
func (s *streamer) advance(t int64) { s.sure = max(s.sure, t) }

// horizon is the time before which every operation has been seen.
func (s *streamer) horizon() int64 {
	if s.exact {
		return s.sure
	}
	if s.maxLo < math.MinInt64+s.slack {
		return math.MinInt64
	}
	return s.maxLo - s.slack
}

// add takes one operation (widened). line is its record's line.
func (s *streamer) add(op cop) {
	if s.stop == "overflow" {
		return
	}
	if op.call < s.judgedH && s.stop == "" && !s.ownOfClosed(op) {
		s.stop = fmt.Sprintf("line %d: a record out of time order by more than the streaming check allows (call %d, before %d, up to which partitions were already judged)", op.line, op.call, s.judgedH)
	}
	if op.call > s.maxLo {
		s.maxLo = op.call
	} else if d := s.maxLo - op.call; !s.exact && d > s.slack/2 {
		s.slack = 2 * min(d, math.MaxInt64/2)
	}
	switch op.kind {
	case kFree, kReclaim:
		s.addOwn(op)
	case kLock:
		s.res.Sections++
		sec := &ssec{lock: op}
		s.openSec[op.name] = sec
		s.openL = append(s.openL, sec)
	case kUnlock:
		s.endSection(op)
	default:
		s.addGP(op)
	}
	s.held++
	s.added++
	if s.held >= s.opt.lazy && s.added-s.lastRnd >= max(min(roundEvery, s.opt.lazy), len(s.objs)/2) {
		s.round(s.horizon())
	}
	s.progress()
}

// ownOfClosed reports whether op is a free or reclaim of an object whose
// partition was already judged.
func (s *streamer) ownOfClosed(op cop) bool {
	if op.kind != kFree && op.kind != kReclaim {
		return false
	}
	_, ok := s.closed.get(s.key(op.name))
	return ok && s.objs[op.name] == nil
}

func (s *streamer) isClosed(name string) bool {
	_, ok := s.closed.get(s.key(name))
	return ok
}

func (s *streamer) key(name string) [2]uint64 { return s.names.key(name) }

// addOwn adds a free or reclaim to its object's partition. An object whose
// partition was judged (it had a reclaim) gets a second free or reclaim:
// that is a violation whatever else happens.
func (s *streamer) addOwn(op cop) {
	if op.kind == kReclaim {
		s.res.Reclaimed++
	}
	o := s.objs[op.name]
	if o == nil && s.unique && op.kind == kReclaim {
		s.jd.again(op, s.res.TimeUnit)
		return
	}
	if o == nil {
		if !s.unique && s.isClosed(op.name) {
			s.jd.again(op, s.res.TimeUnit)
			return
		}
		s.res.Objects++
		o = &sobj{seq: s.res.Objects, lo: op.call, hi: op.ret}
		s.objs[op.name] = o
	}
	o.ops = append(o.ops, op)
	o.lo, o.hi = min(o.lo, op.call), max(o.hi, op.ret)
	if op.kind == kFree {
		o.frees++
	} else {
		o.reclaims++
	}
}

// endSection records the unlock of an open section.
func (s *streamer) endSection(op cop) {
	sec := s.openSec[op.name]
	if sec == nil {
		return // the reader refuses an unlock without its lock
	}
	delete(s.openSec, op.name)
	sec.unlock, sec.ended = op, true
	s.maxSec = max(s.maxSec, op.ret-sec.lock.call)
	i := len(s.secs)
	for i > 0 && s.secs[i-1].lock.call > sec.lock.call {
		i--
	}
	s.secs = slices.Insert(s.secs, i, sec)
	s.held++
	if len(s.openL) > 64 && len(s.openSec) < len(s.openL)/2 {
		s.openL = slices.DeleteFunc(s.openL, func(x *ssec) bool { return x.ended })
	}
}

// addGP records a grace-period boundary.
func (s *streamer) addGP(op cop) {
	if !s.gpSeen && s.noGPRule && s.stop == "" {
		s.stop = fmt.Sprintf("line %d: the first grace period comes after partitions were judged without the grace-period rule", op.line)
	}
	s.gpSeen = true
	// A grace period has one start and one end at most (the reader and
	// the importer refuse more): it is counted at its first boundary, and
	// forgotten at its second.
	switch k, ok := s.gpHalf.get(op.gp); {
	case !ok:
		s.gpHalf.put(op.gp, op.kind)
		s.res.GracePeriods++
	case k != op.kind:
		s.gpHalf.del(op.gp)
	}
	s.maxGP = max(s.maxGP, op.ret-op.call)
	i := len(s.gps)
	for i > 0 && s.gps[i-1].call > op.call {
		i--
	}
	s.gps = slices.Insert(s.gps, i, op)
}

// round judges the objects whose partitions are complete before h, then
// forgets the context no open object can need.
func (s *streamer) round(h int64) {
	s.lastRnd = s.added
	var ready []named
	minLo := int64(math.MaxInt64)
	for name, o := range s.objs {
		if (o.reclaims > 0 || o.frees > 1) && o.hi < h {
			ready = append(ready, named{name, o})
		} else {
			minLo = min(minLo, o.lo)
		}
	}
	if len(ready) > 0 {
		s.judgedH = max(s.judgedH, h)
		s.close(ready, false)
	}
	s.prune(min(s.judgedH, minLo))
	if s.held > s.opt.MaxOpen && s.stop != "overflow" {
		s.overflow()
	}
}

// named is an open object and its name.
type named struct {
	name string
	o    *sobj
}

// close hands the partitions of the objects to the judge, in the order
// the objects appeared; final also decides objects never reclaimed.
func (s *streamer) close(objs []named, final bool) {
	slices.SortFunc(objs, func(a, b named) int { return cmp.Compare(a.o.seq, b.o.seq) })
	c := chunk{gpRequired: s.gpSeen}
	for _, no := range objs {
		name, o := no.name, no.o
		delete(s.objs, name)
		s.held -= len(o.ops)
		if !final && !s.unique {
			s.closed.put(s.key(name), struct{}{})
		}
		if len(o.ops) == 1 && o.ops[0].kind == kFree {
			s.res.Trivial++
			continue
		}
		p := s.partition(name, o)
		s.res.Partitions++
		s.res.MaxPartOps = max(s.res.MaxPartOps, len(p.full))
		c.parts = append(c.parts, p)
		if len(c.parts) >= s.opt.ChunkSize {
			s.send(c)
			c = chunk{gpRequired: s.gpSeen}
		}
	}
	s.send(c)
}

func (s *streamer) send(c chunk) {
	if len(c.parts) == 0 {
		return
	}
	if !c.gpRequired {
		s.noGPRule = true
	}
	s.chunk <- c
}

// partition returns the operations object o's check needs: its own, the
// read sections and the grace-period boundaries whose intervals meet its
// window; a section not yet ended counts as never ending (its end, still
// to come, is after the window and changes no verdict).
func (s *streamer) partition(name string, o *sobj) part {
	full := append(s.scratch[:0], o.ops...)
	lo, hi := o.lo, o.hi
	first := sort.Search(len(s.secs), func(k int) bool { return s.secs[k].lock.call >= lo-s.maxSec })
	for _, sec := range s.secs[first:] {
		if sec.lock.call > hi {
			break
		}
		if sec.unlock.ret >= lo {
			full = append(full, sec.lock, sec.unlock)
		}
	}
	for _, sec := range s.openL {
		if !sec.ended && sec.lock.call <= hi {
			full = append(full, sec.lock)
		}
	}
	first = sort.Search(len(s.gps), func(k int) bool { return s.gps[k].call >= lo-s.maxGP })
	for _, g := range s.gps[first:] {
		if g.call > hi {
			break
		}
		if g.ret >= lo {
			full = append(full, g)
		}
	}
	s.scratch = full
	p := part{obj: name, seq: o.seq, full: append(make([]cop, 0, len(full)), full...)}
	if p.ops = reduce(p.full, len(o.ops)); p.ops == nil {
		p.ops = p.full
	}
	return p
}

// prune forgets the ended sections and grace-period boundaries that end
// before t: no open object and no operation to come can meet them.
func (s *streamer) prune(t int64) {
	k := 0
	for k < len(s.secs) && s.secs[k].unlock.ret < t {
		k++
	}
	s.held -= 2 * k
	s.secs = slices.Delete(s.secs, 0, k)
	k = 0
	for k < len(s.gps) && s.gps[k].ret < t {
		k++
	}
	s.held -= k
	s.gps = slices.Delete(s.gps, 0, k)
}

// overflow stops the check: more operations are open at once than
// MaxOpen, for instance objects freed and never reclaimed.
func (s *streamer) overflow() {
	s.stop = "overflow"
	s.jd.addUndecided(len(s.objs))
	s.overflowMsg = fmt.Sprintf("more than %d operations open at once (%d objects not yet reclaimed, %d read sections running): the check stopped", s.opt.MaxOpen, len(s.objs), len(s.openSec))
	s.objs, s.secs, s.gps, s.openL, s.openSec = map[string]*sobj{}, nil, nil, nil, map[string]*ssec{}
}

// progress reports a running check, about every ProgressEvery.
func (s *streamer) progress() {
	if s.opt.Progress == nil || s.added&1023 != 0 {
		return
	}
	every := cmp.Or(max(s.opt.ProgressEvery, 0), time.Second)
	if time.Since(s.lastProg) < every {
		return
	}
	s.lastProg = time.Now()
	s.opt.Progress(CheckProgress{Objects: s.res.Objects - len(s.objs), Total: s.res.Objects, Partitions: s.res.Partitions, Elapsed: s.lastProg.Sub(s.start)})
}

// abort stops the judge without a result (the input was bad).
func (s *streamer) abort() {
	close(s.chunk)
	<-s.done
}

// finish judges what is left and returns the result.
func (s *streamer) finish() *Result {
	if s.stop != "overflow" {
		var objs []named
		for name, o := range s.objs {
			objs = append(objs, named{name, o})
		}
		s.close(objs, true)
	}
	if s.opt.Progress != nil {
		s.opt.Progress(CheckProgress{Objects: s.res.Objects, Total: s.res.Objects, Partitions: s.res.Partitions, Elapsed: time.Since(s.start)})
	}
	close(s.chunk)
	<-s.done
	res := s.res
	s.jd.conclude(res)
	res.ForgottenObjects = s.closed.forgotten
	res.addLoss(s.gpHalf.forgotten, fmt.Sprintf("%d grace periods of which one boundary was seen forgotten: their other boundary, if it came, counted one more grace period", s.gpHalf.forgotten))
	res.addLoss(res.ForgottenObjects, fmt.Sprintf("%d judged objects forgotten to stay in bounded memory: later frees and reclaims were checked against the last %d or more judged objects only, and one of a forgotten object counts as a new object", res.ForgottenObjects, s.opt.remember))
	if s.stop == "overflow" {
		res.StopReason = cmp.Or(res.StopReason, s.overflowMsg)
	} else if s.stop != "" {
		res.StopReason = cmp.Or(res.StopReason, s.stop)
	}
	if res.Verdict == Linearizable && res.StopReason != "" {
		res.Verdict = Unknown
	}
	res.elapsed = time.Since(s.start)
	res.ElapsedSec = res.elapsed.Seconds()
	return res
}

// streamJudge is the goroutine that hands chunks of partitions to
// Porcupine and, when a chunk is illegal, finds the objects at fault one
// partition at a time.
type streamJudge struct {
	ctx         context.Context
	unit        string
	deadline    time.Time // zero: no timeout
	maxFailures int
	onFailure   func(Failure)
	failed      int
	failedNow   atomic.Int64 // failed, for progress reports from the producer
	failures    []Failure
	undecided   int
	stop        string // why judging stopped: "timeout", "interrupted", or ""
	again1      []Failure
	againN      int
}

// left returns the time left before the deadline (0: no deadline) and
// whether any is left.
func (j *streamJudge) left() (time.Duration, bool) {
	if j.deadline.IsZero() {
		return 0, true
	}
	d := time.Until(j.deadline)
	return d, d > 0
}

// judge decides one chunk.
func (j *streamJudge) judge(c chunk) {
	if j.stop == "" && j.ctx.Err() != nil {
		j.stop = "interrupted"
	}
	left, ok := j.left()
	if j.stop != "" || !ok {
		j.stop = cmp.Or(j.stop, "timeout")
		j.undecided += len(c.parts)
		return
	}
	pm := ContractModel(c.gpRequired)
	pm.Partition = partitionRuns
	var b porcBatch
	hist := b.build(c.parts)
	switch porcupine.CheckOperationsTimeout(pm, hist, left) {
	case porcupine.Ok:
	case porcupine.Unknown:
		j.stop = "timeout"
		j.undecided += len(c.parts)
	default:
		j.blame(pm, c)
	}
}

// blame judges each partition of an illegal chunk alone.
func (j *streamJudge) blame(pm porcupine.Model, c chunk) {
	for i := range c.parts {
		p := &c.parts[i]
		left, ok := j.left()
		if !ok {
			left = time.Millisecond
		}
		verdict := porcupine.CheckOperationsTimeout(pm, partOps(0, p.ops, nil), left)
		if verdict == porcupine.Illegal && len(p.ops) < len(p.full) {
			verdict = porcupine.CheckOperationsTimeout(pm, partOps(0, p.full, nil), left)
		}
		switch verdict {
		case porcupine.Illegal:
			ic := indexOps(p.full, j.unit)
			ic.gpRequired = c.gpRequired
			j.fail(ic.explain(p.obj))
		case porcupine.Unknown:
			j.undecided++
		}
	}
}

// fail records a failing object.
func (j *streamJudge) fail(f Failure) {
	j.failed++
	j.failedNow.Add(1)
	if len(j.failures) < j.maxFailures {
		j.failures = append(j.failures, f)
	}
	if j.onFailure != nil {
		j.onFailure(f)
	}
}

// again records a free or reclaim of an object whose partition, with its
// reclaim, was already judged: freed or reclaimed twice. It is called by
// the producer; the judge reports it at the end.
func (j *streamJudge) again(op cop, unit string) {
	c := &contract{unit: unit}
	f := Failure{Obj: op.name, Ops: []string{c.metadata(&op)},
		Reason: fmt.Sprintf("%s is %s again after it was freed and reclaimed", op.name, copNames[op.kind])}
	j.againN++
	if len(j.again1) < j.maxFailures {
		j.again1 = append(j.again1, f)
	}
	if j.onFailure != nil {
		j.onFailure(f)
	}
}

func (j *streamJudge) addUndecided(n int) { j.undecided += n }

// conclude writes the verdict to res.
func (j *streamJudge) conclude(res *Result) {
	for _, f := range j.again1 {
		if len(j.failures) < j.maxFailures {
			j.failures = append(j.failures, f)
		}
	}
	res.Failed, res.Undecided, res.Failures = j.failed+j.againN, j.undecided, j.failures
	res.StopReason = j.stop
	switch {
	case res.Failed > 0:
		res.Verdict = NotLinearizable
	case j.undecided > 0 || j.stop != "":
		res.Verdict = Unknown
	default:
		res.Verdict = Linearizable
	}
}

// partitionRuns splits a history whose partitions come one after the
// other (partOps) into them, without a map.
func partitionRuns(h []porcupine.Operation) [][]porcupine.Operation {
	var parts [][]porcupine.Operation
	for i := 0; i < len(h); {
		j, p := i+1, h[i].Input.(*cin).part
		for j < len(h) && h[j].Input.(*cin).part == p {
			j++
		}
		parts = append(parts, h[i:j:j])
		i = j
	}
	return parts
}

// partOps turns a partition into Porcupine operations, with
// partition-local indices for sections and grace periods.
func partOps(part int, ops []cop, dst []porcupine.Operation) []porcupine.Operation {
	var b porcBatch
	b.ins = make([]cin, 0, len(ops))
	b.hist = dst
	b.group = part
	b.member(ops, 0, 0)
	return b.hist
}

// Grouping of partitions in a Porcupine call (porcBatch): a group holds up
// to groupOps operations of partitions of at most memberOps each.
const (
	groupOps  = 128
	memberOps = 16
	maxBase   = MaxTime << 2 // widened times lie in [-2*MaxTime, 2*MaxTime]
)

// porcBatch builds the Porcupine history of a chunk of partitions. Small
// partitions share a Porcupine partition (a group): each is shifted in
// time to begin after the one before it has ended, and numbered (member),
// and the contract's state starts afresh at each new member. Porcupine
// orders by time and takes a call only once every return before it is
// taken, so a group's valid orders are exactly one valid order of each
// member after the other: a group is linearizable if and only if every
// member is, and Porcupine still judges each partition, without a
// goroutine, maps and cache of its own per object. A partition of more than
// memberOps operations gets a group of its own, so that a failing member
// never makes Porcupine go back through many orders of big ones before it.
type porcBatch struct {
	hist  []porcupine.Operation
	ins   []cin // the inputs, one allocation (never grown: pointers into it)
	group int   // the current group
	size  int   // its operations
	mem   int32 // its members
	base  int64 // the time its next member begins at
}

// build returns the history of the partitions (their ops).
func (b *porcBatch) build(parts []part) []porcupine.Operation {
	n := 0
	for i := range parts {
		n += len(parts[i].ops)
	}
	b.hist, b.ins = make([]porcupine.Operation, 0, n), make([]cin, 0, n)
	b.group = -1
	for i := range parts {
		ops := parts[i].ops
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for k := range ops {
			lo, hi = min(lo, ops[k].call), max(hi, ops[k].ret)
		}
		if b.group < 0 || len(ops) > memberOps || b.size+len(ops) > groupOps || b.mem >= 1<<30 || hi-lo > maxBase-b.base {
			b.group, b.size, b.mem, b.base = b.group+1, 0, 0, 0
		}
		b.member(ops, b.base-lo, b.mem)
		b.size += len(ops)
		b.mem++
		b.base += hi - lo + 1
		if len(ops) > memberOps {
			b.size = groupOps // nothing joins it
		}
	}
	return b.hist
}

// member appends a partition's operations shifted by shift as member m of
// the current group.
func (b *porcBatch) member(ops []cop, shift int64, m int32) {
	var names []string
	var gps []int64
	for i := range ops {
		o := &ops[i]
		b.ins = append(b.ins, cin{kind: o.kind, part: b.group, member: m, op: o})
		in := &b.ins[len(b.ins)-1]
		switch o.kind {
		case kLock, kUnlock:
			in.local = slices.Index(names, o.name)
			if in.local < 0 {
				in.local = len(names)
				names = append(names, o.name)
			}
		case kGPStart, kGPEnd:
			in.local = slices.Index(gps, o.gp)
			if in.local < 0 {
				in.local = len(gps)
				gps = append(gps, o.gp)
			}
		}
		b.hist = append(b.hist, porcupine.Operation{ClientId: o.client, Input: in, Call: o.call + shift, Return: o.ret + shift})
	}
}

// Check judges a history against the reclaim contract with Porcupine, one
// partition per object, streaming: the operations in order of their call
// time, each object's partition judged once no later operation can meet
// it. A timeout or a cancelled ctx leaves the verdict "unknown" unless a
// violation was already found: the verdict is never wrong.
func Check(ctx context.Context, h *History, opt CheckOptions) (*Result, error) {
	if opt.Window < 0 {
		return nil, fmt.Errorf("negative uncertainty window %d", opt.Window)
	}
	if err := h.checkTimes(); err != nil {
		return nil, err
	}
	var ops []cop
	for i := range h.Records {
		if r := &h.Records[i]; r.Type == "op" {
			ops = recordCops(ops, r, opt.Window)
		}
	}
	slices.SortStableFunc(ops, func(a, b cop) int { return cmp.Compare(a.call, b.call) })
	s := newStreamer(ctx, opt, h.Header.TimeUnit, true)
	s.res.Operations = len(h.Ops())
	for _, op := range ops {
		s.advance(op.call)
		s.add(op)
	}
	res := s.finish()
	res.Label, res.Design, res.Expected = h.Header.Label, h.Header.Design, h.Header.Expected
	return res, nil
}
