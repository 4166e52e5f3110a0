package bound

import (
	"context"
	"fmt"
	"slices"

	"github.com/rcucheck/rcucheck/model"
)

// GrowthOptions size the search for evidence that a figure grows with K
// (GrowthEvidence); the zero value takes rcucheck bound's defaults.
type GrowthOptions struct {
	// Witness bounds the witness search (default: 4 pages per channel or
	// slot, 2e6 states, no memory limit).
	Witness WitnessOptions
	// Pump is the number of repetitions replayed on the real model
	// (default 8).
	Pump int
}

func (o *GrowthOptions) defaults() {
	if o.Witness.Limit == 0 {
		o.Witness.Limit = 4
	}
	if o.Witness.MaxStates == 0 {
		o.Witness.MaxStates = 2_000_000
	}
	if o.Pump == 0 {
		o.Pump = 8
	}
}

// Growth is the evidence GrowthEvidence found that a figure grows without
// bound with K.
type Growth struct {
	// Witness is a pumping cycle replayed Pump times on the real model,
	// every step enabled, the metric growing by the same gain each round
	// (and, for pages or pending of a design with a reserve, replayed at
	// the caller's own R too): a real run of the model along which the
	// figure has no bound. Nil when no cycle meets this.
	Witness *Witness
	// Fair says that the cycle is weakly fair to the kernel's workers
	// (it starves none, Witness.Starved), in the search and in every
	// round of the replays.
	Fair bool
	// Why says in one line what the evidence rests on, or what it lacks.
	Why string
	// Found is set when the search found a cycle, even one that did not
	// meet the standard (Why then says what it lacks).
	Found bool
}

// Shown reports whether the growth meets the full evidence standard: a
// replayed, linear and weakly fair pumping cycle. Only this shows that a
// kernel whose workers run needs more memory with K; Witness alone (fair
// or not) refutes a bound over every run of the model.
func (g Growth) Shown() bool { return g.Witness != nil && g.Fair }

// GrowthEvidence is the one evidence standard rcucheck holds "fig grows
// with K" to, in bound, claims and gate: it searches a pumping cycle of fig
// for design d at p with no workload bound (FindWitness), replays it
// o.Pump times on the real model (Witness.Pump: every step checked
// enabled, every round starving exactly what the search found), requires
// the metric to grow by the same gain each round, and says whether it is
// weakly fair. For pages and pending of a design with a reserve, whose
// search and replay raise R to leave room, the cycle is also replayed at
// p's own R, each round checked weakly fair (Starved); a cycle that does
// not run there is no evidence at that R. The error is the search's (a
// context ended, ErrIncomplete at o.Witness.MaxMemory).
func GrowthEvidence(ctx context.Context, d model.Design, p model.Params, fig string, o GrowthOptions) (Growth, error) {
	o.defaults()
	w, err := FindWitness(ctx, d, p, fig, o.Witness)
	if err != nil {
		return Growth{}, err
	}
	if w == nil {
		return Growth{Why: fmt.Sprintf("no pumping cycle found within the search's limits (%d pages per channel or slot, %d states)", o.Witness.Limit, o.Witness.MaxStates)}, nil
	}
	g := Growth{Found: true}
	if err := w.Pump(d, o.Pump); err != nil {
		g.Why = "the pumping cycle found does not replay on the real model: " + err.Error()
		return g, nil
	}
	if len(w.Replay) < 2 || !w.Linear {
		g.Why = fmt.Sprintf("the pumping cycle found does not grow %s by the same amount each round on the real model (%v)", w.Metric, w.Replay)
		return g, nil
	}
	g.Why = fmt.Sprintf("replayed %d times on the real model (%s %v); %s", o.Pump, w.Metric, w.Replay, FairnessText(w))
	if fig != FigureLeastReserve && hasReserve(d) && w.ReplayR != model.Normalize(d, p).Reserve {
		r := model.Normalize(d, p).Reserve
		if err := replayAt(d, p, w, o.Pump); err != nil {
			g.Why = fmt.Sprintf("the pumping cycle needs more than R = %d: %v", r, err)
			return g, nil
		}
		g.Why += fmt.Sprintf("; replayed at R = %d too", r)
	}
	g.Witness, g.Fair = w, w.Fair
	return g, nil
}

// replayAt replays witness w on the real model at p (with a workload bound
// large enough) for reps rounds: every step must be enabled, every round
// starve exactly what the search found (Starved), and the metric must grow
// by w.Gain each round.
func replayAt(d model.Design, p model.Params, w *Witness, reps int) error {
	p.Calls = max(w.ReplayCalls, 1)
	m, err := model.New(d, p)
	if err != nil {
		return err
	}
	s := m.Initial()
	for i, a := range w.prefix {
		if err := m.Step(s, a); err != nil {
			return fmt.Errorf("prefix step %d: %w", i+1, err)
		}
	}
	base := metricOf(m.Metrics(s), w.Metric)
	for r := 1; r <= reps; r++ {
		starved, err := Starved(m, s, w.cycle)
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		if !slices.Equal(starved, w.Starved) {
			return fmt.Errorf("round %d starves %v, the search found %v", r, starved, w.Starved)
		}
		for _, a := range w.cycle {
			m.Apply(s, a) // enabled: Starved stepped it from the same state
		}
		if got := metricOf(m.Metrics(s), w.Metric); got != base+int64(r)*w.Gain {
			return fmt.Errorf("round %d: %s = %d, want %d", r, w.Metric, got, base+int64(r)*w.Gain)
		}
	}
	return nil
}
