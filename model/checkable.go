package model

import "github.com/rcucheck/rcucheck/checker"

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
	if l := &c.m.layout; l.cpuBits() <= 63 && 2+l.wSet+l.wRes < 64 {
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
	x.acts = x.m.Enabled(x.cur, x.acts[:0])
	for _, a := range x.acts {
		x.next.CopyFrom(x.cur)
		x.m.Apply(x.next, a)
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
