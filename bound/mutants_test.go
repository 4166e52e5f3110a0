package bound

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// mutant returns the built-in design base with its policies edited and its
// name changed: a design that should flip a claim.
func mutant(t *testing.T, base, name string, edit func(*model.Policies)) model.Design {
	t.Helper()
	d, err := model.LookupDesign(base)
	if err != nil {
		t.Fatal(err)
	}
	p := d.(model.Policies)
	p.DesignName = name
	edit(&p)
	return p
}

// claimCase is a claim computed with the designs of some roles replaced:
// none for the real designs, a mutant for a case that must flip it.
type claimCase struct {
	claim   string
	name    string
	designs map[string]model.Design
	verdict string
	basis   string
}

// claimCases: every claim once on the real designs, with the verdict and
// basis expected, and once per mutant that must flip it: the thread's
// claims are conclusions the machinery can reach either way, not constants.
func claimCases(t *testing.T) []claimCase {
	noFallback := func(p *model.Policies) { p.Plan = model.Plan(model.FallbackStuck, model.SourceAllocator) }
	return []claimCase{
		{"head-bounded", "real", nil, ClaimConfirmed, GroundStructural},
		{"head-bounded", "head without its rcu_head fallback", map[string]model.Design{
			"head": mutant(t, "head", "head-no-fallback", noFallback)}, ClaimRefuted, GroundComputed},
		{"headless-needs-sleep", "real", nil, ClaimConfirmed, GroundStructural + "+" + GroundComputed},
		{"headless-needs-sleep", "sync that may not sleep", map[string]model.Design{
			"sync": mutant(t, "sync", "sync-no-sleep", noFallback)}, ClaimRefuted, GroundComputed},
		{"headless-needs-sleep", "atomic context given the rcu_head fallback", map[string]model.Design{
			"reserve": mutant(t, "reserve", "reserve-with-head", func(p *model.Policies) {
				p.Plan = model.Plan(model.FallbackHead, model.SourceReserve)
			})}, ClaimRefuted, GroundStructural + "+" + GroundComputed},
		{"no-reserve-helps", "real", nil, ClaimConfirmed, GroundComputed},
		{"no-reserve-helps", "reserve with limit's admission limit", map[string]model.Design{
			"reserve": mutant(t, "reserve", "reserve-limited", func(p *model.Policies) {
				p.LimitInflight, p.Uses = true, model.Resources{Reserve: true, Limit: true}
			})}, ClaimRefuted, GroundComputed},
		{"limit-bounds", "real", nil, ClaimConfirmed, GroundComputed},
		{"limit-bounds", "limit without its admission limit", map[string]model.Design{
			"limit": mutant(t, "limit", "limit-unlimited", func(p *model.Policies) { p.LimitInflight = false })}, ClaimRefuted, GroundComputed},
		{"early-join", "real", nil, ClaimConfirmed, GroundComputed},
		{"early-join", "early made to wait for the next grace period", map[string]model.Design{
			"early": mutant(t, "early", "early-waits", func(p *model.Policies) { p.JoinPolicy = model.JoinNext })}, ClaimRefuted, GroundComputed},
		{"early-join", "head (the control) joining the running grace period", map[string]model.Design{
			"head": mutant(t, "head", "head-joins", func(p *model.Policies) { p.JoinPolicy = model.JoinRunning })}, ClaimRefuted, GroundComputed},
	}
}

// TestClaims tests the machinery behind the claims, not their conclusions:
// each claim comes out as expected on the real designs and flips on every
// mutant, and every claim has a mutant that flips it.
func TestClaims(t *testing.T) {
	cases := claimCases(t)
	for _, id := range ClaimIDs() {
		flipped := slices.ContainsFunc(cases, func(c claimCase) bool { return c.claim == id && c.designs != nil })
		if !flipped {
			t.Errorf("claim %s has no mutant that can refute it", id)
		}
	}
	for _, tc := range cases {
		t.Run(tc.claim+"/"+tc.name, func(t *testing.T) {
			o := DefaultClaimsOptions()
			o.MaxCalls, o.Designs, o.Only = 4, tc.designs, []string{tc.claim}
			cs, err := Claims(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 || cs[0].ID != tc.claim {
				t.Fatalf("got %d claims %+v, want %s", len(cs), cs, tc.claim)
			}
			c := cs[0]
			if c.Verdict != tc.verdict || c.Basis != tc.basis {
				t.Errorf("verdict %s basis %s, want %s %s; figure %q grounds %+v", c.Verdict, c.Basis, tc.verdict, tc.basis, c.Figure, c.Grounds)
			}
			if c.Figure == "" || len(c.Evidence) == 0 || len(c.Grounds) == 0 || c.Store != "exact" || c.OmissionProbability != 0 {
				t.Errorf("figure %q evidence %v grounds %v store %q p %g", c.Figure, c.Evidence, c.Grounds, c.Store, c.OmissionProbability)
			}
			for role, d := range tc.designs {
				if !strings.Contains(c.Design+" "+c.Figure+strings.Join(c.Evidence, " "), d.Name()) {
					t.Errorf("the claim does not name the %s design %s it ran: %q %q", role, d.Name(), c.Design, c.Figure)
				}
			}
		})
	}
}

// TestClaimsRealDetails pins what the real designs' claims must show
// beside their verdicts.
func TestClaimsRealDetails(t *testing.T) {
	o := DefaultClaimsOptions()
	o.MaxCalls = 4
	cs, err := Claims(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cs); got != len(ClaimIDs()) {
		t.Fatalf("%d claims, want %d", got, len(ClaimIDs()))
	}
	if !strings.Contains(cs[3].Figure, "N*fill(L) (fit on 16 grid points)") || !slices.ContainsFunc(cs[3].Caveats, func(s string) bool { return strings.Contains(s, "is a fit") }) {
		t.Errorf("limit claim figure %q caveats %v: want the formula N*fill(L) labelled as a fit", cs[3].Figure, cs[3].Caveats)
	}
	if w := cs[2].Analysis.Witness; w == nil || !w.Fair || len(w.Starved) != 0 {
		t.Errorf("no-reserve-helps: witness %+v, want a fair one", w)
	}
	if !strings.Contains(strings.Join(cs[2].Evidence, "\n"), "weakly fair witness") || !strings.Contains(cs[2].Figure, "fair cycle") {
		t.Errorf("no-reserve-helps does not say its witness is fair: %q %v", cs[2].Figure, cs[2].Evidence)
	}
	if g := cs[0].Grounds; len(g) == 0 || g[0].Kind != GroundStructural || !strings.Contains(g[0].Fact, "allocator, then rcu_head") {
		t.Errorf("head-bounded grounds %+v: want the structural fact read from head's miss plan first", g)
	}
	if len(cs[4].Trace) == 0 {
		t.Error("early claim without a trace")
	}
}

// TestClaimsFingerprint: with a fingerprint store every claim says so
// beside its verdict: store, omission probability, loss note, caveat.
func TestClaimsFingerprint(t *testing.T) {
	o := DefaultClaimsOptions()
	o.MaxCalls, o.Only = 3, []string{"head-bounded", "early-join"}
	o.Check.Fingerprint = true
	cs, err := Claims(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Store != "fingerprint" || c.OmissionProbability <= 0 || !strings.Contains(c.LossNote, "P(missed state)") || len(c.Caveats) == 0 {
			t.Errorf("%s: store %q p %g note %q caveats %v: want the fingerprint store said", c.ID, c.Store, c.OmissionProbability, c.LossNote, c.Caveats)
		}
	}
}

// TestClaimsBadOptions: an unknown role or claim is an error, not a
// silent default.
func TestClaimsBadOptions(t *testing.T) {
	for _, o := range []ClaimsOptions{
		{Designs: map[string]model.Design{"heap": model.Designs()[0]}},
		{Only: []string{"head-unbounded"}},
	} {
		base := DefaultClaimsOptions()
		base.Designs, base.Only = o.Designs, o.Only
		if _, err := Claims(context.Background(), base); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// TestNoStuckBranch checks the structural fact against exploration: a
// design NoStuckBranch clears never reaches a stuck state (every miss plan
// and fallback of the spec's sources, at R = 0 and 1, K = 3), and every
// fallback it does not clear is reachable as stuck somewhere.
func TestNoStuckBranch(t *testing.T) {
	plans := [][]model.Source{{model.SourceAllocator}, {model.SourceReserve}, {model.SourceAllocator, model.SourceReserve}, {}}
	for _, els := range []model.Fallback{model.FallbackHead, model.FallbackSync, model.FallbackStuck} {
		stuckSeen := false
		for _, srcs := range plans {
			d := model.Policies{DesignName: "m", Uses: model.Resources{Reserve: true}, Plan: model.Plan(els, srcs...)}
			ok, why := NoStuckBranch(d)
			if why == "" {
				t.Fatal("no reason given")
			}
			for r := 0; r <= 1; r++ {
				rep, err := model.Check(context.Background(), d, model.Params{CPUs: 1, Bulk: 2, Cache: 1, Reserve: r, Calls: 3}, checker.Options{SkipGoals: true})
				if err != nil {
					t.Fatal(err)
				}
				stuck := rep.Properties[model.PropNoStuck].Verdict == checker.Violated
				stuckSeen = stuckSeen || stuck
				if ok && stuck {
					t.Errorf("plan %v then %s, R=%d: NoStuckBranch says %q, yet a stuck state is reachable", srcs, els, r, why)
				}
			}
			if ok != (els != model.FallbackStuck) {
				t.Errorf("plan %v then %s: NoStuckBranch %v", srcs, els, ok)
			}
		}
		if els == model.FallbackStuck && !stuckSeen {
			t.Error("no stuck state for any plan ending in stuck: the test checks nothing")
		}
	}
	// A design of another type is not judged.
	if ok, _ := NoStuckBranch(stateDependent{model.Designs()[0].(model.Policies)}); ok {
		t.Error("a design with its own Miss was judged structurally")
	}
}

// stateDependent is a design whose Miss depends on the state.
type stateDependent struct{ model.Policies }

func (d stateDependent) Miss(v model.View, c int) model.MissPlan {
	if v.Reserve() > 0 {
		return d.Plan
	}
	return model.Plan(model.FallbackStuck)
}

// TestSpecDesign: the abstraction's soundness covers the spec's designs
// and recombinations of their policies, nothing else.
func TestSpecDesign(t *testing.T) {
	for _, d := range model.Designs() {
		if !AbstractionCovers(d) {
			t.Errorf("%s: not covered", d.Name())
		}
	}
	for _, tc := range claimCases(t) {
		for _, d := range tc.designs {
			if !AbstractionCovers(d) {
				t.Errorf("mutant %s: not covered", d.Name())
			}
		}
	}
	for _, d := range model.Realistic() {
		if AbstractionCovers(d) {
			t.Errorf("realistic %s: covered", d.Name())
		}
	}
	if AbstractionCovers(stateDependent{model.Designs()[0].(model.Policies)}) {
		t.Error("a design with its own Miss is covered")
	}
}

// TestRunProgress: every exhaustive run of a sweep and its proof reports
// through RunProgress, named by the run.
func TestRunProgress(t *testing.T) {
	var runs []string
	var mu sync.Mutex
	sw, _ := ParseSweep("calls=1..3")
	opt := Options{Check: checker.Options{ProgressEvery: time.Nanosecond},
		RunProgress: func(run string, p checker.Progress) {
			mu.Lock()
			defer mu.Unlock()
			if !slices.Contains(runs, run) {
				runs = append(runs, run)
			}
		}}
	if _, err := Analyze(context.Background(), design(t, "limit"), oneCPU(), sw, opt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"limit N=1 B=2 C=1 R=2 K=3 L=2", "abstraction of limit N=1 B=2 C=1 R=2"} {
		if !slices.ContainsFunc(runs, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Errorf("no progress from run %q; got %q", want, runs)
		}
	}
}

// TestCaveats: what is not exact in a result is said: a search that gave
// up (bounded-up-to), a fitted formula, an unfair witness.
func TestCaveats(t *testing.T) {
	sw, _ := ParseSweep("calls=1..3")
	tests := []struct {
		design string
		opt    Options
		want   []string
	}{
		{"limit", Options{NoProof: true, WitnessStates: 10}, []string{"bounded search only", "is a fit (fit on calls=1..3, 3 points)"}},
		{"reserve", Options{WitnessLimit: 2}, []string{"the witness starves a kernel worker"}},
		{"limit", Options{}, []string{"is a fit"}},
	}
	for _, tc := range tests {
		r, err := Analyze(context.Background(), design(t, tc.design), oneCPU(), sw, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(r.Caveats, "\n")
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s %+v: verdict %s, caveats %q lack %q", tc.design, tc.opt, r.Verdict, r.Caveats, w)
			}
		}
		if r.Store != "exact" || r.Lossy() || r.LossNote != "" {
			t.Errorf("%s: exact runs give loss %+v", tc.design, r.Loss)
		}
	}
}
