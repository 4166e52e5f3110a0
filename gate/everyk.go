package gate

import (
	"context"
	"fmt"
	"strings"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// Limits of the every-K decisions, as rcucheck bound uses them.
const (
	witnessLimit  = 4         // pages per channel or slot in the witness search
	witnessStates = 2_000_000 // states of the witness search
	proofStates   = 4_000_000 // states of the counter abstraction when the check sets none
)

// runEveryK decides the every-K outcomes of s for design d at p (K unused)
// with package bound: its counter abstraction proves invariants and exact
// maxima for every K; a pumping cycle shows a metric growing with K.
func runEveryK(ctx context.Context, s *Spec, d model.Design, p model.Params) (*Row, error) {
	row := &Row{Check: s.Name, Design: d.Name(), Params: p}
	opt := checker.Options{MaxStates: s.MaxStates, MaxMemory: s.MaxMemory, Timeout: s.Timeout}
	if opt.MaxStates == 0 {
		opt.MaxStates = proofStates
	}
	a, err := bound.ExploreAbstract(ctx, d, p, opt)
	if err != nil {
		return nil, fmt.Errorf("check %q, design %s: %w", s.Name, d.Name(), err)
	}
	row.States, row.Complete = a.States, a.Complete
	// Only exact maxima are figures of the real model.
	row.Max.ReserveUsed = a.Max.ReserveUsed
	if a.PagesExact {
		row.Max.Pages = a.Max.Pages
	}
	if a.PendingExact {
		row.Max.Pending = a.Max.Pending
	}
	if !a.Complete {
		row.StopReason = "the counter abstraction hit its state limit"
	}
	undecided := false
	proof := fmt.Sprintf("counter abstraction, threshold %d, %d states", a.T, a.States)
	for _, name := range s.HoldsEveryK {
		o := Outcome{Kind: "holds_every_k", What: name}
		ok := a.NoStuck
		if name == model.PropGracePeriod {
			ok = a.GracePeriod
		}
		switch {
		case !a.Complete:
			o.Detail = "undecided: " + row.StopReason
			undecided = true
		case ok:
			o.Passed, o.Detail = true, "holds for every K ("+proof+")"
		default:
			o.Detail = "not proved for every K (" + proof + ")"
			if name == model.PropNoStuck && len(a.Stuck) > 0 {
				o.Detail += fmt.Sprintf(": abstract trace of %d steps to a stuck state", len(a.Stuck))
				o.Trace = a.Stuck
			}
		}
		row.Outcomes = append(row.Outcomes, o)
	}
	for _, mt := range s.BoundedEveryK {
		o, err := everyKMetric(ctx, d, p, a, mt, true, proof)
		if err != nil {
			return nil, fmt.Errorf("check %q, design %s: %w", s.Name, d.Name(), err)
		}
		undecided = undecided || strings.HasPrefix(o.Detail, "undecided")
		row.Outcomes = append(row.Outcomes, o)
	}
	for _, mt := range s.UnboundedEveryK {
		o, err := everyKMetric(ctx, d, p, a, mt, false, proof)
		if err != nil {
			return nil, fmt.Errorf("check %q, design %s: %w", s.Name, d.Name(), err)
		}
		undecided = undecided || strings.HasPrefix(o.Detail, "undecided")
		row.Outcomes = append(row.Outcomes, o)
	}
	row.settle(undecided)
	return row, nil
}

// everyKMetric decides whether metric mt is bounded for every K: bounded
// when the abstraction's maximum is exact, unbounded when bound.FindWitness
// finds a pumping cycle. wantBounded says which the gate requires.
func everyKMetric(ctx context.Context, d model.Design, p model.Params, a *bound.Abstract, mt string, wantBounded bool, proof string) (Outcome, error) {
	o := Outcome{Kind: "bounded_every_k", What: mt}
	if !wantBounded {
		o.Kind = "unbounded_every_k"
	}
	exact, val := false, int64(0)
	switch mt {
	case model.MetricPages:
		exact, val = a.PagesExact, a.Max.Pages
	case model.MetricPending:
		exact, val = a.PendingExact, a.Max.Pending
	case model.MetricReserve:
		exact, val = true, a.Max.ReserveUsed // at most R by construction
	}
	if a.Complete && exact {
		o.Passed, o.Detail = wantBounded, fmt.Sprintf("bounded for every K: max %s = %d (%s)", mt, val, proof)
		return o, nil
	}
	w, err := bound.FindWitness(ctx, d, p, mt, witnessLimit, witnessStates)
	if err != nil {
		return o, err
	}
	if w == nil {
		o.Detail = "undecided: no bound proved and no pumping cycle found"
		return o, nil
	}
	o.Passed = !wantBounded
	o.Witness = append(append([]string(nil), w.Prefix...), "-- cycle:")
	o.Witness = append(o.Witness, w.Cycle...)
	o.Detail = fmt.Sprintf("grows with K: after %s, each round of %s adds %d",
		strings.Join(w.Prefix, ", "), strings.Join(w.Cycle, ", "), w.Gain)
	return o, nil
}
