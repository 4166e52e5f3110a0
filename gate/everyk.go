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

// Limits of the every-K decisions, as rcucheck bound uses them.
const (
	witnessLimit  = 4         // pages per channel or slot in the witness search
	witnessStates = 2_000_000 // states of the witness search
	proofStates   = 4_000_000 // states of the counter abstraction when the check sets none
	pumpReps      = 8         // repetitions of a witness replayed on the real model
)

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
		o, err := everyKMetric(ctx, row, a, mt, true)
		if err != nil {
			return err
		}
		row.Outcomes = append(row.Outcomes, o)
	}
	for _, mt := range s.UnboundedEveryK {
		o, err := everyKMetric(ctx, row, a, mt, false)
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
func everyKMetric(ctx context.Context, row *Row, a *bound.Abstract, mt string, wantBounded bool) (Outcome, error) {
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
	g, err := growth(ctx, row.design, row.Params, mt)
	if err != nil {
		if ctx.Err() != nil {
			o.Status, o.Detail = OutcomeUndecided, "interrupted"
			return o, nil
		}
		return o, fmt.Errorf("check %q, design %s: %w", row.Check, row.Design, err)
	}
	if g.w == nil {
		o.Status, o.Detail = OutcomeUndecided, "undecided: no bound proved, and "+g.why
		return o, nil
	}
	o.Passed, o.Status = !wantBounded, OutcomePassed
	if wantBounded {
		o.Status = OutcomeFailed
	}
	o.Witness = append(append([]string(nil), g.w.Prefix...), "-- cycle:")
	o.Witness = append(o.Witness, g.w.Cycle...)
	o.Detail = fmt.Sprintf("grows with K: after %s, each round of %s adds %d; %s", strings.Join(g.w.Prefix, ", "), strings.Join(g.w.Cycle, ", "), g.w.Gain, g.why)
	return o, nil
}

// evidence is what the witness search showed about a metric: w is set only
// when the growth meets the evidence standard; why says what it rests on,
// or what it lacks.
type evidence struct {
	w   *bound.Witness
	why string
}

// growth searches a pumping cycle of metric mt for design d at p (K
// unbounded) and holds it to the evidence standard of rcucheck claims: the
// cycle, found by bound.FindWitness, is replayed pumpReps times on the real
// model (bound.Witness.Pump, every step checked enabled), grows the metric
// by the same gain each time, and is weakly fair to the kernel's workers
// (it starves none). For a design with a reserve the replay is also made at
// the row's own R, which the search and Pump raise to leave room.
func growth(ctx context.Context, d model.Design, p model.Params, mt string) (evidence, error) {
	w, err := bound.FindWitness(ctx, d, p, mt, witnessLimit, witnessStates)
	if err != nil || w == nil {
		return evidence{why: fmt.Sprintf("no pumping cycle found within the search's limits (%d pages per channel or slot, %d states)", witnessLimit, witnessStates)}, err
	}
	if err := w.Pump(d, pumpReps); err != nil {
		return evidence{why: "the pumping cycle found does not replay on the real model: " + err.Error()}, nil
	}
	if lack := shortfall(w, mt); lack != "" {
		return evidence{why: lack}, nil
	}
	why := fmt.Sprintf("replayed %d times on the real model (%s %v); %s", pumpReps, mt, w.Replay, bound.FairnessText(w))
	if w.ReplayR != p.Reserve {
		if err := replayAt(d, p, w, mt); err != nil {
			return evidence{why: fmt.Sprintf("the pumping cycle needs more than R = %d: %v", p.Reserve, err)}, nil
		}
		why += fmt.Sprintf("; replayed at R = %d too", p.Reserve)
	}
	return evidence{w: w, why: why}, nil
}

// shortfall says what a pumped witness lacks to show growth, as rcucheck
// claims requires it ("" when nothing): a replay on the real model that
// grows mt by the same gain each round, and a weakly fair cycle.
func shortfall(w *bound.Witness, mt string) string {
	switch {
	case len(w.Replay) < 2 || !w.Linear:
		return fmt.Sprintf("the pumping cycle found does not grow %s by the same amount each round on the real model (%v)", mt, w.Replay)
	case !w.Fair:
		return bound.FairnessText(w) + ": no evidence for a kernel whose workers run"
	}
	return ""
}

// replayAt replays witness w on the real model at p (with a workload bound
// large enough) for pumpReps rounds: every step must be enabled, every
// round weakly fair (bound.Starved), and mt must grow by w.Gain each round.
func replayAt(d model.Design, p model.Params, w *bound.Witness, mt string) error {
	p.Calls = max(w.ReplayCalls, 1)
	m, err := model.New(d, p)
	if err != nil {
		return err
	}
	prefix, cycle := w.Actions()
	s := m.Initial()
	for i, a := range prefix {
		if err := m.Step(s, a); err != nil {
			return fmt.Errorf("prefix step %d: %w", i+1, err)
		}
	}
	base := metricValue(m.Metrics(s), mt)
	for r := 1; r <= pumpReps; r++ {
		starved, err := bound.Starved(m, s, cycle)
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		if len(starved) > 0 {
			return fmt.Errorf("round %d starves %s", r, strings.Join(starved, ", "))
		}
		for _, a := range cycle {
			m.Apply(s, a) // enabled: bound.Starved stepped it from the same state
		}
		if got := metricValue(m.Metrics(s), mt); got != base+int64(r)*w.Gain {
			return fmt.Errorf("round %d: %s = %d, want %d", r, mt, got, base+int64(r)*w.Gain)
		}
	}
	return nil
}

// metricValue returns the metric called name.
func metricValue(mt model.Metrics, name string) int64 {
	switch name {
	case model.MetricPages:
		return mt.Pages
	case model.MetricPending:
		return mt.Pending
	}
	return mt.ReserveUsed
}
