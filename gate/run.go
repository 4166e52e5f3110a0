package gate

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/internal/shard"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// The states of an outcome (Outcome.Status).
const (
	OutcomePassed         = "passed"                // computed, and as required
	OutcomeFailed         = "failed"                // computed, and not as required
	OutcomeUndecided      = "undecided"             // a limit stopped the run, or the evidence falls short
	OutcomeByConstruction = "holds by construction" // the model's rules decide it: it cannot fail
	OutcomeInterrupted    = "interrupted"           // Ctrl-C stopped the run before it was decided
)

// The states of a row (Row.Status).
const (
	StatusPass           = "pass"
	StatusFail           = "FAIL"
	StatusUndecided      = "UNDECIDED"
	StatusByConstruction = "by construction" // every outcome holds by construction: nothing was run
	StatusInterrupted    = "INTERRUPTED"     // Ctrl-C during the row
	StatusNotRun         = "not run"         // Ctrl-C before the row
)

// Outcome is one required outcome of a row and whether the run showed it.
type Outcome struct {
	Kind string `json:"kind"` // "holds", "violated", "bound", "holds_every_k", ...
	What string `json:"what"` // the property, bound or metric
	// Passed is true when the requirement is met: computed (Status
	// "passed") or by construction (Status "holds by construction").
	Passed bool   `json:"passed"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	// Trace is the counterexample of a failing holds or bound.
	Trace []model.TraceStep `json:"trace,omitempty"`
	// Witness is a pumping cycle (every-K outcomes): the prefix, then the
	// actions after "-- cycle:" that repeat.
	Witness []string `json:"witness,omitempty"`
}

// ByConstruction reports whether the outcome holds by construction.
func (o *Outcome) ByConstruction() bool { return o.Status == OutcomeByConstruction }

// Row is one design at one grid point of a check.
type Row struct {
	Check       string        `json:"check"`
	Design      string        `json:"design"`
	Params      model.Params  `json:"params"` // as the design reads them
	Passed      bool          `json:"passed"` // every outcome met (computed or by construction)
	Status      string        `json:"status"` // see StatusPass etc.
	States      uint64        `json:"states"`
	Transitions uint64        `json:"transitions"`
	Complete    bool          `json:"complete"`
	StopReason  string        `json:"stop_reason,omitempty"`
	ElapsedSec  float64       `json:"elapsed_sec"`
	Max         model.Metrics `json:"max"`
	// Store is "exact", or "fingerprint" when the row's run stored hashes:
	// its holds, bounds and maxima then miss a state with a probability of
	// at most OmissionProbability, which LossNote says beside them.
	Store               string    `json:"store"`
	OmissionProbability float64   `json:"omission_probability"`
	LossNote            string    `json:"loss_note,omitempty"`
	Outcomes            []Outcome `json:"outcomes"`

	spec   *Spec
	design model.Design
	everyK bool
}

// ID names the row: check / design / parameters.
func (r *Row) ID() string {
	return fmt.Sprintf("%s / %s / %s", r.Check, r.Design, r.Params)
}

// Result is the outcome of a gate file.
type Result struct {
	File   string `json:"file"`
	Title  string `json:"title,omitempty"`
	Passed bool   `json:"passed"`
	Rows   []*Row `json:"rows"`
	// Failed counts the rows that failed or were undecided.
	Failed int `json:"failed"`
	// ByConstruction counts the outcomes that hold by construction.
	ByConstruction int `json:"by_construction"`
	// Interrupted: Ctrl-C stopped the gate; the row it stopped is
	// INTERRUPTED and the rows after it are "not run" (NotRun of them).
	Interrupted bool    `json:"interrupted"`
	NotRun      int     `json:"not_run"`
	ElapsedSec  float64 `json:"elapsed_sec"`
	// Shard, on a shard's result only, says which shard of which gate
	// file it is and which rows of the whole gate (1-based) its Rows are;
	// Merge puts the shards back together (docs/ci-recipes.md).
	Shard *shard.Record `json:"shard,omitempty"`
}

// Options observe a run of a gate file.
type Options struct {
	// Progress, when set, receives the checker's progress of each row.
	Progress func(row string, p checker.Progress)
	// RowStart, when set, is called before row i (0-based) of n.
	RowStart func(i, n int, r *Row)
	// RowDone, when set, is called after each row.
	RowDone func(*Row)
	// Shard, when set, runs only that shard's rows (see SelectRows), with
	// Timings (seconds by Row.ID, from an earlier run's gate.json:
	// ReadTimings) to balance the shards.
	Shard   shard.Shard
	Timings map[string]float64
	// DiskDir, when set, is the checker's Options.DiskDir of the rows'
	// exhaustive runs (not of those with fingerprints).
	DiskDir string
}

// Plan returns the rows of f in the order Run runs them, none run yet
// (Status "not run"): per check and design, the grid points normalised for
// the design without duplicates, then the every-K rows (K left out).
func Plan(f *File) []*Row {
	var rows []*Row
	add := func(s *Spec, d model.Design, p model.Params, everyK bool) {
		rows = append(rows, &Row{Check: s.Name, Design: d.Name(), Params: p, Status: StatusNotRun, Store: "exact", spec: s, design: d, everyK: everyK})
	}
	for _, s := range f.Checks {
		for _, d := range s.Designs {
			seen, seenK := map[model.Params]bool{}, map[model.Params]bool{}
			for _, p := range s.Points {
				p = model.Normalize(d, p)
				if len(s.Holds)+len(s.Violated)+len(s.Bounds) > 0 && !seen[p] {
					seen[p] = true
					add(s, d, p, false)
				}
			}
			for _, p := range s.Points {
				p = model.Normalize(d, p)
				p.Calls = 0
				if len(s.HoldsEveryK)+len(s.BoundedEveryK)+len(s.UnboundedEveryK) > 0 && !seenK[p] {
					seenK[p] = true
					add(s, d, p, true)
				}
			}
		}
	}
	return rows
}

// Run checks every row of f. At ctx's cancellation it stops: the row it
// stopped is INTERRUPTED (unless it already failed), the rows after it are
// "not run", and Result.Interrupted is set. An error is returned only when
// a row cannot be built, which Parse rules out.
func Run(ctx context.Context, f *File, opt Options) (*Result, error) {
	start := time.Now()
	res := &Result{File: f.Path, Title: f.Title, Rows: Plan(f)}
	if !opt.Shard.Whole() {
		picked := SelectRows(res.Rows, opt.Shard, opt.Timings)
		res.Shard = shard.NewRecord(opt.Shard, picked, len(res.Rows), f.src, nil)
		rows := make([]*Row, len(picked))
		for i, p := range picked {
			rows[i] = res.Rows[p]
		}
		res.Rows = rows
	}
	for i, row := range res.Rows {
		if ctx.Err() != nil {
			break
		}
		if opt.RowStart != nil {
			opt.RowStart(i, len(res.Rows), row)
		}
		t0 := time.Now()
		var err error
		if row.everyK {
			err = runEveryK(ctx, row, opt)
		} else {
			err = runRow(ctx, row, opt)
		}
		if err != nil {
			return nil, err
		}
		row.ElapsedSec = time.Since(t0).Seconds()
		if opt.RowDone != nil {
			opt.RowDone(row)
		}
	}
	res.settle(ctx)
	res.ElapsedSec = time.Since(start).Seconds()
	return res, nil
}

// settle counts the rows.
func (res *Result) settle(ctx context.Context) {
	res.count()
	res.Interrupted = res.Interrupted || ctx.Err() != nil
	res.Passed = res.Failed == 0 && !res.Interrupted
}

// count counts the rows: failed, not run, by construction, interrupted.
func (res *Result) count() {
	res.Failed, res.NotRun, res.ByConstruction, res.Interrupted = 0, 0, 0, false
	for _, row := range res.Rows {
		switch row.Status {
		case StatusFail, StatusUndecided:
			res.Failed++
		case StatusNotRun:
			res.NotRun++
		case StatusInterrupted:
			res.Interrupted = true
		}
		for _, o := range row.Outcomes {
			if o.ByConstruction() {
				res.ByConstruction++
			}
		}
	}
	res.Interrupted = res.Interrupted || res.NotRun > 0
	res.Passed = res.Failed == 0 && !res.Interrupted
}

// runOptions are the checker's options of a row's runs.
func runOptions(s *Spec) checker.Options {
	return checker.Options{MaxStates: s.MaxStates, MaxMemory: s.MaxMemory, Timeout: s.Timeout, Workers: s.Workers}
}

// runRow checks one design at one point against the outcomes of its check:
// one exhaustive run, with the bounds as extra invariants, unless every
// outcome holds by construction.
func runRow(ctx context.Context, row *Row, opt Options) error {
	s, d := row.spec, row.design
	m, err := model.New(d, row.Params)
	if err != nil {
		return fmt.Errorf("check %q, design %s: %w", s.Name, d.Name(), err)
	}
	row.Params = m.Params()
	structural := structuralOutcomes(s, d, row.Params)
	if len(structural) == len(s.Holds)+len(s.Violated)+len(s.Bounds) {
		row.Outcomes = rowOutcomes(s, structural, nil, nil)
		row.settle(ctx)
		return nil
	}
	copt := runOptions(s)
	copt.Fingerprint = s.Fingerprint
	if !s.Fingerprint {
		copt.DiskDir = opt.DiskDir
	}
	if opt.Progress != nil {
		id := row.ID()
		copt.Progress = func(pr checker.Progress) { opt.Progress(id, pr) }
	}
	bm := &boundedModel{Checkable: m.Checkable(), params: m.Params(), bounds: s.Bounds, names: s.BoundText, evalErr: make([]error, len(s.Bounds))}
	cres, err := checker.Explore(ctx, bm, copt)
	if err != nil {
		return fmt.Errorf("check %q, design %s: %w", s.Name, d.Name(), err)
	}
	rep := m.Report(cres)
	row.States, row.Transitions, row.Complete = rep.States, rep.Transitions, rep.Complete
	row.StopReason, row.ElapsedSec, row.Max = rep.StopReason, rep.ElapsedSec, rep.Max
	row.Store, row.OmissionProbability, row.LossNote = rep.Store, rep.OmissionProbability, rep.LossNote
	row.Outcomes = rowOutcomes(s, structural, rep, bm.evalErr)
	row.settle(ctx)
	return nil
}

// structuralOutcomes returns, by the outcome's key ("holds NoStuck",
// "bound TEXT"), the outcomes of s that hold by construction for d at p.
func structuralOutcomes(s *Spec, d model.Design, p model.Params) map[string]Outcome {
	out := map[string]Outcome{}
	if ok, why := noStuckByConstruction(d); ok {
		for _, name := range s.Holds {
			if name == model.PropNoStuck {
				out["holds "+name] = Outcome{Kind: "holds", What: name, Passed: true, Status: OutcomeByConstruction, Detail: "holds by construction: " + why}
			}
		}
	}
	for i, text := range s.BoundText {
		if ok, why := boundByConstruction(s.Bounds[i], text, p); ok {
			out["bound "+text] = Outcome{Kind: "bound", What: text, Passed: true, Status: OutcomeByConstruction, Detail: "holds by construction: " + why}
		}
	}
	return out
}

// rowOutcomes returns the outcomes of s in order: those of structural, and
// the others from rep (nil when nothing was run). An outcome that holds by
// construction is also cross-checked against rep: a violation found there
// contradicts the model's own rules and fails.
func rowOutcomes(s *Spec, structural map[string]Outcome, rep *model.Report, evalErr []error) []Outcome {
	var out []Outcome
	add := func(kind, what string, decide func(model.PropertyReport) Outcome, prop string) {
		o, ok := structural[kind+" "+what]
		if rep == nil {
			out = append(out, o)
			return
		}
		pr := rep.Properties[prop]
		if ok && pr.Verdict == checker.Violated {
			o = Outcome{Kind: kind, What: what, Status: OutcomeFailed, Trace: pr.Trace,
				Detail: fmt.Sprintf("violated in %d steps, though the model's rules should make it hold by construction (%s): report this as a bug of rcucheck", len(pr.Trace), strings.TrimPrefix(o.Detail, "holds by construction: "))}
		} else if !ok {
			o = decide(pr)
		}
		out = append(out, o)
	}
	for _, name := range s.Holds {
		add("holds", name, func(pr model.PropertyReport) Outcome { return holdsOutcome(rep, name, pr) }, name)
	}
	for _, name := range s.Violated {
		add("violated", name, func(pr model.PropertyReport) Outcome { return violatedOutcome(rep, name, pr) }, name)
	}
	for i, text := range s.BoundText {
		add("bound", text, func(pr model.PropertyReport) Outcome { return boundOutcome(rep, text, pr, evalErr[i]) }, boundName(text))
	}
	return out
}

func undecidedOutcome(o Outcome, rep *model.Report) Outcome {
	o.Status, o.Detail = OutcomeUndecided, "undecided: "+rep.StopReason
	return o
}

func holdsOutcome(rep *model.Report, name string, pr model.PropertyReport) Outcome {
	o := Outcome{Kind: "holds", What: name}
	switch pr.Verdict {
	case checker.Holds:
		o.Passed, o.Status, o.Detail = true, OutcomePassed, rep.WithLossNote(name, pr.Verdict, "holds")
	case checker.Violated:
		o.Status, o.Trace = OutcomeFailed, pr.Trace
		o.Detail = rep.WithLossNote(name, pr.Verdict, fmt.Sprintf("violated: shortest counterexample of %d steps", len(pr.Trace)))
	default:
		o = undecidedOutcome(o, rep)
	}
	return o
}

func violatedOutcome(rep *model.Report, name string, pr model.PropertyReport) Outcome {
	o := Outcome{Kind: "violated", What: name}
	switch pr.Verdict {
	case checker.Violated:
		o.Passed, o.Status = true, OutcomePassed
		o.Detail = rep.WithLossNote(name, pr.Verdict, fmt.Sprintf("violated as required, in %d steps", len(pr.Trace)))
	case checker.Holds:
		o.Status, o.Detail = OutcomeFailed, rep.WithLossNote(name, pr.Verdict, "holds, but the gate requires a violation")
	default:
		o = undecidedOutcome(o, rep)
	}
	return o
}

func boundOutcome(rep *model.Report, text string, pr model.PropertyReport, evalErr error) Outcome {
	o := Outcome{Kind: "bound", What: text}
	switch pr.Verdict {
	case checker.Holds:
		o.Passed, o.Status, o.Detail = true, OutcomePassed, rep.WithLossNote(text, pr.Verdict, "holds in every reachable state")
	case checker.Violated:
		o.Status, o.Trace = OutcomeFailed, pr.Trace
		o.Detail = fmt.Sprintf("violated: shortest counterexample of %d steps", len(pr.Trace))
		if evalErr != nil {
			o.Detail = "cannot be evaluated: " + evalErr.Error()
		}
	default:
		o = undecidedOutcome(o, rep)
	}
	return o
}

// settle sets Passed and Status from the outcomes: an undecided outcome of
// a run that ctx stopped is interrupted, not undecided.
func (row *Row) settle(ctx context.Context) {
	interrupted := ctx.Err() != nil
	row.Passed = true
	computed, failed, undecided := false, false, false
	for i := range row.Outcomes {
		o := &row.Outcomes[i]
		if o.Status == OutcomeUndecided && interrupted {
			o.Status, o.Detail = OutcomeInterrupted, "interrupted before it was decided"
		}
		switch o.Status {
		case OutcomeFailed:
			failed = true
		case OutcomeUndecided, OutcomeInterrupted:
			undecided = true
		}
		computed = computed || !o.ByConstruction()
		row.Passed = row.Passed && o.Passed
	}
	switch {
	case failed:
		row.Status = StatusFail
	case undecided && interrupted:
		row.Status = StatusInterrupted
	case undecided:
		row.Status = StatusUndecided
	case !computed:
		row.Status = StatusByConstruction
	default:
		row.Status = StatusPass
	}
}

// boundName is the invariant name under which a bound is checked.
func boundName(text string) string { return "bound: " + text }

// boundedModel adds the bounds of a check to a model's invariants, so that
// each is decided in every reachable state with a shortest counterexample.
type boundedModel struct {
	model.Checkable
	params  model.Params
	bounds  []*properties.BoundExpr
	names   []string
	mu      sync.Mutex
	evalErr []error // per bound: the first evaluation error (the state counts as violating)
}

func (b *boundedModel) Invariants() []string {
	inv := b.Checkable.Invariants()
	for _, n := range b.names {
		inv = append(inv, boundName(n))
	}
	return inv
}

func (b *boundedModel) NewExpander() checker.Expander {
	x := &boundedExpander{Expander: b.Checkable.NewExpander(), b: b, nInv: len(b.Checkable.Invariants())}
	if r, ok := x.Expander.(checker.Ranker); ok {
		return rankedBounded{x, r} // the bounds change no goal: the model's ranks still hold
	}
	return x
}

// rankedBounded is a boundedExpander over an expander that ranks its
// states (checker.Ranker), which the wrapper must not hide.
type rankedBounded struct {
	*boundedExpander
	checker.Ranker
}

type boundedExpander struct {
	checker.Expander
	b    *boundedModel
	nInv int
}

// Evaluate implements checker.Expander: the model's own observations, then
// each bound on the state's metrics (pages, pending, reserve_used).
func (x *boundedExpander) Evaluate(s []uint64, inv, goal []bool, metric []int64) {
	x.Expander.Evaluate(s, inv[:x.nInv], goal, metric)
	mt := model.Metrics{Pages: metric[0], Pending: metric[1], ReserveUsed: metric[2]}
	for i, bd := range x.b.bounds {
		ok, err := bd.Eval(x.b.params, mt)
		if err != nil {
			x.b.mu.Lock()
			if x.b.evalErr[i] == nil {
				x.b.evalErr[i] = err
			}
			x.b.mu.Unlock()
		}
		inv[x.nInv+i] = ok && err == nil
	}
}

// FormatTrace renders a counterexample one step a line, as rcucheck check does.
func FormatTrace(steps []model.TraceStep) string {
	var b strings.Builder
	width := 0
	for _, s := range steps {
		width = max(width, len(s.Action))
	}
	for i, s := range steps {
		fmt.Fprintf(&b, "%3d  %-*s  pages=%d pending=%d reserve_used=%d\n", i+1, width, s.Action, s.Pages, s.Pending, s.ReserveUsed)
	}
	return b.String()
}
