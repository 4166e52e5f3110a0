package gate

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// Outcome is one required outcome of a row and whether the run showed it.
type Outcome struct {
	Kind   string            `json:"kind"` // "holds", "violated" or "bound"
	What   string            `json:"what"` // the property or the bound
	Passed bool              `json:"passed"`
	Detail string            `json:"detail"`
	Trace  []model.TraceStep `json:"trace,omitempty"` // the counterexample of a failing holds or bound
	// Witness is a pumping cycle (every-K outcomes): the prefix, then the
	// actions after "-- cycle:" that repeat.
	Witness []string `json:"witness,omitempty"`
}

// Row is one design at one grid point of a check.
type Row struct {
	Check       string        `json:"check"`
	Design      string        `json:"design"`
	Params      model.Params  `json:"params"` // as the design reads them
	Passed      bool          `json:"passed"`
	Status      string        `json:"status"` // "pass", "FAIL", "UNDECIDED" (a limit or Ctrl-C stopped the run)
	States      uint64        `json:"states"`
	Transitions uint64        `json:"transitions"`
	Complete    bool          `json:"complete"`
	StopReason  string        `json:"stop_reason,omitempty"`
	ElapsedSec  float64       `json:"elapsed_sec"`
	Max         model.Metrics `json:"max"`
	Outcomes    []Outcome     `json:"outcomes"`
}

// ID names the row: check / design / parameters.
func (r *Row) ID() string {
	return fmt.Sprintf("%s / %s / %s", r.Check, r.Design, r.Params)
}

// Result is the outcome of a gate file.
type Result struct {
	File        string  `json:"file"`
	Title       string  `json:"title,omitempty"`
	Passed      bool    `json:"passed"`
	Rows        []*Row  `json:"rows"`
	Failed      int     `json:"failed"`
	Interrupted bool    `json:"interrupted"` // Ctrl-C: rows not run are missing
	ElapsedSec  float64 `json:"elapsed_sec"`
}

// Options observe a run of a gate file.
type Options struct {
	// Progress, when set, receives the checker's progress of each row.
	Progress func(row string, p checker.Progress)
	// RowDone, when set, is called after each row.
	RowDone func(*Row)
}

// Run checks every row of f. It stops at ctx's cancellation with the rows
// done so far (Interrupted); an error is returned only when a row cannot
// be built, which Parse rules out.
func Run(ctx context.Context, f *File, opt Options) (*Result, error) {
	start := time.Now()
	res := &Result{File: f.Path, Title: f.Title, Passed: true}
	for _, s := range f.Checks {
		for _, d := range s.Designs {
			seen := map[model.Params]bool{}
			for _, p := range s.Points {
				p = model.Normalize(d, p)
				if seen[p] {
					continue
				}
				seen[p] = true
				if ctx.Err() != nil {
					res.Interrupted = true
					res.Passed = false
					res.ElapsedSec = time.Since(start).Seconds()
					return res, nil
				}
				if len(s.Holds)+len(s.Violated)+len(s.Bounds) == 0 {
					continue
				}
				row, err := runRow(ctx, s, d, p, opt)
				if err != nil {
					return nil, err
				}
				res.add(row, opt)
			}
			if len(s.HoldsEveryK)+len(s.BoundedEveryK)+len(s.UnboundedEveryK) == 0 {
				continue
			}
			seenK := map[model.Params]bool{}
			for _, p := range s.Points {
				p = model.Normalize(d, p)
				p.Calls = 0
				if seenK[p] {
					continue
				}
				seenK[p] = true
				if ctx.Err() != nil {
					break
				}
				row, err := runEveryK(ctx, s, d, p)
				if err != nil {
					return nil, err
				}
				res.add(row, opt)
			}
		}
	}
	if ctx.Err() != nil {
		res.Interrupted = true
		res.Passed = false
	}
	res.ElapsedSec = time.Since(start).Seconds()
	return res, nil
}

func (res *Result) add(row *Row, opt Options) {
	res.Rows = append(res.Rows, row)
	if !row.Passed {
		res.Failed++
		res.Passed = false
	}
	if opt.RowDone != nil {
		opt.RowDone(row)
	}
}

// RunRow checks one design at one point against the outcomes of s.
func runRow(ctx context.Context, s *Spec, d model.Design, p model.Params, opt Options) (*Row, error) {
	m, err := model.New(d, p)
	if err != nil {
		return nil, fmt.Errorf("check %q, design %s: %w", s.Name, d.Name(), err)
	}
	row := &Row{Check: s.Name, Design: d.Name(), Params: m.Params()}
	copt := checker.Options{MaxStates: s.MaxStates, MaxMemory: s.MaxMemory, Timeout: s.Timeout}
	if opt.Progress != nil {
		id := row.ID()
		copt.Progress = func(pr checker.Progress) { opt.Progress(id, pr) }
	}
	bm := &boundedModel{Checkable: m.Checkable(), params: m.Params(), bounds: s.Bounds, names: s.BoundText, evalErr: make([]error, len(s.Bounds))}
	cres, err := checker.Explore(ctx, bm, copt)
	if err != nil {
		return nil, fmt.Errorf("check %q, design %s: %w", s.Name, d.Name(), err)
	}
	rep := m.Report(cres)
	row.States, row.Transitions, row.Complete = rep.States, rep.Transitions, rep.Complete
	row.StopReason, row.ElapsedSec, row.Max = rep.StopReason, rep.ElapsedSec, rep.Max
	undecided := false
	verdict := func(name string) model.PropertyReport { return rep.Properties[name] }
	for _, name := range s.Holds {
		pr := verdict(name)
		o := Outcome{Kind: "holds", What: name, Passed: pr.Verdict == "holds"}
		switch pr.Verdict {
		case "holds":
			o.Detail = "holds"
		case "violated":
			o.Detail = fmt.Sprintf("violated: shortest counterexample of %d steps", len(pr.Trace))
			o.Trace = pr.Trace
		default:
			o.Detail = "undecided: " + rep.StopReason
			undecided = true
		}
		row.Outcomes = append(row.Outcomes, o)
	}
	for _, name := range s.Violated {
		pr := verdict(name)
		o := Outcome{Kind: "violated", What: name, Passed: pr.Verdict == "violated"}
		switch pr.Verdict {
		case "violated":
			o.Detail = fmt.Sprintf("violated as required, in %d steps", len(pr.Trace))
		case "holds":
			o.Detail = "holds, but the gate requires a violation"
		default:
			o.Detail = "undecided: " + rep.StopReason
			undecided = true
		}
		row.Outcomes = append(row.Outcomes, o)
	}
	for i, text := range s.BoundText {
		pr := verdict(boundName(text))
		o := Outcome{Kind: "bound", What: text, Passed: pr.Verdict == "holds"}
		switch pr.Verdict {
		case "holds":
			o.Detail = "holds in every reachable state"
		case "violated":
			o.Trace = pr.Trace
			o.Detail = fmt.Sprintf("violated: shortest counterexample of %d steps", len(pr.Trace))
			if bm.evalErr[i] != nil {
				o.Detail = "cannot be evaluated: " + bm.evalErr[i].Error()
			}
		default:
			o.Detail = "undecided: " + rep.StopReason
			undecided = true
		}
		row.Outcomes = append(row.Outcomes, o)
	}
	row.settle(undecided)
	return row, nil
}

// settle sets Passed and Status from the outcomes.
func (row *Row) settle(undecided bool) {
	row.Passed = true
	for _, o := range row.Outcomes {
		if !o.Passed {
			row.Passed = false
		}
	}
	switch {
	case row.Passed:
		row.Status = "pass"
	case undecided:
		row.Status = "UNDECIDED"
	default:
		row.Status = "FAIL"
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
	return &boundedExpander{Expander: b.Checkable.NewExpander(), b: b, nInv: len(b.Checkable.Invariants())}
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
