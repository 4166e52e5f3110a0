package spin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

func TestParseFixture(t *testing.T) {
	out, err := os.ReadFile("testdata/pan-head-N2K1.txt")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{StatesStored: 7200, StatesMatched: 29953, Transitions: 37153, Depth: 59, StateVector: 44, MemoryMB: 5.829, ElapsedSec: 0.04}
	if s != want {
		t.Fatalf("Parse = %+v\nwant    %+v", s, want)
	}
	if s.SpecTransitions() != 37152 {
		t.Fatalf("SpecTransitions = %d, want 37152", s.SpecTransitions())
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, out, want string }{
		{"empty", "", "no states stored line"},
		{"no depth", "  10 states, stored\n  2 states, matched\n  12 transitions (= stored+matched)\n", "no depth reached"},
		{"huge", "  99999999999999999999999 states, stored\n", "bad states stored"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse error %v, want one containing %q", err, c.want)
			}
		})
	}
	s, err := Parse("pan: out of memory\nState-vector 44 byte, depth reached 3, errors: 0\n 5 states, stored\n 1 states, matched\n 6 transitions (= stored+matched)\n")
	if err != nil || !s.Truncated {
		t.Fatalf("out-of-memory output: %+v, %v; want a truncated run", s, err)
	}
}

func FuzzParse(f *testing.F) {
	if out, err := os.ReadFile("testdata/pan-head-N2K1.txt"); err == nil {
		f.Add(string(out))
	}
	f.Add("State-vector 1 byte, depth reached 0, errors: 0\n 1 states, stored\n 0 states, matched\n 1 transitions (= stored+matched)\n")
	f.Fuzz(func(t *testing.T, out string) {
		s, err := Parse(out)
		if err == nil && s.Transitions > 0 && s.SpecTransitions() != s.Transitions-1 {
			t.Fatalf("SpecTransitions %d of %d", s.SpecTransitions(), s.Transitions)
		}
	})
}

// TestPromelaShape counts the d_steps of both encodings: one per action,
// CPU, slot and branch of free and refill, as counted here from the
// designs' definitions.
func TestPromelaShape(t *testing.T) {
	// free's branches: in-page, cache, then the miss plan's (alloc-ok,
	// reserve, lockless, fallback; reserve and stuck each under its own
	// condition on the pool); refill's: one, or two with a backoff.
	branches := map[string][2]int{
		"head": {4, 1}, "sync": {4, 1}, "reserve": {4, 1}, "limit": {5, 1}, "early": {4, 1},
		"linux-sleepable": {4, 2}, "linux-head": {3, 2}, "lockless": {4, 1}, "lockless-atomic": {4, 1},
	}
	if got := Designs(); len(got) != len(branches) {
		t.Errorf("Designs() = %v, want the %d built-in designs", got, len(branches))
	}
	for _, d := range model.AllDesigns() {
		b := branches[d.Name()]
		// per CPU: free's and refill's branches, read_lock, read_unlock,
		// monitor, 2 reclaims, wake, shrink; plus gp_start, gp_end
		want := 2*(b[0]+b[1]+7) + 2
		src, err := Promela(d, model.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(src, ":: d_step"); n != want {
			t.Errorf("%s: %d d_steps, want %d", d.Name(), n, want)
		}
		if _, ok := specDesigns[d.Name()]; !ok {
			continue
		}
		if src, err = specPromela(d, model.DefaultParams(), ""); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(src, ":: d_step"); n != want {
			t.Errorf("%s: the spec's encoding has %d d_steps, want %d", d.Name(), n, want)
		}
	}
	bad := model.DefaultParams()
	bad.CPUs = MaxCPUs + 1
	d, _ := model.LookupDesign("head")
	if _, err := Promela(d, bad); err == nil {
		t.Errorf("Promela accepted %d CPUs", bad.CPUs)
	}
	if _, err := Promela(hooked{d.(model.Policies)}, model.DefaultParams()); err == nil {
		t.Errorf("Promela printed a design that decides by a hook")
	}
}

// hooked is a design with a decision hook of its own, which has no text.
type hooked struct{ model.Policies }

// Admit admits every free.
func (hooked) Admit(model.View, int) bool { return true }

// requireTools skips t when spin or gcc is missing, except in CI
// (CI=true), where the differential test must run: there it fails.
func requireTools(t *testing.T) {
	t.Helper()
	if err := Tools(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the differential test against SPIN cannot run: %v", err)
		}
		t.Skipf("differential test against SPIN skipped (outside CI): %v", err)
	}
}

// diffPoint is one instance of the differential test.
type diffPoint struct {
	design string
	p      model.Params
	// spec: SPIN also runs on the spec's encoding (spec_test.go).
	spec bool
}

func (d diffPoint) String() string { return d.design + "/" + d.p.String() }

// diffPoints are the instances of TestDifferentialSPIN: every spec design
// at the defaults (N=2 B=2 C=1 R=1 L=2) with K=1 and K=2; every design at
// N=1 K=3; and points at other B, C, R, L and N: reserve with B=3 C=2 R=2,
// sync with B=3 C=2, limit with L=1, early with B=1 C=0, reserve at N=3.
// The spec's encoding runs at five of them, one per design. Then every
// realistic design, and two designs of the test's own (policies no
// built-in design has), at N=2 B=2 C=2 R=1 K=1: the table's encoding only.
func diffPoints() []diffPoint {
	var pts []diffPoint
	for _, d := range model.DesignNames() {
		for k := 1; k <= 2; k++ {
			p := model.DefaultParams()
			p.Calls = k
			pts = append(pts, diffPoint{design: d, p: p, spec: d == "head" && k == 1})
		}
		p := model.DefaultParams()
		p.CPUs, p.Calls = 1, 3
		pts = append(pts, diffPoint{design: d, p: p, spec: d == "sync"})
	}
	pts = append(pts,
		diffPoint{"reserve", model.Params{CPUs: 2, Bulk: 3, Cache: 2, Reserve: 2, Calls: 2, Limit: 2}, true},
		diffPoint{"sync", model.Params{CPUs: 2, Bulk: 3, Cache: 2, Reserve: 1, Calls: 2, Limit: 2}, false},
		diffPoint{"limit", model.Params{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 1, Calls: 2, Limit: 1}, true},
		diffPoint{"early", model.Params{CPUs: 2, Bulk: 1, Cache: 0, Reserve: 0, Calls: 2, Limit: 2}, true},
		diffPoint{"reserve", model.Params{CPUs: 3, Bulk: 1, Cache: 0, Reserve: 1, Calls: 1, Limit: 2}, false},
	)
	for _, d := range extraDesigns().Names() {
		pts = append(pts, diffPoint{design: d, p: model.Params{CPUs: 1, Bulk: 1, Cache: 2, Reserve: 2, Calls: 3, Limit: 2}})
	}
	return pts
}

// extraDesigns holds the realistic designs and two designs of the test's
// own, with the policies no built-in design has: reclaim to the cache
// first then the pool (cache-first, which also falls back on the pool
// after the allocator, then on rcu_head), and every page back to the
// allocator with no refill worker (to-allocator).
func extraDesigns() *model.Registry {
	r, err := model.NewRegistry(append(model.Realistic(),
		model.Policies{DesignName: "cache-first", Uses: model.Resources{Reserve: true},
			Plan:          model.Plan(model.FallbackHead, model.SourceAllocator, model.SourceReserve),
			ReclaimPolicy: model.ReclaimCacheFirst},
		model.Policies{DesignName: "to-allocator", Plan: model.Plan(model.FallbackSync, model.SourceAllocator),
			ReclaimPolicy: model.ReclaimAllocator, RefillPolicy: model.RefillNever},
	)...)
	if err != nil {
		panic(err)
	}
	return r
}

// encoding is a Promela encoding the differential test runs SPIN on.
type encoding struct {
	name    string
	promela func(d model.Design, p model.Params, prop string) (string, error)
}

// The encodings: the model's table printed (PromelaChecking), and the
// spec's, written by hand (specPromela).
var (
	tableEncoding = encoding{"table", PromelaChecking}
	specEncoding  = encoding{"spec", specPromela}
)

// TestDifferentialSPIN is the differential test of the engine and of the
// rules: SPIN, running the Promela encoding printed from the model's table
// and, at the points marked spec, the encoding written by hand from the
// spec, and rcucheck must find the same states, transitions and depth
// (SPIN's breadth-first search, BFSMode), the same verdicts on NoStuck and
// GracePeriod (asserted in the encoding) and the same length of the
// shortest counterexample. Drainable (AG EF pending = 0) is a
// branching-time property SPIN does not check; TestAgainstBruteForce and
// TestHandEnumeratedDesigns in model back it. The points run in parallel, each
// building and running one pan per property and encoding. Skips outside CI
// when spin or gcc is missing; fails in CI.
func TestDifferentialSPIN(t *testing.T) {
	requireTools(t)
	for _, pt := range diffPoints() {
		t.Run(pt.String(), func(t *testing.T) {
			t.Parallel()
			checkAgainstSPIN(t, pt)
		})
	}
}

// checkAgainstSPIN runs TestDifferentialSPIN's comparison on one point.
func checkAgainstSPIN(t *testing.T, pt diffPoint) {
	d, err := model.BuiltinRegistry().Lookup(pt.design)
	if err != nil {
		d, err = extraDesigns().Lookup(pt.design)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(d, pt.p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := checker.Explore(context.Background(), m.Checkable(), checker.Options{SkipGoals: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	encs := []encoding{tableEncoding}
	if pt.spec {
		encs = append(encs, specEncoding)
	}
	vectors := map[int]bool{} // the state vectors' sizes
	for _, enc := range encs {
		for _, inv := range res.Invariants {
			vectors[compareSPIN(t, m, res, inv, enc)] = true
		}
	}
	if len(vectors) != 1 {
		t.Errorf("state vectors of %v bytes: both encodings must hold the same variables in the same types", vectors)
	}
}

// compareSPIN runs SPIN on enc's encoding of m asserting inv, compares
// its figures with rcucheck's result res, and returns the size of its
// state vector.
func compareSPIN(t *testing.T, m *model.Model, res *checker.Result, inv checker.PropertyResult, enc encoding) int {
	t.Helper()
	ctx := context.Background()
	src, err := enc.promela(m.Design(), m.Params(), inv.Name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile(ctx, filepath.Join(t.TempDir(), "pan"), src, BFSMode())
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Run(ctx, append(RunArgs(res.States), "-c0"))
	if err != nil {
		t.Fatal(err)
	}
	if r.StatesStored != res.States || r.SpecTransitions() != res.Transitions || r.Depth != res.Depth || r.Truncated {
		t.Errorf("%s, %s encoding: SPIN %d states %d transitions depth %d (truncated %v); rcucheck %d states %d transitions depth %d",
			inv.Name, enc.name, r.StatesStored, r.SpecTransitions(), r.Depth, r.Truncated, res.States, res.Transitions, res.Depth)
	}
	spinLen := -1 // the shortest counterexample's length, -1 if none
	if r.Errors > 0 {
		spinLen = r.FirstErrorDepth + 1
	}
	rcuLen := -1
	if inv.Verdict == checker.Violated {
		rcuLen = len(inv.Trace.Steps)
	}
	if spinLen != rcuLen || (r.Errors > 0) != (inv.Verdict == checker.Violated) {
		t.Errorf("%s, %s encoding: SPIN %d errors, first %q at depth %d; rcucheck %s (shortest trace %d steps)",
			inv.Name, enc.name, r.Errors, r.FirstError, r.FirstErrorDepth, inv.Verdict, rcuLen)
	}
	t.Logf("%s, %s encoding: %d states, %d transitions, depth %d, %s (shortest %d) on both; pan %.1fs",
		inv.Name, enc.name, res.States, res.Transitions, res.Depth, inv.Verdict, rcuLen, r.Wall.Seconds())
	return r.StateVector
}

// TestDifferentialSPINDepthFirst runs the bench's default build (the plain
// mode's depth-first search, at -O2) on the instance of the recorded fixture
// and checks its counts against rcucheck's and the fixture's.
func TestDifferentialSPINDepthFirst(t *testing.T) {
	requireTools(t)
	p := model.DefaultParams()
	p.Calls = 1
	m, err := model.NewByName("head", p)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Promela(m.Design(), p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := checker.Explore(ctx, m.Checkable(), checker.Options{SkipGoals: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile(ctx, filepath.Join(t.TempDir(), "pan"), src, Modes()[0])
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Run(ctx, RunArgs(res.States))
	if err != nil {
		t.Fatal(err)
	}
	if r.StatesStored != res.States || r.SpecTransitions() != res.Transitions || r.Errors != 0 || r.Truncated {
		t.Errorf("SPIN %d states %d transitions (errors %d); rcucheck %d states %d transitions",
			r.StatesStored, r.SpecTransitions(), r.Errors, res.States, res.Transitions)
	}
	if r.StatesStored != 7200 || r.Transitions != 37153 {
		t.Errorf("SPIN %d states %d transitions; testdata/pan-head-N2K1.txt records 7200 and 37153", r.StatesStored, r.Transitions)
	}
}

// TestParseRounded: pan prints counts of 10^8 and more with 8 significant
// digits; Parse reads them and says so.
func TestParseRounded(t *testing.T) {
	out := "State-vector 44 byte, depth reached 60, errors: 0\n 31395028 states, stored\n1.5579671e+08 states, matched\n1.8719174e+08 transitions (= stored+matched)\n"
	s, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Rounded || s.StatesStored != 31395028 || s.Transitions != 187191740 {
		t.Fatalf("Parse = %+v", s)
	}
	if RoundCount(187191741) != s.Transitions {
		t.Fatalf("RoundCount(187191741) = %d, want %d", RoundCount(187191741), s.Transitions)
	}
}
