package properties

import (
	"fmt"

	"github.com/rcucheck/rcucheck/model"
)

// Property is a safety property of single states, checked after every step
// of a schedule (and in the initial state).
type Property struct {
	// Name identifies the property in reports, e.g. "NoStuck".
	Name string
	// Holds reports whether the property holds in state s of model m, whose
	// metrics are mt. It must not modify s.
	Holds func(m *model.Model, s *model.State, mt model.Metrics) bool
	// Validate, when set, is called once per parameter set before a run and
	// reports why the property cannot be evaluated at those parameters.
	Validate func(p model.Params) error
	// checkable marks the spec's invariants, which the exhaustive checker
	// knows by the same name (so a shortest length can be computed).
	checkable bool
}

// NoStuck is the spec's NoStuck: stuck is never true.
func NoStuck() Property {
	return Property{
		Name:      model.PropNoStuck,
		Holds:     func(_ *model.Model, s *model.State, _ model.Metrics) bool { return !s.Stuck },
		checkable: true,
	}
}

// GracePeriod is the spec's GracePeriod: nothing is freed while a reader
// that overlapped its free is still running.
func GracePeriod() Property {
	return Property{
		Name:      model.PropGracePeriod,
		Holds:     func(_ *model.Model, s *model.State, _ model.Metrics) bool { return model.GracePeriodHolds(s) },
		checkable: true,
	}
}

// DefaultProperties returns NoStuck and GracePeriod.
func DefaultProperties() []Property { return []Property{NoStuck(), GracePeriod()} }

// MetricBound is a property on the metrics alone: ok(params, metrics) must
// hold in every state. name names it in reports.
func MetricBound(name string, ok func(p model.Params, mt model.Metrics) bool) Property {
	return Property{
		Name:  name,
		Holds: func(m *model.Model, _ *model.State, mt model.Metrics) bool { return ok(m.Params(), mt) },
	}
}

// Bound parses a metric bound such as "pages <= 2*N*C + pending/B + 2*N"
// (see ParseBound) and returns it as a Property named by its text.
func Bound(text string) (Property, error) {
	b, err := ParseBound(text)
	if err != nil {
		return Property{}, err
	}
	return b.Property(), nil
}

// Property returns the bound as a Property named by its normalised text.
func (b *BoundExpr) Property() Property {
	return Property{
		Name: b.String(),
		Holds: func(m *model.Model, _ *model.State, mt model.Metrics) bool {
			ok, err := b.Eval(m.Params(), mt)
			return err == nil && ok
		},
		Validate: b.Validate,
	}
}

func validateProps(props []Property, p model.Params) error {
	seen := map[string]bool{}
	for _, pr := range props {
		if pr.Name == "" || pr.Holds == nil {
			return fmt.Errorf("property %q has no name or no Holds function", pr.Name)
		}
		if seen[pr.Name] {
			return fmt.Errorf("property %q given twice", pr.Name)
		}
		seen[pr.Name] = true
		if pr.Validate != nil {
			if err := pr.Validate(p); err != nil {
				return fmt.Errorf("property %s at %s: %w", pr.Name, p, err)
			}
		}
	}
	return nil
}
