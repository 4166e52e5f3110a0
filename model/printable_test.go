package model

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestTransitionsText runs the text of the table (Transitions) as a
// program: its guards and statements are written in a Go-readable syntax,
// parsed by go/parser and evaluated over the variables of states the model
// reaches. In every state, the transitions whose guard holds must be
// Enabled's, in its order, and each one's statements must lead to Apply's
// state. It checks the printer (package spin's Promela is the same text in
// Promela's syntax) without SPIN, on every built-in design and on policies
// no built-in design has.
func TestTransitionsText(t *testing.T) {
	designs := append(AllDesigns(),
		Policies{DesignName: "cache-first", Uses: Resources{Reserve: true},
			Plan: Plan(FallbackHead, SourceAllocator, SourceReserve), ReclaimPolicy: ReclaimCacheFirst},
		Policies{DesignName: "to-allocator", Plan: Plan(FallbackSync, SourceAllocator),
			ReclaimPolicy: ReclaimAllocator, RefillPolicy: RefillNever})
	for _, d := range designs {
		for _, p := range []Params{DefaultParams(), {CPUs: 1, Bulk: 1, Cache: 2, Reserve: 2, Calls: 3, Limit: 2}} {
			m, err := New(d, p)
			if err != nil {
				t.Fatal(err)
			}
			if n := checkText(t, m, 1000); n == 0 {
				t.Errorf("%s %s: no state checked", d.Name(), p)
			}
		}
	}
	m, err := New(hookDesign{Designs()[3].(Policies)}, DefaultParams()) // fast_test.go
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Transitions(goSyntax); err == nil {
		t.Errorf("Transitions printed a design that decides by a hook")
	}
}

// goSyntax writes the table's text as Go expressions: CPU c's variable v
// as v_c, slot j's as v_c_j.
var goSyntax = Syntax{
	Var: func(name string, cpu, slot int) string {
		switch {
		case cpu < 0:
			return name
		case slot < 0:
			return fmt.Sprintf("%s_%d", name, cpu)
		}
		return fmt.Sprintf("%s_%d_%d", name, cpu, slot)
	},
	Readers: "RD",
	Cond:    func(test, then, els string) string { return fmt.Sprintf("cond(%s, %s, %s)", test, then, els) },
	Min:     func(a, b string) string { return fmt.Sprintf("min(%s, %s)", a, b) },
}

// checkText compares the text of m's table with Enabled and Apply on up to
// limit states reached breadth-first, and returns how many it checked.
func checkText(t *testing.T, m *Model, limit int) int {
	t.Helper()
	ts, err := m.Transitions(goSyntax)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	queue := []*State{m.Initial()}
	var buf []Action
	for len(queue) > 0 && len(seen) < limit {
		s := queue[0]
		queue = queue[1:]
		if seen[s.String()] {
			continue
		}
		seen[s.String()] = true
		env := m.env(s)
		var got []Action
		for _, tr := range ts {
			if evalText(t, tr.Guard, env) != 0 {
				got = append(got, tr.Action)
			}
		}
		buf = m.Enabled(s, buf[:0])
		if !sameActions(got, buf) {
			t.Fatalf("%s %s in %s: the text enables %v, Enabled %v", m.design.Name(), m.params, s, got, buf)
		}
		for _, tr := range ts {
			if evalText(t, tr.Guard, env) == 0 {
				continue
			}
			next := s.Clone()
			m.Apply(next, tr.Action)
			after := m.run(t, tr.Effects, env)
			if want := m.env(next); !maps.Equal(after, want) {
				t.Fatalf("%s %s: %s in %s:\n%s\ndiffers from Apply in %s", m.design.Name(), m.params, tr.Action, s, strings.Join(tr.Effects, "\n"), diffEnv(after, want))
			}
			queue = append(queue, next)
		}
	}
	return len(seen)
}

// sameActions reports whether a and b hold the same actions, in any order
// (the text lists free's miss branches in the table's order, Enabled in the
// miss plan's).
func sameActions(a, b []Action) bool {
	count := map[Action]int{}
	for _, x := range a {
		count[x]++
	}
	for _, x := range b {
		count[x]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

// diffEnv lists the variables whose values differ in got and want.
func diffEnv(got, want map[string]int64) string {
	var out []string
	for k, v := range want {
		if got[k] != v {
			out = append(out, fmt.Sprintf("%s: %d, want %d", k, got[k], v))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

// env returns the values of the variables of s, named as goSyntax names
// them, with the parameters and the phases.
func (m *Model) env(s *State) map[string]int64 {
	env := map[string]int64{"K": int64(m.params.Calls), "B": int64(m.params.Bulk), "C": int64(m.params.Cache),
		"R": int64(m.params.Reserve), "L": int64(m.params.Limit)}
	for ph := PhaseFree; ph <= PhaseDone; ph++ {
		env[ph.String()] = int64(ph)
	}
	for _, v := range m.layout.header {
		env[goSyntax.Var(v.name, -1, -1)] = int64(v.ref.load(unsafe.Pointer(s)))
	}
	for c := range s.CPUs {
		for _, v := range m.layout.cpu {
			env[goSyntax.Var(v.name, c, v.slot)] = int64(v.ref.load(unsafe.Pointer(&s.CPUs[c])))
		}
	}
	return env
}

// run performs the statements es ("v = e") on a copy of env.
func (m *Model) run(t *testing.T, es []string, env map[string]int64) map[string]int64 {
	out := maps.Clone(env)
	for _, e := range es {
		lhs, rhs, ok := strings.Cut(e, " = ")
		if _, known := out[lhs]; !ok || !known {
			t.Fatalf("statement %q assigns no variable", e)
		}
		out[lhs] = evalText(t, rhs, out)
	}
	return out
}

// parsed caches the expressions evalText parsed (the tests of this
// package that use it do not run in parallel).
var parsed = map[string]ast.Expr{}

// evalText evaluates the Go expression src over env; RD is computed from
// the rd flags, as Promela's macro is, at each use.
func evalText(t *testing.T, src string, env map[string]int64) int64 {
	t.Helper()
	x, ok := parsed[src]
	if !ok {
		var err error
		if x, err = parser.ParseExpr(src); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		parsed[src] = x
	}
	v, err := eval(x, env)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	return v
}

func eval(x ast.Expr, env map[string]int64) (int64, error) {
	switch x := x.(type) {
	case *ast.ParenExpr:
		return eval(x.X, env)
	case *ast.BasicLit:
		return strconv.ParseInt(x.Value, 10, 64)
	case *ast.Ident:
		if x.Name == "RD" {
			var rd int64
			for c := 0; ; c++ {
				v, ok := env[fmt.Sprintf("rd_%d", c)]
				if !ok {
					return rd, nil
				}
				rd |= v << c
			}
		}
		v, ok := env[x.Name]
		if !ok {
			return 0, fmt.Errorf("unknown name %s", x.Name)
		}
		return v, nil
	case *ast.UnaryExpr:
		v, err := eval(x.X, env)
		return map[token.Token]int64{token.NOT: b2i(v == 0), token.TILDE: ^v, token.SUB: -v}[x.Op], err
	case *ast.CallExpr:
		return call(x, env)
	case *ast.BinaryExpr:
		return binary(x, env)
	}
	return 0, fmt.Errorf("unexpected %T", x)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// call evaluates cond(test, then, els) and min(a, b).
func call(x *ast.CallExpr, env map[string]int64) (int64, error) {
	var args []int64
	for _, a := range x.Args {
		v, err := eval(a, env)
		if err != nil {
			return 0, err
		}
		args = append(args, v)
	}
	switch name := x.Fun.(*ast.Ident).Name; {
	case name == "cond" && len(args) == 3:
		if args[0] != 0 {
			return args[1], nil
		}
		return args[2], nil
	case name == "min" && len(args) == 2:
		return min(args[0], args[1]), nil
	}
	return 0, fmt.Errorf("unexpected call")
}

// binary evaluates the operators the table's text uses.
func binary(x *ast.BinaryExpr, env map[string]int64) (int64, error) {
	a, err := eval(x.X, env)
	if err != nil {
		return 0, err
	}
	b, err := eval(x.Y, env)
	if err != nil {
		return 0, err
	}
	switch x.Op {
	case token.ADD:
		return a + b, nil
	case token.SUB:
		return a - b, nil
	case token.MUL:
		return a * b, nil
	case token.AND:
		return a & b, nil
	case token.OR:
		return a | b, nil
	case token.SHL:
		return a << b, nil
	case token.LAND:
		return b2i(a != 0 && b != 0), nil
	case token.LOR:
		return b2i(a != 0 || b != 0), nil
	case token.LSS:
		return b2i(a < b), nil
	case token.GTR:
		return b2i(a > b), nil
	case token.EQL:
		return b2i(a == b), nil
	case token.NEQ:
		return b2i(a != b), nil
	}
	return 0, fmt.Errorf("unexpected operator %s", x.Op)
}
