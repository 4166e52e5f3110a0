package bound

import (
	"fmt"

	"github.com/rcucheck/rcucheck/model"
)

// Sample is one computed figure at one set of parameters. K = 0 in a
// sample stands for the unbounded workload (K = infinity).
type Sample struct {
	Params model.Params
	Y      int64
}

// Formula is a closed formula in the parameters, a*term + b, that gives
// the figure at every sample it was fitted on.
type Formula struct {
	Text string `json:"text"`
	A    int64  `json:"a"`
	B    int64  `json:"b"`
	Term string `json:"term"`
	// Points is the number of samples the formula was checked on (all).
	Points int `json:"points"`
	// Also lists other formulas of the family that fit every sample too.
	Also []string `json:"also,omitempty"`
	// FitOn says what the formula was fitted on ("fit on calls=1..6, 6
	// points"): a formula is a fit, never a proof for other values.
	FitOn string `json:"fit_on,omitempty"`

	eval func(model.Params) (int64, bool)
}

// Eval returns the formula's value at p (false when a term is undefined at
// p, for instance K at K = infinity).
func (f *Formula) Eval(p model.Params) (int64, bool) { return f.eval(p) }

// term is a function of the parameters; ok is false where it is undefined.
type term struct {
	name string
	f    func(p model.Params) (v int64, ok bool)
}

// fill(x) is the largest number of bulk pages x objects can occupy in a
// CPU's channel and its two batch slots: every non-empty one holds at
// least one object per page and only its newest page has room, so one
// object per container, and B more per extra page.
func fill(x, b int64) int64 {
	if x <= 3 {
		return x
	}
	return 3 + (x-3)/b
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// terms is the family of terms formulas are built from.
func terms() []term {
	k := func(p model.Params) (int64, bool) { return int64(p.Calls), p.Calls > 0 }
	kl := func(p model.Params) (int64, bool) {
		if p.Calls == 0 {
			return int64(p.Limit), true
		}
		return int64(min(p.Calls, p.Limit)), true
	}
	l := func(p model.Params) (int64, bool) { return int64(p.Limit), true }
	n := func(p model.Params) int64 { return int64(p.CPUs) }
	b := func(p model.Params) int64 { return int64(p.Bulk) }
	with := func(name string, x func(model.Params) (int64, bool), g func(p model.Params, v int64) int64) term {
		return term{name, func(p model.Params) (int64, bool) {
			v, ok := x(p)
			if !ok {
				return 0, false
			}
			return g(p, v), true
		}}
	}
	id := func(_ model.Params, v int64) int64 { return v }
	var ts []term
	for _, base := range []struct {
		name string
		x    func(model.Params) (int64, bool)
	}{{"K", k}, {"L", l}, {"min(K,L)", kl}} {
		ts = append(ts,
			with(base.name, base.x, id),
			with("ceil("+base.name+"/B)", base.x, func(p model.Params, v int64) int64 { return ceilDiv(v, b(p)) }),
			with("fill("+base.name+")", base.x, func(p model.Params, v int64) int64 { return fill(v, b(p)) }),
			with("N*"+base.name, base.x, func(p model.Params, v int64) int64 { return n(p) * v }),
			with("N*ceil("+base.name+"/B)", base.x, func(p model.Params, v int64) int64 { return n(p) * ceilDiv(v, b(p)) }),
			with("N*fill("+base.name+")", base.x, func(p model.Params, v int64) int64 { return n(p) * fill(v, b(p)) }),
		)
	}
	always := func(p model.Params) (int64, bool) { return 1, true }
	ts = append(ts,
		with("N", always, func(p model.Params, _ int64) int64 { return n(p) }),
		with("B", always, func(p model.Params, _ int64) int64 { return b(p) }),
		with("C", always, func(p model.Params, _ int64) int64 { return int64(p.Cache) }),
		with("N*C", always, func(p model.Params, _ int64) int64 { return n(p) * int64(p.Cache) }),
	)
	return ts
}

// Fit returns the simplest formula of the family that gives Y at every
// sample: a constant, else a*term + b with a in 1..4 and b in -4..4, the
// fewest non-trivial coefficients first. It returns nil when none fits (or
// there are fewer than 3 samples: two points fit too much).
func Fit(samples []Sample) *Formula {
	if len(samples) < 3 {
		return nil
	}
	constant := true
	for _, s := range samples {
		constant = constant && s.Y == samples[0].Y
	}
	if constant {
		c := samples[0].Y
		return &Formula{Text: fmt.Sprint(c), B: c, Points: len(samples), eval: func(model.Params) (int64, bool) { return c, true }}
	}
	type cand struct {
		a, b int64
		t    term
	}
	var fits []cand
	for _, cost := range []int{0, 1, 2} {
		for _, t := range terms() {
			for a := int64(1); a <= 4; a++ {
				for b := int64(-4); b <= 4; b++ {
					c := 0
					if a != 1 {
						c++
					}
					if b != 0 {
						c++
					}
					if c != cost {
						continue
					}
					ok := true
					for _, s := range samples {
						v, def := t.f(s.Params)
						if !def || a*v+b != s.Y {
							ok = false
							break
						}
					}
					if ok {
						fits = append(fits, cand{a, b, t})
					}
				}
			}
		}
	}
	if len(fits) == 0 {
		return nil
	}
	text := func(c cand) string {
		s := c.t.name
		if c.a != 1 {
			s = fmt.Sprintf("%d*%s", c.a, s)
		}
		switch {
		case c.b > 0:
			s += fmt.Sprintf(" + %d", c.b)
		case c.b < 0:
			s += fmt.Sprintf(" - %d", -c.b)
		}
		return s
	}
	best := fits[0]
	f := &Formula{Text: text(best), A: best.a, B: best.b, Term: best.t.name, Points: len(samples),
		eval: func(p model.Params) (int64, bool) {
			v, ok := best.t.f(p)
			return best.a*v + best.b, ok
		}}
	for _, c := range fits[1:] {
		if len(f.Also) == 3 {
			break
		}
		f.Also = append(f.Also, text(c))
	}
	return f
}
