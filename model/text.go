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

// chooseText renders when free's choices take br: after the earlier
// choices fail, and for a miss, when the design's plan lists br (for a
// Policies design, with or without a page left in the pool).
func chooseText(d Design, r *rule, br *branch, name namer) string {
	var parts []string
	for _, ch := range r.choose {
		g := guardText(ch.guard, name)
		if !ch.miss && r.branches[ch.branch].free == br.free {
			return " && " + strings.Join(append(parts, g), " && ")
		}
		if !ch.miss {
			parts = append(parts, "!("+g+")")
			continue
		}
		pol, ok := d.(Policies)
		if !ok {
			return " && " + strings.Join(append(parts, fmt.Sprintf("Miss(c) lists branch %d", br.free)), " && ")
		}
		left, none := inList(missBranches(pol.Plan, true), br.free), inList(missBranches(pol.Plan, false), br.free)
		switch {
		case left && none:
		case left:
			parts = append(parts, name(at("reserve"))+" > 0")
		case none:
			parts = append(parts, name(at("reserve"))+" == 0")
		default:
			return " && false"
		}
		return " && " + strings.Join(parts, " && ")
	}
	return ""
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
