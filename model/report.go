package model

import (
	"context"
	"fmt"

	"github.com/rcucheck/rcucheck/checker"
)

// TraceStep is one step of a counterexample: the action and the metrics after it.
type TraceStep struct {
	Action      string `json:"action"`
	Pages       int64  `json:"pages"`
	Pending     int64  `json:"pending"`
	ReserveUsed int64  `json:"reserve_used"`
	State       string `json:"state,omitempty"`
}

// PropertyReport is the verdict on one property.
type PropertyReport struct {
	Holds   bool            `json:"holds"`
	Verdict checker.Verdict `json:"verdict"` // "holds", "violated" or "unknown" in JSON
	Trace   []TraceStep     `json:"trace,omitempty"`
	// DecidedBy, for Drainable, tells how it was decided: "rank" (every
	// state was checked to be drained or to have a successor of lower
	// drain rank, see drain.go) or "graph" (a backward search on the
	// transition graph); empty for the invariants and undecided goals.
	DecidedBy string `json:"decided_by,omitempty"`
}

// Report is the outcome of checking one design at one set of parameters,
// in the form rcucheck prints as JSON.
type Report struct {
	Design       string  `json:"design"`
	Params       Params  `json:"params"`
	States       uint64  `json:"states"`
	Transitions  uint64  `json:"transitions"`
	Depth        int     `json:"depth"`
	Complete     bool    `json:"complete"`
	StopReason   string  `json:"stop_reason,omitempty"`
	ElapsedSec   float64 `json:"elapsed_sec"`
	StatesPerSec float64 `json:"states_per_sec"`
	Deadlocks    uint64  `json:"deadlocks"`
	// Store is the visited set: "exact", or "fingerprint" (60-bit hashes),
	// whose verdicts other than a violated invariant are probabilistic:
	// OmissionProbability bounds the chance that a collision hid a state.
	Store               string  `json:"store"`
	OmissionProbability float64 `json:"omission_probability"`
	// LossNote is said beside every verdict that the store makes lossy
	// ("" for an exact store); see checker.Result.LossNote.
	LossNote string `json:"loss_note,omitempty"`
	// With symmetry reduction, States and Transitions count one state per
	// orbit of CPU permutations; FullStates and FullTransitions are the
	// counts of the full model, computed from the orbits' sizes.
	Symmetry        bool                      `json:"symmetry,omitempty"`
	FullStates      uint64                    `json:"full_states,omitempty"`
	FullTransitions uint64                    `json:"full_transitions,omitempty"`
	Properties      map[string]PropertyReport `json:"properties"`
	Max             Metrics                   `json:"max"`
	MaxTraces       map[string][]TraceStep    `json:"max_traces,omitempty"`

	// Result is the checker's raw result, for callers in Go.
	Result *checker.Result `json:"-"`
}

// PropertyOrder lists the spec's properties in the order rcucheck prints them.
func PropertyOrder() []string { return []string{PropNoStuck, PropGracePeriod, PropDrainable} }

// VerdictText is the verdict on property name as a report prints it:
// "holds", "VIOLATED (n steps)" or "unknown", followed by the store's loss
// note wherever the verdict rests on a lossy visited set (see WithLossNote).
func (r *Report) VerdictText(name string) string {
	p := r.Properties[name]
	text := "unknown"
	switch p.Verdict {
	case checker.Violated:
		text = fmt.Sprintf("VIOLATED (%d steps)", len(p.Trace))
	case checker.Holds:
		text = "holds"
	}
	return r.WithLossNote(name, p.Verdict, text)
}

// WithLossNote returns text, a verdict v on property name, followed by the
// store's loss note in parentheses when that verdict rests on a lossy
// visited set: a holds, or any verdict on Drainable (decided on the stored
// graph). A violated invariant is exact: its trace is a real path.
func (r *Report) WithLossNote(name string, v checker.Verdict, text string) string {
	lossy := v == checker.Holds || (v == checker.Violated && name == PropDrainable)
	if !lossy || r.LossNote == "" {
		return text
	}
	return text + " (" + r.LossNote + ")"
}

// Violated reports whether some property is violated.
func (r *Report) Violated() bool {
	for _, p := range r.Properties {
		if p.Verdict == checker.Violated {
			return true
		}
	}
	return false
}

// Check explores the model of design d at parameters p exhaustively and
// reports the spec's properties and metric maxima.
func Check(ctx context.Context, d Design, p Params, opt checker.Options) (*Report, error) {
	m, err := New(d, p)
	if err != nil {
		return nil, err
	}
	res, err := checker.Explore(ctx, m.Checkable(), opt)
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", d.Name(), err)
	}
	return m.Report(res), nil
}

// Report converts a checker result on m into a Report.
func (m *Model) Report(res *checker.Result) *Report {
	r := &Report{
		Design:       m.design.Name(),
		Params:       m.params,
		States:       res.States,
		Transitions:  res.Transitions,
		Depth:        res.Depth,
		Complete:     res.Complete,
		StopReason:   res.StopReason,
		ElapsedSec:   res.Elapsed.Seconds(),
		StatesPerSec: res.StatesPerSec(),
		Deadlocks:    res.Deadlocks,
		Store:        res.Store(),
		LossNote:     res.LossNote(),
		Symmetry:     res.Symmetry,
		Properties:   map[string]PropertyReport{},
		MaxTraces:    map[string][]TraceStep{},
		Result:       res,
	}
	r.OmissionProbability = res.OmissionBound
	if r.Symmetry {
		r.FullStates, r.FullTransitions = res.FullStates, res.FullTransitions
	}
	for i, p := range append(append([]checker.PropertyResult(nil), res.Invariants...), res.Goals...) {
		pr := PropertyReport{Holds: p.Verdict == checker.Holds, Verdict: p.Verdict}
		if p.Verdict == checker.Violated {
			pr.Trace = m.Steps(p.Trace)
		}
		if i >= len(res.Invariants) && p.Verdict != checker.Unknown {
			pr.DecidedBy = res.GoalsBy
		}
		r.Properties[p.Name] = pr
	}
	for _, mr := range res.Metrics {
		switch mr.Name {
		case MetricPages:
			r.Max.Pages = mr.Max
		case MetricPending:
			r.Max.Pending = mr.Max
		case MetricReserve:
			r.Max.ReserveUsed = mr.Max
		}
		r.MaxTraces[mr.Name] = m.Steps(mr.Trace)
	}
	return r
}

// Steps converts a checker trace on m into printable steps.
func (m *Model) Steps(t *checker.Trace) []TraceStep {
	if t == nil {
		return nil
	}
	steps := make([]TraceStep, 0, len(t.Steps))
	for _, st := range t.Steps {
		steps = append(steps, TraceStep{
			Action:      st.Name,
			Pages:       st.Metrics[0],
			Pending:     st.Metrics[1],
			ReserveUsed: st.Metrics[2],
			State:       m.Unpack(st.State).String(),
		})
	}
	return steps
}
