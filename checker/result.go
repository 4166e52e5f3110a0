package checker

import (
	"context"
	"fmt"
	"time"
)

// Verdict is the outcome of a property.
type Verdict int

// The verdicts. Unknown is given when a run ended before it had seen every
// reachable state and had found no violation.
const (
	Unknown Verdict = iota
	Holds
	Violated
)

// String returns "holds", "VIOLATED" or "unknown", as a text report prints it.
func (v Verdict) String() string {
	switch v {
	case Holds:
		return "holds"
	case Violated:
		return "VIOLATED"
	}
	return "unknown"
}

// MarshalText gives "holds", "violated" or "unknown", the verdict's name in
// JSON (and in TOML, YAML and map keys): lower case, unlike String.
func (v Verdict) MarshalText() ([]byte, error) {
	switch v {
	case Unknown, Holds:
		return []byte(v.String()), nil
	case Violated:
		return []byte("violated"), nil
	}
	return nil, fmt.Errorf("verdict %d: not holds, violated or unknown", int(v))
}

// UnmarshalText reads "holds", "violated" or "unknown" and refuses anything
// else, so that a report read back has exactly the verdicts it was written with.
func (v *Verdict) UnmarshalText(b []byte) error {
	for _, w := range []Verdict{Unknown, Holds, Violated} {
		if t, _ := w.MarshalText(); string(t) == string(b) {
			*v = w
			return nil
		}
	}
	return fmt.Errorf("verdict %q: want holds, violated or unknown", b)
}

// Options bound and observe a run. The zero value explores without limits.
type Options struct {
	// MaxStates stops the run once this many distinct states are stored (0: no limit).
	MaxStates uint64
	// MaxMemory stops the run before the checker's own tables and buffers
	// would pass this many bytes (0: no limit), give or take the buffers of
	// the chunk each worker is expanding (about a MiB each). When the states fit but
	// deciding the goals does not, the goals stay Unknown and the run is
	// incomplete; the invariants and maxima found are then exact.
	MaxMemory uint64
	// Timeout stops the run after this long (0: no limit).
	Timeout time.Duration
	// SkipGoals leaves goals undecided (Unknown) and saves the memory of the
	// transition graph that deciding them needs.
	SkipGoals bool
	// GoalsOnGraph decides the goals on the transition graph even when the
	// model's expanders rank its states (Ranker): a cross-check of the
	// ranks, at the cost of the graph's memory and time.
	GoalsOnGraph bool
	// Progress, when set, is called about every ProgressEvery (default 1 s)
	// for as long as the run lasts, whatever it is doing, from a goroutine
	// of its own (never twice at once).
	Progress      func(Progress)
	ProgressEvery time.Duration
	// Workers is the number of goroutines that expand and store states
	// (0: runtime.GOMAXPROCS; at most MaxWorkers). Every figure of the Result (counts, depth,
	// verdicts, maxima, traces) is the same for every number of workers.
	Workers int
	// Symmetry stores one representative per orbit of symmetric states when
	// the model implements Symmetric (it is ignored otherwise). Verdicts,
	// metric maxima and the depth are those of the full model; States and
	// Transitions count the representatives and their transitions, and
	// FullStates and FullTransitions give the full model's counts when the
	// model reports orbit sizes.
	Symmetry bool
	// Fingerprint stores a 60-bit hash of each state instead of the whole
	// state (7 bytes a slot whatever the model; 4 more bits of the hash
	// choose the slot's shard), at the price of a small
	// probability (Result.OmissionBound) that two states share a hash and
	// one of them is never explored. The default is exact.
	Fingerprint bool
	// DiskDir, when set, keeps the visited set, the levels and the parent
	// links in files under this directory (removed at the end) instead of
	// memory: same figures and traces, slower (see exploreDisk). Goals the
	// ranks leave open stay Unknown: no transition graph is kept.
	DiskDir string
}

// Progress is a snapshot of a running exploration.
type Progress struct {
	States       uint64
	Transitions  uint64
	Depth        int
	Elapsed      time.Duration
	StatesPerSec float64
	MemoryBytes  uint64
	DiskBytes    uint64 // with Options.DiskDir: the bytes of the run's files
	// Phase is empty while states are explored, else what the run does
	// after, e.g. "deciding Drainable: reverse graph 40%".
	Phase string
}

// Step is one transition of a trace and the state it leads to.
type Step struct {
	Action  Action
	Name    string
	State   []uint64
	Metrics []int64
}

// Trace is a path from the initial state.
type Trace struct {
	Initial        []uint64
	InitialMetrics []int64
	Steps          []Step
}

// Len returns the number of transitions of the trace.
func (t *Trace) Len() int {
	if t == nil {
		return 0
	}
	return len(t.Steps)
}

// Last returns the trace's final state.
func (t *Trace) Last() []uint64 {
	if len(t.Steps) == 0 {
		return t.Initial
	}
	return t.Steps[len(t.Steps)-1].State
}

// PropertyResult is the outcome of an invariant or a goal. For a violated
// invariant, Trace is a shortest path to a state where it fails; for a
// violated goal, a shortest path to a state from which no goal state can be
// reached.
type PropertyResult struct {
	Name    string
	Verdict Verdict
	Trace   *Trace
}

// MetricResult is the largest value of a metric over the states seen, with
// a shortest trace to a state where it is reached. Exact when the run was
// complete; a lower bound otherwise.
type MetricResult struct {
	Name  string
	Max   int64
	Trace *Trace
}

// Result is the outcome of Explore.
type Result struct {
	States      uint64 // distinct reachable states stored
	Transitions uint64 // enabled transitions of the states expanded
	Depth       int    // largest shortest distance from the initial state
	Elapsed     time.Duration
	Complete    bool   // every reachable state was seen and expanded
	StopReason  string // why an incomplete run stopped
	Invariants  []PropertyResult
	Goals       []PropertyResult
	Metrics     []MetricResult
	Deadlocks   uint64 // states with no enabled transition
	Deadlock    *Trace // a shortest trace to one of them
	MemoryBytes uint64 // the checker's tables at the end
	PeakBytes   uint64 // the checker's tables at their largest

	Workers     int  // goroutines used
	Symmetry    bool // states are orbit representatives (Options.Symmetry on a Symmetric model)
	Fingerprint bool // the visited set held hashes (Options.Fingerprint)
	// OmissionBound, with Fingerprint, bounds the probability that a hash
	// collision made the run miss a state: n(n-1)/2 / 2^60 for n states.
	// It is 0 in exact mode.
	OmissionBound float64
	// FullStates and FullTransitions are, with Symmetry, the counts of the
	// unreduced model computed from orbit sizes (sum of the orbit sizes of
	// the representatives, and of orbit size times out-degree). They are 0
	// when unknown; without Symmetry they equal States and Transitions.
	FullStates      uint64
	FullTransitions uint64
	// GoalsBy tells how the goals were decided: GoalsByRank, GoalsByGraph,
	// or "" when they were not.
	GoalsBy string
	// DiskPeakBytes and DiskWrittenBytes are, with Options.DiskDir, the
	// most bytes the run's files held at once and the bytes written to them.
	DiskPeakBytes, DiskWrittenBytes uint64

	rankOpen bool // the ranks left a goal undecided: Explore runs again on the graph
}

// The ways goals are decided (Result.GoalsBy).
const (
	// GoalsByRank: every state was checked to be a goal state or to have a
	// successor of lower rank (see Ranker); no transition graph was kept.
	GoalsByRank = "rank"
	// GoalsByGraph: a backward search from the goal states on the
	// transition graph.
	GoalsByGraph = "graph"
)

// Store names the visited set of the run: "exact" or "fingerprint".
func (r *Result) Store() string {
	if r.Fingerprint {
		return "fingerprint"
	}
	return "exact"
}

// LossNote is what a verdict that rests on the visited set must say beside
// it: "" for an exact store, else the kind of store and its omission bound,
// e.g. "fingerprints: P(missed state) <= 4.3e-04". A "holds", a maximum, and
// any verdict on a goal rest on the visited set; a violated invariant does
// not (its trace is a real path).
func (r *Result) LossNote() string {
	if !r.Fingerprint {
		return ""
	}
	return fmt.Sprintf("fingerprints: P(missed state) <= %.2g", r.OmissionBound)
}

// Property returns the invariant or goal named name, or nil.
func (r *Result) Property(name string) *PropertyResult {
	for _, ps := range [][]PropertyResult{r.Invariants, r.Goals} {
		for i := range ps {
			if ps[i].Name == name {
				return &ps[i]
			}
		}
	}
	return nil
}

// Metric returns the metric named name, or nil.
func (r *Result) Metric(name string) *MetricResult {
	for i := range r.Metrics {
		if r.Metrics[i].Name == name {
			return &r.Metrics[i]
		}
	}
	return nil
}

// StatesPerSec returns States / Elapsed.
func (r *Result) StatesPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.States) / r.Elapsed.Seconds()
}

// AllHold reports whether every invariant and goal holds.
func (r *Result) AllHold() bool {
	for _, p := range r.Invariants {
		if p.Verdict != Holds {
			return false
		}
	}
	for _, p := range r.Goals {
		if p.Verdict != Holds {
			return false
		}
	}
	return true
}

// AnyViolated reports whether some invariant or goal is violated.
func (r *Result) AnyViolated() bool {
	for _, p := range append(append([]PropertyResult(nil), r.Invariants...), r.Goals...) {
		if p.Verdict == Violated {
			return true
		}
	}
	return false
}

// contextDone is a helper so that a nil context never stops a run.
func contextDone(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}
