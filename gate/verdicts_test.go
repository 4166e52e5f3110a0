package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// headNoFallback is design head without its rcu_head fallback: a free that
// finds no page gets stuck. NoStuck is then computed, not by construction.
var headNoFallback = model.Policies{DesignName: "head-nofallback", DesignSummary: "head without rcu_head",
	Plan: model.Plan(model.FallbackStuck, model.SourceAllocator)}

// wrappedHead is design head behind a type of its own: its Miss could read
// the state, so nothing about it is judged by construction.
type wrappedHead struct{ model.Policies }

func (wrappedHead) Name() string { return "head-wrapped" }

func mutantRegistry(t *testing.T) *model.Registry {
	t.Helper()
	reg := model.BuiltinRegistry()
	for _, d := range []model.Design{headNoFallback, wrappedHead{model.Designs()[0].(model.Policies)}} {
		if err := reg.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

func runSrc(t *testing.T, reg *model.Registry, src string) *Result {
	t.Helper()
	f, err := Parse("g.toml", []byte(src), reg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func table(res *Result) string {
	var b bytes.Buffer
	WriteTable(&b, res)
	return b.String()
}

// Every kind of outcome a gate file can require fails on a design or grid
// where it does not hold: no check of the gate passes by construction
// unless it says so.
func TestEveryOutcomeKindCanFail(t *testing.T) {
	tests := []struct {
		name, check, detail string
	}{
		{"holds, mutant without fallback", `designs = ["head-nofallback"]` + "\ncalls = 1\nholds = [\"NoStuck\"]", "violated: shortest counterexample"},
		{"holds, user type", `designs = ["head-wrapped"]` + "\ncalls = 2\nholds = [\"Drainable\", \"NoStuck\"]\nbounds = [\"pages <= 1\"]", "violated: shortest counterexample"},
		{"violated", `designs = ["head"]` + "\ncalls = 1\nviolated = [\"NoStuck\"]", "holds, but the gate requires a violation"},
		{"bound on pages", `designs = ["head"]` + "\ncalls = 2\nbounds = [\"pages <= 1\"]", "violated: shortest counterexample of 2 steps"},
		{"bound on reserve_used, not by construction", `designs = ["reserve"]` + "\ncalls = 2\nbounds = [\"reserve_used < R\"]", "violated: shortest counterexample"},
		{"holds_every_k NoStuck", `designs = ["reserve"]` + "\nholds_every_k = [\"NoStuck\"]", "not proved for every K"},
		{"holds_every_k NoStuck, R below the least", `designs = ["limit"]` + "\nreserve = 1\nholds_every_k = [\"NoStuck\"]", "not proved for every K"},
		{"holds_every_k GracePeriod", `designs = ["early"]` + "\nholds_every_k = [\"GracePeriod\"]", "not proved for every K"},
		{"bounded_every_k", `designs = ["head"]` + "\nbounded_every_k = [\"pages\"]", "grows with K"},
		{"unbounded_every_k", `designs = ["limit"]` + "\nreserve = 2\nunbounded_every_k = [\"pages\"]", "bounded for every K: max pages = 3"},
		{"unbounded_every_k reserve_used", `designs = ["reserve"]` + "\nunbounded_every_k = [\"reserve_used\"]", "cannot grow with K"},
	}
	reg := mutantRegistry(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runSrc(t, reg, "[[check]]\nname = \"c\"\ncpus = 1\nbulk = 2\ncache = 1\n"+tc.check+"\n")
			if len(res.Rows) != 1 || res.Rows[0].Status != StatusFail || res.Passed || ExitCode(res) != ExitFail {
				t.Fatalf("want one FAIL row:\n%s", table(res))
			}
			var failed []Outcome
			for _, o := range res.Rows[0].Outcomes {
				if o.Status == OutcomeFailed {
					failed = append(failed, o)
				}
				if o.Passed == (o.Status == OutcomeFailed) {
					t.Errorf("outcome %s %s: passed=%v, status %q", o.Kind, o.What, o.Passed, o.Status)
				}
			}
			if len(failed) == 0 || !strings.Contains(failed[0].Detail, tc.detail) {
				t.Errorf("failed outcomes %+v, want a detail with %q", failed, tc.detail)
			}
		})
	}
}

func TestBoundByConstruction(t *testing.T) {
	p := model.Params{CPUs: 1, Bulk: 2, Cache: 1, Reserve: 1, Calls: 2}
	tests := []struct {
		bound   string
		reserve int
		want    bool
	}{
		{"reserve_used <= R", 1, true},
		{"reserve_used <= R", 0, true},
		{"reserve_used >= 0", 3, true},
		{"reserve_used <= 2*N", 2, true},
		{"reserve_used <= 2*N", 3, false},
		{"reserve_used < R", 1, false},
		{"reserve_used * reserve_used <= R", 2, false},
		{"reserve_used + pages <= 100", 1, false},
		{"pending >= 0", 1, false},
		{"reserve_used <= R", maxStructuralR + 1, false},
	}
	for _, tc := range tests {
		b, err := properties.ParseBound(tc.bound)
		if err != nil {
			t.Fatal(err)
		}
		q := p
		q.Reserve = tc.reserve
		if got, why := boundByConstruction(b, b.String(), q); got != tc.want || (got && why == "") {
			t.Errorf("%s at R=%d: %v (%q), want %v", tc.bound, tc.reserve, got, why, tc.want)
		}
	}
	designs := map[string]bool{"head": true, "sync": true, "early": true, "reserve": false, "limit": false}
	for _, d := range model.Designs() {
		if got, _ := noStuckByConstruction(d); got != designs[d.Name()] {
			t.Errorf("NoStuck of %s by construction: %v", d.Name(), got)
		}
	}
	for _, d := range []model.Design{headNoFallback, wrappedHead{model.Designs()[0].(model.Policies)}} {
		if got, _ := noStuckByConstruction(d); got {
			t.Errorf("NoStuck of %s by construction", d.Name())
		}
	}
}

// An outcome that holds by construction is reported as such in the table,
// JSON and JUnit, never as passed; a row made of them only is not run.
// Before issue 11, "reserve_used <= R" and bounded_every_k reserve_used
// were "pass" after an exploration that could not fail.
func TestByConstructionReported(t *testing.T) {
	src := "[[check]]\nname = \"pool\"\ndesigns = [\"reserve\"]\ncpus = 1\ncalls = 2\nbounds = [\"reserve_used <= R\"]\n" +
		"\n[[check]]\nname = \"pool every K\"\ndesigns = [\"reserve\"]\ncpus = 1\nbounded_every_k = [\"reserve_used\"]\n" +
		"\n[[check]]\nname = \"mixed\"\ndesigns = [\"head\"]\ncpus = 1\ncalls = 1\nholds = [\"NoStuck\", \"GracePeriod\"]\n"
	res := runSrc(t, model.BuiltinRegistry(), src)
	if !res.Passed || len(res.Rows) != 3 || res.ByConstruction != 3 || ExitCode(res) != ExitPass {
		t.Fatalf("passed=%v by construction=%d\n%s", res.Passed, res.ByConstruction, table(res))
	}
	for i, want := range []string{StatusByConstruction, StatusByConstruction, StatusPass} {
		if row := res.Rows[i]; row.Status != want || (want == StatusByConstruction && row.States != 0) {
			t.Errorf("row %d: status %q states %d, want %q", i, row.Status, row.States, want)
		}
	}
	if o := res.Rows[2].Outcomes; o[0].Status != OutcomeByConstruction || o[1].Status != OutcomePassed {
		t.Errorf("mixed row outcomes %+v", o)
	}
	out := table(res)
	for _, want := range []string{"by construction  pool ", "held by construction (not checked: they cannot fail)", "bound reserve_used <= R: holds by construction: it mentions only reserve_used",
		"bounded_every_k reserve_used: holds by construction", "3 outcomes held by construction"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"status": "holds by construction"`) || !strings.Contains(js.String(), `"status": "by construction"`) {
		t.Errorf("JSON lacks the by-construction status:\n%s", js.String())
	}
	suites := junitOf(t, res)
	// pool: 1 skipped; pool every K: 1 skipped; mixed: a pass and a skipped "(by construction)".
	if suites.Tests != 4 || suites.Skipped != 3 || suites.Failures != 0 {
		t.Fatalf("junit tests=%d skipped=%d failures=%d", suites.Tests, suites.Skipped, suites.Failures)
	}
	mixed := suites.Suites[2].Cases
	if mixed[0].Skipped != nil || mixed[1].Skipped == nil || !strings.HasSuffix(mixed[1].Name, "(by construction)") ||
		!strings.Contains(mixed[1].Skipped.Message, "holds NoStuck: holds by construction") {
		t.Errorf("mixed row testcases %+v", mixed)
	}
}

// A by-construction outcome is cross-checked against the run when there is
// one: a violation contradicts the model's rules and fails the row.
func TestByConstructionContradicted(t *testing.T) {
	s := &Spec{Holds: []string{model.PropNoStuck}}
	structural := map[string]Outcome{"holds NoStuck": {Kind: "holds", What: "NoStuck", Passed: true, Status: OutcomeByConstruction, Detail: "holds by construction: why"}}
	rep := &model.Report{Properties: map[string]model.PropertyReport{model.PropNoStuck: {Verdict: checker.Violated, Trace: []model.TraceStep{{Action: "free(0) stuck"}}}}}
	out := rowOutcomes(s, structural, rep, nil)
	if len(out) != 1 || out[0].Status != OutcomeFailed || out[0].Passed || !strings.Contains(out[0].Detail, "bug of rcucheck") {
		t.Errorf("outcomes %+v", out)
	}
}

// The gate's "grows with K" meets the evidence standard of rcucheck claims.
// Before issue 11 it took any bound.FindWitness result: design reserve at
// R = 1 "grew" its pages with a cycle that needs a larger reserve.
func TestGrowthEvidence(t *testing.T) {
	res := runSrc(t, model.BuiltinRegistry(), "[[check]]\nname = \"c\"\ndesigns = [\"reserve\", \"head\"]\ncpus = 1\nreserve = 1\nunbounded_every_k = [\"pages\"]\n")
	if len(res.Rows) != 2 {
		t.Fatalf("rows:\n%s", table(res))
	}
	if o := res.Rows[0].Outcomes[0]; o.Passed || o.Status != OutcomeUndecided || !strings.Contains(o.Detail, "needs more than R = 1") {
		t.Errorf("reserve at R=1: %+v", o)
	}
	o := res.Rows[1].Outcomes[0]
	for _, want := range []string{"grows with K", "replayed 8 times on the real model", "weakly fair"} {
		if !o.Passed || !strings.Contains(o.Detail, want) {
			t.Errorf("head: %+v lacks %q", o, want)
		}
	}
	// bound.GrowthEvidence's verdicts, as every-K outcomes: only a fair
	// cycle shows growth; any replayed cycle, fair or not, refutes a bound
	// over every run (before, an unfair one left bounded_every_k undecided).
	fair := &bound.Witness{Fair: true, Linear: true, Replay: []int64{3, 4, 5}}
	unfair := &bound.Witness{Starved: []string{"gp_end"}, Linear: true, Replay: []int64{3, 4, 5}}
	tests := []struct {
		g           bound.Growth
		wantBounded bool
		status      string
		detail      string
	}{
		{bound.Growth{Witness: fair, Fair: true, Why: "weakly fair"}, false, OutcomePassed, "grows with K"},
		{bound.Growth{Witness: fair, Fair: true, Why: "weakly fair"}, true, OutcomeFailed, "grows with K"},
		{bound.Growth{Witness: unfair, Why: "starves gp_end"}, false, OutcomeUndecided, "no evidence for a kernel whose workers run"},
		{bound.Growth{Witness: unfair, Why: "starves gp_end"}, true, OutcomeFailed, "starves gp_end"},
		{bound.Growth{Found: true, Why: "does not grow pages by the same amount"}, false, OutcomeUndecided, "does not grow"},
		{bound.Growth{Why: "no pumping cycle found"}, true, OutcomeUndecided, "no pumping cycle"},
	}
	for _, tc := range tests {
		o := growthOutcome(Outcome{What: "pages"}, tc.g, tc.wantBounded)
		if o.Status != tc.status || o.Passed != (tc.status == OutcomePassed) || !strings.Contains(o.Detail, tc.detail) {
			t.Errorf("growthOutcome(%+v, bounded %v) = %s %q, want %s %q", tc.g, tc.wantBounded, o.Status, o.Detail, tc.status, tc.detail)
		}
	}
}

// The witness search of an every-K row keeps the row's max_memory: the
// row is undecided, never a pass on an uncapped search (before, the
// search ignored the cap and head's pages "grew" under 1 MiB).
func TestEveryKMemoryCap(t *testing.T) {
	res := runSrc(t, model.BuiltinRegistry(), "[[check]]\nname = \"c\"\ndesigns = [\"head\"]\ncpus = 2\nmax_memory = 1\nunbounded_every_k = [\"pages\"]\n")
	o := res.Rows[0].Outcomes[0]
	if o.Passed || o.Status != OutcomeUndecided || !strings.Contains(o.Detail, "witness search") || !strings.Contains(o.Detail, "memory limit 1 MiB") {
		t.Errorf("outcome %+v\n%s", o, table(res))
	}
}

// A row computed with a fingerprint store says so in the table, JSON and
// JUnit: never a plain pass.
func TestFingerprintRow(t *testing.T) {
	res := runSrc(t, model.BuiltinRegistry(), "[defaults]\nfingerprint = true\n[[check]]\nname = \"fp\"\ndesigns = [\"head\"]\ncpus = 1\ncalls = 2\nholds = [\"GracePeriod\"]\nbounds = [\"pages <= N*(C + K)\"]\n")
	row := res.Rows[0]
	if row.Status != StatusPass || row.Store != "fingerprint" || row.OmissionProbability <= 0 || !strings.HasPrefix(row.LossNote, "fingerprints: P(missed state) <=") {
		t.Fatalf("row %+v", row)
	}
	for _, o := range row.Outcomes {
		if !strings.Contains(o.Detail, row.LossNote) {
			t.Errorf("outcome %s %s: %q lacks the loss note", o.Kind, o.What, o.Detail)
		}
	}
	if out := table(res); !strings.Contains(out, "pass (fingerprints: P(missed state) <=") {
		t.Errorf("table:\n%s", out)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Rows []struct {
			Store string  `json:"store"`
			P     float64 `json:"omission_probability"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Rows[0].Store != "fingerprint" || back.Rows[0].P != row.OmissionProbability {
		t.Errorf("JSON rows %+v (%v)", back.Rows, err)
	}
	suites := junitOf(t, res)
	c := suites.Suites[0].Cases[0]
	if !strings.Contains(c.Name, "[fingerprints: P(missed state) <=") || c.Properties == nil || c.Properties.Props[0] != (junitProp{"store", "fingerprint"}) ||
		!strings.Contains(c.SystemOut, "verdicts rest on a fingerprint store") {
		t.Errorf("junit testcase %+v", c)
	}
}

// junitOf writes res as JUnit XML and reads it back.
func junitOf(t *testing.T, res *Result) junitSuites {
	t.Helper()
	var ju bytes.Buffer
	if err := WriteJUnit(&ju, res); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(ju.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	return suites
}
