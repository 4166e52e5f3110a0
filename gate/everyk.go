package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// proofStates bounds the counter abstraction when the check sets no
// limit, as rcucheck bound does; the witness search and its replays take
// bound.GrowthEvidence's defaults.
const proofStates = 4_000_000

// runEveryK decides the every-K outcomes of the row's check for its design
// at its point (K unused) with package bound: its counter abstraction
// proves invariants and exact maxima for every K; a weakly fair pumping
// cycle, replayed on the real model at the row's parameters, shows a metric
// growing with K. Outcomes that hold by construction need neither.
func runEveryK(ctx context.Context, row *Row, opt Options) error {
	s, d, p := row.spec, row.design, row.Params
	copt := runOptions(s)
	if copt.MaxStates == 0 {
		copt.MaxStates = proofStates
	}
	if opt.Progress != nil {
		id := row.ID()
		copt.Progress = func(pr checker.Progress) { opt.Progress(id, pr) }
	}
	var a *bound.Abstract
	if needsAbstraction(s, d) {
		var err error
		if a, err = bound.ExploreAbstract(ctx, d, p, copt); err != nil {
			if ctx.Err() == nil && !errors.Is(err, bound.ErrIncomplete) {
				return fmt.Errorf("check %q, design %s: %w", s.Name, d.Name(), err)
			}
			row.StopReason = "the counter abstraction stopped: " + err.Error()
			a = nil
		} else {
			row.States, row.Complete = a.States, a.Complete
			row.Max.ReserveUsed = a.Max.ReserveUsed
			if a.PagesExact {
				row.Max.Pages = a.Max.Pages
			}
			if a.PendingExact {
				row.Max.Pending = a.Max.Pending
			}
		}
	}
	for _, name := range s.HoldsEveryK {
		row.Outcomes = append(row.Outcomes, holdsEveryK(row, a, name))
	}
	for _, mt := range s.BoundedEveryK {
		o, err := everyKMetric(ctx, row, a, mt, true, opt)
		if err != nil {
			return err
		}
		row.Outcomes = append(row.Outcomes, o)
	}
	for _, mt := range s.UnboundedEveryK {
		o, err := everyKMetric(ctx, row, a, mt, false, opt)
		if err != nil {
			return err
		}
		row.Outcomes = append(row.Outcomes, o)
	}
	row.settle(ctx)
	return nil
}

// needsAbstraction reports whether some every-K outcome of s for d rests
// on the counter abstraction (not on construction alone).
func needsAbstraction(s *Spec, d model.Design) bool {
	noStuck, _ := noStuckByConstruction(d)
	for _, name := range s.HoldsEveryK {
		if name != model.PropNoStuck || !noStuck {
			return true
		}
	}
	for _, mt := range append(append([]string(nil), s.BoundedEveryK...), s.UnboundedEveryK...) {
		if mt != model.MetricReserve {
			return true
		}
	}
	return false
}

// proofText names the abstraction a verdict rests on.
func proofText(a *bound.Abstract) string {
	return fmt.Sprintf("counter abstraction, threshold %d, %d states", a.T, a.States)
}

// holdsEveryK decides invariant name for every K from the abstraction a
// (nil when it could not be explored), or by construction.
func holdsEveryK(row *Row, a *bound.Abstract, name string) Outcome {
	o := Outcome{Kind: "holds_every_k", What: name}
	structural, why := false, ""
	if name == model.PropNoStuck {
		structural, why = noStuckByConstruction(row.design)
	}
	if a == nil || !a.Complete {
		if structural {
			o.Passed, o.Status, o.Detail = true, OutcomeByConstruction, "holds by construction for every K: "+why
			return o
		}
		o.Status, o.Detail = OutcomeUndecided, "undecided: "+row.stopReason()
		return o
	}
	ok := a.NoStuck
	if name == model.PropGracePeriod {
		ok = a.GracePeriod
	}
	switch {
	case structural && !ok:
		o.Status = OutcomeFailed
		o.Detail = "the counter abstraction reaches a stuck state, though the design's policies should rule it out by construction (" + why + "): report this as a bug of rcucheck"
	case structural:
		o.Passed, o.Status, o.Detail = true, OutcomeByConstruction, "holds by construction for every K: "+why
	case ok:
		o.Passed, o.Status, o.Detail = true, OutcomePassed, "holds for every K ("+proofText(a)+")"
	default:
		o.Status, o.Detail = OutcomeFailed, "not proved for every K ("+proofText(a)+")"
		if name == model.PropNoStuck && len(a.Stuck) > 0 {
			o.Detail += fmt.Sprintf(": abstract trace of %d steps to a stuck state", len(a.Stuck))
			o.Trace = a.Stuck
		}
	}
	return o
}

// stopReason says why a row's runs were incomplete.
func (r *Row) stopReason() string {
	if r.StopReason != "" {
		return r.StopReason
	}
	return "the counter abstraction hit its state limit"
}

// everyKMetric decides whether metric mt is bounded for every K:
// reserve_used by construction; else bounded when the abstraction's
// maximum is exact, unbounded when a pumping cycle meets the evidence
// standard of rcucheck claims (see growth). wantBounded says which the gate
// requires.
func everyKMetric(ctx context.Context, row *Row, a *bound.Abstract, mt string, wantBounded bool, opt Options) (Outcome, error) {
	o := Outcome{Kind: "bounded_every_k", What: mt}
	if !wantBounded {
		o.Kind = "unbounded_every_k"
	}
	if mt == model.MetricReserve {
		why := reserveByConstruction(row.Params)
		if wantBounded {
			o.Passed, o.Status, o.Detail = true, OutcomeByConstruction, "holds by construction: "+why
		} else {
			o.Status, o.Detail = OutcomeFailed, "cannot grow with K: "+why
		}
		return o, nil
	}
	if a != nil && a.Complete && ((mt == model.MetricPages && a.PagesExact) || (mt == model.MetricPending && a.PendingExact)) {
		val := a.Max.Pages
		if mt == model.MetricPending {
			val = a.Max.Pending
		}
		o.Passed, o.Status = wantBounded, OutcomeFailed
		if wantBounded {
			o.Status = OutcomePassed
		}
		o.Detail = fmt.Sprintf("bounded for every K: max %s = %d (%s)", mt, val, proofText(a))
		return o, nil
	}
	g, err := bound.GrowthEvidence(ctx, row.design, row.Params, mt, bound.GrowthOptions{
		Witness: bound.WitnessOptions{MaxMemory: row.spec.MaxMemory, Progress: witnessProgress(row, opt)}})
	switch {
	case ctx.Err() != nil:
		o.Status, o.Detail = OutcomeUndecided, "interrupted"
		return o, nil
	case errors.Is(err, bound.ErrIncomplete):
		o.Status, o.Detail = OutcomeUndecided, "undecided: no bound proved, and "+err.Error()
		return o, nil
	case err != nil:
		return o, fmt.Errorf("check %q, design %s: %w", row.Check, row.Design, err)
	}
	return growthOutcome(o, g, wantBounded), nil
}

// growthOutcome decides an every-K metric outcome o without a bound
// proved, from the evidence g of bound.GrowthEvidence, the standard of
// rcucheck bound and claims: unbounded_every_k passes only on a replayed,
// linear, weakly fair pumping cycle (g.Shown); bounded_every_k fails on any
// replayed pumping cycle (a real run of the model along which the metric
// has no bound, fair or not, as the abstraction's proof would cover it).
// Anything short of that is undecided.
func growthOutcome(o Outcome, g bound.Growth, wantBounded bool) Outcome {
	w := g.Witness
	if w == nil || !wantBounded && !g.Shown() {
		o.Status, o.Detail = OutcomeUndecided, "undecided: no bound proved, and "+g.Why
		if w != nil {
			o.Detail += ": no evidence for a kernel whose workers run"
		}
		return o
	}
	o.Passed, o.Status = !wantBounded, OutcomePassed
	if wantBounded {
		o.Status = OutcomeFailed
	}
	o.Witness = append(append([]string(nil), w.Prefix...), "-- cycle:")
	o.Witness = append(o.Witness, w.Cycle...)
	o.Detail = fmt.Sprintf("grows with K: after %s, each round of %s adds %d; %s", strings.Join(w.Prefix, ", "), strings.Join(w.Cycle, ", "), w.Gain, g.Why)
	return o
}

// witnessProgress reports a row's witness search as the row's progress.
func witnessProgress(row *Row, opt Options) bound.RunProgress {
	if opt.Progress == nil {
		return nil
	}
	id := row.ID()
	return func(_ string, p checker.Progress) { opt.Progress(id, p) }
}
