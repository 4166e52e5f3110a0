package spin

import (
	"fmt"
	"strings"

	"github.com/rcucheck/rcucheck/model"
)

// This file is the oracle of the table of rules: a Promela encoding of the
// reference model written by hand from the spec
// (../shared/docs/reference-model.md), action by action, not from the
// model's code. TestDifferentialSPIN runs SPIN on it at a few points
// (diffPoint.spec) beside the encoding printed from the table (Promela),
// and both must give rcucheck's figures. Its variables are named apart
// from the table's (sph, spages, ... for the slots) so that nothing of the
// printer leaks into it; it shares only gen's plumbing (macros, d_steps).

// specDesign is how the specification defines one of its five designs.
type specDesign struct {
	alloc    bool   // free may call the page allocator
	fallback string // "head", "sync" or "reserve"
	reserve  bool   // the emergency reserve of R pages
	limit    bool   // free waits while inflight(c) >= L
	joins    bool   // a batch handed over during a grace period joins it (early)
}

// specDesigns are the designs of the reference model, as the spec states them.
var specDesigns = map[string]specDesign{
	"head":    {alloc: true, fallback: "head"},
	"sync":    {alloc: true, fallback: "sync"},
	"reserve": {fallback: "reserve", reserve: true},
	"limit":   {alloc: true, fallback: "reserve", reserve: true, limit: true},
	"early":   {alloc: true, fallback: "head", joins: true},
}

// specPromela returns the oracle's encoding of the spec's design d at p,
// asserting the spec's property prop after every transition when prop is
// not empty.
func specPromela(d model.Design, p model.Params, prop string) (string, error) {
	m, err := model.New(d, p)
	if err != nil {
		return "", err
	}
	p = m.Params()
	sd, ok := specDesigns[d.Name()]
	if !ok {
		return "", fmt.Errorf("the spec has no design %q", d.Name())
	}
	if err := fits(p); err != nil {
		return "", err
	}
	var b strings.Builder
	g := &specGen{gen: gen{w: &b}, n: p.CPUs, p: p, sd: sd}
	if prop != "" {
		var ok bool
		if g.assert, ok = specAssertion(prop, p.CPUs); !ok {
			return "", fmt.Errorf("the spec has no invariant %q", prop)
		}
	}
	g.header(d.Name())
	g.body()
	return b.String(), g.err
}

// specAssertion returns the spec's invariant prop over the oracle's
// variables for n CPUs, and false for another name.
func specAssertion(prop string, n int) (string, bool) {
	switch prop {
	case model.PropNoStuck: // stuck is never true
		return "!stuck", true
	case model.PropGracePeriod: // no slot DONE with a non-empty bpin, no blk DONE with a non-empty blkpin
		var terms []string
		for c := 0; c < n; c++ {
			terms = append(terms, fmt.Sprintf("!(blk[%d] == DONE && blkpin[%d] != 0)", c, c))
			for k := 2 * c; k <= 2*c+1; k++ {
				terms = append(terms, fmt.Sprintf("!(sph[%d] == DONE && spin[%d] != 0)", k, k))
			}
		}
		return strings.Join(terms, " && "), true
	}
	return "", false
}

// specGen writes the oracle's encoding.
type specGen struct {
	gen
	n  int
	p  model.Params
	sd specDesign
}

func (g *specGen) header(design string) {
	g.f("/* The reference model of kvfree_rcu, design %s, %s, written by hand\n", design, g.p)
	g.f("   from the spec (rcucheck's spin/spec_test.go): one d_step per transition. */\n\n")
	g.defines(g.p)
	g.f("#define FREE 0\n#define NEXT 1\n#define CUR  2\n#define DONE 3\n\n")
	g.f("bool gp;            /* RUN */\n")
	g.f("%s qs;\n", setType(g.n))
	g.f("byte reserve = R;\n")
	g.f("bool stuck;\n")
	g.f("byte calls[N];\nbool rd[N];\nbyte pages[N];\nbyte objs[N];\nbyte heads[N];\nbyte cache[N] = C;\nbyte blk[N];\n")
	g.f("%s pin[N];\n%s blkpin[N];\n", setType(g.n), setType(g.n))
	g.f("/* slot j of CPU c is index 2*c+j */\n")
	g.f("byte sph[2*N];\nbyte spages[2*N];\nbyte sobjs[2*N];\nbyte sheads[2*N];\n%s spin[2*N];\n\n", setType(g.n))
	g.readers("rd", g.n)
}

// opt writes a d_step: no action is enabled once stuck is true.
func (g *specGen) opt(comment, guard string, body ...string) {
	g.gen.opt(comment, "!stuck && "+guard, body...)
}

func (g *specGen) body() {
	g.f("active proctype rcu()\n{\nend:\tdo\n")
	for c := 0; c < g.n; c++ {
		g.free(c)
	}
	for c := 0; c < g.n; c++ {
		g.opt(fmt.Sprintf("read_lock(%d)", c), fmt.Sprintf("!rd[%d]", c), fmt.Sprintf("rd[%d] = true", c))
	}
	for c := 0; c < g.n; c++ {
		g.readUnlock(c)
	}
	for c := 0; c < g.n; c++ {
		g.monitor(c)
	}
	g.gracePeriod()
	for c := 0; c < g.n; c++ {
		for j := 0; j < 2; j++ {
			g.reclaim(c, j)
		}
	}
	for c := 0; c < g.n; c++ {
		g.opt(fmt.Sprintf("wake(%d)", c), fmt.Sprintf("blk[%d] == DONE", c), fmt.Sprintf("blk[%d] = FREE", c), fmt.Sprintf("blkpin[%d] = 0", c))
	}
	for c := 0; c < g.n; c++ {
		g.opt(fmt.Sprintf("refill(%d)", c), fmt.Sprintf("cache[%d] < C", c), fmt.Sprintf("cache[%d] = C", c))
	}
	for c := 0; c < g.n; c++ {
		g.opt(fmt.Sprintf("shrink(%d)", c), fmt.Sprintf("cache[%d] > 0", c), fmt.Sprintf("cache[%d] = 0", c))
	}
	g.f("\tod\n}\n")
}

// free writes the branches of free(c) (action 1 of the spec).
func (g *specGen) free(c int) {
	sd := g.sd
	base := fmt.Sprintf("calls[%d] < K && blk[%d] == FREE", c, c)
	if sd.limit {
		base += fmt.Sprintf(" && objs[%d] + heads[%d] + sobjs[%d] + sheads[%d] + sobjs[%d] + sheads[%d] < L", c, c, 2*c, 2*c, 2*c+1, 2*c+1)
	}
	full := fmt.Sprintf("objs[%d] >= pages[%d] * B", c, c)
	store := []string{fmt.Sprintf("objs[%d]++", c), fmt.Sprintf("pin[%d] = pin[%d] | RD", c, c)}
	calls := fmt.Sprintf("calls[%d]++", c)
	g.opt(fmt.Sprintf("free(%d)", c), base+fmt.Sprintf(" && objs[%d] < pages[%d] * B", c, c), append([]string{calls}, store...)...)
	g.opt(fmt.Sprintf("free(%d) cache", c), base+" && "+full+fmt.Sprintf(" && cache[%d] > 0", c),
		append([]string{calls, fmt.Sprintf("cache[%d]--", c), fmt.Sprintf("pages[%d]++", c)}, store...)...)
	need := base + " && " + full + fmt.Sprintf(" && cache[%d] == 0", c)
	if sd.alloc {
		g.opt(fmt.Sprintf("free(%d) alloc-ok", c), need, append([]string{calls, fmt.Sprintf("pages[%d]++", c)}, store...)...)
	}
	switch sd.fallback {
	case "head":
		g.opt(fmt.Sprintf("free(%d) alloc-fails rcu_head", c), need,
			calls, fmt.Sprintf("heads[%d]++", c), fmt.Sprintf("pin[%d] = pin[%d] | RD", c, c))
	case "sync":
		g.opt(fmt.Sprintf("free(%d) alloc-fails synchronize_rcu", c), need,
			calls, fmt.Sprintf("blk[%d] = NEXT", c), fmt.Sprintf("blkpin[%d] = RD", c))
	case "reserve":
		g.opt(fmt.Sprintf("free(%d) reserve", c), need+" && reserve > 0",
			append([]string{calls, "reserve--", fmt.Sprintf("pages[%d]++", c)}, store...)...)
		g.opt(fmt.Sprintf("free(%d) stuck", c), need+" && reserve == 0", calls, "stuck = true")
	}
}

// readUnlock writes read_unlock(c) (action 3).
func (g *specGen) readUnlock(c int) {
	mask := fmt.Sprintf("~(1 << %d)", c)
	body := []string{fmt.Sprintf("rd[%d] = false", c), fmt.Sprintf("qs = qs & %s", mask)}
	for i := 0; i < g.n; i++ {
		body = append(body,
			fmt.Sprintf("pin[%d] = pin[%d] & %s", i, i, mask),
			fmt.Sprintf("blkpin[%d] = blkpin[%d] & %s", i, i, mask),
			fmt.Sprintf("spin[%d] = spin[%d] & %s", 2*i, 2*i, mask),
			fmt.Sprintf("spin[%d] = spin[%d] & %s", 2*i+1, 2*i+1, mask))
	}
	g.opt(fmt.Sprintf("read_unlock(%d)", c), fmt.Sprintf("rd[%d]", c), body...)
}

// monitor writes monitor(c) (action 4).
func (g *specGen) monitor(c int) {
	phase := "NEXT"
	if g.sd.joins {
		phase = "(gp -> CUR : NEXT)"
	}
	take := func(k int) string {
		return fmt.Sprintf("sph[%d] = %s; spages[%d] = pages[%d]; sobjs[%d] = objs[%d]; sheads[%d] = heads[%d]; spin[%d] = pin[%d]",
			k, phase, k, c, k, c, k, c, k, c)
	}
	g.opt(fmt.Sprintf("monitor(%d)", c), fmt.Sprintf("pages[%d] + heads[%d] > 0 && (sph[%d] == FREE || sph[%d] == FREE)", c, c, 2*c, 2*c+1),
		fmt.Sprintf("if\n\t\t:: sph[%d] == FREE -> %s\n\t\t:: else -> %s\n\t\tfi", 2*c, take(2*c), take(2*c+1)),
		fmt.Sprintf("pages[%d] = 0; objs[%d] = 0; heads[%d] = 0; pin[%d] = 0", c, c, c, c))
}

// gracePeriod writes gp_start and gp_end (actions 5 and 6).
func (g *specGen) gracePeriod() {
	var anyNext []string
	var toCur, toDone []string
	for c := 0; c < g.n; c++ {
		anyNext = append(anyNext, fmt.Sprintf("blk[%d] == NEXT || sph[%d] == NEXT || sph[%d] == NEXT", c, 2*c, 2*c+1))
		toCur = append(toCur, fmt.Sprintf("blk[%d] = (blk[%d] == NEXT -> CUR : blk[%d])", c, c, c))
		toDone = append(toDone, fmt.Sprintf("blk[%d] = (blk[%d] == CUR -> DONE : blk[%d])", c, c, c))
		for k := 2 * c; k <= 2*c+1; k++ {
			toCur = append(toCur, fmt.Sprintf("sph[%d] = (sph[%d] == NEXT -> CUR : sph[%d])", k, k, k))
			toDone = append(toDone, fmt.Sprintf("sph[%d] = (sph[%d] == CUR -> DONE : sph[%d])", k, k, k))
		}
	}
	g.opt("gp_start", "!gp && ("+strings.Join(anyNext, " || ")+")", append([]string{"gp = true", "qs = RD"}, toCur...)...)
	g.opt("gp_end", "gp && qs == 0", append([]string{"gp = false"}, toDone...)...)
}

// reclaim writes reclaim(c, j) (action 7).
func (g *specGen) reclaim(c, j int) {
	k := 2*c + j
	var body []string
	left := fmt.Sprintf("spages[%d]", k)
	if g.sd.reserve {
		// The cache gets what the reserve leaves; both use the old
		// reserve, so the cache is updated first.
		left = fmt.Sprintf("(spages[%d] - MIN(spages[%d], R - reserve))", k, k)
		body = append(body,
			fmt.Sprintf("cache[%d] = cache[%d] + MIN(%s, C - cache[%d])", c, c, left, c),
			fmt.Sprintf("reserve = reserve + MIN(spages[%d], R - reserve)", k))
	} else {
		body = append(body, fmt.Sprintf("cache[%d] = cache[%d] + MIN(%s, C - cache[%d])", c, c, left, c))
	}
	body = append(body, fmt.Sprintf("sph[%d] = FREE; spages[%d] = 0; sobjs[%d] = 0; sheads[%d] = 0; spin[%d] = 0", k, k, k, k, k))
	g.opt(fmt.Sprintf("reclaim(%d,%d)", c, j), fmt.Sprintf("sph[%d] == DONE", k), body...)
}
