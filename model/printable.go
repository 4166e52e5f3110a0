package model

import "unsafe"

// This file is the exported face of text.go for printers of the model in
// another language (package spin prints Promela): the spec's variables as
// the layout lists them, and every transition of the table of rules,
// instance by instance, rendered in the printer's syntax.

// Variable is one variable of the specification as the layout lists it.
type Variable struct {
	Name   string // the spec's name: "reserve", "objs", "bpages"
	Global bool   // a global variable (else one per CPU)
	Slot   int    // 0 or 1 for a batch slot's variable, -1 otherwise
	Flag   bool   // a bool
	Set    bool   // a set of CPUs (bit c for CPU c)
	Width  uint   // its bits at the model's parameters
	// Init is its initial value (CPU 0's for a CPU's variable: the initial
	// state treats CPUs alike).
	Init uint64
}

// Variables returns the spec's variables: the global ones, then one CPU's
// (its own, then each slot's), in the layout's order.
func (m *Model) Variables() []Variable {
	s := m.Initial()
	var out []Variable
	for _, group := range []struct {
		vs     []variable
		global bool
		base   unsafe.Pointer
	}{{m.layout.header, true, unsafe.Pointer(s)}, {m.layout.cpu, false, unsafe.Pointer(&s.CPUs[0])}} {
		for _, v := range group.vs {
			out = append(out, Variable{Name: v.name, Global: group.global, Slot: v.slot,
				Flag: v.dom == domFlag, Set: v.dom == domSet, Width: v.width, Init: v.ref.load(group.base)})
		}
	}
	return out
}

// Syntax is how a printer's language writes what the rules need beyond
// C's expressions (+, -, *, <, ==, >, !, &&, ||, &, |, ~, <<) and
// assignments (v = e). Parameters are written by the spec's names (K, B,
// C, R, L) and phases by theirs (FREE, NEXT, CUR, DONE): the printer
// defines them.
type Syntax struct {
	// Var writes the variable called name (a Variable's Name) of CPU cpu
	// and slot slot (-1 for a global variable, resp. one of no slot).
	Var func(name string, cpu, slot int) string
	// Readers writes RD, the set of CPUs whose reader runs.
	Readers string
	// Cond writes the expression worth then when test holds, else els.
	Cond func(test, then, els string) string
	// Min writes the lesser of a and b.
	Min func(a, b string) string
}

// TransitionText is one transition of the table for one CPU and slot:
// its action (with the branch), its whole guard (the rule's, the branch's,
// how free chooses it, and that stuck is false) and its effects, in order,
// as statements of the printer's language.
type TransitionText struct {
	Action  Action
	Guard   string
	Effects []string
}

// Transitions returns every transition of the table, written in sx, in
// the table's order: by rule, CPU, slot and branch, Enabled's order except
// that free's miss branches come in FreeCase order, not the miss plan's.
// It fails for a design that decides by hooks (Admit, Miss or HandOver of
// a design that is not a Policies value): those are Go code, with no text.
func (m *Model) Transitions(sx Syntax) ([]TransitionText, error) { return m.transitions(sx) }
