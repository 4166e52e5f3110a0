// Package spin compares rcucheck with the SPIN model checker on the
// reference model: it writes a Promela encoding of the model for a design
// and parameters, builds and runs SPIN's exhaustive safety search on it, and
// reads SPIN's figures back.
//
// The encoding has one process running one loop whose options are one
// d_step per transition of the spec (per action, CPU, slot and branch of
// free), each guarded by exactly the spec's enabling condition. SPIN's state
// vector then holds exactly the spec's variables (the process's location
// never changes), so that SPIN's "states, stored" is the spec's state count,
// and each d_step SPIN executes is one of the spec's transitions.
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

// assertion returns the spec's invariant prop as a Promela expression over
// the encoding's variables for n CPUs, and false for another name.
func assertion(prop string, n int) (string, bool) {
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

// WritePromela writes the Promela encoding of m to w.
func WritePromela(w io.Writer, m *model.Model) error { return writePromela(w, m, "") }

// writePromela writes the encoding of m, asserting property prop after
// every transition when prop is not empty.
func writePromela(w io.Writer, m *model.Model, prop string) error {
	p := m.Params()
	d := m.Design()
	sd, ok := specDesigns[d.Name()]
	if !ok {
		return fmt.Errorf("no Promela encoding for design %q: only the spec's designs (%s) have one", d.Name(), strings.Join(Designs(), ", "))
	}
	if p.CPUs > MaxCPUs {
		return fmt.Errorf("the Promela encoding supports at most %d CPUs, got %d", MaxCPUs, p.CPUs)
	}
	if p.Calls > 255 || p.Cache > 255 || p.Reserve > 255 || p.Bulk > 255 || p.Limit > 255 {
		return fmt.Errorf("the Promela encoding keeps counters in bytes: K, B, C, R and L must be at most 255 (%s)", p)
	}
	g := &gen{w: w, n: p.CPUs, p: p, d: d, sd: sd}
	if prop != "" {
		g.assert, _ = assertion(prop, p.CPUs)
	}
	g.header()
	g.body()
	return g.err
}

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

// Designs returns the names of the designs the encoding covers: the five
// of the specification.
func Designs() []string { return []string{"head", "sync", "reserve", "limit", "early"} }

type gen struct {
	w   io.Writer
	n   int
	p   model.Params
	d   model.Design
	sd  specDesign
	err error
	// assert, when not empty, is asserted at the end of every d_step.
	assert string
}

func (g *gen) f(format string, args ...any) {
	if g.err == nil {
		_, g.err = fmt.Fprintf(g.w, format, args...)
	}
}

func (g *gen) header() {
	p := g.p
	setType := "byte"
	if g.n > 8 {
		setType = "int"
	}
	g.f("/* rcucheck's reference model of kvfree_rcu, design %s, %s.\n", g.d.Name(), p)
	g.f("   Generated by rcucheck (package spin): one d_step per transition of the\n")
	g.f("   spec, so that SPIN's states stored is the spec's state count. */\n\n")
	g.f("#define N %d\n#define B %d\n#define C %d\n#define R %d\n#define K %d\n#define L %d\n\n", p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Calls, p.Limit)
	g.f("#define FREE 0\n#define NEXT 1\n#define CUR  2\n#define DONE 3\n")
	g.f("#define MIN(a, b) ((a) < (b) -> (a) : (b))\n\n")
	g.f("bool gp;            /* RUN */\n")
	g.f("%s qs;\n", setType)
	g.f("byte reserve = R;\n")
	g.f("bool stuck;\n")
	g.f("byte calls[N];\nbool rd[N];\nbyte pages[N];\nbyte objs[N];\nbyte heads[N];\nbyte cache[N] = C;\nbyte blk[N];\n")
	g.f("%s pin[N];\n%s blkpin[N];\n", setType, setType)
	g.f("/* slot j of CPU c is index 2*c+j */\n")
	g.f("byte sph[2*N];\nbyte spages[2*N];\nbyte sobjs[2*N];\nbyte sheads[2*N];\n%s spin[2*N];\n\n", setType)
	var rd []string
	for c := 0; c < g.n; c++ {
		rd = append(rd, fmt.Sprintf("(rd[%d] << %d)", c, c))
	}
	g.f("#define RD (%s)\n\n", strings.Join(rd, " | "))
}

// opt writes one option of the loop: a d_step with a guard and a body.
func (g *gen) opt(comment, guard string, body ...string) {
	g.f("\t:: d_step { /* %s */ !stuck && %s ->\n", comment, guard)
	for _, s := range body {
		g.f("\t\t%s;\n", s)
	}
	if g.assert != "" {
		g.f("\t\tassert(%s);\n", g.assert)
	}
	g.f("\t   }\n")
}

func (g *gen) body() {
	sd := g.sd
	g.f("active proctype rcu()\n{\nend:\tdo\n")
	for c := 0; c < g.n; c++ {
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
	for c := 0; c < g.n; c++ {
		g.opt(fmt.Sprintf("read_lock(%d)", c), fmt.Sprintf("!rd[%d]", c), fmt.Sprintf("rd[%d] = true", c))
	}
	for c := 0; c < g.n; c++ {
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
	for c := 0; c < g.n; c++ {
		phase := "NEXT"
		if sd.joins {
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
	for c := 0; c < g.n; c++ {
		for j := 0; j < 2; j++ {
			k := 2*c + j
			var body []string
			left := fmt.Sprintf("spages[%d]", k)
			if sd.reserve {
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
