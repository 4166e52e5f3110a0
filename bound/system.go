// Package bound answers the seed's second request: "calculate your bound".
// It sweeps a parameter of the reference model, finds at each point the
// least emergency reserve R under which NoStuck holds and the maxima of the
// metrics, classifies the figures (a plateau or growth), fits closed
// formulas, and gives a verdict for every workload size K: a sound proof
// on a counter abstraction of the model with the workload bound removed
// (bounded), a pumpable cycle replayed on the real model (unbounded), or
// "bounded up to K = ..." when neither is found.
//
// All semantics come from package model: this package only drives
// model.Model's Enabled, Apply and Metrics and transforms whole states
// (it drops the free counter calls[c] and clamps large counters).
package bound

import (
	"context"
	"errors"
	"fmt"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// system is a checker.Model over a model.Model whose successor states are
// passed through a state map (nil: the identity). It also stops the run at
// the first NoStuck violation when asked, which the least-reserve search
// needs: a violated point is decided by its first stuck state.
type system struct {
	m       *model.Model
	norm    func(*model.State) // applied to the initial state and every successor
	prune   func(*model.State) bool
	extra   []extraMetric
	onStuck func() // called when a stuck state is evaluated
}

// extraMetric is a metric added to the model's three.
type extraMetric struct {
	name string
	eval func(*model.State) int64
}

var _ checker.Model = (*system)(nil)

func (s *system) StateWords() int { return s.m.Checkable().StateWords() }

func (s *system) Initial(dst []uint64) {
	st := s.m.Initial()
	if s.norm != nil {
		s.norm(st)
	}
	s.m.Pack(st, dst)
}

func (s *system) ActionName(a checker.Action) string { return s.m.Checkable().ActionName(a) }

func (s *system) Invariants() []string { return s.m.Checkable().Invariants() }

func (s *system) Goals() []string { return s.m.Checkable().Goals() }

func (s *system) Metrics() []string {
	names := s.m.Checkable().Metrics()
	for _, x := range s.extra {
		names = append(names, x.name)
	}
	return names
}

func (s *system) NewExpander() checker.Expander {
	if s.norm == nil && s.prune == nil && len(s.extra) == 0 {
		return &plainExpander{Expander: s.m.Checkable().NewExpander(), s: s}
	}
	n := s.m.Params().CPUs
	return &sysExpander{
		s:    s,
		cur:  &model.State{CPUs: make([]model.CPU, n)},
		next: &model.State{CPUs: make([]model.CPU, n)},
		eval: &model.State{CPUs: make([]model.CPU, n)},
		out:  make([]uint64, s.StateWords()),
	}
}

// plainExpander is the model's own expander, watched for stuck states.
type plainExpander struct {
	checker.Expander
	s *system
}

func (x *plainExpander) Evaluate(src []uint64, inv, goal []bool, metric []int64) {
	x.Expander.Evaluate(src, inv, goal, metric)
	if !inv[0] && x.s.onStuck != nil {
		x.s.onStuck()
	}
}

type sysExpander struct {
	s               *system
	cur, next, eval *model.State
	out             []uint64
	acts            []model.Action
}

// unpack reads a packed state into dst, reusing its storage.
func (x *sysExpander) unpack(src []uint64, dst *model.State) {
	dst.CopyFrom(x.s.m.Unpack(src))
}

func (x *sysExpander) Successors(src []uint64, emit func(checker.Action, []uint64)) {
	x.unpack(src, x.cur)
	x.acts = x.s.m.Enabled(x.cur, x.acts[:0])
	for _, a := range x.acts {
		x.next.CopyFrom(x.cur)
		x.s.m.Apply(x.next, a)
		if x.s.norm != nil {
			x.s.norm(x.next)
		}
		if x.s.prune != nil && x.s.prune(x.next) {
			continue
		}
		x.s.m.Pack(x.next, x.out)
		emit(checker.Action(a.Code()), x.out)
	}
}

func (x *sysExpander) Evaluate(src []uint64, inv, goal []bool, metric []int64) {
	x.unpack(src, x.eval)
	inv[0] = !x.eval.Stuck
	inv[1] = model.GracePeriodHolds(x.eval)
	mt := x.s.m.Metrics(x.eval)
	goal[0] = mt.Pending == 0
	metric[0], metric[1], metric[2] = mt.Pages, mt.Pending, mt.ReserveUsed
	for i, e := range x.s.extra {
		metric[3+i] = e.eval(x.eval)
	}
	if x.eval.Stuck && x.s.onStuck != nil {
		x.s.onStuck()
	}
}

// run explores sys. With stopOnStuck the exploration ends at the first
// stuck state found (the run is then incomplete but NoStuck is decided).
// An interruption of ctx itself is returned as an error wrapping ctx.Err().
func run(ctx context.Context, sys *system, opt checker.Options, stopOnStuck bool) (*checker.Result, error) {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	if stopOnStuck {
		sys.onStuck = cancel
	}
	res, err := checker.Explore(inner, sys, opt)
	if err != nil {
		return nil, fmt.Errorf("exploring %s %s: %w", sys.m.Design().Name(), sys.m.Params(), err)
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("exploring %s %s: %w", sys.m.Design().Name(), sys.m.Params(), ctx.Err())
	}
	if !res.Complete && !(stopOnStuck && noStuck(res) == checker.Violated) {
		return res, fmt.Errorf("exploring %s %s: %w: %s", sys.m.Design().Name(), sys.m.Params(), ErrIncomplete, res.StopReason)
	}
	return res, nil
}

// ErrIncomplete reports an exploration stopped by a limit before it was
// complete: nothing sound can be said from it.
var ErrIncomplete = errors.New("exploration incomplete")

// noStuck returns the verdict on NoStuck in res.
func noStuck(res *checker.Result) checker.Verdict {
	for _, p := range res.Invariants {
		if p.Name == model.PropNoStuck {
			return p.Verdict
		}
	}
	return checker.Unknown
}

// metricMax returns the maximum of the named metric in res.
func metricMax(res *checker.Result, name string) int64 {
	for _, mr := range res.Metrics {
		if mr.Name == name {
			return mr.Max
		}
	}
	return 0
}

// maxima returns the maxima of the model's three metrics in res.
func maxima(res *checker.Result) model.Metrics {
	return model.Metrics{
		Pages:       metricMax(res, model.MetricPages),
		Pending:     metricMax(res, model.MetricPending),
		ReserveUsed: metricMax(res, model.MetricReserve),
	}
}

// RunProgress is told, about every second of each exhaustive run (through
// checker.Options.Progress), what the run explores and the checker's
// snapshot: "reserve N=1 B=2 C=1 R=2 K=3 L=0", or "abstraction of ...".
type RunProgress func(run string, p checker.Progress)

// on returns opt whose Progress reports to rp under label; opt unchanged
// when rp is nil.
func (rp RunProgress) on(opt checker.Options, label string) checker.Options {
	if rp != nil {
		opt.Progress = func(p checker.Progress) { rp(label, p) }
	}
	return opt
}

// Loss says what a figure or verdict owes to a lossy visited set: Store is
// "exact", or "fingerprint" when some run it rests on stored hashes, and
// OmissionProbability bounds (a union bound over those runs) the chance that
// a hash collision hid a state from one of them. A violation found is exact
// whatever the store (its trace is a real path); a "holds", a maximum or a
// least reserve is not.
type Loss struct {
	Store               string  `json:"store"`
	OmissionProbability float64 `json:"omission_probability"`
	// LossNote is said beside every verdict resting on a lossy store ("" when
	// exact), as checker.Result.LossNote words it.
	LossNote string `json:"loss_note,omitempty"`
}

// exactLoss is the Loss of a figure that rests on exact stores only.
func exactLoss() Loss { return Loss{Store: "exact"} }

// add accounts for run res; used says whether the figure rests on what the
// run did not find (a holds, a maximum), not only on a violation it found.
func (l *Loss) add(res *checker.Result, used bool) {
	if res == nil {
		return
	}
	lossy := Loss{Store: res.Store()}
	if used {
		lossy.OmissionProbability = res.OmissionBound
	}
	l.merge(lossy)
}

// merge accounts for the runs behind o as well.
func (l *Loss) merge(o Loss) {
	if l.Store != "fingerprint" {
		l.Store = "exact"
		if o.Store == "fingerprint" {
			l.Store = o.Store
		}
	}
	l.OmissionProbability += o.OmissionProbability
	l.LossNote = ""
	if l.Store == "fingerprint" {
		l.LossNote = (&checker.Result{Fingerprint: true, OmissionBound: l.OmissionProbability}).LossNote()
	}
}

// Lossy reports whether a fingerprint store is behind the figure.
func (l Loss) Lossy() bool { return l.Store == "fingerprint" }
