package properties

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

func design(t testing.TB, name string) model.Design {
	t.Helper()
	d, err := model.LookupDesign(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// exhaustiveShortest asks the checker (the whole state space at K=3 is
// too big for a test, but breadth first finds shallow violations early).
func exhaustiveShortest(t *testing.T, d model.Design, p model.Params, prop Property) int {
	t.Helper()
	m, err := model.New(d, p)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := ShortestLength(context.Background(), m, prop, 300000)
	if !ok {
		t.Fatalf("%s: the checker found no %s violation in 300000 states", d.Name(), prop.Name)
	}
	return n
}

// At the spec's defaults the fuzzer finds reserve's and limit's NoStuck
// and early's GracePeriod violations from every seed tried, and shrinks
// them to the checker's shortest length or one more.
func TestFindsViolationsAtDefaults(t *testing.T) {
	p := model.DefaultParams()
	tests := []struct {
		design string
		prop   Property
	}{
		{"reserve", NoStuck()},
		{"limit", NoStuck()},
		{"early", GracePeriod()},
	}
	for _, tc := range tests {
		shortest := exhaustiveShortest(t, design(t, tc.design), p, tc.prop)
		for seed := int64(1); seed <= 4; seed++ {
			res, err := Run(context.Background(), Config{Design: design(t, tc.design), Params: p, Props: []Property{tc.prop}, Seed: seed, Runs: 2000})
			if err != nil {
				t.Fatal(err)
			}
			pr := res.Props[0]
			if pr.Holds || pr.Witness == nil {
				t.Errorf("%s seed %d: %s not violated in %d runs", tc.design, seed, tc.prop.Name, res.Runs)
				continue
			}
			w := pr.Witness
			if n := len(w.Actions); n < shortest || n > shortest+1 {
				t.Errorf("%s seed %d: shrunk to %d steps (from %d), exhaustive shortest %d", tc.design, seed, n, w.UnshrunkLength, shortest)
			}
			checkWitness(t, w, tc.prop)
		}
	}
}

// checkWitness replays the witness strictly: every step enabled, the last
// state (and no earlier one) violating prop.
func checkWitness(t *testing.T, w *Witness, prop Property) {
	t.Helper()
	m, err := w.Model()
	if err != nil {
		t.Fatal(err)
	}
	s := m.Initial()
	for i, a := range w.Actions {
		if !prop.Holds(m, s, m.Metrics(s)) {
			t.Fatalf("witness violates %s already before step %d", prop.Name, i+1)
		}
		if err := m.Step(s, a); err != nil {
			t.Fatalf("witness step %d: %v", i+1, err)
		}
	}
	if prop.Holds(m, s, m.Metrics(s)) {
		t.Fatalf("witness %v ends in a state satisfying %s", w.Actions, prop.Name)
	}
}

// head and sync satisfy both invariants (the checker proves it at small
// K); the fuzzer must find nothing, with every profile.
func TestNoFalseAlarms(t *testing.T) {
	p := model.DefaultParams()
	p.Calls = 2
	for _, name := range []string{"head", "sync"} {
		for _, prof := range ProfileNames() {
			res, err := Run(context.Background(), Config{Design: design(t, name), Params: p, Seed: 5, Runs: 300, Profile: prof})
			if err != nil {
				t.Fatal(err)
			}
			if res.Violated() {
				t.Errorf("%s/%s: false alarm: %+v", name, prof, res.Props)
			}
			if res.Runs != 300 || res.StopReason != "runs" || !res.Complete {
				t.Errorf("%s/%s: runs %d stop %q complete %v", name, prof, res.Runs, res.StopReason, res.Complete)
			}
		}
	}
}

// At kernel sizes (B=508, C=5, N=8, K=10^6) the reserve runs dry.
func TestKernelSizeReserve(t *testing.T) {
	p := model.Params{CPUs: 8, Bulk: 508, Cache: 5, Reserve: 1, Calls: 1_000_000, Limit: 2}
	res, err := Run(context.Background(), Config{Design: design(t, "reserve"), Params: p, Props: []Property{NoStuck()}, Seed: 11, Runs: 40, Candidates: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Violated() {
		t.Fatalf("NoStuck not violated at kernel size in %d runs", res.Runs)
	}
	w := res.Props[0].Witness
	checkWitness(t, w, NoStuck())
	// Two CPUs with emptied caches take the one reserve page and then
	// need another: no witness can be shorter than 4 steps.
	if len(w.Actions) < 4 || len(w.Actions) > 6 {
		t.Errorf("kernel-size witness has %d steps: %v", len(w.Actions), w.Actions)
	}
}

func reportJSON(t *testing.T, res *Result) string {
	t.Helper()
	rep, err := res.Report(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSameSeedSameRun(t *testing.T) {
	cfg := Config{Design: design(t, "early"), Params: model.DefaultParams(), Seed: 42, Runs: 500, KeepGoing: true}
	a, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ja, jb := reportJSON(t, a), reportJSON(t, b); ja != jb {
		t.Fatalf("same seed, different reports:\n%s\n%s", ja, jb)
	}
	cfg.Seed = 43
	c, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Steps == c.Steps && a.Props[1].ViolatingRuns == c.Props[1].ViolatingRuns {
		t.Errorf("seeds 42 and 43 gave the same campaign (%d steps)", a.Steps)
	}
}

func TestGenParams(t *testing.T) {
	r := DefaultRanges()
	for _, name := range []string{"head", "limit"} {
		d := design(t, name)
		g := GenParams(d, r)
		for i := 0; i < 200; i++ {
			v, ok := g(genParamsFor(runSeed(1, i))).Retrieve()
			if !ok {
				t.Fatal("no value")
			}
			p := v.(model.Params)
			if _, err := model.New(d, p); err != nil {
				t.Fatalf("generated %s: %v", p, err)
			}
			if p.CPUs > 64 || p.Bulk > 510 || p.Cache > 8 || p.Calls > 1_000_000 {
				t.Fatalf("out of range: %s", p)
			}
		}
	}
	// With drawn parameters the reserve still runs dry, and the witness
	// carries its own parameters.
	res, err := Run(context.Background(), Config{Design: design(t, "reserve"), GenParams: true, Props: []Property{NoStuck()}, Seed: 3, Runs: 300, Candidates: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Violated() {
		t.Fatal("no NoStuck violation with drawn parameters")
	}
	checkWitness(t, res.Props[0].Witness, NoStuck())
	bad := Ranges{CPUs: Range{2, 1}, Bulk: Range{1, 1}, Calls: Range{1, 1}, Limit: Range{1, 1}}
	if err := bad.Validate(); err == nil {
		t.Error("empty range accepted")
	}
}

// A metric bound that fails: the witness is shrunk to the checker's
// shortest path to a violating state (the bound becomes an invariant of the
// checker's model).
func TestBoundProperty(t *testing.T) {
	p := model.DefaultParams()
	prop, err := Bound("pages <= N*C + 1")
	if err != nil {
		t.Fatal(err)
	}
	shortest := exhaustiveShortest(t, design(t, "head"), p, prop)
	res, err := Run(context.Background(), Config{Design: design(t, "head"), Params: p, Props: []Property{prop}, Seed: 9, Runs: 500})
	if err != nil {
		t.Fatal(err)
	}
	w := res.Props[0].Witness
	if w == nil {
		t.Fatal("bound not violated")
	}
	checkWitness(t, w, prop)
	if len(w.Actions) != shortest {
		t.Errorf("bound witness %d steps, shortest %d: %v", len(w.Actions), shortest, w.Actions)
	}
	// A bound that holds: pages never exceed N*(C + 1 + 2*ceil(K/B)).
	ok, _ := Bound("pages <= N*(C + 1 + 2*((K + B - 1)/B))")
	res, err = Run(context.Background(), Config{Design: design(t, "head"), Params: p, Props: []Property{ok}, Seed: 9, Runs: 300})
	if err != nil {
		t.Fatal(err)
	}
	if res.Violated() {
		t.Errorf("a true bound was violated: %v", res.Props[0].Witness.Actions)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, Config{Design: design(t, "head"), Params: model.DefaultParams(), Seed: 1, Runs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete || res.StopReason != "interrupted" || res.Runs != 0 {
		t.Errorf("cancelled run: complete %v stop %q runs %d", res.Complete, res.StopReason, res.Runs)
	}
}

func TestRunConfigErrors(t *testing.T) {
	p := model.DefaultParams()
	div, _ := Bound("pages <= pending/(C-1)")
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no design", Config{Params: p, Runs: 1}},
		{"no budget", Config{Design: design(t, "head"), Params: p}},
		{"bad params", Config{Design: design(t, "head"), Params: model.Params{CPUs: 0, Bulk: 1}, Runs: 1}},
		{"bad profile", Config{Design: design(t, "head"), Params: p, Runs: 1, Profile: "nope"}},
		{"division by zero", Config{Design: design(t, "head"), Params: p, Runs: 1, Props: []Property{div}}},
		{"duplicate property", Config{Design: design(t, "head"), Params: p, Runs: 1, Props: []Property{NoStuck(), NoStuck()}}},
	}
	for _, tc := range tests {
		if _, err := Run(context.Background(), tc.cfg); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
