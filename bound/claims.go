package bound

import (
	"context"
	"fmt"
	"strings"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// The verdicts on a claim of the thread.
const (
	ClaimConfirmed = "confirmed"
	ClaimRefuted   = "refuted"
	ClaimOpen      = "open" // rcucheck could not decide it
)

// Claim is one technical claim of the kernel thread and what rcucheck
// computed about it.
type Claim struct {
	ID      string `json:"id"`
	Who     string `json:"who"`
	Claim   string `json:"claim"`
	Design  string `json:"design"`
	Verdict string `json:"verdict"`
	// Figure is the claim's answer in one line (a bound, a formula, a
	// trace length), Evidence the details, Trace a trace when one shows it.
	Figure   string            `json:"figure"`
	Evidence []string          `json:"evidence"`
	Trace    []model.TraceStep `json:"trace,omitempty"`
	Analysis *Result           `json:"analysis,omitempty"`
}

// ClaimsOptions size the runs behind the claims.
type ClaimsOptions struct {
	// Base are the parameters of the sweeps (CPUs, Bulk, Cache); K is swept
	// over 1..MaxCalls.
	Base     model.Params
	MaxCalls int
	Check    checker.Options
	Progress func(string)
}

// DefaultClaimsOptions are the sizes rcucheck claims uses by default: one
// CPU (the witnesses and proofs need no more), B=2, C=1, K = 1..6.
func DefaultClaimsOptions() ClaimsOptions {
	p := model.DefaultParams()
	p.CPUs = 1
	return ClaimsOptions{Base: p, MaxCalls: 6}
}

// limitGrid is the set of points (N, B, L) on which the formula of the
// least reserve of design limit is fitted, each explored with no workload
// bound. They are kept small: the abstraction of N=2, L=2 has 0.66 M states,
// that of N=3, L=1 0.93 M.
func limitGrid() []model.Params {
	var ps []model.Params
	for b := 1; b <= 3; b++ {
		for l := 1; l <= 4; l++ {
			ps = append(ps, model.Params{CPUs: 1, Bulk: b, Cache: 1, Limit: l})
		}
	}
	for b := 1; b <= 3; b++ {
		ps = append(ps, model.Params{CPUs: 2, Bulk: b, Cache: 1, Limit: 1})
	}
	ps = append(ps, model.Params{CPUs: 2, Bulk: 2, Cache: 1, Limit: 2})
	return ps
}

// Claims computes the verdict on every technical claim of the thread
// (shared/seed/lkml-2020-09-25-peterz.txt). Every figure comes from runs
// made by this call.
func Claims(ctx context.Context, o ClaimsOptions) ([]Claim, error) {
	designs := map[string]model.Design{}
	for _, name := range []string{"head", "sync", "reserve", "limit", "early"} {
		d, err := model.LookupDesign(name)
		if err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
		designs[name] = d
	}
	design := func(name string) model.Design { return designs[name] }
	sw := Sweep{Param: "calls"}
	for k := 1; k <= o.MaxCalls; k++ {
		sw.Values = append(sw.Values, k)
	}
	analyze := func(name, fig string) (*Result, error) {
		return Analyze(ctx, design(name), o.Base, sw, Options{Figure: fig, Check: o.Check, Progress: o.Progress})
	}
	var claims []Claim

	// 1. head: bounded, and the bound.
	head, err := analyze("head", FigureLeastReserve)
	if err != nil {
		return claims, fmt.Errorf("claim head: %w", err)
	}
	headPages, err := analyze("head", FigurePages)
	if err != nil {
		return claims, fmt.Errorf("claim head: %w", err)
	}
	c := Claim{ID: "head-bounded", Who: "Peter Zijlstra",
		Claim:  "with the callback_head fallback the memory needed to free memory is bounded (\"You must have that callback_head fallback\")",
		Design: "head", Figure: verdictLine(head)}
	c.Verdict = confirmIf(head.Verdict == VerdictBounded && *head.Bound == 0, head.Verdict == VerdictBoundedUpTo)
	c.Evidence = append(c.Evidence, pointsLine(head), head.Why,
		fmt.Sprintf("pages held are opportunistic: %s (%s); a failed allocation never waits and needs no page", verdictLine(headPages), headPages.Why))
	c.Analysis = head
	claims = append(claims, c)

	// 2. sync holds; from atomic context there is no fallback.
	syn, err := analyze("sync", FigureLeastReserve)
	if err != nil {
		return claims, fmt.Errorf("claim sync: %w", err)
	}
	atomic := o.Base
	atomic.Reserve, atomic.Calls = 0, 1
	rep, err := model.Check(ctx, design("reserve"), atomic, withSkipGoals(o.Check))
	if err != nil {
		return claims, fmt.Errorf("claim sync: %w", err)
	}
	if !rep.Complete {
		return claims, fmt.Errorf("claim sync: %w: %s", ErrIncomplete, rep.StopReason)
	}
	ns := rep.Properties[model.PropNoStuck]
	c = Claim{ID: "headless-needs-sleep", Who: "Paul E. McKenney / Peter Zijlstra",
		Claim:  "the headless kvfree_rcu(ptr) has a fallback only where it may sleep (\"there is a fallback\"; \"call_rcu() can't block\")",
		Design: "sync, reserve", Trace: ns.Trace}
	c.Verdict = confirmIf(syn.Verdict == VerdictBounded && *syn.Bound == 0 && ns.Verdict == "violated", false)
	c.Figure = fmt.Sprintf("sync: %s; reserve with R=0: NoStuck %s in %d steps", verdictLine(syn), ns.Verdict, len(ns.Trace))
	c.Evidence = append(c.Evidence, "sync: "+pointsLine(syn), "sync: "+syn.Why,
		fmt.Sprintf("reserve (atomic context, no allocator, no reserve) at %s: shortest trace to a stuck free, %d steps: %s", rep.Params, len(ns.Trace), stepsText(ns.Trace)))
	c.Analysis = syn
	claims = append(claims, c)

	// 3. reserve: no reserve helps.
	res, err := analyze("reserve", FigureLeastReserve)
	if err != nil {
		return claims, fmt.Errorf("claim reserve: %w", err)
	}
	c = Claim{ID: "no-reserve-helps", Who: "Peter Zijlstra",
		Claim:  "\"you don't have a bound, so no reserve what so ever is going to help\" (single argument from atomic context)",
		Design: "reserve", Figure: verdictLine(res), Analysis: res}
	// Only a fair witness confirms the claim: a cycle in which a kernel
	// worker never runs, though it could, proves nothing about the kernel.
	fair := res.Witness != nil && res.Witness.Fair
	c.Verdict = confirmIf(res.Verdict == VerdictUnbounded && res.Trend.Kind == TrendGrowing && fair,
		res.Verdict == VerdictBoundedUpTo || (res.Verdict == VerdictUnbounded && !fair))
	c.Evidence = append(c.Evidence, pointsLine(res), res.Why)
	if w := res.Witness; w != nil {
		kind := "weakly fair witness (no kernel worker starved)"
		if !w.Fair {
			kind = "UNFAIR witness (starves " + strings.Join(w.Starved, ", ") + ")"
		}
		c.Evidence = append(c.Evidence, fmt.Sprintf("%s: prefix [%s], cycle [%s]; replayed reserve_used %v", kind, strings.Join(w.Prefix, ", "), strings.Join(w.Cycle, ", "), w.Replay),
			"along the cycle: "+WorkersText(w))
		for _, sp := range w.Exhausts {
			c.Evidence = append(c.Evidence, fmt.Sprintf("R=%d: stuck after %d repetitions (%d steps)", sp.Reserve, sp.Iterations, sp.Steps))
		}
	}
	claims = append(claims, c)

	// 4. limit: pre-allocate and strictly limit concurrency.
	lim, err := analyze("limit", FigureLeastReserve)
	if err != nil {
		return claims, fmt.Errorf("claim limit: %w", err)
	}
	var samples []Sample
	var grid []string
	for _, p := range limitGrid() {
		r, a, err := LeastReserveAllK(ctx, design("limit"), p, 0, p.CPUs*p.Limit+1, o.Check)
		if err != nil {
			return claims, fmt.Errorf("claim limit: %w", err)
		}
		if r < 0 {
			return claims, fmt.Errorf("claim limit: no reserve up to %d suffices at %s", p.CPUs*p.Limit+1, p)
		}
		p.Reserve, p.Calls = r, 0
		samples = append(samples, Sample{Params: p, Y: int64(r)})
		grid = append(grid, fmt.Sprintf("N=%d B=%d L=%d: %d (%d states)", p.CPUs, p.Bulk, p.Limit, r, a.States))
		if o.Progress != nil {
			o.Progress(fmt.Sprintf("limit, every K, N=%d B=%d L=%d: least reserve %d", p.CPUs, p.Bulk, p.Limit, r))
		}
	}
	f := Fit(samples)
	c = Claim{ID: "limit-bounds", Who: "Peter Zijlstra",
		Claim:  "\"pre-allocate (or size the reserve) ... and strictly limit concurrency to ensure you stay in your bounds\"",
		Design: "limit", Analysis: lim}
	c.Verdict = confirmIf(lim.Verdict == VerdictBounded, lim.Verdict == VerdictBoundedUpTo)
	c.Figure = verdictLine(lim)
	if f != nil {
		c.Figure += "; least R for every K = " + f.Text
	}
	c.Evidence = append(c.Evidence, pointsLine(lim), lim.Why)
	if f != nil {
		c.Evidence = append(c.Evidence, fmt.Sprintf("least R for every K (counter abstraction) fits %s on all %d points of the grid, where fill(x) = min(x,3) + floor(max(x-3,0)/B) pages hold x objects in a channel and two batches", f.Text, f.Points))
	} else {
		c.Evidence = append(c.Evidence, "no formula of the family fits every point of the grid")
	}
	c.Evidence = append(c.Evidence, "grid (least R for every K): "+strings.Join(grid, "; "))
	claims = append(claims, c)

	// 5. early: the shortest trace freeing memory under a reader.
	ep := o.Base
	ep.Calls = 2
	er, err := model.Check(ctx, design("early"), ep, withSkipGoals(o.Check))
	if err != nil {
		return claims, fmt.Errorf("claim early: %w", err)
	}
	hr, err := model.Check(ctx, design("head"), ep, withSkipGoals(o.Check))
	if err != nil {
		return claims, fmt.Errorf("claim early: %w", err)
	}
	if !er.Complete || !hr.Complete {
		return claims, fmt.Errorf("claim early: %w", ErrIncomplete)
	}
	gp, hgp := er.Properties[model.PropGracePeriod], hr.Properties[model.PropGracePeriod]
	c = Claim{ID: "early-join", Who: "Linux commit 5da7cb193db3",
		Claim:  "a batch that joins a grace period already in progress frees memory under a reader",
		Design: "early", Trace: gp.Trace}
	c.Verdict = confirmIf(gp.Verdict == "violated" && hgp.Verdict == "holds", false)
	c.Figure = fmt.Sprintf("GracePeriod %s in %d steps (head: %s)", gp.Verdict, len(gp.Trace), hgp.Verdict)
	c.Evidence = append(c.Evidence,
		fmt.Sprintf("early at %s, %d states: shortest counterexample: %s", er.Params, er.States, stepsText(gp.Trace)),
		fmt.Sprintf("head (batches wait for the next grace period) at the same parameters, %d states: GracePeriod %s", hr.States, hgp.Verdict))
	claims = append(claims, c)
	return claims, nil
}

func withSkipGoals(o checker.Options) checker.Options {
	o.SkipGoals = true
	return o
}

func confirmIf(ok, undecided bool) string {
	switch {
	case ok:
		return ClaimConfirmed
	case undecided:
		return ClaimOpen
	}
	return ClaimRefuted
}

// verdictLine says a result's verdict in a few words.
func verdictLine(r *Result) string {
	s := r.Figure + " " + r.Verdict
	switch r.Verdict {
	case VerdictBounded:
		s += fmt.Sprintf(" by %d for every K", *r.Bound)
	case VerdictBoundedUpTo:
		s += fmt.Sprintf(" (%d up to K = %d)", *r.Bound, r.UpToCalls)
	case VerdictUnbounded:
		if r.Witness != nil {
			fair := "fair"
			if !r.Witness.Fair {
				fair = "UNFAIR"
			}
			s += fmt.Sprintf(" (+%d per %d-step %s cycle)", r.Witness.Gain, len(r.Witness.Cycle), fair)
		}
	}
	return s
}

// pointsLine lists a sweep's figure at every point, its trend and formula.
func pointsLine(r *Result) string {
	var vals []string
	for _, pt := range r.Points {
		vals = append(vals, fmt.Sprint(FigureOf(pt, r.Figure)))
	}
	s := fmt.Sprintf("%s at %s=%d..%d (N=%d B=%d C=%d): %s, %s", r.Figure, r.Sweep.Param,
		r.Sweep.Values[0], r.Sweep.Values[len(r.Sweep.Values)-1], r.Base.CPUs, r.Base.Bulk, r.Base.Cache,
		strings.Join(vals, " "), r.Trend.Kind)
	if r.Formula != nil {
		s += ", = " + r.Formula.Text + " at every point"
	}
	return s
}

func stepsText(steps []model.TraceStep) string {
	var names []string
	for _, s := range steps {
		names = append(names, s.Action)
	}
	return strings.Join(names, ", ")
}
