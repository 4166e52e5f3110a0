package bound

import (
	"context"
	"fmt"
	"slices"
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

// The kinds of ground a verdict rests on.
const (
	// GroundStructural is a fact of a design's policies, read from them
	// before any state is explored (see NoStuckBranch).
	GroundStructural = "structural"
	// GroundComputed is a figure computed by the run: an exhaustive
	// exploration, a counter-abstraction proof, a replayed witness or trace.
	GroundComputed = "computed"
)

// Ground is one fact a claim's verdict rests on, and how it was established.
type Ground struct {
	Kind string `json:"kind"` // GroundStructural or GroundComputed
	Fact string `json:"fact"`
}

// Claim is one technical claim of the kernel thread and what rcucheck
// computed about it.
type Claim struct {
	ID      string `json:"id"`
	Who     string `json:"who"`
	Claim   string `json:"claim"`
	Design  string `json:"design"`
	Verdict string `json:"verdict"`
	// Basis says what the verdict rests on: "structural" (a fact of the
	// designs' policies decides it; the computation only agrees),
	// "computed" (explorations, proofs, witnesses), or
	// "structural+computed" (each decides a part); Grounds lists the facts.
	Basis   string   `json:"basis"`
	Grounds []Ground `json:"grounds"`
	// Figure is the claim's answer in one line (a bound, a formula, a
	// trace length), Evidence the details, Trace a trace when one shows it.
	Figure   string            `json:"figure"`
	Evidence []string          `json:"evidence"`
	Trace    []model.TraceStep `json:"trace,omitempty"`
	Analysis *Result           `json:"analysis,omitempty"`
	// Loss says whether the verdict rests on a lossy store; Caveats what
	// else in it is not exact (a fitted formula, a bounded search).
	Loss
	Caveats []string `json:"caveats,omitempty"`
}

// ClaimsOptions size the runs behind the claims.
type ClaimsOptions struct {
	// Base are the parameters of the sweeps (CPUs, Bulk, Cache); K is swept
	// over 1..MaxCalls.
	Base     model.Params
	MaxCalls int
	Check    checker.Options
	Progress func(string)
	// RunProgress, when set, is told about every second of every run.
	RunProgress RunProgress
	// Designs replaces the design playing a role (ClaimRoles: head, sync,
	// reserve, limit, early); a role not in it is played by the built-in
	// design of that name. The claims' tests give mutants here.
	Designs map[string]model.Design
	// Only lists the claims to compute (ClaimIDs); empty: all of them.
	Only []string
}

// DefaultClaimsOptions are the sizes rcucheck claims uses by default: one
// CPU (the witnesses and proofs need no more), B=2, C=1, K = 1..6.
func DefaultClaimsOptions() ClaimsOptions {
	p := model.DefaultParams()
	p.CPUs = 1
	return ClaimsOptions{Base: p, MaxCalls: 6}
}

// ClaimRoles lists the roles designs play in the claims, each played by
// the built-in design of that name unless ClaimsOptions.Designs says
// otherwise.
func ClaimRoles() []string { return []string{"head", "sync", "reserve", "limit", "early"} }

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

// claimRun is what the computation of every claim shares.
type claimRun struct {
	ctx     context.Context
	o       ClaimsOptions
	designs map[string]model.Design
}

// claimFuncs lists the claims in the thread's order, each with its
// computation.
func claimFuncs() []struct {
	id  string
	run func(*claimRun) (Claim, error)
} {
	return []struct {
		id  string
		run func(*claimRun) (Claim, error)
	}{
		{"head-bounded", (*claimRun).headBounded},
		{"headless-needs-sleep", (*claimRun).headlessNeedsSleep},
		{"no-reserve-helps", (*claimRun).noReserveHelps},
		{"limit-bounds", (*claimRun).limitBounds},
		{"early-join", (*claimRun).earlyJoin},
	}
}

// ClaimIDs lists the claims' IDs in the order Claims computes them.
func ClaimIDs() []string {
	var ids []string
	for _, f := range claimFuncs() {
		ids = append(ids, f.id)
	}
	return ids
}

// Claims computes the verdict on every technical claim of the thread
// (shared/seed/lkml-2020-09-25-peterz.txt), or on those o.Only lists. Every
// figure comes from runs made by this call; every verdict says what it
// rests on (Basis, Grounds). It returns the claims decided before an error.
func Claims(ctx context.Context, o ClaimsOptions) ([]Claim, error) {
	r := &claimRun{ctx: ctx, o: o, designs: map[string]model.Design{}}
	for _, role := range ClaimRoles() {
		d, err := model.LookupDesign(role)
		if err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
		r.designs[role] = d
	}
	for role, d := range o.Designs {
		if _, ok := r.designs[role]; !ok || d == nil {
			return nil, fmt.Errorf("claims: no role %q for a design (want one of %s)", role, strings.Join(ClaimRoles(), ", "))
		}
		r.designs[role] = d
	}
	for _, id := range o.Only {
		if !slices.Contains(ClaimIDs(), id) {
			return nil, fmt.Errorf("claims: unknown claim %q (want one of %s)", id, strings.Join(ClaimIDs(), ", "))
		}
	}
	var claims []Claim
	for _, f := range claimFuncs() {
		if len(o.Only) > 0 && !slices.Contains(o.Only, f.id) {
			continue
		}
		c, err := f.run(r)
		if err != nil {
			return claims, fmt.Errorf("claim %s: %w", f.id, err)
		}
		c.ID = f.id
		c.finish()
		claims = append(claims, c)
	}
	return claims, nil
}

// finish sets the claim's basis from its grounds and its caveats from its
// loss.
func (c *Claim) finish() {
	var structural, computed bool
	for _, g := range c.Grounds {
		structural = structural || g.Kind == GroundStructural
		computed = computed || g.Kind == GroundComputed
	}
	switch {
	case c.Basis != "":
	case structural && computed:
		c.Basis = GroundStructural + "+" + GroundComputed
	case structural:
		c.Basis = GroundStructural
	default:
		c.Basis = GroundComputed
	}
	if c.Store == "" {
		c.Loss = exactLoss()
	}
	if c.Lossy() {
		c.Caveats = append([]string{"lossy store, " + c.LossNote}, c.Caveats...)
	}
}

func (r *claimRun) design(role string) model.Design { return r.designs[role] }

// analyze sweeps K = 1..MaxCalls for the design of role and decides fig
// for every K; the claim takes on its loss.
func (r *claimRun) analyze(c *Claim, role, fig string) (*Result, error) {
	sw := Sweep{Param: "calls"}
	for k := 1; k <= r.o.MaxCalls; k++ {
		sw.Values = append(sw.Values, k)
	}
	res, err := Analyze(r.ctx, r.design(role), r.o.Base, sw, Options{Figure: fig, Check: r.o.Check, Progress: r.o.Progress, RunProgress: r.o.RunProgress})
	if err != nil {
		return nil, err
	}
	c.account(res.Loss)
	return res, nil
}

// check explores the design of role at p; the claim takes on its loss
// when used (the verdict rests on a holds of the run).
func (r *claimRun) check(c *Claim, role string, p model.Params, used bool) (*model.Report, error) {
	d := r.design(role)
	m, err := model.New(d, p)
	if err != nil {
		return nil, err
	}
	rep, err := model.Check(r.ctx, d, p, r.o.RunProgress.on(withSkipGoals(r.o.Check), d.Name()+" "+m.Params().String()))
	if err != nil {
		return nil, err
	}
	if !rep.Complete {
		return nil, fmt.Errorf("%s at %s: %w: %s", d.Name(), rep.Params, ErrIncomplete, rep.StopReason)
	}
	var l Loss
	l.add(rep.Result, used)
	c.account(l)
	return rep, nil
}

// account adds the loss of runs the claim rests on.
func (c *Claim) account(l Loss) {
	if c.Store == "" {
		c.Loss = exactLoss()
	}
	c.Loss.merge(l)
}

// ground records a fact the verdict rests on.
func (c *Claim) ground(kind, format string, args ...any) {
	c.Grounds = append(c.Grounds, Ground{Kind: kind, Fact: fmt.Sprintf(format, args...)})
}

// noReserveNeeded says how a least-reserve result decides "R = 0 suffices
// for every K": yes (bounded by 0), no (a stuck state at R = 0, or a
// reserve needed), or undecided (bounded-up-to).
func noReserveNeeded(res *Result) (yes, undecided bool) {
	return res.Verdict == VerdictBounded && *res.Bound == 0, res.Verdict == VerdictBoundedUpTo
}

// headBounded: with the rcu_head fallback no free needs memory it cannot
// get: the least reserve is 0 for every K.
func (r *claimRun) headBounded() (Claim, error) {
	d := r.design("head")
	c := Claim{Who: "Peter Zijlstra",
		Claim:  "with the callback_head fallback the memory needed to free memory is bounded (\"You must have that callback_head fallback\")",
		Design: d.Name()}
	structural, why := NoStuckBranch(d)
	head, err := r.analyze(&c, "head", FigureLeastReserve)
	if err != nil {
		return c, err
	}
	pages, err := r.analyze(&c, "head", FigurePages)
	if err != nil {
		return c, err
	}
	yes, undecided := noReserveNeeded(head)
	if structural && !yes && !undecided {
		return c, fmt.Errorf("design %s: %s, yet the computation says %s", d.Name(), why, verdictLine(head))
	}
	if structural {
		c.ground(GroundStructural, "%s", why)
	}
	c.ground(GroundComputed, "%s (%s)", verdictLine(head), head.Why)
	c.Verdict = confirmIf(yes || structural, undecided)
	if structural {
		c.Basis = GroundStructural
	}
	c.Figure = verdictLine(head)
	c.Evidence = append(c.Evidence, pointsLine(head), head.Why,
		fmt.Sprintf("pages held are opportunistic: %s (%s); a failed allocation never waits and needs no page", verdictLine(pages), pages.Why))
	c.Analysis = head
	return c, nil
}

// headlessNeedsSleep: the headless form has a way forward where it may
// sleep (synchronize_rcu: no reserve needed for any K) and none in atomic
// context (stuck without a reserve).
func (r *claimRun) headlessNeedsSleep() (Claim, error) {
	ds, da := r.design("sync"), r.design("reserve")
	c := Claim{Who: "Paul E. McKenney / Peter Zijlstra",
		Claim:  "the headless kvfree_rcu(ptr) has a fallback only where it may sleep (\"there is a fallback\"; \"call_rcu() can't block\")",
		Design: ds.Name() + ", " + da.Name()}
	structural, why := NoStuckBranch(ds)
	syn, err := r.analyze(&c, "sync", FigureLeastReserve)
	if err != nil {
		return c, err
	}
	atomic := r.o.Base
	atomic.Reserve, atomic.Calls = 0, 1
	rep, err := r.check(&c, "reserve", atomic, false)
	if err != nil {
		return c, err
	}
	ns := rep.Properties[model.PropNoStuck]
	if ns.Verdict == checker.Holds {
		// The atomic design holding is a verdict resting on the store.
		var l Loss
		l.add(rep.Result, true)
		c.account(l)
	}
	yes, undecided := noReserveNeeded(syn)
	if structural && !yes && !undecided {
		return c, fmt.Errorf("design %s: %s, yet the computation says %s", ds.Name(), why, verdictLine(syn))
	}
	if structural {
		c.ground(GroundStructural, "sleepable: %s", why)
	} else {
		c.ground(GroundComputed, "sleepable: %s (%s)", verdictLine(syn), syn.Why)
	}
	c.ground(GroundComputed, "atomic: exhaustive exploration of %s at %s (%d states): NoStuck %s", da.Name(), rep.Params, rep.States, rep.VerdictText(model.PropNoStuck))
	c.Trace = ns.Trace
	c.Verdict = confirmIf((yes || structural) && ns.Verdict == checker.Violated, undecided && !structural && ns.Verdict == checker.Violated)
	c.Figure = fmt.Sprintf("%s: %s; %s with R=0: NoStuck %s", ds.Name(), verdictLine(syn), da.Name(), rep.VerdictText(model.PropNoStuck))
	c.Evidence = append(c.Evidence, ds.Name()+": "+pointsLine(syn), ds.Name()+": "+syn.Why,
		fmt.Sprintf("%s (atomic context, no reserve) at %s: shortest trace to a stuck free, %d steps: %s", da.Name(), rep.Params, len(ns.Trace), stepsText(ns.Trace)))
	c.Analysis = syn
	return c, nil
}

// noReserveHelps: from atomic context the reserve needed grows with K
// without bound: a weakly fair pumpable witness exhausts every reserve.
func (r *claimRun) noReserveHelps() (Claim, error) {
	d := r.design("reserve")
	c := Claim{Who: "Peter Zijlstra",
		Claim:  "\"you don't have a bound, so no reserve what so ever is going to help\" (single argument from atomic context)",
		Design: d.Name()}
	res, err := r.analyze(&c, "reserve", FigureLeastReserve)
	if err != nil {
		return c, err
	}
	c.Figure, c.Analysis = verdictLine(res), res
	// Only a fair witness confirms the claim: a cycle in which a kernel
	// worker never runs, though it could, proves nothing about the kernel.
	fair := res.Witness != nil && res.Witness.Fair
	c.Verdict = confirmIf(res.Verdict == VerdictUnbounded && res.Trend.Kind == TrendGrowing && fair,
		res.Verdict == VerdictBoundedUpTo || (res.Verdict == VerdictUnbounded && !fair))
	c.ground(GroundComputed, "%s: %s", verdictLine(res), res.Why)
	c.Caveats = append(c.Caveats, res.Caveats...)
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
	return c, nil
}

// limitBounds: with an admission limit a finite reserve suffices for every
// K, and its least value on a grid of (N, B, L) is fitted by a formula.
func (r *claimRun) limitBounds() (Claim, error) {
	d := r.design("limit")
	c := Claim{Who: "Peter Zijlstra",
		Claim:  "\"pre-allocate (or size the reserve) ... and strictly limit concurrency to ensure you stay in your bounds\"",
		Design: d.Name()}
	lim, err := r.analyze(&c, "limit", FigureLeastReserve)
	if err != nil {
		return c, err
	}
	c.Analysis, c.Figure = lim, verdictLine(lim)
	c.Verdict = confirmIf(lim.Verdict == VerdictBounded, lim.Verdict == VerdictBoundedUpTo)
	c.ground(GroundComputed, "%s: %s", verdictLine(lim), lim.Why)
	if w := lim.Witness; w != nil && !w.Fair {
		// The claim is a bound over every run of the model, fair or not
		// (its proof covers them all): any pumpable run refutes it.
		c.ground(GroundComputed, "the witness starves %s: it refutes a bound over every run of the model, which is what the proof of a bound covers, though not a weakly fair run", strings.Join(w.Starved, ", "))
	}
	c.Evidence = append(c.Evidence, pointsLine(lim), lim.Why)
	if lim.Verdict != VerdictBounded {
		c.Caveats = append(c.Caveats, lim.Caveats...)
		c.Evidence = append(c.Evidence, "no grid of least reserves for every K: the swept point already has no bound")
		return c, nil
	}
	f, grid, unbounded, err := r.limitFormula(&c, d)
	if err != nil {
		return c, err
	}
	if unbounded != "" {
		c.Verdict = ClaimRefuted
		c.ground(GroundComputed, "%s", unbounded)
		c.Evidence = append(c.Evidence, unbounded)
	}
	if f != nil {
		c.Figure += fmt.Sprintf("; least R for every K = %s (fit on %d grid points)", f.Text, f.Points)
		c.Caveats = append(c.Caveats, fmt.Sprintf("the formula %s is a fit (%s), not a proof for other N, B, L", f.Text, f.FitOn))
		c.Evidence = append(c.Evidence, fmt.Sprintf("least R for every K (counter abstraction) fits %s on all %d points of the grid, where fill(x) = min(x,3) + floor(max(x-3,0)/B) pages hold x objects in a channel and two batches", f.Text, f.Points))
	} else {
		c.Evidence = append(c.Evidence, "no formula of the family fits every point of the grid")
	}
	c.Evidence = append(c.Evidence, "grid (least R for every K): "+strings.Join(grid, "; "))
	return c, nil
}

// limitFormula computes the least reserve for every K of design d on the
// grid and fits a formula; unbounded names a grid point where no reserve
// up to N*L+1 suffices.
func (r *claimRun) limitFormula(c *Claim, d model.Design) (f *Formula, grid []string, unbounded string, err error) {
	var samples []Sample
	for _, p := range limitGrid() {
		least, a, err := leastReserveAllK(r.ctx, d, p, 0, p.CPUs*p.Limit+1, r.o.Check, r.o.RunProgress)
		if err != nil {
			return nil, nil, "", err
		}
		c.account(a.Loss)
		if least < 0 {
			return nil, grid, fmt.Sprintf("grid point N=%d B=%d L=%d: no reserve up to %d suffices for every K (counter abstraction)", p.CPUs, p.Bulk, p.Limit, p.CPUs*p.Limit+1), nil
		}
		p.Reserve, p.Calls = least, 0
		samples = append(samples, Sample{Params: p, Y: int64(least)})
		grid = append(grid, fmt.Sprintf("N=%d B=%d L=%d: %d (%d states)", p.CPUs, p.Bulk, p.Limit, least, a.States))
		if r.o.Progress != nil {
			r.o.Progress(fmt.Sprintf("limit, every K, N=%d B=%d L=%d: least reserve %d", p.CPUs, p.Bulk, p.Limit, least))
		}
	}
	if f = Fit(samples); f != nil {
		f.FitOn = fmt.Sprintf("fit on a grid of %d points (N, B, L)", len(samples))
	}
	return f, grid, "", nil
}

// earlyJoin: a batch that joins a running grace period frees under a
// reader; the same instance with batches waiting for the next grace period
// (head) does not.
func (r *claimRun) earlyJoin() (Claim, error) {
	de, dh := r.design("early"), r.design("head")
	c := Claim{Who: "Linux commit 5da7cb193db3",
		Claim:  "a batch that joins a grace period already in progress frees memory under a reader",
		Design: de.Name()}
	ep := r.o.Base
	ep.Calls = 2
	er, err := r.check(&c, "early", ep, false)
	if err != nil {
		return c, err
	}
	hr, err := r.check(&c, "head", ep, true)
	if err != nil {
		return c, err
	}
	gp, hgp := er.Properties[model.PropGracePeriod], hr.Properties[model.PropGracePeriod]
	if gp.Verdict == checker.Holds {
		var l Loss
		l.add(er.Result, true)
		c.account(l)
	}
	c.Trace = gp.Trace
	c.Verdict = confirmIf(gp.Verdict == checker.Violated && hgp.Verdict == checker.Holds, false)
	c.ground(GroundComputed, "exhaustive exploration of %s at %s (%d states): GracePeriod %s", de.Name(), er.Params, er.States, er.VerdictText(model.PropGracePeriod))
	c.ground(GroundComputed, "exhaustive exploration of %s at the same parameters (%d states): GracePeriod %s", dh.Name(), hr.States, hr.VerdictText(model.PropGracePeriod))
	c.Figure = fmt.Sprintf("GracePeriod %s (%s: %s)", er.VerdictText(model.PropGracePeriod), dh.Name(), hr.VerdictText(model.PropGracePeriod))
	c.Evidence = append(c.Evidence,
		fmt.Sprintf("%s at %s, %d states: shortest counterexample: %s", de.Name(), er.Params, er.States, stepsText(gp.Trace)),
		fmt.Sprintf("%s (batches wait for the next grace period) at the same parameters, %d states: GracePeriod %s", dh.Name(), hr.States, hr.VerdictText(model.PropGracePeriod)))
	return c, nil
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
