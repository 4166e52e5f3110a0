package model

import (
	"strconv"
	"strings"
)

// This file holds the one description of the model's transitions: the
// table of rules (rules), one per action of the spec in Enabled's order,
// each with its guard and its branches as data, built for a design from
// its policies. The plain expander interprets it on the typed State
// (interp.go: Enabled and Apply), the fast one compiles it to word
// operations (fast.go), and text.go prints it. A variable is named as
// layout.go's descriptor names it.

// param is a parameter of the model a guard or an effect reads.
type param uint8

// The parameters; paramNone stands for the number 1.
const (
	paramNone param = iota
	paramK
	paramB
	paramC
	paramR
	paramL
)

// value returns the parameter's value in p (1 for paramNone).
func (q param) value(p *Params) int64 {
	switch q {
	case paramK:
		return int64(p.Calls)
	case paramB:
		return int64(p.Bulk)
	case paramC:
		return int64(p.Cache)
	case paramR:
		return int64(p.Reserve)
	case paramL:
		return int64(p.Limit)
	}
	return 1
}

// slotAct stands, as a variable's slot, for the slot of the action
// (reclaim(c, j)).
const slotAct = 2

// vref names a variable: a global one, or one of the action's CPU (in a
// given slot, the action's slot, or none).
type vref struct {
	name string
	slot int
	// Set by resolve: the variable is global (hdr) or a CPU's, and its
	// index in layout.header or layout.cpu and its typed field for each
	// slot j of the action.
	hdr bool
	idx [2]int
	ref [2]ref
}

// term is coef × param × variable (param paramNone for coef alone).
type term struct {
	v    vref
	coef int64
	p    param
	val  int64 // coef × p's value, set by resolve
}

// linear is a sum of terms plus k × param.
type linear struct {
	terms []term
	k     int64
	p     param
	val   int64 // k × p's value, set by resolve
}

// cmpOp is a comparison.
type cmpOp uint8

// The comparisons.
const (
	opLT cmpOp = iota
	opEQ
	opGT
)

// condKind says what a cond tests.
type condKind uint8

// The kinds of condition.
const (
	condCmp      condKind = iota // l op r
	condAny                      // one of any holds
	condSomeCPU                  // some CPU has a phase variable at ph
	condAdmit                    // the design's Admit hook
	condHandOver                 // the design's HandOver hook
)

// cond is one conjunct of a guard.
type cond struct {
	kind condKind
	l, r linear
	op   cmpOp
	any  []cond
	ph   Phase
	// Set by resolve when the comparison is of one variable with a
	// constant: it holds when lo <= v <= hi.
	single bool
	v      vref
	lo, hi int64
}

// effOp is an effect primitive.
type effOp uint8

// The effect primitives. The first four change one variable; the others
// are the structural moves of read_unlock, gp_start, gp_end, monitor and
// reclaim.
const (
	effAdd       effOp = iota // v += k
	effSet                    // v := k × p
	effOrRD                   // v |= RD
	effSetRD                  // v := RD
	effUnpin                  // remove the action's CPU from every CPU set of every CPU
	effAdvance                // on every CPU, every phase variable at from becomes to
	effHandOver               // the lowest FREE slot takes the channel (variables with from), in phase NEXT, or CUR when join is JoinRunning and gp runs
	effReclaim                // slot j's bpages go to reserve and cache by policy (reclaimSplit)
	effClearSlot              // every variable of the action's slot := 0
)

// effect is one change of a branch.
type effect struct {
	op       effOp
	v        vref
	k        int64
	p        param
	from, to Phase
	join     JoinPolicy
	policy   ReclaimPolicy
	// effReclaim: where the pages of v go, the pool and the cache.
	pool, cache vref
	val         int64 // effSet: k × p's value, set by resolve
}

// branch is one transition of a rule: its action's branch code, its own
// guard (beyond the rule's) and its effects after the rule's common ones.
type branch struct {
	free    FreeCase
	refill  RefillCase
	guard   []cond
	effects []effect
	// rd is set by resolve when the rule's common effects or these read
	// RD: Apply computes RD for these only.
	rd bool
}

// choice is one case of a rule that chooses its branches: when its guard
// holds (and no earlier choice's did), branch (an index into the rule's
// branches) is taken, or with miss the design's MissPlan decides.
type choice struct {
	guard  []cond
	branch int
	miss   bool
}

// scope says which instances of a rule there are.
type scope uint8

// The scopes.
const (
	scopeGlobal scope = iota // one
	scopeCPU                 // one per CPU
	scopeSlot                // one per CPU and slot
)

// rule is one action of the spec: its guard, the effects common to its
// branches, its branches and, for free, how they are chosen (else every
// branch whose guard holds is a transition, in order).
type rule struct {
	kind     Kind
	scope    scope
	guard    []cond
	common   []effect
	branches []branch
	choose   []choice
}

// Builders of the table.

// at returns the vref of a variable written as the spec writes it: "objs"
// (of the action's CPU, or global), "bobjs[0]" (slot 0), "phase[j]" (the
// action's slot).
func at(name string) vref {
	base, idx, ok := strings.Cut(strings.TrimSuffix(name, "]"), "[")
	switch {
	case !ok:
		return vref{name: name, slot: -1}
	case idx == "j":
		return vref{name: base, slot: slotAct}
	}
	j, err := strconv.Atoi(idx)
	if err != nil || j < 0 || j > 1 {
		panic("model: bad variable " + name)
	}
	return vref{name: base, slot: j}
}
func num(k int64) linear { return linear{k: k} }
func par(p param) linear { return linear{k: 1, p: p} }

// sum returns the sum of the variables called names.
func sum(names ...string) linear {
	var l linear
	for _, n := range names {
		l.terms = append(l.terms, term{v: at(n), coef: 1})
	}
	return l
}

// times returns the variable called name × p.
func times(name string, p param) linear { return linear{terms: []term{{v: at(name), coef: 1, p: p}}} }

// plus returns l + k.
func (l linear) plus(k int64) linear { l.k += k; return l }

func lt(l, r linear) cond          { return cond{kind: condCmp, l: l, op: opLT, r: r} }
func gt(l, r linear) cond          { return cond{kind: condCmp, l: l, op: opGT, r: r} }
func eq(v string, k int64) cond    { return cond{kind: condCmp, l: sum(v), op: opEQ, r: num(k)} }
func anyOf(cs ...cond) cond        { return cond{kind: condAny, any: cs} }
func add(v string, k int64) effect { return effect{op: effAdd, v: at(v), k: k} }
func set(v string, k int64) effect { return effect{op: effSet, v: at(v), k: k} }
func orRD(v string) effect         { return effect{op: effOrRD, v: at(v)} }
func setRD(v string) effect        { return effect{op: effSetRD, v: at(v)} }

// freeBranches are the branches of free(c), indexed by FreeCase (the
// first, FreeNone, is no branch): each one's effects beyond calls[c]++.
// A new branch of free is a FreeCase, its name in freeCaseNames and its
// line here (and, for a new page source, its place in missBranches).
func freeBranches() []branch {
	page := []effect{add("pages", 1), add("objs", 1), orRD("pin")}
	with := func(fc FreeCase, es ...effect) branch { return branch{free: fc, effects: es} }
	return []branch{
		FreeNone:     {},
		FreeInPage:   with(FreeInPage, add("objs", 1), orRD("pin")),
		FreeCache:    with(FreeCache, append([]effect{add("cache", -1)}, page...)...),
		FreeAllocOK:  with(FreeAllocOK, page...),
		FreeHead:     with(FreeHead, add("heads", 1), orRD("pin")),
		FreeSync:     with(FreeSync, set("blk", int64(PhaseNext)), setRD("blkpin")),
		FreeReserve:  with(FreeReserve, append([]effect{add("reserve", -1)}, page...)...),
		FreeStuck:    with(FreeStuck, set("stuck", 1)),
		FreeLockless: with(FreeLockless, append([]effect{add("reserve", -1)}, page...)...),
	}
}

// rules returns the table of design d, in Enabled's order. The design's
// policies shape it: its admission (a limit on inflight(c) for a Policies
// design, else its hook), its hand-over hook, its miss plan (missBranches),
// its join, reclaim and refill policies.
func rules(d Design) []rule {
	pol, isPol := d.(Policies)
	free := rule{kind: KindFree, scope: scopeCPU,
		guard:    []cond{lt(sum("calls"), par(paramK)), eq("blk", int64(PhaseNone))},
		common:   []effect{add("calls", 1)},
		branches: freeBranches(),
		choose: []choice{
			{guard: []cond{lt(sum("objs"), times("pages", paramB))}, branch: int(FreeInPage)},
			{guard: []cond{gt(sum("cache"), num(0))}, branch: int(FreeCache)},
			{miss: true},
		}}
	switch {
	case !isPol:
		free.guard = append(free.guard, cond{kind: condAdmit})
	case pol.LimitInflight:
		inflight := sum("objs", "heads", "bobjs[0]", "bheads[0]", "bobjs[1]", "bheads[1]")
		free.guard = append(free.guard, lt(inflight, par(paramL)))
	}
	monitor := rule{kind: KindMonitor, scope: scopeCPU,
		guard:    []cond{gt(sum("pages", "heads"), num(0)), anyOf(eq("phase[0]", int64(PhaseFree)), eq("phase[1]", int64(PhaseFree)))},
		branches: []branch{{effects: []effect{{op: effHandOver, join: d.Join()}}}}}
	if !isPol {
		monitor.guard = append(monitor.guard, cond{kind: condHandOver})
	}
	rs := []rule{
		free,
		one(KindReadLock, scopeCPU, []cond{eq("rd", 0)}, set("rd", 1)),
		one(KindReadUnlock, scopeCPU, []cond{eq("rd", 1)}, set("rd", 0), effect{op: effUnpin}),
		monitor,
		one(KindGPStart, scopeGlobal, []cond{eq("gp", 0), {kind: condSomeCPU, ph: PhaseNext}},
			set("gp", 1), setRD("qs"), effect{op: effAdvance, from: PhaseNext, to: PhaseCur}),
		one(KindGPEnd, scopeGlobal, []cond{eq("gp", 1), eq("qs", 0)},
			set("gp", 0), effect{op: effAdvance, from: PhaseCur, to: PhaseDone}),
		one(KindReclaim, scopeSlot, []cond{eq("phase[j]", int64(PhaseDone))},
			effect{op: effReclaim, v: at("bpages[j]"), pool: at("reserve"), cache: at("cache"), policy: d.Reclaim()}, effect{op: effClearSlot}),
		one(KindWake, scopeCPU, []cond{eq("blk", int64(PhaseDone))}, set("blk", int64(PhaseNone)), set("blkpin", 0)),
	}
	if refill := d.Refill(); refill != RefillNever {
		r := one(KindRefill, scopeCPU, []cond{lt(sum("cache"), par(paramC))}, effect{op: effSet, v: at("cache"), k: 1, p: paramC})
		if refill == RefillBackoff {
			r.branches = append(r.branches, branch{refill: RefillOne,
				guard: []cond{lt(sum("cache").plus(1), par(paramC))}, effects: []effect{add("cache", 1)}})
		}
		rs = append(rs, r)
	}
	return append(rs, one(KindShrink, scopeCPU, []cond{gt(sum("cache"), num(0))}, set("cache", 0)))
}

// one returns a rule with a single branch.
func one(k Kind, sc scope, guard []cond, es ...effect) rule {
	return rule{kind: k, scope: sc, guard: guard, branches: []branch{{effects: es}}}
}
