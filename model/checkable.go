package model

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/rcucheck/rcucheck/checker"
)

// The names of the spec's properties and metrics, as rcucheck reports them.
const (
	PropNoStuck     = "NoStuck"
	PropGracePeriod = "GracePeriod"
	PropDrainable   = "Drainable"
	MetricPages     = "pages"
	MetricPending   = "pending"
	MetricReserve   = "reserve_used"
)

// The model as the checker sees it. The order of these lists is the order of
// Evaluate's outputs.
var (
	_ checker.Model   = Checkable{}
	_ checker.Compact = Checkable{}
)

// Checkable is a Model as the checker explores it: states packed into
// machine words, transitions as action codes.
type Checkable struct{ m *Model }

// Checkable returns m as a checker.Model.
func (m *Model) Checkable() Checkable { return Checkable{m} }

// Model returns the model behind c.
func (c Checkable) Model() *Model { return c.m }

// StateWords implements checker.Model.
func (c Checkable) StateWords() int { return c.m.layout.words }

// StateBits implements checker.Compact: the bits of a packed state, all
// those of the words beyond being 0.
func (c Checkable) StateBits() int { return int(c.m.layout.total) }

// Initial implements checker.Model: it packs the initial state into dst.
func (c Checkable) Initial(dst []uint64) { c.m.layout.pack(c.m.Initial(), dst) }

// Pack writes s into dst (StateWords long).
func (m *Model) Pack(s *State, dst []uint64) { m.layout.pack(s, dst) }

// Unpack returns the state packed in src.
func (m *Model) Unpack(src []uint64) *State {
	s := &State{CPUs: make([]CPU, m.params.CPUs)}
	m.layout.unpack(src, s)
	return s
}

// ActionName implements checker.Model.
func (Checkable) ActionName(a checker.Action) string { return ActionFromCode(uint32(a)).String() }

// Invariants implements checker.Model: NoStuck and GracePeriod.
func (Checkable) Invariants() []string { return []string{PropNoStuck, PropGracePeriod} }

// Goals implements checker.Model: Drainable (a state with pending = 0).
func (Checkable) Goals() []string { return []string{PropDrainable} }

// Metrics implements checker.Model: pages, pending and reserve_used.
func (Checkable) Metrics() []string { return []string{MetricPages, MetricPending, MetricReserve} }

// NewCanonicalizer implements checker.Symmetric: the CPUs are
// interchangeable (see symmetry.go).
func (c Checkable) NewCanonicalizer() checker.Canonicalizer { return c.m.NewCanonicalizer() }

// NewExpander implements checker.Model. When one CPU's fields fit in a
// register and the global fields in the first word, it returns the fast
// expander (fast.go), which emits the same successors as the reference
// expander below, faster.
func (c Checkable) NewExpander() checker.Expander {
	if l := &c.m.layout; l.cb <= 63 && l.hb < 64 {
		return newFastExpander(c.m)
	}
	return newExpander(c.m)
}

// newExpander returns the reference expander: it unpacks the state, and for
// every enabled action copies it, applies the action and packs the result.
func newExpander(m *Model) *expander {
	return &expander{
		m:    m,
		cur:  &State{CPUs: make([]CPU, m.params.CPUs)},
		next: &State{CPUs: make([]CPU, m.params.CPUs)},
		eval: &State{CPUs: make([]CPU, m.params.CPUs)},
		out:  make([]uint64, m.layout.words),
		acts: make([]Action, 0, 8*m.params.CPUs+2),
	}
}

type expander struct {
	m         *Model
	cur, next *State
	eval      *State // Evaluate's own: it runs inside Successors' emit
	out       []uint64
	acts      []Action
}

func (x *expander) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	x.m.layout.unpack(s, x.cur)
	x.acts = x.m.enabledFast(x.cur, x.acts[:0])
	for _, a := range x.acts {
		x.next.CopyFrom(x.cur)
		x.m.applyFast(x.next, a)
		x.m.layout.pack(x.next, x.out)
		emit(checker.Action(a.Code()), x.out)
	}
}

func (x *expander) Evaluate(s []uint64, inv, goal []bool, metric []int64) {
	evaluate(x.m, x.eval, s, inv, goal, metric)
}

// evaluate unpacks s into scratch and reports its invariants, goal and
// metrics, in the order of Checkable's lists.
func evaluate(m *Model, scratch *State, s []uint64, inv, goal []bool, metric []int64) {
	m.layout.unpack(s, scratch)
	inv[0] = !scratch.Stuck
	inv[1] = GracePeriodHolds(scratch)
	mt := m.Metrics(scratch)
	goal[0] = mt.Pending == 0
	metric[0], metric[1], metric[2] = mt.Pages, mt.Pending, mt.ReserveUsed
}

// Verified is a Checkable whose expanders run, on every state the checker
// expands, both the expander the checker would use (NewExpander: the fast
// one when it applies) and the reference expander (newExpander: Enabled,
// Apply and pack), and compare their successors one by one, action and
// packed state, in order. The first mismatch is kept (Err) and stops the
// run through the cancel function given to Verify; the run's figures are
// then meaningless and must not be reported. When NewExpander returns the
// reference expander itself (a CPU's fields do not fit in a register),
// the comparison is of that expander with a second instance of itself.
type Verified struct {
	Checkable
	newUnder func() checker.Expander // the expander under test
	cancel   context.CancelFunc
	mu       sync.Mutex
	err      error
}

// Verify returns c as a Verified model; cancel is called on the first
// mismatch.
func (c Checkable) Verify(cancel context.CancelFunc) *Verified {
	return &Verified{Checkable: c, newUnder: c.NewExpander, cancel: cancel}
}

// NewExpander implements checker.Model: an expander that compares the
// expander under test with the reference one on every state.
func (v *Verified) NewExpander() checker.Expander {
	return &verifyExpander{v: v, under: v.newUnder(), ref: newExpander(v.m)}
}

// Err returns the first mismatch found, or nil.
func (v *Verified) Err() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

// fail records err if it is the first mismatch, and stops the run.
func (v *Verified) fail(err error) {
	v.mu.Lock()
	if v.err == nil {
		v.err = err
	}
	v.mu.Unlock()
	if v.cancel != nil {
		v.cancel()
	}
}

// emitted is one successor as an expander emitted it.
type emitted struct {
	act  checker.Action
	next []uint64
}

// verifyExpander is Verified's expander.
type verifyExpander struct {
	v          *Verified
	under, ref checker.Expander
	got, want  []emitted
	spare      [][]uint64 // buffers for the successors, reused
}

// record returns an emit function appending to *dst, copying each state
// into a reused buffer.
func (x *verifyExpander) record(dst *[]emitted) func(checker.Action, []uint64) {
	return func(a checker.Action, next []uint64) {
		var buf []uint64
		if n := len(x.spare); n > 0 {
			buf, x.spare = x.spare[n-1][:0], x.spare[:n-1]
		}
		*dst = append(*dst, emitted{a, append(buf, next...)})
	}
}

// Successors implements checker.Expander: it emits the reference
// expander's successors, after comparing them with the expander under
// test's; on a mismatch it emits nothing more and stops the run.
func (x *verifyExpander) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	for _, e := range append(x.got, x.want...) {
		x.spare = append(x.spare, e.next)
	}
	x.got, x.want = x.got[:0], x.want[:0]
	x.under.Successors(s, x.record(&x.got))
	x.ref.Successors(s, x.record(&x.want))
	if err := x.compare(s); err != nil {
		x.v.fail(err)
		return
	}
	for _, e := range x.want {
		emit(e.act, e.next)
	}
}

// compare returns an error naming the first difference between the
// successors of s in x.got and x.want.
func (x *verifyExpander) compare(s []uint64) error {
	m := x.v.m
	name := func(e emitted) string {
		return fmt.Sprintf("%s -> [%s]", ActionFromCode(uint32(e.act)), m.Unpack(e.next))
	}
	for i := 0; i < max(len(x.got), len(x.want)); i++ {
		var g, w string
		switch {
		case i >= len(x.got):
			g, w = "nothing", name(x.want[i])
		case i >= len(x.want):
			g, w = name(x.got[i]), "nothing"
		case x.got[i].act != x.want[i].act || !slices.Equal(x.got[i].next, x.want[i].next):
			g, w = name(x.got[i]), name(x.want[i])
		default:
			continue
		}
		return fmt.Errorf("the fast expander disagrees with the reference expander (Enabled, Apply) in state [%s], successor %d of %d: fast %s, reference %s",
			m.Unpack(s), i+1, len(x.want), g, w)
	}
	return nil
}

// Evaluate implements checker.Expander (both expanders share evaluate).
func (x *verifyExpander) Evaluate(s []uint64, inv, goal []bool, metric []int64) {
	x.ref.Evaluate(s, inv, goal, metric)
}

// CheckVerified is Check with every state's successors verified (see
// Verified): it returns an error, and no report, on the first state where
// the fast expander and the reference expander disagree.
func CheckVerified(ctx context.Context, d Design, p Params, opt checker.Options) (*Report, error) {
	m, err := New(d, p)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	v := m.Checkable().Verify(cancel)
	res, err := checker.Explore(ctx, v, opt)
	if verr := v.Err(); verr != nil {
		return nil, fmt.Errorf("checking %s with --verify: %w", d.Name(), verr)
	}
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", d.Name(), err)
	}
	return m.Report(res), nil
}
