package model

import (
	"fmt"
	"strings"
)

// This file renders the table of rules as text, given a naming function
// for the variables: what a printer of the model in another language
// (Promela, in package spin) needs. Each guard and effect renders itself.

// namer returns how a variable is written: v's name and slot (-1 none, 0
// or 1, slotAct for the action's slot), for the action's CPU.
type namer func(v vref) string

// specName writes variables as the spec does: objs[c], phase[c][j], gp.
func specName(globals []variable) namer {
	return func(v vref) string {
		for _, g := range globals {
			if g.name == v.name {
				return v.name
			}
		}
		switch v.slot {
		case -1:
			return v.name + "[c]"
		case slotAct:
			return v.name + "[c][j]"
		}
		return fmt.Sprintf("%s[c][%d]", v.name, v.slot)
	}
}

// String returns the spec's name of the parameter.
func (q param) String() string { return [...]string{"1", "K", "B", "C", "R", "L"}[q] }

// text renders e.
func (e *linear) text(name namer) string {
	var parts []string
	for _, t := range e.terms {
		s := name(t.v)
		if t.p != paramNone {
			s += "*" + t.p.String()
		}
		if t.coef != 1 {
			s = fmt.Sprintf("%d*%s", t.coef, s)
		}
		parts = append(parts, s)
	}
	switch {
	case e.p != paramNone && e.k == 1:
		parts = append(parts, e.p.String())
	case e.p != paramNone:
		parts = append(parts, fmt.Sprintf("%d*%s", e.k, e.p.String()))
	case e.k != 0 || len(parts) == 0:
		parts = append(parts, fmt.Sprint(e.k))
	}
	return strings.Join(parts, " + ")
}

// text renders c.
func (c *cond) text(name namer) string {
	switch c.kind {
	case condAny:
		var parts []string
		for i := range c.any {
			parts = append(parts, c.any[i].text(name))
		}
		return "(" + strings.Join(parts, " || ") + ")"
	case condSomeCPU:
		return "some phase or blk of some CPU == " + c.ph.String()
	case condAdmit:
		return "Admit(c)"
	case condHandOver:
		return "HandOver(c)"
	}
	r := c.r.text(name)
	if len(c.l.terms) == 1 && len(c.r.terms) == 0 && c.r.p == paramNone && isPhase(c.l.terms[0].v.name) {
		r = Phase(c.r.k).String()
	}
	return c.l.text(name) + [...]string{opLT: " < ", opEQ: " == ", opGT: " > "}[c.op] + r
}

// isPhase reports whether the variable called name is a phase.
func isPhase(name string) bool {
	for _, v := range cpuVars() {
		if v.name == name {
			return v.dom == domPhase
		}
	}
	return false
}

// guardText renders the conjunction cs ("true" when empty).
func guardText(cs []cond, name namer) string {
	if len(cs) == 0 {
		return "true"
	}
	parts := make([]string, len(cs))
	for i := range cs {
		parts[i] = cs[i].text(name)
	}
	return strings.Join(parts, " && ")
}

// text renders e.
func (e *effect) text(name namer) string {
	switch e.op {
	case effAdd:
		return fmt.Sprintf("%s += %d", name(e.v), e.k)
	case effSet:
		if e.p != paramNone {
			return fmt.Sprintf("%s = %s", name(e.v), e.p.String())
		}
		if isPhase(e.v.name) {
			return fmt.Sprintf("%s = %s", name(e.v), Phase(e.k))
		}
		return fmt.Sprintf("%s = %d", name(e.v), e.k)
	case effOrRD:
		return fmt.Sprintf("%s |= RD", name(e.v))
	case effSetRD:
		return fmt.Sprintf("%s = RD", name(e.v))
	case effUnpin:
		return "remove c from every CPU set"
	case effAdvance:
		return fmt.Sprintf("every %s phase and blk becomes %s", e.from, e.to)
	case effHandOver:
		ph := "NEXT"
		if e.join == JoinRunning {
			ph = "(gp ? CUR : NEXT)"
		}
		return "the lowest FREE slot takes the channel in phase " + ph
	case effReclaim:
		return fmt.Sprintf("%s to %s and %s by policy %d", name(e.v), name(e.pool), name(e.cache), e.policy)
	case effClearSlot:
		return "slot j = FREE with zeros"
	}
	return fmt.Sprintf("effect(%d)", e.op)
}

// rulesText renders the table rs of design d, one line per branch:
// "action [branch]: guard -> effects". A free's choices and miss plan are
// rendered as the guards of its branches.
func rulesText(d Design, rs []rule, name namer) string {
	var b strings.Builder
	for ri := range rs {
		r := &rs[ri]
		head := r.kind.String()
		switch r.scope {
		case scopeCPU:
			head += "(c)"
		case scopeSlot:
			head += "(c,j)"
		}
		for bi := range r.branches {
			br := &r.branches[bi]
			if r.kind == KindFree && br.free == FreeNone {
				continue
			}
			guard := append(append([]cond(nil), r.guard...), br.guard...)
			a := Action{Kind: r.kind, Free: br.free, Refill: br.refill}.String()
			_, tag, _ := strings.Cut(a, ") ")
			fmt.Fprintf(&b, "%s %s: %s%s ->", head, tag, guardText(guard, name), chooseText(d, r, br, name))
			for _, es := range [][]effect{r.common, br.effects} {
				for i := range es {
					fmt.Fprintf(&b, " %s;", es[i].text(name))
				}
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// chooseText renders when free's choices take br (see choiceGuard), " &&
// false" when they never do.
func chooseText(d Design, r *rule, br *branch, name namer) string {
	parts, taken := choiceGuard(d, r, br, name)
	switch {
	case !taken:
		return " && false"
	case len(parts) == 0:
		return ""
	}
	return " && " + strings.Join(parts, " && ")
}

// choiceGuard returns the conjuncts under which free's choices take br:
// the earlier choices fail and br's holds, or for a miss, the design's
// plan lists br (for a Policies design, with or without a page left in
// the pool). It reports false when the choices never take br; a rule with
// no choices takes every branch (no conjunct).
func choiceGuard(d Design, r *rule, br *branch, name namer) ([]string, bool) {
	var parts []string
	for _, ch := range r.choose {
		g := guardText(ch.guard, name)
		if !ch.miss && r.branches[ch.branch].free == br.free {
			return append(parts, g), true
		}
		if !ch.miss {
			parts = append(parts, "!("+g+")")
			continue
		}
		pol, ok := d.(Policies)
		if !ok {
			return append(parts, fmt.Sprintf("Miss(c) lists branch %d", br.free)), true
		}
		left, none := inList(missBranches(pol.Plan, true), br.free), inList(missBranches(pol.Plan, false), br.free)
		switch {
		case left && none:
		case left:
			parts = append(parts, name(at("reserve"))+" > 0")
		case none:
			parts = append(parts, name(at("reserve"))+" == 0")
		default:
			return nil, false
		}
		return parts, true
	}
	return parts, true
}

// inList reports whether fc is one of b's branches.
func inList(b branches, fc FreeCase) bool {
	for _, f := range b.list() {
		if f == fc {
			return true
		}
	}
	return false
}

// target renders the instance of a rule at CPU c and slot j as statements
// of a printer's language (Syntax): the executable form of the table,
// where rulesText's is descriptive. The structural effects (unpin,
// advance, hand-over, reclaim, clear) expand to assignments of the
// variables they touch, listed by the layout.
type target struct {
	m    *Model
	sx   Syntax
	c, j int
}

// transitions renders every transition of m's table in sx (Transitions).
func (m *Model) transitions(sx Syntax) ([]TransitionText, error) {
	if _, ok := m.design.(Policies); !ok {
		return nil, fmt.Errorf("design %s decides by hooks (Admit, Miss, HandOver), which have no text: only a Policies design can be printed", m.design.Name())
	}
	var out []TransitionText
	for ri := range m.rules {
		r := &m.rules[ri]
		cpus, slots := instances(r.scope, m.params.CPUs)
		for c := 0; c < cpus; c++ {
			for j := 0; j < slots; j++ {
				t := &target{m: m, sx: sx, c: c, j: j}
				for bi := range r.branches {
					if tr, ok := t.transition(r, &r.branches[bi]); ok {
						out = append(out, tr)
					}
				}
			}
		}
	}
	return out, nil
}

// transition renders branch br of rule r at t's CPU and slot, and reports
// false when r's choices never take br.
func (t *target) transition(r *rule, br *branch) (TransitionText, bool) {
	choice, taken := choiceGuard(t.m.design, r, br, t.name)
	if !taken {
		return TransitionText{}, false
	}
	parts := []string{t.name(at("stuck")) + " == 0"} // no action once stuck (Enabled)
	for _, cs := range [][]cond{r.guard, br.guard} {
		for i := range cs {
			parts = append(parts, t.cond(&cs[i]))
		}
	}
	tr := TransitionText{
		Action: Action{Kind: r.kind, CPU: uint8(t.c), Slot: uint8(t.j), Free: br.free, Refill: br.refill},
		Guard:  strings.Join(append(parts, choice...), " && "),
	}
	for _, es := range [][]effect{r.common, br.effects} {
		for i := range es {
			tr.Effects = append(tr.Effects, t.effect(&es[i])...)
		}
	}
	return tr, true
}

// name is the namer of t's instance: the action's CPU and slot.
func (t *target) name(v vref) string {
	for _, h := range t.m.layout.header {
		if h.name == v.name {
			return t.sx.Var(v.name, -1, -1)
		}
	}
	slot := v.slot
	if slot == slotAct {
		slot = t.j
	}
	return t.sx.Var(v.name, t.c, slot)
}

// cpuVar writes the variable v of CPU c.
func (t *target) cpuVar(v variable, c int) string { return t.sx.Var(v.name, c, v.slot) }

// cond renders k; the kinds that are not comparisons (transitions refused
// the hooks) expand over the CPUs.
func (t *target) cond(k *cond) string {
	if k.kind != condSomeCPU {
		return k.text(t.name)
	}
	var any []string
	for c := 0; c < t.m.params.CPUs; c++ {
		for _, v := range t.m.layout.cpu {
			if v.dom == domPhase {
				any = append(any, t.cpuVar(v, c)+" == "+k.ph.String())
			}
		}
	}
	return "(" + strings.Join(any, " || ") + ")"
}

// value renders k × p, as a phase's name when v is a phase.
func value(v string, k int64, p param) string {
	switch {
	case p != paramNone && k == 1:
		return p.String()
	case p != paramNone:
		return fmt.Sprintf("%d*%s", k, p)
	case isPhase(v):
		return Phase(k).String()
	}
	return fmt.Sprint(k)
}

// effect renders e as statements.
func (t *target) effect(e *effect) []string {
	v := ""
	if e.v.name != "" {
		v = t.name(e.v)
	}
	switch e.op {
	case effAdd:
		if e.k < 0 {
			return []string{fmt.Sprintf("%s = %s - %d", v, v, -e.k)}
		}
		return []string{fmt.Sprintf("%s = %s + %d", v, v, e.k)}
	case effSet:
		return []string{v + " = " + value(e.v.name, e.k, e.p)}
	case effOrRD:
		return []string{v + " = " + v + " | " + t.sx.Readers}
	case effSetRD:
		return []string{v + " = " + t.sx.Readers}
	case effUnpin:
		return t.unpin()
	case effAdvance:
		return t.perCPU(domPhase, func(x string) string {
			return t.sx.Cond(x+" == "+e.from.String(), e.to.String(), x)
		})
	case effHandOver:
		return t.handOver(e.join)
	case effReclaim:
		return t.reclaim(e)
	case effClearSlot:
		var out []string
		for _, u := range t.m.layout.cpu {
			if u.slot == t.j {
				out = append(out, t.cpuVar(u, t.c)+" = "+value(u.name, 0, paramNone))
			}
		}
		return out
	}
	panic(fmt.Sprintf("model: effect %d has no text", e.op))
}

// perCPU returns x = f(x) for every variable x of domain d of every CPU.
func (t *target) perCPU(d domain, f func(x string) string) []string {
	var out []string
	for c := 0; c < t.m.params.CPUs; c++ {
		for _, v := range t.m.layout.cpu {
			if v.dom == d {
				x := t.cpuVar(v, c)
				out = append(out, x+" = "+f(x))
			}
		}
	}
	return out
}

// unpin removes the action's CPU from every CPU set, global or of any CPU.
func (t *target) unpin() []string {
	drop := func(x string) string { return fmt.Sprintf("%s & ~(1 << %d)", x, t.c) }
	var out []string
	for _, v := range t.m.layout.header {
		if v.dom == domSet {
			x := t.sx.Var(v.name, -1, -1)
			out = append(out, x+" = "+drop(x))
		}
	}
	return append(out, t.perCPU(domSet, drop)...)
}

// handOver hands the channel of the action's CPU over to its lowest FREE
// slot, as expressions: each variable of slot 1 takes the channel's when
// slot 0 is not FREE, then each of slot 0's when it is (its phase last, as
// it is the test), then the channel is emptied.
func (t *target) handOver(join JoinPolicy) []string {
	l := &t.m.layout
	test := t.sx.Var("phase", t.c, 0) + " == " + PhaseFree.String()
	ph := PhaseNext.String()
	if join == JoinRunning {
		ph = t.sx.Cond(t.name(at("gp"))+" == 1", PhaseCur.String(), PhaseNext.String())
	}
	var out, phases, empty []string
	for _, j := range []int{1, 0} {
		for _, v := range l.cpu {
			if v.slot != j || (v.from == "" && v.dom != domPhase) {
				continue
			}
			x, in := t.cpuVar(v, t.c), ph
			if v.from != "" {
				in = t.sx.Var(v.from, t.c, -1)
			}
			s := x + " = " + t.sx.Cond(test, in, x)
			if j == 1 {
				s = x + " = " + t.sx.Cond(test, x, in)
			}
			if v.dom == domPhase {
				phases = append(phases, s)
				continue
			}
			out = append(out, s)
			if j == 0 {
				empty = append(empty, in+" = 0")
			}
		}
		out, phases = append(out, phases...), nil
	}
	return append(out, empty...)
}

// reclaim sends the pages of e's slot to the pool and the cache by e's
// policy (reclaimSplit): the first destination takes what fits, the second
// what fits of the rest; the second is written first, as it reads the
// first's room before it changes.
func (t *target) reclaim(e *effect) []string {
	pages, pool, cache := t.name(e.v), t.name(e.pool), t.name(e.cache)
	poolRoom, cacheRoom := paramR.String()+" - "+pool, paramC.String()+" - "+cache
	give := func(dst, amount string) string { return dst + " = " + dst + " + " + amount }
	switch e.policy {
	case ReclaimCache:
		return []string{give(cache, t.sx.Min(pages, cacheRoom))}
	case ReclaimReserveFirst:
		first := t.sx.Min(pages, poolRoom)
		return []string{give(cache, t.sx.Min(pages+" - "+first, cacheRoom)), give(pool, first)}
	case ReclaimCacheFirst:
		first := t.sx.Min(pages, cacheRoom)
		return []string{give(pool, t.sx.Min(pages+" - "+first, poolRoom)), give(cache, first)}
	}
	return nil // ReclaimAllocator: every page to the allocator
}
