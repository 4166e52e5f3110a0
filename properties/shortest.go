package properties

import (
	"context"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// ShortestLength runs the exhaustive checker (breadth first, so its
// counterexamples are shortest) on m with at most maxStates states and
// returns the length of a shortest path to a state violating prop. ok is
// false when the checker found no violation within its budget. The spec's
// invariants are the checker's own; any other property (a metric bound) is
// added to the checker's model as an extra invariant evaluated on the
// model's metrics.
func ShortestLength(ctx context.Context, m *model.Model, prop Property, maxStates uint64) (n int, ok bool) {
	cm := checker.Model(m.Checkable())
	if !prop.checkable {
		cm = boundModel{Checkable: m.Checkable(), prop: prop}
	}
	// The checker does not stop at a violation: explore with growing
	// budgets, so that a shallow violation costs a small exploration.
	for budget := min(uint64(4096), maxStates); ; budget = min(budget*8, maxStates) {
		res, err := checker.Explore(ctx, cm, checker.Options{MaxStates: budget, SkipGoals: true})
		if err != nil {
			return 0, false
		}
		for _, r := range res.Invariants {
			if r.Name == prop.Name && r.Verdict == checker.Violated {
				return r.Trace.Len(), true
			}
		}
		if res.Complete || budget >= maxStates || ctx.Err() != nil {
			return 0, false
		}
	}
}

// boundModel is the model as the checker sees it with one more invariant:
// a Property evaluated on the unpacked state and the model's metrics.
type boundModel struct {
	model.Checkable
	prop Property
}

func (b boundModel) Invariants() []string {
	return append(b.Checkable.Invariants(), b.prop.Name)
}

func (b boundModel) NewExpander() checker.Expander {
	return &boundExpander{Expander: b.Checkable.NewExpander(), b: b, inv: make([]bool, len(b.Checkable.Invariants()))}
}

type boundExpander struct {
	checker.Expander
	b   boundModel
	inv []bool
}

func (x *boundExpander) Evaluate(s []uint64, inv, goal []bool, metric []int64) {
	x.Expander.Evaluate(s, x.inv, goal, metric)
	copy(inv, x.inv)
	m := x.b.Model()
	st := m.Unpack(s)
	inv[len(x.inv)] = x.b.prop.Holds(m, st, m.Metrics(st))
}
