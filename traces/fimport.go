package traces

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ImportFtraceFile imports a capture, gzipped or not; path "-" is the
// standard input.
func ImportFtraceFile(path string, opt ImportOptions) (*Import, error) {
	in, err := openInput(path)
	if err != nil {
		return nil, fmt.Errorf("importing ftrace: %w", err)
	}
	defer in.Close()
	imp, err := ImportFtrace(in, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.name, err)
	}
	imp.File = in.name
	imp.History.Header.Input = in.name
	return imp, nil
}

// ImportFtrace imports an ftrace capture of the kvfree_rcu machinery of
// Linux 6.1 made with the probes of ../shared/data/kernel-traces, with its
// whole history (Import.History) in memory.
func ImportFtrace(r io.Reader, opt ImportOptions) (*Import, error) {
	opt.KeepHistory = true
	imp, _, err := importFtrace(context.Background(), r, opt, nil)
	return imp, err
}

// ImportFtraceStream imports a capture and judges it against the contract
// as it reads it, in memory bounded by what is open at once (unless
// opt.KeepHistory): each object's partition is judged once its reclaim is
// seen and no operation to come can meet it. A cancelled ctx stops the
// reading: the figures and the verdict are then those of what was read
// (verdict unknown unless a violation was found).
func ImportFtraceStream(ctx context.Context, r io.Reader, opt ImportOptions, copt CheckOptions) (*Import, *Result, error) {
	if copt.Window < 0 {
		return nil, nil, fmt.Errorf("negative uncertainty window %d", copt.Window)
	}
	s := newStreamer(ctx, copt, UnitNS, true)
	s.unique = true // objects are ADDR#n: a free never names an object seen before
	imp, stopped, err := importFtrace(ctx, r, opt, s)
	if err != nil {
		s.abort()
		return nil, nil, err
	}
	res := s.finish()
	res.Label = "kernel ftrace capture"
	res.ForgottenAddresses = imp.Figures.ForgottenAddresses
	res.addLoss(res.ForgottenAddresses, fmt.Sprintf("the last free of %d addresses forgotten to stay in bounded memory: the last %d or more addresses freed are remembered, and a second reclaim of a forgotten one counts as a reclaim of an object freed before the capture, not as a violation", res.ForgottenAddresses, opt.lastGen()))
	if stopped != "" && res.StopReason == "" {
		res.StopReason = stopped
		if res.Verdict == Linearizable {
			res.Verdict = Unknown
		}
	}
	return imp, res, nil
}

// ImportFtraceStreamFile is ImportFtraceStream on a file, gzipped or not;
// path "-" is the standard input.
func ImportFtraceStreamFile(ctx context.Context, path string, opt ImportOptions, copt CheckOptions) (*Import, *Result, error) {
	in, err := openInput(path)
	if err != nil {
		return nil, nil, fmt.Errorf("importing ftrace: %w", err)
	}
	defer in.Close()
	var r io.Reader = in
	if opt.Follow {
		r = interruptible(ctx, in)
	}
	imp, res, err := ImportFtraceStream(ctx, r, opt, copt)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", in.name, err)
	}
	imp.File = in.name
	if imp.History != nil {
		imp.History.Header.Input = in.name
	}
	return imp, res, nil
}

// importFtrace reads a capture through the importer; the contract's
// operations go to s when it is not nil. It returns why it stopped early
// ("interrupted"), if it did.
func importFtrace(ctx context.Context, r io.Reader, opt ImportOptions, s *streamer) (*Import, string, error) {
	pr := newImportProgress(opt)
	var sc eventSource = newCaptureScanner(pr.reader(r), opt.Follow)
	if !opt.Follow { // read and parse on another core (follow waits line by line)
		ps := newPipeScanner(sc.(*captureScanner))
		defer ps.stop()
		sc = ps
	}
	window := opt.Window
	if window == 0 {
		window = int64(DefaultWindow)
	}
	window = max(window, 0)
	if s != nil {
		window = s.opt.Window // the check's, which --window sets
	}
	imp := &Import{}
	im := newImporter(&imp.Figures, s, window, opt)
	stopped := ""
	if opt.Follow {
		defer pr.tick()()
	}
	for n := 1; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			stopped = "interrupted"
			break
		}
		e, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", err
		}
		if err := im.event(e); err != nil {
			return nil, "", err
		}
		switch {
		case opt.Follow && pr.report != nil:
			pr.publish(im.progress(e.line))
		case pr.due(e.line):
			pr.send(im.progress(e.line))
		}
	}
	if stopped == "" && ctx.Err() != nil {
		stopped = "interrupted"
	}
	im.fg.Events, im.fg.LostEvents = sc.counts()
	if opt.tables != nil {
		opt.tables(im)
	}
	im.finish()
	if opt.KeepHistory {
		imp.History = ftraceHistory(im.objs, im.extraRecl, im.gt.gps, im.fg.CPUs, window)
	}
	switch {
	case opt.NoReplay || opt.Follow:
	case im.replaySkip != "":
		imp.Replay = &Replay{Skipped: im.replaySkip}
	default:
		pr.phase("replaying on the model")
		imp.events = im.events
		imp.Replay = replayKernel(imp, im.objs, im.batches)
		imp.events = nil
	}
	return imp, stopped, nil
}

// kobj is one object instance: a kvfree_call_rcu of an address.
type kobj struct {
	name      string
	addr      uint64
	cpu       int
	freeAt    int64
	freeLine  int
	path      string
	recAt     int64
	recEnd    int64
	recLine   int
	batch     int // index of its batch, -1 if none
	reclaimed bool
	extra     bool // a second reclaim of an object freed once
}

// kbatch is one run of kfree_rcu_work: a batch of objects after its GP.
type kbatch struct {
	idx        int
	krwp, krcp uint64
	slot       int
	queuedAt   int64 // queue_rcu_work time, 0 if unseen
	queuedLine int
	start, end int64
	line       int
	objs       int
	bulkPages  int
	vfrees     int
	pid        int
	recl       []*kobj // reclaimed, their reclaims not yet handed on
}

// kgp is one grace period.
type kgp struct {
	num                 int64
	startCall, startRet int64
	endCall, endRet     int64
	started, ended      bool
	startLine, endLine  int
}

// gpTable collects a capture's grace periods by number.
type gpTable struct {
	gps          []*kgp
	byNum        map[int64]*kgp
	forgotten    int64 // the highest number forgotten (trim), if hasForgotten
	hasForgotten bool
}

// start records that grace period num started (rcu_gp_init, from call to
// the event e). A grace period that starts twice, or after it ended, makes
// the capture inconsistent: an error naming the lines.
func (t *gpTable) start(e *kevent, num, call int64) (*kgp, error) {
	if err := t.check(e, num, "starts"); err != nil {
		return nil, err
	}
	if g := t.byNum[num]; g != nil {
		if g.started {
			return nil, fmt.Errorf("line %d: grace period %d (gp_seq >> 2) starts again; it started on line %d", e.line, num, g.startLine)
		}
		return nil, fmt.Errorf("line %d: grace period %d (gp_seq >> 2) starts after it ended on line %d", e.line, num, g.endLine)
	}
	g := &kgp{num: num, startCall: call, startRet: e.ts, started: true, startLine: e.line}
	t.gps = append(t.gps, g)
	t.byNum[num] = g
	return g, nil
}

// end records that grace period num ended (rcu_gp_cleanup, from call to the
// event e); it may have started before the capture. Ending twice is an
// error.
func (t *gpTable) end(e *kevent, num, call int64) (*kgp, error) {
	if err := t.check(e, num, "ends"); err != nil {
		return nil, err
	}
	g := t.byNum[num]
	if g == nil {
		g = &kgp{num: num}
		t.gps = append(t.gps, g)
		t.byNum[num] = g
	}
	if g.ended {
		return nil, fmt.Errorf("line %d: grace period %d (gp_seq >> 2) ends again; it ended on line %d", e.line, num, g.endLine)
	}
	g.endCall, g.endRet, g.ended, g.endLine = call, e.ts, true, e.line
	return g, nil
}

// lastFree is the latest free of an address: its object is ADDR#n.
type lastFree struct {
	n   int
	cpu int32
}

// flightIv is a batch handed to RCU: queued at q, freed at end.
type flightIv struct {
	q, end int64
	pages  int
}

// importer matches a capture's events as they come: objects freed and
// reclaimed, batches, grace periods. It counts the figures (in memory
// bounded by what is open, unless it keeps the capture for the history
// or the replay) and hands the contract's operations to the streaming
// check s.
type importer struct {
	fg          *Figures
	s           *streamer // nil: no check
	window      int64
	keep        bool // objects and batches, for the history or the replay
	keepHist    bool
	replayLimit int
	replaySkip  string
	objs        []*kobj
	extraRecl   []*kobj
	events      []kevent // the replay's events
	batches     []*kbatch
	frees       int
	nbatches    int
	outstanding map[uint64][]*kobj       // addr -> freed, not yet reclaimed (FIFO)
	lastObj     genMap[uint64, lastFree] // the last addresses freed (the maps of what is open are exact)
	running     map[int]*kbatch          // pid -> running kfree_rcu_work
	queued      map[uint64]*kbatch       // krwp -> batch queued, its work not yet run
	gt          gpTable
	gpInitEntry map[int]int64
	gpCleanAt   map[int]int64
	maxCPU      int
	counts      map[string]*int
	perCPU      []int
	gpEnds      []int64    // in time order
	gpSpans     [][2]int64 // started and ended grace periods, by start
	flight      []flightIv
	dists       [6]*distAcc // latency ms, GPs, full GPs, GP ms, objects and pages per batch
	nameBuf     []byte
	trim0       trimState
}

const (
	dLat = iota
	dLatGP
	dFull
	dGP
	dObjs
	dPages
)

func newImporter(fg *Figures, s *streamer, window int64, opt ImportOptions) *importer {
	fg.EventCounts, fg.ByPath = map[string]int{}, map[string]int{}
	im := &importer{fg: fg, s: s, window: window, keepHist: opt.KeepHistory, replayLimit: opt.ReplayLimit,
		outstanding: map[uint64][]*kobj{}, lastObj: newGenMap[uint64, lastFree](opt.lastGen()),
		running: map[int]*kbatch{}, queued: map[uint64]*kbatch{}, gt: gpTable{byNum: map[int64]*kgp{}},
		gpInitEntry: map[int]int64{}, gpCleanAt: map[int]int64{}, maxCPU: -1, counts: map[string]*int{}}
	if im.replayLimit <= 0 {
		im.replayLimit = DefaultReplayLimit
	}
	im.keep = opt.KeepHistory || (!opt.NoReplay && !opt.Follow)
	for i, sc := range []float64{1e6, 1, 1, 1e6, 1, 1} {
		im.dists[i] = newDistAcc(sc)
	}
	return im
}

// progress is the snapshot of a streaming import after n lines.
func (im *importer) progress(n int) ImportProgress {
	ip := ImportProgress{Lines: n, Frees: im.frees, Reclaimed: im.fg.Reclaimed}
	if im.s != nil {
		ip.Partitions, ip.Violations = im.s.res.Partitions, int(im.s.jd.failedNow.Load())+im.s.jd.againN
	}
	return ip
}

// emit hands a contract operation on [call, ret] to the check.
func (im *importer) emit(k copKind, name string, gp, call, ret int64, client, line int) {
	if im.s == nil {
		return
	}
	lo, hi := widen(call, ret, im.window)
	im.s.res.Operations++
	im.s.add(cop{kind: k, name: name, gp: gp, call: lo, ret: hi, client: client, line: line})
}

// event matches one event of the capture.
func (im *importer) event(e *kevent) error {
	im.count(e)
	im.maxCPU = max(im.maxCPU, e.cpu)
	if im.keep && replayEvent(e.name) {
		if err := im.keepEvent(e); err != nil {
			return err
		}
	}
	if im.s != nil && e.line&255 == 0 {
		im.advance(e.ts)
	}
	if im.trim0.events++; !im.keep && im.trim0.events%trimEvery == 0 {
		im.trim(e.ts)
	}
	switch e.name {
	case "tracing_mark_write":
		if _, p, ok := strings.Cut(e.raw, "KT-PHASE: "); ok {
			im.fg.Phases = append(im.fg.Phases, fmt.Sprintf("%.6fs %s", float64(e.ts)/1e9, p))
		}
	case "kvfree_call_rcu":
		return im.free(e)
	case "queue_rcu_work":
		return im.queue(e)
	case "kfree_rcu_work":
		return im.work(e)
	case "kfree_rcu_work_ret":
		if b := im.running[e.pid]; b != nil {
			b.end = e.ts
			delete(im.running, e.pid)
			im.batchDone(b)
		}
	case "kfree_bulk", "kfree_bulk_recs0", "kfree_bulk_recs1", "kfree_bulk_recs2", "kfree_bulk_recs3":
		return im.bulk(e)
	case "kvfree", "vfree":
		return im.kvfree(e)
	case "gp_init":
		im.gpInitEntry[e.pid] = e.ts
	case "gp_init_ret":
		return im.gpInit(e)
	case "gp_cleanup":
		im.gpCleanAt[e.pid] = e.ts
	case "gp_cleanup_ret":
		return im.gpCleanup(e)
	}
	return nil
}

// replayEvent says whether the model replay reads events of this name.
func replayEvent(name string) bool {
	switch name {
	case "kvfree_call_rcu", "queue_rcu_work", "gp_init_ret", "gp_cleanup_ret", "kfree_rcu_work", "fill_page_cache_func_ret", "kfree_rcu_shrink_scan":
		return true
	}
	return false
}

// keepEvent keeps a copy of e for the replay while the capture is small
// enough, and drops what the replay kept once it is not.
func (im *importer) keepEvent(e *kevent) error {
	if im.replaySkip != "" {
		return nil
	}
	if e.name == "kvfree_call_rcu" && im.frees >= im.replayLimit {
		im.replaySkip = fmt.Sprintf("skipped: the capture has more than %d frees (the replay holds the capture in memory; import a shorter capture to replay it, or pass --no-replay)", im.replayLimit)
		im.events = nil
		if !im.keepHist {
			im.keep, im.objs, im.batches, im.extraRecl = false, nil, nil, nil
		}
		return nil
	}
	c, err := e.clone()
	im.events = append(im.events, c)
	return err
}

// advance tells the check how far the capture has come: no operation
// still to come starts before the earliest reclaim of a running batch,
// the entry of a grace-period function not yet returned, or now.
func (im *importer) advance(now int64) {
	t := now
	for _, b := range im.running {
		for _, o := range b.recl {
			t = min(t, o.recAt)
		}
	}
	for _, v := range im.gpInitEntry {
		t = min(t, v)
	}
	for _, v := range im.gpCleanAt {
		t = min(t, v)
	}
	lo, _ := widen(t, t, im.window)
	im.s.advance(lo)
}

// count counts every event by name and the events that are figures only.
func (im *importer) count(e *kevent) {
	p := im.counts[e.name]
	if p == nil {
		p = new(int)
		im.counts[strings.Clone(e.name)] = p
	}
	*p++
	fg := im.fg
	switch e.name {
	case "get_free_page_ret":
		fg.PageAllocs++
	case "fill_page_cache_func":
		fg.CacheRefills++
	case "kfree_rcu_shrink_count":
		fg.ShrinkCounts++
	case "kfree_rcu_shrink_scan":
		fg.ShrinkScans++
	case "free_page":
		if e.callerIn("kfree_rcu_shrink_scan") {
			fg.PagesDrained++
		}
	case "mm_vmscan_direct_reclaim_begin":
		fg.DirectReclaim++
	}
}

// free records a kvfree_call_rcu: a new object.
func (im *importer) free(e *kevent) error {
	head, fn, err := e.hex2("head", "func")
	if err != nil {
		return err
	}
	addr := head - fn
	if head == 0 {
		addr = fn
		im.fg.Headless++
	}
	im.frees++
	o := &kobj{name: im.objName(addr, im.frees), addr: addr, cpu: e.cpu, freeAt: e.ts, freeLine: e.line, batch: -1}
	for len(im.perCPU) <= e.cpu {
		im.perCPU = append(im.perCPU, 0)
	}
	im.perCPU[e.cpu]++
	if im.keep {
		im.objs = append(im.objs, o)
	}
	im.outstanding[addr] = append(im.outstanding[addr], o)
	im.lastObj.put(addr, lastFree{im.frees, int32(o.cpu)})
	im.emit(kFree, o.name, 0, e.ts, e.ts, e.cpu, e.line)
	return nil
}

// queue records a batch handed to RCU by the monitor or the shrinker.
func (im *importer) queue(e *kevent) error {
	if !e.callerIn("kfree_rcu_monitor") && !e.callerIn("kfree_rcu_shrink_scan") {
		return nil
	}
	rw, krcp, err := e.hex2("rwork", "krcp")
	if err != nil {
		return err
	}
	im.queued[rw] = &kbatch{krwp: rw, krcp: krcp, queuedAt: e.ts, queuedLine: e.line}
	return nil
}

// work records the start of a kfree_rcu_work run: the batch it frees.
func (im *importer) work(e *kevent) error {
	krwp, krcp, err := e.hex2("krwp", "krcp")
	if err != nil {
		return err
	}
	b := im.queued[krwp]
	if b == nil {
		b = &kbatch{krwp: krwp, krcp: krcp}
	}
	delete(im.queued, krwp)
	b.start, b.line, b.pid, b.idx = e.ts, e.line, e.pid, im.nbatches
	im.nbatches++
	switch krwp - krcp {
	case 24:
		b.slot = 0
	case 112:
		b.slot = 1
	default:
		b.slot = -1
	}
	if im.keep {
		im.batches = append(im.batches, b)
	}
	if old := im.running[e.pid]; old != nil {
		im.batchDone(old) // never returned: it ends where it started
	}
	im.running[e.pid] = b
	return nil
}

// bulk records a kfree_bulk of the running worker: a bulk page, or the
// records it frees.
func (im *importer) bulk(e *kevent) error {
	b := im.running[e.pid]
	if b == nil || !e.callerIn("kfree_rcu_work") {
		return nil
	}
	size, err := e.dec("size")
	if err != nil {
		return err
	}
	if e.name == "kfree_bulk" {
		b.bulkPages++
		return nil
	}
	for i := range e.args {
		a := &e.args[i]
		if !strings.HasPrefix(a.k, "r") || slices.ContainsFunc(e.args[i+1:], func(x karg) bool { return x.k == a.k }) {
			continue // a field given twice counts once, as its last value
		}
		v, _ := e.arg(a.k)
		if !strings.HasPrefix(v, "{") {
			continue
		}
		if err := im.records(e, a.k, v, size, b); err != nil {
			return err
		}
	}
	return nil
}

// records reclaims the addresses of a field rN={a,b,...}: records from
// index N, those below size.
func (im *importer) records(e *kevent, k, v string, size uint64, b *kbatch) error {
	base, err := strconv.ParseUint(k[1:], 10, 32)
	if err != nil {
		return nil
	}
	v = strings.Trim(v, "{}")
	for j := 0; v != ""; j++ {
		s, rest, _ := strings.Cut(v, ",")
		v = rest
		if base+uint64(j) >= size || s == "" {
			continue
		}
		addr, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
		if err != nil {
			return fmt.Errorf("line %d: field %q: bad record %q", e.line, k, s)
		}
		im.reclaim(e, addr, "bulk", b)
	}
	return nil
}

// kvfree records a kvfree or vfree by the worker (rcu_head or vmalloc
// path) or inline by kvfree_call_rcu (synchronous path).
func (im *importer) kvfree(e *kevent) error {
	addr, err := e.hex("addr")
	if err != nil {
		return err
	}
	switch {
	case e.callerIn("kfree_rcu_work"):
		b := im.running[e.pid]
		path := "rcu_head"
		if e.name == "vfree" {
			path = "vmalloc"
			if b != nil {
				b.vfrees++
			}
		}
		im.reclaim(e, addr, path, b)
	case e.callerIn("kvfree_call_rcu"):
		im.reclaim(e, addr, "inline_sync", nil)
	}
	return nil
}

// reclaim records that addr was reclaimed by event e on path, in batch b
// (nil: none): the oldest outstanding free of addr, or a double reclaim.
func (im *importer) reclaim(e *kevent, addr uint64, path string, b *kbatch) {
	q := im.outstanding[addr]
	var o *kobj
	switch last, ok := im.lastObj.get(addr); {
	case len(q) > 0:
		o = q[0]
		if len(q) == 1 {
			delete(im.outstanding, addr)
		} else {
			im.outstanding[addr] = q[1:]
		}
	case ok:
		// Freed once in the capture and reclaimed again: a double
		// reclaim the contract must see.
		o = &kobj{name: im.objName(addr, last.n), addr: addr, cpu: int(last.cpu), batch: -1, freeAt: -1, extra: true}
		if im.keep {
			im.extraRecl = append(im.extraRecl, o)
		}
	default: // or freed before the last addresses lastObj remembers
		im.fg.PreCapture++
		return
	}
	o.path, o.recAt, o.recEnd, o.recLine, o.reclaimed = path, e.ts, e.ts, e.line, true
	if !o.extra {
		im.latency(o)
	}
	if b == nil {
		im.emitReclaim(o)
		return
	}
	o.batch = b.idx
	b.objs++
	if o.extra {
		im.emitReclaim(o) // its reclaim spans no worker run (as before streaming)
		return
	}
	b.recl = append(b.recl, o)
}

// lastGen is the generation of the importer's lastObj: unbounded when the
// history is kept (memory then grows with the capture anyway).
func (opt *ImportOptions) lastGen() int {
	if opt.KeepHistory {
		return 0
	}
	return cmp.Or(opt.addrGen, addrGen)
}

// objName names the n-th free of the capture, of addr: ADDR#n.
func (im *importer) objName(addr uint64, n int) string {
	im.nameBuf = strconv.AppendUint(append(im.nameBuf[:0], "0x"...), addr, 16)
	im.nameBuf = strconv.AppendInt(append(im.nameBuf, '#'), int64(n), 10)
	return string(im.nameBuf)
}

func (im *importer) emitReclaim(o *kobj) {
	im.emit(kReclaim, o.name, 0, o.recAt, max(o.recEnd, o.recAt), im.workerClient(o.cpu), o.recLine)
}

// workerClient is the client of a reclaim by the worker of cpu (the
// history's numbering once the CPUs are known: only the visualisation
// reads it).
func (im *importer) workerClient(cpu int) int { return MaxCPUs + cpu }

// latency counts the figures of object o reclaimed: its latency in ms, in
// grace periods ended in between and in full grace periods (that began
// after its free and ended before its reclaim).
func (im *importer) latency(o *kobj) {
	fg := im.fg
	fg.Reclaimed++
	fg.ByPath[o.path]++
	im.dists[dLat].add(o.recAt - o.freeAt)
	ends := im.gpEnds
	n := sort.Search(len(ends), func(i int) bool { return ends[i] >= o.recAt }) - sort.Search(len(ends), func(i int) bool { return ends[i] > o.freeAt })
	im.dists[dLatGP].add(int64(n))
	spans := im.gpSpans
	k := 0
	for j := sort.Search(len(spans), func(i int) bool { return spans[i][0] > o.freeAt }); j < len(spans) && spans[j][1] < o.recAt; j++ {
		k++
	}
	im.dists[dFull].add(int64(k))
}

// batchDone closes a worker run: its reclaims span to its end, and its
// figures are counted.
func (im *importer) batchDone(b *kbatch) {
	if b.end == 0 {
		b.end = b.start
	}
	for _, o := range b.recl {
		o.recEnd = b.end
		im.emitReclaim(o)
	}
	b.recl = nil
	pages := b.bulkPages + (b.vfrees+BulkEntries-1)/BulkEntries
	im.fg.BulkPages += pages
	im.fg.Batches++
	im.dists[dObjs].add(int64(b.objs))
	im.dists[dPages].add(int64(pages))
	if b.queuedAt > 0 {
		im.flight = append(im.flight, flightIv{b.queuedAt, b.end, pages})
	}
}

// gpInit records the start of a grace period (rcu_gp_init's return).
func (im *importer) gpInit(e *kevent) error {
	seq, err := e.dec("gp_seq")
	if err != nil {
		return err
	}
	st, _ := e.dec("started")
	call, ok := im.gpInitEntry[e.pid]
	delete(im.gpInitEntry, e.pid)
	if st == 0 {
		return nil
	}
	if !ok {
		call = e.ts
	}
	g, err := im.gt.start(e, int64(seq>>2), call)
	if err != nil {
		return err
	}
	im.fg.GPsStarted++
	im.emit(kGPStart, "", g.num, g.startCall, g.startRet, 2*MaxCPUs, e.line)
	return nil
}

// gpCleanup records the end of a grace period (rcu_gp_cleanup's return).
func (im *importer) gpCleanup(e *kevent) error {
	seq, err := e.dec("gp_seq")
	if err != nil {
		return err
	}
	call, ok := im.gpCleanAt[e.pid]
	delete(im.gpCleanAt, e.pid)
	num := int64((seq - 1) >> 2) // the ended GP: seq is even now, one past it
	if !ok {
		call = e.ts
	}
	g, err := im.gt.end(e, num, call)
	if err != nil {
		return err
	}
	im.fg.GPsEnded++
	im.gpEnds = append(im.gpEnds, g.endRet)
	if g.started {
		sp := [2]int64{g.startCall, g.endRet}
		i, _ := slices.BinarySearchFunc(im.gpSpans, sp, func(a, b [2]int64) int { return cmpI64(a[0], b[0]+1) })
		im.gpSpans = slices.Insert(im.gpSpans, i, sp)
		im.dists[dGP].add(g.endRet - g.startCall)
	}
	im.emit(kGPEnd, "", g.num, g.endCall, g.endRet, 2*MaxCPUs, e.line)
	return nil
}

func cmpI64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// finish closes the batches still running and computes the figures.
func (im *importer) finish() {
	pids := make([]int, 0, len(im.running))
	for pid := range im.running {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	for _, pid := range pids {
		im.batchDone(im.running[pid])
	}
	im.running = map[int]*kbatch{}
	fg := im.fg
	for k, p := range im.counts {
		fg.EventCounts[k] = *p
	}
	fg.CPUs = im.maxCPU + 1
	fg.FreesPerCPU = make([]int, fg.CPUs)
	copy(fg.FreesPerCPU, im.perCPU)
	fg.Frees = im.frees
	fg.NotReclaimed = fg.Frees - fg.Reclaimed
	fg.ForgottenAddresses = im.lastObj.forgotten
	fg.LatencyMS, fg.LatencyGPs, fg.FullGPs = im.dists[dLat].dist(), im.dists[dLatGP].dist(), im.dists[dFull].dist()
	fg.GPDurationMS, fg.ObjsPerBatch, fg.PagesPerBatch = im.dists[dGP].dist(), im.dists[dObjs].dist(), im.dists[dPages].dist()
	fg.MaxPagesInFlight = max(im.trim0.flightMax, maxInFlight(im.flight))
	if fg.PageAllocs > 0 {
		fg.CallsPerAlloc = float64(fg.Frees) / float64(fg.PageAllocs)
	}
	if fg.BulkPages > 0 {
		fg.CallsPerPage = float64(fg.ByPath["bulk"]+fg.ByPath["vmalloc"]) / float64(fg.BulkPages)
	}
}

// maxInFlight returns the most pages in batches handed to RCU and not yet
// freed at any moment (a batch freed at t no longer counts at t).
func maxInFlight(fl []flightIv) int {
	type ev struct {
		t int64
		d int
	}
	evs := make([]ev, 0, 2*len(fl))
	for _, f := range fl {
		evs = append(evs, ev{f.q, f.pages}, ev{f.end, -f.pages})
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].t != evs[j].t {
			return evs[i].t < evs[j].t
		}
		return evs[i].d < evs[j].d
	})
	cur, best := 0, 0
	for _, f := range evs {
		cur += f.d
		best = max(best, cur)
	}
	return best
}

// ftraceHistory builds the contract history of a capture. Frees are the
// kvfree_call_rcu entries; a reclaim spans from the probe that frees the
// object to the end of the worker's run; grace periods span rcu_gp_init and
// rcu_gp_cleanup. The uncertainty window is applied by the checker (it is
// recorded in the header); times are in ns.
func ftraceHistory(objs, extra []*kobj, gps []*kgp, cpus int, window int64) *History {
	h := &History{Header: NewHeader(SourceFtrace, UnitNS)}
	h.Header.Model = "linux-6.1 kvfree_rcu"
	h.Header.Label = "kernel ftrace capture"
	h.Header.Comment = fmt.Sprintf("suggested uncertainty window %d ns", window)
	for c := 0; c < cpus; c++ {
		h.Header.Clients = append(h.Header.Clients, fmt.Sprintf("cpu%d", c))
	}
	for c := 0; c < cpus; c++ {
		h.Header.Clients = append(h.Header.Clients, fmt.Sprintf("worker%d", c))
	}
	h.Header.Clients = append(h.Header.Clients, "rcu_gp")
	var recs []Record
	for _, o := range objs {
		recs = append(recs, Record{Type: "op", Op: OpFree, Client: o.cpu, Obj: o.name, Call: i64(o.freeAt), Return: i64(o.freeAt), Result: "ok",
			Info: fmt.Sprintf("kvfree_call_rcu, trace line %d", o.freeLine)})
	}
	for _, o := range append(append([]*kobj(nil), objs...), extra...) {
		if !o.reclaimed {
			continue
		}
		recs = append(recs, Record{Type: "op", Op: OpReclaim, Client: cpus + o.cpu%max(cpus, 1), Obj: o.name, Call: i64(o.recAt), Return: i64(max(o.recEnd, o.recAt)), Result: "ok",
			Info: fmt.Sprintf("%s path, trace line %d", o.path, o.recLine)})
	}
	for _, g := range gps {
		if g.started {
			recs = append(recs, Record{Type: "op", Op: OpGPStart, Client: 2 * cpus, GP: i64(g.num), Call: i64(g.startCall), Return: i64(g.startRet), Result: "ok",
				Info: fmt.Sprintf("rcu_gp_init, trace line %d", g.startLine)})
		}
		if g.ended {
			recs = append(recs, Record{Type: "op", Op: OpGPEnd, Client: 2 * cpus, GP: i64(g.num), Call: i64(g.endCall), Return: i64(g.endRet), Result: "ok",
				Info: fmt.Sprintf("rcu_gp_cleanup, trace line %d", g.endLine)})
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return *recs[i].Call < *recs[j].Call })
	for i := range recs {
		recs[i].ID = int64(i + 1)
	}
	h.Records = recs
	return h
}
