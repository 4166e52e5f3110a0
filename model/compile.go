package model

import (
	"fmt"
	"strings"
)

// This file compiles the table of rules (rules.go) to operations on packed
// words, for the fast expander: a guard to masks and comparisons of
// fields, a branch's effects to a delta word added, masks cleared and set,
// and the structural moves to the masks they need. All of it derives from
// the table and the layout; nothing here names a variable of the model.

// maskEq is the condition v&m == w.
type maskEq struct{ m, w uint64 }

// maskRange is the condition lo <= v&m <= lo+span, the bounds being in
// place (shifted like the fields of m): one field against constants, an
// equality of fields (span 0), or a sum of fields > 0 (lo 1).
type maskRange struct{ m, lo, span uint64 }

// never returns a maskRange that holds of no word.
func never() maskRange { return maskRange{m: 0, lo: 1, span: 0} }

// wordTerm is k × a field of the header (hdr) or of the CPU's word.
type wordTerm struct {
	f   field
	hdr bool
	k   int64
}

// wordLin is the condition sum(terms) < bound.
type wordLin struct {
	terms []wordTerm
	bound int64
}

// wordGuard is a guard on a CPU's packed word v and the header h.
type wordGuard struct {
	cpu      [2]maskRange // the first ranges on v (0s: none)
	hdr      maskRange    // the range on h
	more     bool         // one of the conditions below is set
	cpus     []maskRange  // the other ranges on v
	any      [][]maskEq   // for each: one of the equalities holds
	lin      []wordLin    // the other comparisons
	some     Phase        // some CPU has a phase variable at some (with hasSome)
	hasSome  bool
	admit    bool // the design's Admit hook
	handOver bool // the design's HandOver hook
}

// moveShape returns the shape of a rule of scope sc whose one branch has
// effects e, if it is one of the structural moves' (with counts beside
// it), else shapeGeneric.
func moveShape(sc scope, e *wordEffect) shape {
	if b2u(e.unpin)+b2u(e.advance)+b2u(e.handOver)+b2u(e.reclaim) != 1 || len(e.rd) != 0 {
		return shapeGeneric
	}
	switch {
	case sc == scopeCPU && e.unpin && len(e.hrd) == 0:
		return shapeUnpin
	case sc == scopeGlobal && e.advance && e.add|e.clr|e.set == 0:
		return shapeAdvance
	case sc == scopeCPU && e.handOver && len(e.hrd) == 0:
		return shapeHandOver
	case sc == scopeSlot && e.reclaim && len(e.hrd) == 0:
		return shapeReclaim
	}
	return shapeGeneric
}

// always reports whether g holds of every word.
func (g *wordGuard) always() bool {
	return g.cpu == [2]maskRange{} && g.hdr == maskRange{} && !g.more
}

// first reports whether g's first ranges on v and h hold.
func (g *wordGuard) first(v, h uint64) bool {
	return v&g.cpu[0].m-g.cpu[0].lo <= g.cpu[0].span && v&g.cpu[1].m-g.cpu[1].lo <= g.cpu[1].span &&
		h&g.hdr.m-g.hdr.lo <= g.hdr.span
}

// add adds r to the ranges on v (hdr false) or h.
func (g *wordGuard) add(r maskRange, hdr bool) {
	first := &g.cpu[0]
	if hdr {
		first = &g.hdr
	}
	switch {
	case *first == maskRange{}:
		*first = r
	case !hdr && g.cpu[1] == maskRange{}:
		g.cpu[1] = r
	case r.span == 0 && r.m != 0 && first.span == 0 && first.m != 0: // two equalities
		first.m |= r.m
		first.lo |= r.lo
	case hdr:
		panic("model: one condition on the header only, or equalities")
	default:
		g.cpus = append(g.cpus, r)
	}
}

// wordEffect is a branch's effects on a CPU's word v and the header h:
// v' = (v + add) &^ clr | set, with RD or'ed in at the offsets rd (and
// likewise for h), after the structural moves.
type wordEffect struct {
	add, clr, set    uint64
	hadd, hclr, hset uint64
	has              masks // the masks the effects write, at any parameters
	rd, hrd          []uint
	unpin            bool       // remove the CPU from every set of every CPU and of the header
	advance          bool       // every phase at from becomes to, on every CPU
	from, to         Phase      //
	handOver         bool       // the lowest FREE slot takes the channel
	join             JoinPolicy //
	reclaim          bool       // the slot's pages go to pool and cache by policy
	policy           ReclaimPolicy
	pages, cache     field // effReclaim's, in the CPU's word
	pool             field // effReclaim's, in the header
}

// masks records which of a wordEffect's masks its effects write, whatever
// the parameters (a set to C writes 0 at C = 0): the others are 0, and a
// generated walk leaves them out.
type masks uint8

// The masks, of the CPU's word and of the header (mHAdd...).
const (
	mAdd masks = 1 << iota
	mClr
	mSet
	mHAdd
	mHClr
	mHSet
)

// wordBranch is a compiled branch: its action codes, its guard and its
// effects.
type wordBranch struct {
	codes  []uint32 // codes[2c+j]: the action code at CPU c, slot j
	guard  wordGuard
	effect wordEffect
	simple bool // the effects change counts and flags, and RD or'ed in one set at most: no structural move
	// A simple branch or's RD << rdO & rdM in the CPU's word.
	rdO uint
	rdM uint64
}

// shape is how the fast expander walks a compiled rule: the shapes of
// rules whose effects are all simple have their own loops.
type shape uint8

// The shapes.
const (
	shapeGeneric  shape = iota // any rule
	shapeOne                   // per CPU, one simple branch without a guard of its own
	shapeCPU                   // per CPU, simple branches, each with its guard
	shapeChoose                // per CPU, simple branches chosen by the rule's choices
	shapeUnpin                 // per CPU, one branch: unpin and counts
	shapeAdvance               // global, one branch: advance and the header's counts and sets
	shapeHandOver              // per CPU, one branch: hand-over and counts
	shapeReclaim               // per CPU and slot, one branch: reclaim and counts
)

// step returns the CPU's word v and the header h after simple branch b, rd
// being the readers.
func (b *wordBranch) step(v, h, rd uint64) (nv, nh uint64) {
	e := &b.effect
	return (v+e.add)&^e.clr | e.set | rd<<(b.rdO&63)&b.rdM, (h+e.hadd)&^e.hclr | e.hset
}

// wordRule is a compiled rule, for each slot j (j = 0 only unless its scope
// is scopeSlot).
type wordRule struct {
	kind     Kind
	scope    scope
	shape    shape
	guard    [2]wordGuard
	branches [2][]wordBranch
	choose   [2][]wordChoice
}

// wordChoice is a compiled choice.
type wordChoice struct {
	guard  wordGuard
	branch int
	miss   bool
}

// compiler compiles a model's rules; its fields are the layout's registers.
type compiler struct {
	m    *Model
	cpu  []field // the register fields of l.cpu
	head []field // the fields of l.header in word 0
}

func newCompiler(m *Model) *compiler {
	c := &compiler{m: m}
	for i := range m.layout.cpu {
		c.cpu = append(c.cpu, fieldOf(&m.layout.cpu[i]))
	}
	for i := range m.layout.header {
		c.head = append(c.head, fieldOf(&m.layout.header[i]))
	}
	return c
}

// field returns v's register field for slot j.
func (k *compiler) field(v vref, j int) field {
	if v.hdr {
		return k.head[v.idx[j]]
	}
	return k.cpu[v.idx[j]]
}

// compile returns the compiled rules.
func (k *compiler) compile() []wordRule {
	out := make([]wordRule, len(k.m.rules))
	for i := range k.m.rules {
		r := &k.m.rules[i]
		w := &out[i]
		w.kind, w.scope = r.kind, r.scope
		for j := 0; j < 2; j++ {
			w.guard[j] = k.guard(r.guard, j)
			for _, b := range r.branches {
				eff := k.effects(b.effects, j)
				eff = k.merge(k.effects(r.common, j), eff)
				wb := wordBranch{guard: k.guard(b.guard, j), effect: eff}
				for c := 0; c < k.m.params.CPUs; c++ {
					for jj := 0; jj < 2; jj++ {
						a := Action{Kind: r.kind, CPU: uint8(c), Slot: uint8(jj), Free: b.free, Refill: b.refill}
						wb.codes = append(wb.codes, a.Code())
					}
				}
				wb.simple = len(eff.rd) <= 1 && len(eff.hrd) == 0 && !eff.unpin && !eff.advance && !eff.handOver && !eff.reclaim
				if len(eff.rd) == 1 {
					wb.rdO, wb.rdM = eff.rd[0], ^uint64(0)
				}
				w.branches[j] = append(w.branches[j], wb)
			}
			for _, ch := range r.choose {
				w.choose[j] = append(w.choose[j], wordChoice{guard: k.guard(ch.guard, j), branch: ch.branch, miss: ch.miss})
			}
		}
		w.shape = shapeOf(w)
	}
	return out
}

// shapeOf returns the shape of w.
func shapeOf(w *wordRule) shape {
	bs := w.branches[0]
	if len(bs) == 1 && len(w.choose[0]) == 0 && bs[0].guard.always() {
		if sh := moveShape(w.scope, &bs[0].effect); sh != shapeGeneric {
			return sh
		}
	}
	if w.scope != scopeCPU {
		return shapeGeneric
	}
	for i := range bs {
		if !bs[i].simple {
			return shapeGeneric
		}
	}
	switch {
	case len(w.choose[0]) > 0:
		return shapeChoose
	case len(bs) == 1 && bs[0].guard.always():
		return shapeOne
	}
	return shapeCPU
}

// guard compiles cs for slot j.
func (k *compiler) guard(cs []cond, j int) wordGuard {
	var g wordGuard
	for i := range cs {
		k.cond(&g, &cs[i], j)
	}
	g.more = len(g.cpus)+len(g.any)+len(g.lin) > 0 || g.hasSome || g.admit || g.handOver
	return g
}

// cond adds c to g.
func (k *compiler) cond(g *wordGuard, c *cond, j int) {
	switch c.kind {
	case condAny:
		var alt []maskEq
		for i := range c.any {
			var sub wordGuard
			k.cond(&sub, &c.any[i], j)
			if sub.hdr != (maskRange{}) || sub.cpu[0].span != 0 || sub.cpu[1] != (maskRange{}) || sub.more {
				panic("model: only equalities on a CPU's variables may be or'ed")
			}
			alt = append(alt, maskEq{sub.cpu[0].m, sub.cpu[0].lo})
		}
		g.any = append(g.any, alt)
		return
	case condSomeCPU:
		g.some, g.hasSome = c.ph, true
		return
	case condAdmit:
		g.admit = true
		return
	case condHandOver:
		g.handOver = true
		return
	}
	// Move everything to the left: sum(terms) op bound.
	terms, bound := k.terms(&c.l, &c.r, j)
	switch {
	case c.op == opEQ && len(terms) == 1 && terms[0].k == 1:
		t := terms[0]
		g.add(maskRange{m: t.f.bits(), lo: uint64(bound) << t.f.o}, t.hdr)
	case c.op == opEQ:
		panic(fmt.Sprintf("model: equality of a sum of variables is not supported (%v)", c))
	case c.op == opGT && bound == 0 && allCPU(terms, 1):
		var m uint64
		for _, t := range terms {
			m |= t.f.bits()
		}
		r := maskRange{m: m, lo: 1, span: m - 1}
		if m == 0 {
			r = never()
		}
		g.add(r, false)
	case len(terms) == 1 && terms[0].k == 1:
		f := terms[0].f
		lo, hi := int64(0), int64(f.m)
		if c.op == opLT {
			hi = min(hi, bound-1)
		} else {
			lo = max(lo, bound+1)
		}
		r := maskRange{m: f.bits(), lo: uint64(lo) << f.o, span: uint64(hi-lo) << f.o}
		if hi < lo {
			r = never()
		}
		g.add(r, terms[0].hdr)
	default:
		if c.op == opGT { // sum > b: -sum < -b
			for i := range terms {
				terms[i].k = -terms[i].k
			}
			bound = -bound
		}
		g.lin = append(g.lin, wordLin{terms, bound})
	}
}

// allCPU reports whether every term is of the CPU's word with coefficient k.
func allCPU(ts []wordTerm, k int64) bool {
	for _, t := range ts {
		if t.hdr || t.k != k {
			return false
		}
	}
	return true
}

// terms returns l - r as terms and the constant they compare with.
func (k *compiler) terms(l, r *linear, j int) ([]wordTerm, int64) {
	var ts []wordTerm
	for _, t := range l.terms {
		ts = append(ts, wordTerm{k.field(t.v, j), t.v.hdr, t.val})
	}
	for _, t := range r.terms {
		ts = append(ts, wordTerm{k.field(t.v, j), t.v.hdr, -t.val})
	}
	return ts, r.val - l.val
}

// effects compiles es for slot j.
func (k *compiler) effects(es []effect, j int) wordEffect {
	var w wordEffect
	for i := range es {
		e := &es[i]
		f := k.field(e.v, j)
		add, clr, set, rd := &w.add, &w.clr, &w.set, &w.rd
		has := masks(0) // mAdd, mClr, mSet for the header, shifted
		if e.v.hdr {
			add, clr, set, rd = &w.hadd, &w.hclr, &w.hset, &w.hrd
			has = 3
		}
		switch e.op {
		case effAdd:
			*add += uint64(e.k) * f.one()
			w.has |= mAdd << has
		case effSet:
			*clr |= f.bits()
			*set |= uint64(e.val) << f.o
			w.has |= mClr << has
			if e.k != 0 { // val is k × a parameter's value, or k
				w.has |= mSet << has
			}
		case effSetRD:
			*clr |= f.bits()
			*rd = append(*rd, f.o)
			w.has |= mClr << has
		case effOrRD:
			*rd = append(*rd, f.o)
		case effUnpin:
			w.unpin = true
		case effAdvance:
			w.advance, w.from, w.to = true, e.from, e.to
		case effHandOver:
			w.handOver, w.join = true, e.join
		case effReclaim:
			w.reclaim, w.policy = true, e.policy
			w.pages, w.cache, w.pool = k.field(e.v, j), k.field(e.cache, j), k.field(e.pool, j)
		case effClearSlot:
			for i, v := range k.m.layout.cpu {
				if v.slot == j {
					w.clr |= k.cpu[i].bits()
				}
			}
			w.has |= mClr
		}
	}
	return w
}

// merge returns the effects of a then b: both change distinct variables.
func (k *compiler) merge(a, b wordEffect) wordEffect {
	b.add += a.add
	b.clr |= a.clr
	b.set |= a.set
	b.hadd += a.hadd
	b.hclr |= a.hclr
	b.hset |= a.hset
	b.has |= a.has
	b.rd = append(append([]uint(nil), a.rd...), b.rd...)
	b.hrd = append(append([]uint(nil), a.hrd...), b.hrd...)
	if a.unpin || a.advance || a.handOver || a.reclaim {
		panic("model: a rule's common effects are counts and sets only")
	}
	return b
}

// sig describes the structure of g: which of its conditions it has. A
// walk generated for a guard of this structure tests exactly these.
func (g *wordGuard) sig() string {
	lin := ""
	for _, l := range g.lin {
		lin += "("
		for _, t := range l.terms {
			lin += fmt.Sprint(t.hdr)
		}
		lin += ")"
	}
	return fmt.Sprintf("%t%t%t/%d/%d/%s/%t%t%t", g.cpu[0] != maskRange{}, g.cpu[1] != maskRange{}, g.hdr != maskRange{},
		len(g.cpus), len(g.any), lin, g.hasSome, g.admit, g.handOver)
}

// sig describes the structure of e as far as a generated walk depends on
// it: which masks it writes (the code leaves out the others), and at how
// many offsets RD is or'ed in.
func (e *wordEffect) sig() string {
	return fmt.Sprintf("%06b/%d/%d", e.has, len(e.rd), len(e.hrd))
}

// sig describes the structure of w: its kind, scope and shape, and its
// guards, branches and choices as far as a generated walk depends on them
// (the constants they compile to are read at run time).
func (w *wordRule) sig() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v:%d:%d", w.kind, w.scope, w.shape)
	for j := 0; j < 2; j++ {
		fmt.Fprintf(&b, "[%s", w.guard[j].sig())
		for i := range w.branches[j] {
			br := &w.branches[j][i]
			fmt.Fprintf(&b, " b%s,%t,%s", br.guard.sig(), br.simple, br.effect.sig())
		}
		for _, ch := range w.choose[j] {
			fmt.Fprintf(&b, " c%s,%d,%t", ch.guard.sig(), ch.branch, ch.miss)
		}
		b.WriteString("]")
	}
	return b.String()
}

// tableSig describes the structure of rules: the key of generatedWalks.
func tableSig(rules []wordRule) string {
	var b strings.Builder
	for i := range rules {
		b.WriteString(rules[i].sig())
		b.WriteString(";")
	}
	return b.String()
}
