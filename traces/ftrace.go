package traces

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultWindow is the default uncertainty of a kernel timestamp: every
// event of an imported ftrace capture is widened by this much on both sides,
// and Porcupine considers every order within. Under trace_clock=global the
// per-CPU clocks are synchronised to well under a microsecond on real
// hardware; 10 µs also covers the probe overhead between a function's entry
// and the moment its effect happens.
const DefaultWindow = 10 * time.Microsecond

// MaxCPUs bounds the CPU numbers of a capture: Linux's largest NR_CPUS.
const MaxCPUs = 8192

// BulkEntries is the number of object pointers per bulk page in Linux 6.1 on
// 64-bit with 4 KiB pages (KVFREE_BULK_MAX_ENTR).
const BulkEntries = 510

// File kinds Sniff recognises.
const (
	KindJSONL  = "jsonl"
	KindFtrace = "ftrace"
)

// Sniff says whether path is an ftrace capture (text starting with
// "# tracer:") or a trace file of this package, after decompressing it
// when it is gzipped.
func Sniff(path string) (string, error) {
	in, err := openInput(path)
	if err != nil {
		return "", fmt.Errorf("reading trace: %w", err)
	}
	defer in.Close()
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF && line == "" {
		return "", fmt.Errorf("%s: line 1: %w", path, err)
	}
	if strings.HasPrefix(line, "# tracer:") {
		return KindFtrace, nil
	}
	return KindJSONL, nil
}

// ImportOptions tune an ftrace import.
type ImportOptions struct {
	// Window is the uncertainty of every timestamp, in ns (DefaultWindow
	// when 0; use a negative value for none).
	Window int64
	// NoReplay skips the model replay.
	NoReplay bool
	// Progress, when set, is called about every ProgressEvery (default
	// 1 s) while the capture is read, and when the replay starts.
	Progress      func(ImportProgress)
	ProgressEvery time.Duration
}

// ImportProgress is a snapshot of a running import.
type ImportProgress struct {
	Phase   string // "reading", then "replaying on the model"
	Lines   int    // lines read
	Bytes   int64  // bytes read (decompressed)
	Elapsed time.Duration
}

// importProgress reports an import's progress to ImportOptions.Progress.
type importProgress struct {
	report func(ImportProgress)
	every  time.Duration
	start  time.Time
	last   time.Time
	bytes  int64
}

func newImportProgress(opt ImportOptions) *importProgress {
	now := time.Now()
	return &importProgress{report: opt.Progress, every: cmp.Or(max(opt.ProgressEvery, 0), time.Second), start: now, last: now}
}

// reader counts the bytes read from r.
func (p *importProgress) reader(r io.Reader) io.Reader {
	if p.report == nil {
		return r
	}
	return countingReader{r, &p.bytes}
}

// lines reports that n lines were read, when a report is due.
func (p *importProgress) lines(n int) {
	if p.report == nil || n&1023 != 0 || time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	p.report(ImportProgress{Phase: "reading", Lines: n, Bytes: p.bytes, Elapsed: p.last.Sub(p.start)})
}

// phase reports the start of a phase.
func (p *importProgress) phase(name string) {
	if p.report != nil {
		p.report(ImportProgress{Phase: name, Bytes: p.bytes, Elapsed: time.Since(p.start)})
	}
}

// countingReader adds the bytes it reads to *n.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	*c.n += int64(k)
	return k, err
}

// Dist summarises a distribution.
type Dist struct {
	N    int     `json:"n"`
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func distOf(v []float64) Dist {
	if len(v) == 0 {
		return Dist{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	q := func(p float64) float64 { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return Dist{N: len(s), Min: s[0], P50: q(0.5), P99: q(0.99), Max: s[len(s)-1], Mean: sum / float64(len(s))}
}

// Figures are what an ftrace capture shows about kvfree_rcu().
type Figures struct {
	Events           int            `json:"events"`
	EventCounts      map[string]int `json:"event_counts"`
	LostEvents       bool           `json:"lost_events"` // entries-in-buffer differs from entries-written
	CPUs             int            `json:"cpus"`
	Phases           []string       `json:"phases,omitempty"`
	Frees            int            `json:"frees"`
	FreesPerCPU      []int          `json:"frees_per_cpu"`
	Headless         int            `json:"headless_frees"` // 1-argument kvfree_rcu(ptr)
	Reclaimed        int            `json:"reclaimed"`
	ByPath           map[string]int `json:"reclaimed_by_path"` // bulk, vmalloc, rcu_head, inline_sync
	NotReclaimed     int            `json:"not_reclaimed"`     // freed, still pending when the capture ended
	PreCapture       int            `json:"pre_capture_reclaims"`
	GPsStarted       int            `json:"grace_periods_started"`
	GPsEnded         int            `json:"grace_periods_ended"`
	GPDurationMS     Dist           `json:"gp_duration_ms"`
	Batches          int            `json:"batches"`
	ObjsPerBatch     Dist           `json:"objects_per_batch"`
	PagesPerBatch    Dist           `json:"pages_per_batch"`
	BulkPages        int            `json:"bulk_pages"`          // bnode pages freed by the worker
	MaxPagesInFlight int            `json:"max_pages_in_flight"` // bnode pages in batches handed to RCU and not yet freed
	LatencyMS        Dist           `json:"free_latency_ms"`
	LatencyGPs       Dist           `json:"free_latency_gps"`      // grace periods that ended between free and reclaim
	FullGPs          Dist           `json:"free_latency_full_gps"` // grace periods that began after the free and ended before the reclaim
	PageAllocs       int            `json:"page_allocations"`      // __get_free_pages returns in the kvfree_rcu machinery
	CacheRefills     int            `json:"cache_refills"`
	ShrinkCounts     int            `json:"shrinker_counts"`
	ShrinkScans      int            `json:"shrinker_scans"`
	PagesDrained     int            `json:"cache_pages_drained"`
	DirectReclaim    int            `json:"direct_reclaims"`
	CallsPerAlloc    float64        `json:"frees_per_page_allocation"`
	CallsPerPage     float64        `json:"frees_per_bulk_page"`
}

// Import is an imported ftrace capture: its figures, its history of
// contract operations, and the model replay.
type Import struct {
	File    string   `json:"file"`
	Figures Figures  `json:"figures"`
	Replay  *Replay  `json:"replay,omitempty"`
	History *History `json:"-"`
	events  []kevent
}

// kevent is a parsed ftrace line.
type kevent struct {
	line int
	comm string
	pid  int
	cpu  int
	ts   int64 // ns
	name string
	site string // the probe site, "(...)"
	args map[string]string
	raw  string
}

var ftraceLine = regexp.MustCompile(`^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+(\d+)\.(\d+):\s+([A-Za-z0-9_]+):\s?(.*)$`)

// ParseFtrace reads an ftrace text capture (the output of
// /sys/kernel/tracing/trace). Comment lines start with '#'; every other
// line must be an event line. The events must be in time order, as ftrace
// writes them (equal timestamps are fine), and the last line must end with
// a newline: a capture sorted otherwise, or cut short, is an error naming
// the line, never judged as if it were whole.
func ParseFtrace(r io.Reader) ([]kevent, bool, error) { return parseFtrace(r, nil) }

// parseFtrace is ParseFtrace; tick, when set, is told the line number of
// every line read.
func parseFtrace(r io.Reader, tick func(line int)) ([]kevent, bool, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	cut := false // the last token had no newline
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		adv, tok, err := bufio.ScanLines(data, atEOF)
		if atEOF && tok != nil && adv == len(data) && (len(data) == 0 || data[len(data)-1] != '\n') {
			cut = true
		}
		return adv, tok, err
	})
	var evs []kevent
	line := 0
	lost := false
	sawHeader := false
	for sc.Scan() {
		line++
		if tick != nil {
			tick(line)
		}
		text := sc.Text()
		if cut {
			if !sc.Scan() && sc.Err() != nil {
				return nil, false, fmt.Errorf("line %d: %w", line, sc.Err()) // the stream failed mid-line
			}
			return nil, false, fmt.Errorf("line %d: the capture ends in the middle of this line (no newline after %q): it is cut short; remove the partial line to import the rest", line, tail(text, 40))
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			if line == 1 && strings.HasPrefix(text, "# tracer:") {
				sawHeader = true
			}
			lost = lost || lostEvents(text)
			continue
		}
		if !sawHeader {
			if line == 1 && strings.HasPrefix(strings.TrimSpace(text), "{") {
				return nil, false, errors.New("line 1: a JSON Lines trace, not an ftrace capture: judge it with rcucheck lin")
			}
			return nil, false, fmt.Errorf("line %d: not an ftrace capture (want \"# tracer:\" on line 1)", line)
		}
		ev, err := parseEvent(line, text)
		if err != nil {
			return nil, false, err
		}
		if n := len(evs); n > 0 && ev.ts < evs[n-1].ts {
			p := &evs[n-1]
			return nil, false, fmt.Errorf("line %d: timestamp %s is before %s on line %d: the capture is not in time order (ftrace writes it in time order; was it sorted per CPU?)",
				line, fmtTS(ev.ts), fmtTS(p.ts), p.line)
		}
		evs = append(evs, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, false, fmt.Errorf("line %d: %w", line+1, err)
	}
	if !sawHeader {
		return nil, false, fmt.Errorf("not an ftrace capture (no \"# tracer:\" line)")
	}
	return evs, lost, nil
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// fmtTS prints ns as ftrace prints it, in seconds.
func fmtTS(ns int64) string { return fmt.Sprintf("%d.%06d", ns/1e9, ns%1e9/1e3) }

// lostEvents reads a header comment: whether entries-in-buffer differs from
// entries-written.
func lostEvents(text string) bool {
	const key = "entries-in-buffer/entries-written:"
	i := strings.Index(text, key)
	if i < 0 {
		return false
	}
	f := strings.Fields(text[i+len(key):])
	if len(f) == 0 {
		return false
	}
	a, b, _ := strings.Cut(f[0], "/")
	return a != b
}

// parseEvent parses an event line.
func parseEvent(line int, text string) (kevent, error) {
	m := ftraceLine.FindStringSubmatch(text)
	if m == nil {
		return kevent{}, fmt.Errorf("line %d: not an ftrace event line: %.80q", line, text)
	}
	pid, err := strconv.Atoi(m[2])
	if err != nil {
		return kevent{}, fmt.Errorf("line %d: pid %s: want a number that fits in an int", line, m[2])
	}
	cpu, err := strconv.Atoi(m[3])
	if err != nil || cpu >= MaxCPUs {
		return kevent{}, fmt.Errorf("line %d: cpu [%s]: want a CPU number below %d", line, m[3], MaxCPUs)
	}
	ts, err := ftraceTime(m[5], m[6])
	if err != nil {
		return kevent{}, fmt.Errorf("line %d: %w", line, err)
	}
	ev := kevent{line: line, comm: strings.TrimSpace(m[1]), pid: pid, cpu: cpu, ts: ts, name: m[7], raw: text}
	payload := m[8]
	if strings.HasPrefix(payload, "(") {
		if i := strings.Index(payload, ")"); i >= 0 {
			ev.site, payload = payload[1:i], payload[i+1:]
		}
	}
	ev.args = map[string]string{}
	last := ""
	for _, tok := range strings.Fields(payload) {
		k, v, ok := strings.Cut(tok, "=")
		if !ok || k == "" || strings.ContainsAny(k, "{}") {
			if last != "" {
				ev.args[last] += " " + tok
			}
			continue
		}
		ev.args[k] = v
		last = k
	}
	return ev, nil
}

// ftraceTime converts an ftrace timestamp "SEC.FRAC" (in seconds) into
// nanoseconds, refusing what MaxTime does not hold.
func ftraceTime(sec, frac string) (int64, error) {
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 9 || s > MaxTime/1e9 {
		return 0, fmt.Errorf("timestamp %s.%s: want seconds with at most 9 decimals, at most %d.%09d", sec, frac, MaxTime/1e9, MaxTime%1e9)
	}
	fr, _ := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64) // 1 to 9 digits
	ts := s*1e9 + fr
	if ts > MaxTime {
		return 0, fmt.Errorf("timestamp %s.%s: want at most %d.%09d seconds", sec, frac, MaxTime/1e9, MaxTime%1e9)
	}
	return ts, nil
}

func (e *kevent) hex(field string) (uint64, error) {
	v, ok := e.args[field]
	if !ok {
		return 0, fmt.Errorf("line %d: %s event has no field %q", e.line, e.name, field)
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("line %d: field %q: want a hex number, got %q", e.line, field, v)
	}
	return n, nil
}

// hex2 reads two hexadecimal fields.
func (e *kevent) hex2(f1, f2 string) (uint64, uint64, error) {
	a, err := e.hex(f1)
	if err != nil {
		return 0, 0, err
	}
	b, err := e.hex(f2)
	return a, b, err
}

func (e *kevent) dec(field string) (uint64, error) {
	v, ok := e.args[field]
	if !ok {
		return 0, fmt.Errorf("line %d: %s event has no field %q", e.line, e.name, field)
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return n, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("line %d: field %q: want a number, got %q", e.line, field, v)
	}
	return uint64(n), nil
}

func (e *kevent) callerIn(fn string) bool {
	return strings.HasPrefix(e.args["caller"], fn+"+")
}

// ImportFtraceFile imports a capture, gzipped or not.
func ImportFtraceFile(path string, opt ImportOptions) (*Import, error) {
	in, err := openInput(path)
	if err != nil {
		return nil, fmt.Errorf("importing ftrace: %w", err)
	}
	defer in.Close()
	imp, err := ImportFtrace(in, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	imp.File = path
	imp.History.Header.Input = path
	return imp, nil
}

// kobj is one object instance: a kvfree_call_rcu of an address.
type kobj struct {
	name      string
	addr      uint64
	cpu       int
	freeAt    int64
	freeLine  int
	freeSeq   int // index in frees
	path      string
	recAt     int64
	recEnd    int64
	recLine   int
	batch     int // index in batches, -1 if none
	reclaimed bool
}

// kbatch is one run of kfree_rcu_work: a batch of objects after its GP.
type kbatch struct {
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
	gps   []*kgp
	byNum map[int64]*kgp
}

// start records that grace period num started (rcu_gp_init, from call to
// the event e). A grace period that starts twice, or after it ended, makes
// the capture inconsistent: an error naming the lines.
func (t *gpTable) start(e *kevent, num, call int64) error {
	if g := t.byNum[num]; g != nil {
		if g.started {
			return fmt.Errorf("line %d: grace period %d (gp_seq >> 2) starts again; it started on line %d", e.line, num, g.startLine)
		}
		return fmt.Errorf("line %d: grace period %d (gp_seq >> 2) starts after it ended on line %d", e.line, num, g.endLine)
	}
	g := &kgp{num: num, startCall: call, startRet: e.ts, started: true, startLine: e.line}
	t.gps = append(t.gps, g)
	t.byNum[num] = g
	return nil
}

// end records that grace period num ended (rcu_gp_cleanup, from call to the
// event e); it may have started before the capture. Ending twice is an
// error.
func (t *gpTable) end(e *kevent, num, call int64) error {
	g := t.byNum[num]
	if g == nil {
		g = &kgp{num: num}
		t.gps = append(t.gps, g)
		t.byNum[num] = g
	}
	if g.ended {
		return fmt.Errorf("line %d: grace period %d (gp_seq >> 2) ends again; it ended on line %d", e.line, num, g.endLine)
	}
	g.endCall, g.endRet, g.ended, g.endLine = call, e.ts, true, e.line
	return nil
}

// ImportFtrace imports an ftrace capture of the kvfree_rcu machinery of
// Linux 6.1 made with the probes of ../shared/data/kernel-traces.
func ImportFtrace(r io.Reader, opt ImportOptions) (*Import, error) {
	pr := newImportProgress(opt)
	evs, lost, err := parseFtrace(pr.reader(r), pr.lines)
	if err != nil {
		return nil, err
	}
	if opt.Window == 0 {
		opt.Window = int64(DefaultWindow)
	} else if opt.Window < 0 {
		opt.Window = 0
	}
	imp := &Import{events: evs}
	im := newImporter(&imp.Figures)
	im.fg.Events, im.fg.LostEvents = len(evs), lost
	for i := range evs {
		if err := im.event(&evs[i]); err != nil {
			return nil, err
		}
	}
	im.figures()
	imp.History = ftraceHistory(im.objs, im.extraRecl, im.gt.gps, im.fg.CPUs, opt.Window)
	if !opt.NoReplay {
		pr.phase("replaying on the model")
		imp.Replay = replayKernel(imp, im.objs, im.batches)
	}
	return imp, nil
}

// importer matches a capture's events: objects freed and reclaimed,
// batches, grace periods, and the figures counted on the way.
type importer struct {
	fg           *Figures
	objs         []*kobj
	outstanding  map[uint64][]*kobj // addr -> freed, not yet reclaimed (FIFO)
	lastObj      map[uint64]*kobj
	batches      []*kbatch
	running      map[int]*kbatch    // pid -> running kfree_rcu_work
	queued       map[uint64]*kbatch // krwp -> batch queued, its work not yet run
	gt           gpTable
	gpInitEntry  map[int]int64
	gpCleanEntry map[int]kevent
	extraRecl    []*kobj // reclaims of objects never freed in the capture
	maxCPU       int
}

func newImporter(fg *Figures) *importer {
	fg.EventCounts, fg.ByPath = map[string]int{}, map[string]int{}
	return &importer{fg: fg, outstanding: map[uint64][]*kobj{}, lastObj: map[uint64]*kobj{},
		running: map[int]*kbatch{}, queued: map[uint64]*kbatch{}, gt: gpTable{byNum: map[int64]*kgp{}},
		gpInitEntry: map[int]int64{}, gpCleanEntry: map[int]kevent{}, maxCPU: -1}
}

// event matches one event of the capture.
func (im *importer) event(e *kevent) error {
	fg := im.fg
	fg.EventCounts[e.name]++
	im.maxCPU = max(im.maxCPU, e.cpu)
	switch e.name {
	case "tracing_mark_write":
		if _, p, ok := strings.Cut(e.raw, "KT-PHASE: "); ok {
			fg.Phases = append(fg.Phases, fmt.Sprintf("%.6fs %s", float64(e.ts)/1e9, p))
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
		im.gpCleanEntry[e.pid] = *e
	case "gp_cleanup_ret":
		return im.gpCleanup(e)
	default:
		im.count(e)
	}
	return nil
}

// count counts the events that are figures only.
func (im *importer) count(e *kevent) {
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
	o := &kobj{addr: addr, cpu: e.cpu, freeAt: e.ts, freeLine: e.line, batch: -1}
	o.name = fmt.Sprintf("%#x#%d", addr, len(im.objs)+1)
	o.freeSeq = len(im.objs)
	im.objs = append(im.objs, o)
	im.outstanding[addr] = append(im.outstanding[addr], o)
	im.lastObj[addr] = o
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
	b.start, b.line, b.pid = e.ts, e.line, e.pid
	switch krwp - krcp {
	case 24:
		b.slot = 0
	case 112:
		b.slot = 1
	default:
		b.slot = -1
	}
	im.batches = append(im.batches, b)
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
	for k, v := range e.args {
		if !strings.HasPrefix(k, "r") || !strings.HasPrefix(v, "{") {
			continue
		}
		base, err := strconv.ParseUint(k[1:], 10, 32) // rN: records from index N
		if err != nil {
			continue
		}
		for j, s := range strings.Split(strings.Trim(v, "{}"), ",") {
			if base+uint64(j) >= size || s == "" {
				continue
			}
			addr, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
			if err != nil {
				return fmt.Errorf("line %d: field %q: bad record %q", e.line, k, s)
			}
			im.reclaim(e, addr, "bulk", b)
		}
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
	if len(q) > 0 {
		o = q[0]
		im.outstanding[addr] = q[1:]
	} else if last := im.lastObj[addr]; last != nil {
		// Freed once in the capture and reclaimed again: a double
		// reclaim the contract must see.
		o = &kobj{name: last.name, addr: addr, cpu: last.cpu, batch: -1}
		im.extraRecl = append(im.extraRecl, o)
		o.freeAt = -1
	} else {
		im.fg.PreCapture++
		return
	}
	o.path, o.recAt, o.recLine, o.reclaimed = path, e.ts, e.line, true
	o.recEnd = e.ts
	o.batch = -1
	if b != nil {
		o.batch = len(im.batches) - 1
		for i := range im.batches {
			if im.batches[i] == b {
				o.batch = i
			}
		}
		b.objs++
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
	if err := im.gt.start(e, int64(seq>>2), call); err != nil {
		return err
	}
	im.fg.GPsStarted++
	return nil
}

// gpCleanup records the end of a grace period (rcu_gp_cleanup's return).
func (im *importer) gpCleanup(e *kevent) error {
	seq, err := e.dec("gp_seq")
	if err != nil {
		return err
	}
	ent, ok := im.gpCleanEntry[e.pid]
	delete(im.gpCleanEntry, e.pid)
	num := int64((seq - 1) >> 2) // the ended GP: seq is even now, one past it
	call := e.ts
	if ok {
		call = ent.ts
	}
	if err := im.gt.end(e, num, call); err != nil {
		return err
	}
	im.fg.GPsEnded++
	return nil
}

// figures computes the figures of the matched capture: frees per CPU,
// latencies, grace periods, batches and pages in flight.
func (im *importer) figures() {
	fg := im.fg
	fg.CPUs = im.maxCPU + 1
	fg.FreesPerCPU = make([]int, fg.CPUs)
	fg.Frees = len(im.objs)
	for _, b := range im.batches {
		if b.end == 0 {
			b.end = b.start
		}
	}
	im.latencies()
	im.batchFigures()
	if fg.PageAllocs > 0 {
		fg.CallsPerAlloc = float64(fg.Frees) / float64(fg.PageAllocs)
	}
	if fg.BulkPages > 0 {
		fg.CallsPerPage = float64(fg.ByPath["bulk"]+fg.ByPath["vmalloc"]) / float64(fg.BulkPages)
	}
}

// latencies computes the grace periods' durations and, per object
// reclaimed, its latency in ms, in grace periods ended and in full grace
// periods.
func (im *importer) latencies() {
	fg := im.fg
	var ends []int64
	var spans [][2]int64
	for _, g := range im.gt.gps {
		if g.ended {
			ends = append(ends, g.endRet)
		}
		if g.started && g.ended {
			spans = append(spans, [2]int64{g.startCall, g.endRet})
		}
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var gpd []float64
	for _, s := range spans {
		gpd = append(gpd, float64(s[1]-s[0])/1e6)
	}
	fg.GPDurationMS = distOf(gpd)
	var lat, latGP, full []float64
	for _, o := range im.objs {
		if o.cpu >= 0 && o.cpu < fg.CPUs {
			fg.FreesPerCPU[o.cpu]++
		}
		if !o.reclaimed {
			fg.NotReclaimed++
			continue
		}
		fg.Reclaimed++
		fg.ByPath[o.path]++
		if o.batch >= 0 {
			o.recEnd = im.batches[o.batch].end
		}
		lat = append(lat, float64(o.recAt-o.freeAt)/1e6)
		n := sort.Search(len(ends), func(i int) bool { return ends[i] >= o.recAt }) - sort.Search(len(ends), func(i int) bool { return ends[i] > o.freeAt })
		latGP = append(latGP, float64(n))
		fi := sort.Search(len(spans), func(i int) bool { return spans[i][0] > o.freeAt })
		k := 0
		for j := fi; j < len(spans) && spans[j][1] < o.recAt; j++ {
			k++
		}
		full = append(full, float64(k))
	}
	fg.LatencyMS, fg.LatencyGPs, fg.FullGPs = distOf(lat), distOf(latGP), distOf(full)
}

// batchFigures computes the batches' sizes in objects and pages, the bulk
// pages, and the most pages in batches handed to RCU and not yet freed.
func (im *importer) batchFigures() {
	fg := im.fg
	var opb, ppb []float64
	type ev struct {
		t int64
		d int
	}
	var flight []ev
	for _, b := range im.batches {
		pages := b.bulkPages + (b.vfrees+BulkEntries-1)/BulkEntries
		fg.BulkPages += pages
		opb = append(opb, float64(b.objs))
		ppb = append(ppb, float64(pages))
		if b.queuedAt > 0 {
			flight = append(flight, ev{b.queuedAt, pages}, ev{b.end, -pages})
		}
	}
	sort.Slice(flight, func(i, j int) bool {
		if flight[i].t != flight[j].t {
			return flight[i].t < flight[j].t
		}
		return flight[i].d < flight[j].d
	})
	cur := 0
	for _, f := range flight {
		cur += f.d
		fg.MaxPagesInFlight = max(fg.MaxPagesInFlight, cur)
	}
	fg.Batches = len(im.batches)
	fg.ObjsPerBatch, fg.PagesPerBatch = distOf(opb), distOf(ppb)
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
