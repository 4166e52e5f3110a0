package model

import (
	"fmt"
	"math"
	"strings"
	"unsafe"
)

// This file interprets the table of rules (rules.go) on the typed State:
// Enabled and Apply are this interpreter, the test oracle of the fast
// expander, which compiles the same table to word operations.

// resolve fills in, in every rule of rs, the variables' places and the
// values of the parameters p.
func (l *layout) resolve(rs []rule, p *Params) {
	for i := range rs {
		r := &rs[i]
		l.resolveConds(r.guard, p)
		l.resolveEffects(r.common, p)
		for k := range r.branches {
			b := &r.branches[k]
			l.resolveConds(b.guard, p)
			l.resolveEffects(b.effects, p)
			b.rd = readsRD(r.common) || readsRD(b.effects)
		}
		for k := range r.choose {
			l.resolveConds(r.choose[k].guard, p)
		}
	}
}

func (l *layout) resolveConds(cs []cond, p *Params) {
	for i := range cs {
		c := &cs[i]
		for _, e := range []*linear{&c.l, &c.r} {
			e.val = e.k * e.p.value(p)
			for k := range e.terms {
				t := &e.terms[k]
				t.val = t.coef * t.p.value(p)
				l.resolveVar(&t.v)
			}
		}
		l.resolveConds(c.any, p)
		c.resolveSingle()
	}
}

// resolveSingle sets c.single, c.v and c.lo, c.hi when c compares one
// variable (coefficient 1) with a constant: the interpreter's fast path.
func (c *cond) resolveSingle() {
	if c.kind != condCmp || len(c.l.terms) != 1 || len(c.r.terms) != 0 || c.l.terms[0].val != 1 {
		return
	}
	b := c.r.val - c.l.val // v op b
	c.single, c.v, c.lo, c.hi = true, c.l.terms[0].v, b, b
	switch c.op {
	case opLT:
		c.lo, c.hi = math.MinInt64, b-1
	case opGT:
		c.lo, c.hi = b+1, math.MaxInt64
	}
}

func (l *layout) resolveEffects(es []effect, p *Params) {
	for i := range es {
		e := &es[i]
		e.val = e.k * e.p.value(p)
		for _, v := range []*vref{&e.v, &e.pool, &e.cache} {
			if v.name != "" {
				l.resolveVar(v)
			}
		}
	}
}

// readsRD reports whether one of es reads RD.
func readsRD(es []effect) bool {
	for _, e := range es {
		if e.op == effOrRD || e.op == effSetRD {
			return true
		}
	}
	return false
}

// resolveVar places v: a global variable, or a CPU's in v's slot.
func (l *layout) resolveVar(v *vref) {
	defer func() {
		vs := l.cpu
		if v.hdr {
			vs = l.header
		}
		v.ref = [2]ref{vs[v.idx[0]].ref, vs[v.idx[1]].ref}
	}()
	if v.slot < 0 {
		for i, h := range l.header {
			if h.name == v.name {
				v.hdr, v.idx = true, [2]int{i, i}
				return
			}
		}
	}
	if v.slot == slotAct {
		v.idx = [2]int{lookup(l.cpu, v.name, 0), lookup(l.cpu, v.name, 1)}
		return
	}
	i := lookup(l.cpu, v.name, v.slot)
	v.idx = [2]int{i, i}
}

// base returns the struct holding v: s, or CPU c of s.
func (v *vref) base(s *State, c int) unsafe.Pointer {
	if v.hdr {
		return unsafe.Pointer(s)
	}
	return unsafe.Pointer(&s.CPUs[c])
}

// get returns v's value in s, for the action's CPU c and slot j.
func (v *vref) get(s *State, c, j int) int64 { return int64(v.ref[j].load(v.base(s, c))) }

// put sets v to x in s, for the action's CPU c and slot j.
func (v *vref) put(s *State, c, j int, x int64) { v.ref[j].store(v.base(s, c), uint64(x)) }

// eval returns the value of e in s.
func (e *linear) eval(s *State, c, j int) int64 {
	x := e.val
	for i := range e.terms {
		x += e.terms[i].val * e.terms[i].v.get(s, c, j)
	}
	return x
}

// holds reports whether every condition of cs holds in s for the action's
// CPU c and slot j.
func (m *Model) holds(s *State, c, j int, cs []cond) bool {
	for i := range cs {
		k := &cs[i]
		if k.single {
			if x := k.v.get(s, c, j); x < k.lo || x > k.hi {
				return false
			}
			continue
		}
		if !m.holds1(s, c, j, k) {
			return false
		}
	}
	return true
}

func (m *Model) holds1(s *State, c, j int, k *cond) bool {
	switch k.kind {
	case condAny:
		for i := range k.any {
			if m.holds1(s, c, j, &k.any[i]) {
				return true
			}
		}
		return false
	case condSomeCPU:
		for i := range s.CPUs {
			for _, r := range m.layout.byDom[domPhase] {
				if Phase(r.load(unsafe.Pointer(&s.CPUs[i]))) == k.ph {
					return true
				}
			}
		}
		return false
	case condAdmit:
		return m.design.Admit(View{s, &m.params}, c)
	case condHandOver:
		return m.design.HandOver(View{s, &m.params}, c)
	}
	l, r := k.l.eval(s, c, j), k.r.eval(s, c, j)
	switch k.op {
	case opLT:
		return l < r
	case opGT:
		return l > r
	}
	return l == r
}

// instances returns the number of CPUs and of slots a rule of scope sc has
// instances for.
func instances(sc scope, n int) (cpus, slots int) {
	switch sc {
	case scopeGlobal:
		return 1, 1
	case scopeCPU:
		return n, 1
	}
	return n, 2
}

// enabled appends the transitions of the table enabled in s (Enabled).
func (m *Model) enabled(s *State, buf []Action) []Action {
	if s.Stuck {
		return buf
	}
	for ri := range m.rules {
		r := &m.rules[ri]
		cpus, slots := instances(r.scope, len(s.CPUs))
		for c := 0; c < cpus; c++ {
			for j := 0; j < slots; j++ {
				if m.holds(s, c, j, r.guard) {
					buf = m.branches(s, r, c, j, buf)
				}
			}
		}
	}
	return buf
}

// branches appends the enabled branches of rule r at CPU c and slot j,
// whose guard holds.
func (m *Model) branches(s *State, r *rule, c, j int, buf []Action) []Action {
	a := Action{Kind: r.kind, CPU: uint8(c), Slot: uint8(j)}
	for i := range r.choose {
		ch := &r.choose[i]
		if !m.holds(s, c, j, ch.guard) {
			continue
		}
		if !ch.miss {
			a.Free = r.branches[ch.branch].free
			return append(buf, a)
		}
		br := m.miss(s, c)
		for _, a.Free = range br.list() {
			buf = append(buf, a)
		}
		return buf
	}
	for i := range r.branches {
		if b := &r.branches[i]; m.holds(s, c, j, b.guard) {
			a.Free, a.Refill = b.free, b.refill
			buf = append(buf, a)
		}
	}
	return buf
}

// miss returns the branches of free(c) after a cache miss in s
// (missBranches).
func (m *Model) miss(s *State, c int) branches {
	switch {
	case !m.pol:
		return missBranches(m.design.Miss(View{s, &m.params}, c), s.Reserve > 0)
	case s.Reserve > 0:
		return m.missLeft
	}
	return m.missNone
}

// branchOf returns the rule and the branch of a.
func (m *Model) branchOf(a Action) (*rule, *branch) {
	ri, bi := m.branchIndex(a)
	if bi < 0 {
		return nil, nil
	}
	r := &m.rules[ri]
	return r, &r.branches[bi]
}

// branchIndex returns the indices of the rule and the branch of a, bi -1
// if none.
func (m *Model) branchIndex(a Action) (ri, bi int) {
	if int(a.Kind) >= len(m.byCase) || int(a.Free) > int(FreeLockless) || int(a.Refill) > int(RefillOne) {
		return 0, -1
	}
	return m.byKind[a.Kind], int(m.byCase[a.Kind][a.Free][a.Refill])
}

// applyFast is Apply by the generated code for the table's structure when
// there is one (generatedApply): the reference expander's. Apply itself
// interprets the table, the oracle.
func (m *Model) applyFast(s *State, a Action) {
	if m.genApply == nil {
		m.apply(s, a)
		return
	}
	if ri, bi := m.branchIndex(a); bi >= 0 {
		m.genApply(m, s, a, ri, bi)
	}
}

// apply performs a on s (Apply).
func (m *Model) apply(s *State, a Action) {
	r, b := m.branchOf(a)
	if b == nil {
		return
	}
	c, j := int(a.CPU), int(a.Slot)
	var rd CPUSet
	if b.rd {
		rd = s.RD()
	}
	for i := range r.common {
		m.effect(s, c, j, rd, &r.common[i])
	}
	for i := range b.effects {
		m.effect(s, c, j, rd, &b.effects[i])
	}
}

// effect performs e on s, for the action's CPU c and slot j, rd being the
// readers before the action.
func (m *Model) effect(s *State, c, j int, rd CPUSet, e *effect) {
	switch e.op {
	case effAdd:
		p, r := e.v.base(s, c), e.v.ref[j]
		r.store(p, r.load(p)+uint64(e.k))
	case effSet:
		e.v.put(s, c, j, e.val)
	case effOrRD:
		e.v.put(s, c, j, e.v.get(s, c, j)|int64(rd))
	case effSetRD:
		e.v.put(s, c, j, int64(rd))
	case effUnpin:
		m.unpin(s, c)
	case effAdvance:
		for i := range s.CPUs {
			for _, r := range m.layout.byDom[domPhase] {
				if p := unsafe.Pointer(&s.CPUs[i]); Phase(r.load(p)) == e.from {
					r.store(p, uint64(e.to))
				}
			}
		}
	case effHandOver:
		m.handOver(s, c, e.join)
	case effReclaim:
		cache, reserve := e.cache.get(s, c, j), e.pool.get(s, c, j)
		toPool, toCache := reclaimSplit(e.policy, int32(e.v.get(s, c, j)), int32(m.params.Reserve-int(reserve)), int32(m.params.Cache-int(cache)))
		e.pool.put(s, c, j, reserve+int64(toPool))
		e.cache.put(s, c, j, cache+int64(toCache))
	case effClearSlot:
		for _, r := range m.layout.slotRefs[j] {
			r.store(unsafe.Pointer(&s.CPUs[c]), 0)
		}
	}
}

// unpin removes CPU c from every CPU set, global or of any CPU.
func (m *Model) unpin(s *State, c int) {
	for _, r := range m.layout.hsets {
		r.store(unsafe.Pointer(s), r.load(unsafe.Pointer(s))&^(1<<uint(c)))
	}
	for i := range s.CPUs {
		for _, r := range m.layout.byDom[domSet] {
			p := unsafe.Pointer(&s.CPUs[i])
			r.store(p, r.load(p)&^(1<<uint(c)))
		}
	}
}

// handOver hands CPU c's channel over to its lowest FREE slot: each slot
// variable takes the channel variable it comes from, which becomes 0; the
// slot's phase is NEXT, or CUR when join is JoinRunning and gp runs.
func (m *Model) handOver(s *State, c int, join JoinPolicy) {
	l, p := &m.layout, unsafe.Pointer(&s.CPUs[c])
	j := 0
	if Phase(l.slots[0].phase.load(p)) != PhaseFree {
		j = 1
	}
	ph := PhaseNext
	if s.GPRunning && join == JoinRunning {
		ph = PhaseCur
	}
	l.slots[j].phase.store(p, uint64(ph))
	for _, mv := range l.slots[j].moves {
		mv[0].store(p, mv[1].load(p))
		mv[1].store(p, 0)
	}
}

// in reports whether x is within k's range (k.single).
func (k *cond) in(x int64) bool { return k.lo <= x && x <= k.hi }

// condSig describes the structure of guard cs as a generated Enabled
// (generatedEnabled) tests it: each comparison with its operator and
// variables (named by their places in the layout), "x" for the other
// conditions, which it asks holds1.
func condSig(cs []cond) string {
	var b strings.Builder
	for i := range cs {
		switch k := &cs[i]; {
		case k.single:
			fmt.Fprintf(&b, "%t%v,", k.v.hdr, k.v.idx)
		case k.kind == condCmp:
			fmt.Fprintf(&b, "%d(", k.op)
			for _, t := range append(append([]term(nil), k.l.terms...), k.r.terms...) {
				fmt.Fprintf(&b, "%t%v", t.v.hdr, t.v.idx)
			}
			fmt.Fprintf(&b, "%d),", len(k.l.terms))
		default:
			b.WriteString("x,")
		}
	}
	return b.String()
}

// rulesSig describes the structure of rules as far as a generated Enabled
// depends on it: each rule's scope, guard, choices and branches' guards.
func rulesSig(rules []rule) string {
	var b strings.Builder
	for i := range rules {
		r := &rules[i]
		fmt.Fprintf(&b, "%v:%d:%s", r.kind, r.scope, condSig(r.guard))
		for k := range r.choose {
			fmt.Fprintf(&b, "|c%d,%t:%s", r.choose[k].branch, r.choose[k].miss, condSig(r.choose[k].guard))
		}
		for k := range r.branches {
			fmt.Fprintf(&b, "|b:%s", condSig(r.branches[k].guard))
		}
		b.WriteString(";")
	}
	return b.String()
}

// effectsSig describes es as a generated Apply performs them: each
// effect's primitive and variable (its place in the layout).
func effectsSig(es []effect) string {
	var b strings.Builder
	for i := range es {
		fmt.Fprintf(&b, "%d%t%v,", es[i].op, es[i].v.hdr, es[i].v.idx)
	}
	return b.String()
}

// applySig describes the structure of rules as far as a generated Apply
// depends on it: each rule's scope and each branch's effects.
func applySig(rules []rule) string {
	var b strings.Builder
	for i := range rules {
		r := &rules[i]
		fmt.Fprintf(&b, "%v:%d:%s", r.kind, r.scope, effectsSig(r.common))
		for k := range r.branches {
			fmt.Fprintf(&b, "|%s", effectsSig(r.branches[k].effects))
		}
		b.WriteString(";")
	}
	return b.String()
}
