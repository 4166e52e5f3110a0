package bound

import (
	"context"
	"errors"
	"fmt"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// The verdicts for every K.
const (
	VerdictBounded     = "bounded"       // proved for every K on the counter abstraction
	VerdictUnbounded   = "unbounded"     // a pumpable witness, replayed on the real model
	VerdictBoundedUpTo = "bounded-up-to" // only the swept K are known
)

// Options tune Analyze.
type Options struct {
	// Figure is the figure classified: least_reserve (default), pages,
	// pending or reserve_used.
	Figure string
	// Window is the number of final points a plateau needs (default 3).
	Window int
	// Pump is the number of repetitions of a witness replayed (default 8).
	Pump int
	// WitnessLimit bounds the counters of the witness search (default 4
	// pages per channel or slot); WitnessStates its states (default 2e6).
	WitnessLimit  int
	WitnessStates int
	// ProofStates bounds the abstraction's states when Check sets no
	// limit (default 4e6); a larger abstraction gives no proof.
	ProofStates uint64
	// NoProof skips the counter abstraction (for instances too large).
	NoProof bool
	// Check bounds every exhaustive run.
	Check checker.Options
	// Progress, when set, is told about every finished point and phase.
	Progress func(string)
	// RunProgress, when set, is told about every second of every
	// exhaustive run and witness search, with what it explores.
	RunProgress RunProgress
}

func (o *Options) defaults() {
	if o.Figure == "" {
		o.Figure = FigureLeastReserve
	}
	if o.Window == 0 {
		o.Window = 3
	}
	if o.Pump == 0 {
		o.Pump = 8
	}
	if o.WitnessLimit == 0 {
		o.WitnessLimit = 4
	}
	if o.ProofStates == 0 {
		o.ProofStates = 4_000_000
	}
	if o.WitnessStates == 0 {
		o.WitnessStates = 2_000_000
	}
}

// Result is rcucheck bound's answer for one design and one sweep.
type Result struct {
	Design  string       `json:"design"`
	Base    model.Params `json:"base"`
	Sweep   Sweep        `json:"sweep"`
	Figure  string       `json:"figure"`
	Verdict string       `json:"verdict"`
	// Bound is the figure's bound for every K (verdict bounded), or its
	// largest value over the sweep (bounded-up-to).
	Bound *int64 `json:"bound,omitempty"`
	// UpToCalls is the largest K the sweep explored (bounded-up-to).
	UpToCalls int      `json:"up_to_calls,omitempty"`
	Formula   *Formula `json:"formula,omitempty"`
	Trend     Trend    `json:"trend"`
	Points    []Point  `json:"points"`
	// Proof is the counter abstraction explored for the verdict (bounded).
	Proof   *Abstract `json:"proof,omitempty"`
	Witness *Witness  `json:"witness,omitempty"`
	// Why says in one line what the verdict rests on.
	Why string `json:"why"`
	// Loss says whether the verdict and the points rest on a lossy store
	// (store, omission_probability, loss_note).
	Loss
	// Caveats lists, one line each, what in the result is not exact: a
	// formula that is a fit, a search that gave up at its limits, a
	// witness that is not fair, a lossy store.
	Caveats []string `json:"caveats,omitempty"`

	growthNote string // what a pumping cycle found lacked (GrowthEvidence's Why)
}

// Analyze sweeps design d from base along s, classifies the figure, fits a
// formula, and decides the figure for every K at the last point of the
// sweep: a proof on the counter abstraction, else a pumpable witness, else
// "bounded up to" the largest K explored. It is RunSweep then Conclude;
// a sweep split over shards (SweepPoint) is concluded the same way.
func Analyze(ctx context.Context, d model.Design, base model.Params, s Sweep, opt Options) (*Result, error) {
	opt.defaults()
	if _, err := figureMetric(opt.Figure); err != nil {
		return nil, err
	}
	pts, err := runSweep(ctx, d, base, s, opt.Check, opt.pointProgress(d, s), opt.RunProgress)
	return Conclude(ctx, d, base, s, pts, err, opt)
}

// SweepPoint computes the point of the i-th value of s (0-based), as
// Analyze's sweep does, for a shard of the sweep (rcucheck bound --shard):
// the points of all values, in order, concluded by Conclude give Analyze's
// result.
func SweepPoint(ctx context.Context, d model.Design, base model.Params, s Sweep, i int, opt Options) (Point, error) {
	opt.defaults()
	if i < 0 || i >= len(s.Values) {
		return Point{}, fmt.Errorf("sweep %s: no point %d", s, i+1)
	}
	pt, err := leastReserve(ctx, d, s.Set(base, s.Values[i]), opt.Check, opt.RunProgress)
	pt.Value = s.Values[i]
	if err == nil {
		opt.pointProgress(d, s)(pt)
	}
	return pt, err
}

// pointProgress is what Analyze says about each finished point.
func (o *Options) pointProgress(d model.Design, s Sweep) func(Point) {
	return func(pt Point) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf("%s %s=%d: least reserve %d, max pages %d pending %d reserve_used %d (%d states, %d runs)",
				d.Name(), s.Param, pt.Value, pt.LeastReserve, pt.Max.Pages, pt.Max.Pending, pt.Max.ReserveUsed, pt.States, pt.Runs))
		}
	}
}

// Conclude finishes Analyze from the points of every value of s, in order
// (RunSweep's, or SweepPoint's from the shards of a sweep): the trend, the
// formula, and the verdict for every K with its proof or witness, which it
// explores. When the sweep stopped early with sweepErr (a limit hit or an
// interruption at the point after pts), the result is the points so far,
// with their loss and no verdict, and sweepErr is returned, as Analyze
// does.
func Conclude(ctx context.Context, d model.Design, base model.Params, s Sweep, pts []Point, sweepErr error, opt Options) (*Result, error) {
	opt.defaults()
	if sweepErr != nil {
		r := &Result{Design: d.Name(), Base: model.Normalize(d, base), Sweep: s, Figure: opt.Figure, Points: pts}
		r.account(opt)
		return r, sweepErr
	}
	if len(pts) != len(s.Values) || len(pts) == 0 {
		return nil, fmt.Errorf("sweep %s of %s: %d points for %d values", s, d.Name(), len(pts), len(s.Values))
	}
	r, err := conclude(ctx, d, base, s, pts, opt)
	if r != nil {
		r.account(opt)
	}
	return r, err
}

// account sets r's Loss from the runs behind its points and proof, and its
// caveats.
func (r *Result) account(opt Options) {
	r.Loss = exactLoss()
	for _, pt := range r.Points {
		r.Loss.merge(pt.Loss)
	}
	if r.Proof != nil {
		r.Loss.merge(r.Proof.Loss)
	}
	if r.Lossy() {
		r.Caveats = append(r.Caveats, "lossy store, "+r.LossNote+" (a least reserve, a maximum or a proof may rest on a missed state)")
	}
	if r.Formula != nil {
		r.Caveats = append(r.Caveats, fmt.Sprintf("the formula %s is a fit (%s), not a proof", r.Formula.Text, r.Formula.FitOn))
	}
	switch {
	case r.Verdict == VerdictBoundedUpTo:
		r.Caveats = append(r.Caveats, fmt.Sprintf("bounded search only: no proof, and no pumpable witness within the witness search's limits (%d pages per channel or slot, %d states); nothing is known beyond K = %d", opt.WitnessLimit, opt.WitnessStates, r.UpToCalls))
		if r.growthNote != "" {
			r.Caveats = append(r.Caveats, "a pumping cycle was found but is no evidence: "+r.growthNote)
		}
	case r.Witness != nil && !r.Witness.Fair:
		r.Caveats = append(r.Caveats, "the witness starves a kernel worker: no weakly fair cycle was found within the search's limits, which is not a proof that none exists")
	}
}

// conclude is Conclude with opt's defaults set.
func conclude(ctx context.Context, d model.Design, base model.Params, s Sweep, pts []Point, opt Options) (*Result, error) {
	if _, err := figureMetric(opt.Figure); err != nil {
		return nil, err
	}
	say := func(format string, args ...any) {
		if opt.Progress != nil {
			opt.Progress(fmt.Sprintf(format, args...))
		}
	}
	r := &Result{Design: d.Name(), Base: model.Normalize(d, base), Sweep: s, Figure: opt.Figure, Points: pts}
	xs := make([]int, len(pts))
	ys := make([]int64, len(pts))
	samples := make([]Sample, len(pts))
	for i, pt := range pts {
		xs[i], ys[i] = pt.Value, FigureOf(pt, opt.Figure)
		samples[i] = Sample{Params: pt.Params, Y: ys[i]}
	}
	if len(pts) >= 2 {
		var err error
		if r.Trend, err = Classify(xs, ys, opt.Window); err != nil {
			return r, err
		}
	}
	if r.Formula = Fit(samples); r.Formula != nil {
		r.Formula.FitOn = fmt.Sprintf("fit on %s, %d points", s, len(samples))
	}
	last := pts[len(pts)-1]
	if last.LeastReserve < 0 {
		r.Verdict = VerdictUnbounded
		r.Why = fmt.Sprintf("no reserve up to %d avoids a stuck state at %s", reserveCap(last.Params), last.Params)
		return r, r.findWitness(ctx, d, last, opt, say)
	}
	at := last.Params
	at.Reserve = last.LeastReserve

	// 1. A proof for every K on the counter abstraction.
	if !opt.NoProof && AbstractionCovers(d) {
		say("%s: exploring the counter abstraction (K = infinity) at %s", d.Name(), at)
		co := opt.Check
		if co.MaxStates == 0 {
			co.MaxStates = opt.ProofStates
		}
		stop := opt.Figure == FigureLeastReserve || opt.Figure == FigureReserveUsed
		a, err := exploreAbstract(ctx, d, at, co, stop, opt.RunProgress)
		switch {
		case errors.Is(err, ErrIncomplete) && ctx.Err() == nil:
			say("%s: abstraction too large (%v): no proof", d.Name(), err)
			a = &Abstract{}
		case err != nil:
			return r, err
		default:
			r.Proof = a
		}
		var bound int64
		proved := false
		switch opt.Figure {
		case FigureLeastReserve:
			proved, bound = a.NoStuck, int64(last.LeastReserve)
		case FigureReserveUsed:
			proved, bound = a.NoStuck, a.Max.ReserveUsed
		case FigurePages:
			proved, bound = a.PagesExact, a.Max.Pages
		case FigurePending:
			proved, bound = a.PendingExact, a.Max.Pending
		}
		if proved {
			r.Verdict, r.Bound = VerdictBounded, &bound
			r.Why = fmt.Sprintf("counter abstraction with threshold %d (%d states) of the model with no workload bound: %s <= %d in every state, so for every K",
				a.T, a.States, opt.Figure, bound)
			if opt.Figure == FigureLeastReserve {
				r.Why = fmt.Sprintf("counter abstraction with threshold %d (%d states) of the model with no workload bound: no stuck state at R = %d, so R = %d suffices for every K; R = %d does not at K = %d",
					a.T, a.States, bound, bound, bound-1, last.Params.Calls)
				if bound == 0 {
					r.Why = fmt.Sprintf("counter abstraction with threshold %d (%d states) of the model with no workload bound: no stuck state without any reserve, for every K", a.T, a.States)
				}
			}
			return r, nil
		}
	}
	// 2. A pumpable witness.
	if err := r.findWitness(ctx, d, last, opt, say); err != nil || r.Witness != nil {
		return r, err
	}
	// 3. Only what was explored.
	r.Verdict = VerdictBoundedUpTo
	b := ys[len(ys)-1]
	for _, y := range ys {
		b = max(b, y)
	}
	r.Bound = &b
	r.UpToCalls = 0
	for _, pt := range pts {
		r.UpToCalls = max(r.UpToCalls, pt.Params.Calls)
	}
	r.Why = fmt.Sprintf("no proof and no pumpable witness found: %s <= %d is known up to K = %d only", opt.Figure, b, r.UpToCalls)
	return r, nil
}

// findWitness looks for growth of the figure at the point pt with the
// evidence standard of GrowthEvidence and, for the least reserve, shows
// the witness exhausting every reserve up to the sweep's largest least
// reserve plus 2. A witness that starves a kernel worker is kept (it
// refutes a bound over every run of the model), with a caveat; a cycle
// that falls short of the standard is said in the caveats.
func (r *Result) findWitness(ctx context.Context, d model.Design, pt Point, opt Options, say func(string, ...any)) error {
	say("%s: searching a pumpable cycle (K = infinity) for %s", d.Name(), opt.Figure)
	g, err := GrowthEvidence(ctx, d, pt.Params, opt.Figure, GrowthOptions{Pump: opt.Pump, Witness: WitnessOptions{
		Limit: opt.WitnessLimit, MaxStates: opt.WitnessStates, MaxMemory: opt.Check.MaxMemory, Progress: opt.RunProgress}})
	if err != nil {
		return err
	}
	w := g.Witness
	if w == nil {
		if g.Found {
			r.growthNote = g.Why
		}
		return nil
	}
	if opt.Figure == FigureLeastReserve && hasReserve(d) {
		top := 0
		for _, p := range r.Points {
			top = max(top, p.LeastReserve)
		}
		for res := 0; res <= top+2; res++ {
			sp, err := w.Exhaust(d, res, 4*(res+2))
			if err != nil {
				return err
			}
			w.Exhausts = append(w.Exhausts, sp)
		}
	}
	r.Witness = w
	r.Verdict = VerdictUnbounded
	r.Why = fmt.Sprintf("pumpable cycle of %d steps after a prefix of %d: %s grows by %d per repetition, %s",
		len(w.Cycle), len(w.Prefix), w.Metric, w.Gain, g.Why)
	if len(w.Exhausts) > 0 {
		r.Why += fmt.Sprintf("; it exhausts every reserve R = 0..%d", w.Exhausts[len(w.Exhausts)-1].Reserve)
	}
	return nil
}
