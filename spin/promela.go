// Package spin compares rcucheck with the SPIN model checker: it writes a
// Promela encoding of the model for a design and parameters, builds and
// runs SPIN's exhaustive safety search on it, and reads SPIN's figures
// back.
//
// The encoding has one process running one loop whose options are one
// d_step per transition (per action, CPU, slot and branch), each guarded by
// exactly its enabling condition. SPIN's state vector then holds exactly
// the spec's variables (the process's location never changes), so that
// SPIN's "states, stored" is the spec's state count, and each d_step SPIN
// executes is one of the spec's transitions.
//
// There are two encodings, for two purposes:
//
//   - Promela and PromelaChecking print the model's own table of rules
//     (model.Model.Transitions): the variables as the model's layout lists
//     them, one d_step per rule, CPU, slot and branch with the guard and
//     effects the table gives. It covers every design that is a
//     model.Policies value (the spec's five and the realistic ones), and a
//     branch added to the table appears in it without a change here. It is
//     what rcucheck bench runs, and the differential test
//     (TestDifferentialSPIN) checks the engine and the printer on it: SPIN
//     and rcucheck must agree on states, transitions, depth and verdicts.
//     (model.TestTransitionsText checks the same text, in Go's syntax,
//     against Enabled and Apply without SPIN.)
//   - The encoding of spec_test.go is written by hand from the spec
//     (../shared/docs/reference-model.md), not from the code: it is the
//     only implementation of the rules independent of the table, the
//     oracle of the table itself. It is test code, for the five designs of
//     the spec; the differential test runs SPIN on it too at five points
//     (one per design) and requires the same figures and state vector.
package spin

import (
	"fmt"
	"io"
	"strings"

	"github.com/rcucheck/rcucheck/model"
)

// MaxCPUs is the largest N the encoding supports (CPU sets are Promela ints).
const MaxCPUs = 31

// Promela returns the Promela encoding of the model of design d at
// parameters p (normalised as the model normalises them).
func Promela(d model.Design, p model.Params) (string, error) {
	return promela(d, p, "")
}

// PromelaChecking returns the encoding of Promela with the spec's property
// prop (model.PropNoStuck or model.PropGracePeriod), written here from the
// spec's definition, asserted at the end of every transition: pan then
// reports an error for every transition into a state that violates it, and
// in a breadth-first search (BFSMode) the first error it reports is at the
// least depth, one less than the length of the shortest counterexample.
// The assertions leave the state vector, and so the counts, unchanged.
func PromelaChecking(d model.Design, p model.Params, prop string) (string, error) {
	if _, ok := assertion(prop, 1); !ok {
		return "", fmt.Errorf("no Promela assertion for property %q (want %s or %s)", prop, model.PropNoStuck, model.PropGracePeriod)
	}
	return promela(d, p, prop)
}

func promela(d model.Design, p model.Params, prop string) (string, error) {
	m, err := model.New(d, p)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := writePromela(&b, m, prop); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Designs returns the names of the built-in designs the encoding covers:
// those whose table of rules has a text (model.Model.Transitions).
func Designs() []string {
	var out []string
	for _, d := range model.AllDesigns() {
		if _, err := Promela(d, model.DefaultParams()); err == nil {
			out = append(out, d.Name())
		}
	}
	return out
}

// variable writes the encoding's name of the model's variable name of CPU
// cpu (-1: global) and slot slot (-1: none): slot j of CPU c is index
// 2*c+j of a flat array.
func variable(name string, cpu, slot int) string {
	switch {
	case cpu < 0:
		return name
	case slot < 0:
		return fmt.Sprintf("%s[%d]", name, cpu)
	}
	return fmt.Sprintf("%s[%d]", name, 2*cpu+slot)
}

// syntax is Promela's syntax for the model's text of its rules.
var syntax = model.Syntax{
	Var:     variable,
	Readers: "RD",
	Cond:    func(test, then, els string) string { return fmt.Sprintf("(%s -> %s : %s)", test, then, els) },
	Min:     func(a, b string) string { return fmt.Sprintf("MIN(%s, %s)", a, b) },
}

// assertion returns the spec's invariant prop as a Promela expression over
// the encoding's variables for n CPUs, and false for another name.
func assertion(prop string, n int) (string, bool) {
	switch prop {
	case model.PropNoStuck: // stuck is never true
		return "!" + variable("stuck", -1, -1), true
	case model.PropGracePeriod: // no slot DONE with a non-empty bpin, no blk DONE with a non-empty blkpin
		var terms []string
		done := func(phase, set string, c, j int) string {
			return fmt.Sprintf("!(%s == %s && %s != 0)", variable(phase, c, j), model.PhaseDone, variable(set, c, j))
		}
		for c := 0; c < n; c++ {
			terms = append(terms, done("blk", "blkpin", c, -1), done("phase", "bpin", c, 0), done("phase", "bpin", c, 1))
		}
		return strings.Join(terms, " && "), true
	}
	return "", false
}

// WritePromela writes the Promela encoding of m to w.
func WritePromela(w io.Writer, m *model.Model) error { return writePromela(w, m, "") }

// writePromela writes the encoding of m, asserting property prop after
// every transition when prop is not empty.
func writePromela(w io.Writer, m *model.Model, prop string) error {
	p := m.Params()
	if err := fits(p); err != nil {
		return err
	}
	ts, err := m.Transitions(syntax)
	if err != nil {
		return fmt.Errorf("no Promela encoding: %w", err)
	}
	g := &gen{w: w}
	if prop != "" {
		g.assert, _ = assertion(prop, p.CPUs)
	}
	g.f("/* rcucheck's model of kvfree_rcu, design %s, %s.\n", m.Design().Name(), p)
	g.f("   Generated by rcucheck (package spin) from the model's table of rules:\n")
	g.f("   one d_step per transition, so that SPIN's states stored is the model's\n")
	g.f("   state count. */\n\n")
	g.defines(p)
	for ph := model.PhaseFree; ph <= model.PhaseDone; ph++ {
		g.f("#define %s %d\n", ph, ph)
	}
	g.f("\n")
	g.declare(m.Variables(), p.CPUs)
	g.readers("rd", p.CPUs)
	g.f("active proctype rcu()\n{\nend:\tdo\n")
	for _, t := range ts {
		g.opt(t.Action.String(), t.Guard, t.Effects...)
	}
	g.f("\tod\n}\n")
	return g.err
}

// fits reports whether the encoding can hold the model at p: CPU sets in
// ints, counters in bytes.
func fits(p model.Params) error {
	if p.CPUs > MaxCPUs {
		return fmt.Errorf("the Promela encoding supports at most %d CPUs, got %d", MaxCPUs, p.CPUs)
	}
	if p.Calls > 255 || p.Cache > 255 || p.Reserve > 255 || p.Bulk > 255 || p.Limit > 255 {
		return fmt.Errorf("the Promela encoding keeps counters in bytes: K, B, C, R and L must be at most 255 (%s)", p)
	}
	return nil
}

// gen writes an encoding.
type gen struct {
	w   io.Writer
	err error
	// assert, when not empty, is asserted at the end of every d_step.
	assert string
}

func (g *gen) f(format string, args ...any) {
	if g.err == nil {
		_, g.err = fmt.Fprintf(g.w, format, args...)
	}
}

// defines writes the parameters as macros, and MIN.
func (g *gen) defines(p model.Params) {
	g.f("#define N %d\n#define B %d\n#define C %d\n#define R %d\n#define K %d\n#define L %d\n\n", p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Calls, p.Limit)
	g.f("#define MIN(a, b) ((a) < (b) -> (a) : (b))\n")
}

// setType is the Promela type of a set of n CPUs.
func setType(n int) string {
	if n > 8 {
		return "int"
	}
	return "byte"
}

// declare writes the declarations of vs for n CPUs: a global variable as
// itself, a CPU's as an array over the CPUs, a slot's as an array over
// the 2N slots (declared with slot 0).
func (g *gen) declare(vs []model.Variable, n int) {
	for _, v := range vs {
		typ := "byte"
		switch {
		case v.Flag:
			typ = "bool"
		case v.Set:
			typ = setType(n)
		}
		dims := ""
		switch {
		case v.Global:
		case v.Slot < 0:
			dims = "[N]"
		case v.Slot == 0:
			dims = "[2*N]"
		default:
			continue
		}
		init := ""
		if v.Init != 0 {
			init = fmt.Sprintf(" = %d", v.Init)
		}
		g.f("%s %s%s%s;\n", typ, v.Name, dims, init)
	}
	g.f("\n")
}

// readers defines RD, the set of CPUs c whose flag rd[c] is set.
func (g *gen) readers(rd string, n int) {
	var bits []string
	for c := 0; c < n; c++ {
		bits = append(bits, fmt.Sprintf("(%s[%d] << %d)", rd, c, c))
	}
	g.f("#define RD (%s)\n\n", strings.Join(bits, " | "))
}

// opt writes one option of the loop: a d_step with a guard and a body.
func (g *gen) opt(comment, guard string, body ...string) {
	g.f("\t:: d_step { /* %s */ %s ->\n", comment, guard)
	for _, s := range body {
		g.f("\t\t%s;\n", s)
	}
	if g.assert != "" {
		g.f("\t\tassert(%s);\n", g.assert)
	}
	g.f("\t   }\n")
}
