package traces

import (
	"cmp"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
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
	return in.kind()
}

// ImportOptions tune an ftrace import.
type ImportOptions struct {
	// Window is the uncertainty of every timestamp, in ns (DefaultWindow
	// when 0; use a negative value for none).
	Window int64
	// NoReplay skips the model replay.
	NoReplay bool
	// ReplayLimit is the most frees the model replay takes
	// (DefaultReplayLimit when 0): it holds the capture's events in
	// memory, so past it the replay is skipped, and says so.
	ReplayLimit int
	// KeepHistory keeps the whole history in Import.History (for --trace);
	// ImportFtrace always does, ImportFtraceStream only with it.
	KeepHistory bool
	// Follow reads a live kernel's trace_pipe: no "# tracer:" header is
	// needed, "[LOST n EVENTS]" lines mark lost events, a line cut by the
	// end of the input is left out, and there is no model replay.
	Follow bool
	// Progress, when set, is called about every ProgressEvery (default
	// 1 s) while the capture is read, and when the replay starts.
	Progress      func(ImportProgress)
	ProgressEvery time.Duration

	tables  func(*importer) // tests: called with the importer at the end of the input
	addrGen int             // tests: addresses a generation of lastObj holds (addrGen when 0)
}

// DefaultReplayLimit is ImportOptions.ReplayLimit's default: five copies
// of the pressure capture of ../shared/data/kernel-traces.
const DefaultReplayLimit = 100_000

// ImportProgress is a snapshot of a running import.
type ImportProgress struct {
	Phase   string // "reading", then "replaying on the model"
	Lines   int    // lines read
	Bytes   int64  // bytes read (decompressed)
	Elapsed time.Duration
	// Streaming imports only: what was found so far.
	Frees, Reclaimed int
	Partitions       int // object partitions handed to the contract check
	Violations       int // objects found to violate the contract
}

// importProgress reports an import's progress to ImportOptions.Progress.
// A followed input is reported by a ticker instead (tick), every
// ProgressEvery whether lines arrive or not, from the snapshot the reading
// loop publishes after each line.
type importProgress struct {
	report func(ImportProgress)
	every  time.Duration
	start  time.Time
	last   time.Time
	bytes  atomic.Int64
	mu     sync.Mutex
	snap   ImportProgress // the last published (tick)
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

// due reports whether a report is due after n lines.
func (p *importProgress) due(n int) bool {
	return p.report != nil && n&1023 == 0 && time.Since(p.last) >= p.every
}

// send reports ip (phase "reading").
func (p *importProgress) send(ip ImportProgress) {
	p.last = time.Now()
	p.emit(ip, p.last)
}

func (p *importProgress) emit(ip ImportProgress, now time.Time) {
	ip.Phase, ip.Bytes, ip.Elapsed = "reading", p.bytes.Load(), now.Sub(p.start)
	p.report(ip)
}

// publish makes ip the snapshot the ticker reports.
func (p *importProgress) publish(ip ImportProgress) {
	p.mu.Lock()
	p.snap = ip
	p.mu.Unlock()
}

// tick reports the published snapshot every p.every until the returned
// function is called; it returns once no report is running.
func (p *importProgress) tick() (stop func()) {
	if p.report == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				p.mu.Lock()
				ip := p.snap
				p.mu.Unlock()
				p.emit(ip, now)
			}
		}
	}()
	return func() { close(quit); <-done }
}

// phase reports the start of a phase.
func (p *importProgress) phase(name string) {
	if p.report != nil {
		p.report(ImportProgress{Phase: name, Bytes: p.bytes.Load(), Elapsed: time.Since(p.start)})
	}
}

// countingReader adds the bytes it reads to *n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	c.n.Add(int64(k))
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

	// ForgottenAddresses is the addresses whose last free was forgotten
	// (bounded memory): a second reclaim of one of them counts in
	// PreCapture.
	ForgottenAddresses int `json:"forgotten_addresses,omitempty"`
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
