package properties

import (
	"errors"
	"fmt"
	"strings"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties/reclaim"
)

// Impl is a concrete implementation of the reclaim API, driven step by step
// by DiffCommands: every model transition becomes one call. An operation
// the implementation finds impossible returns an error.
type Impl interface {
	// Free is kvfree_rcu() on cpu; allocOK is the page allocator's answer
	// should the free need a page from it.
	Free(cpu int, allocOK bool) error
	ReadLock(cpu int) error
	ReadUnlock(cpu int) error
	// Monitor hands cpu's queued objects over to a free batch.
	Monitor(cpu int) error
	GPStart() error
	GPEnd() error
	// Reclaim frees batch slot of cpu after its grace period.
	Reclaim(cpu, slot int) error
	// Wake resumes a caller blocked in synchronize_rcu() on cpu.
	Wake(cpu int) error
	Refill(cpu int) error
	Shrink(cpu int) error
	// Metrics counts the implementation's pages, pending objects and pool
	// pages used, in the model's terms.
	Metrics() model.Metrics
	// Stuck reports whether the free path is stuck.
	Stuck() bool
	// Hazard reports whether an object whose grace period has ended is
	// still overlapped by a running reader (freeing it would be unsafe).
	Hazard() bool
}

// NewImplFunc builds a fresh implementation of design d at parameters p.
type NewImplFunc func(d model.Design, p model.Params) (Impl, error)

// NewReclaimImpl builds package reclaim's implementation of one of the
// specification's five designs.
func NewReclaimImpl(d model.Design, p model.Params) (Impl, error) {
	rd, ok := reclaim.Designs()[d.Name()]
	if !ok {
		return nil, fmt.Errorf("package reclaim has no implementation of design %q", d.Name())
	}
	p = model.Normalize(d, p)
	r, err := reclaim.New(rd, reclaim.Config{CPUs: p.CPUs, Bulk: p.Bulk, Cache: p.Cache, Reserve: p.Reserve, Limit: p.Limit})
	if err != nil {
		return nil, err
	}
	return reclaimImpl{r}, nil
}

type reclaimImpl struct{ *reclaim.Reclaimer }

func (r reclaimImpl) Metrics() model.Metrics {
	u := r.Usage()
	return model.Metrics{Pages: u.Pages, Pending: u.Pending, ReserveUsed: u.ReserveUsed}
}

// Drive performs the model transition a on impl.
func Drive(impl Impl, a model.Action) error {
	c := int(a.CPU)
	switch a.Kind {
	case model.KindFree:
		return impl.Free(c, allocated(a.Free))
	case model.KindReadLock:
		return impl.ReadLock(c)
	case model.KindReadUnlock:
		return impl.ReadUnlock(c)
	case model.KindMonitor:
		return impl.Monitor(c)
	case model.KindGPStart:
		return impl.GPStart()
	case model.KindGPEnd:
		return impl.GPEnd()
	case model.KindReclaim:
		return impl.Reclaim(c, int(a.Slot))
	case model.KindWake:
		return impl.Wake(c)
	case model.KindRefill:
		return impl.Refill(c)
	case model.KindShrink:
		return impl.Shrink(c)
	}
	return fmt.Errorf("unknown action %s", a)
}

// diffState is the model's side of the differential test; enabled says
// whether the model enabled the command that led to it.
type diffState struct {
	m       *model.Model
	s       *model.State
	enabled bool
}

func (d *diffState) String() string { return d.s.String() }

// observation is what an implementation shows after one command.
type observation struct {
	err     error
	metrics model.Metrics
	stuck   bool
	hazard  bool
}

// actionCommand is one operation as a gopter command: a transition of
// the model, or an operation the model disables in the state it is run in
// (the implementation must then refuse it and change nothing). For a
// free, the branch is decided by the state and the allocator's answer
// (see match); the command carries the answer.
type actionCommand struct{ a model.Action }

func (c actionCommand) Run(sut commands.SystemUnderTest) commands.Result {
	impl := sut.(Impl)
	var err error
	if c.a.Kind != 0 {
		err = Drive(impl, c.a)
	}
	return observation{err: err, metrics: impl.Metrics(), stuck: impl.Stuck(), hazard: impl.Hazard()}
}

func (c actionCommand) NextState(st commands.State) commands.State {
	d := st.(*diffState)
	if c.a.Kind == 0 {
		return d
	}
	n := &diffState{m: d.m, s: d.s}
	e, ok := match(d.m.Enabled(d.s, nil), c.a)
	if ok {
		n.s, n.enabled = d.s.Clone(), true
		n.m.Apply(n.s, e)
	}
	return n
}

// PreCondition admits every operation but "idle", which is generated only
// where the model enables nothing, and a free on a CPU that has made its K
// frees: K bounds the model's workload, not the implementation, which
// rightly accepts more.
func (c actionCommand) PreCondition(st commands.State) bool {
	d := st.(*diffState)
	switch c.a.Kind {
	case 0:
		return len(d.m.Enabled(d.s, nil)) == 0
	case model.KindFree:
		return int(d.s.CPUs[c.a.CPU].Calls) < d.m.Params().Calls
	}
	return true
}

func (c actionCommand) PostCondition(st commands.State, res commands.Result) *gopter.PropResult {
	d := st.(*diffState)
	o := res.(observation)
	var bad []string
	switch {
	case c.a.Kind == 0:
	case !d.enabled && o.err == nil:
		bad = append(bad, fmt.Sprintf("the model disables %s, the implementation accepted it", c.a))
	case d.enabled && o.err != nil && !(d.s.Stuck && c.a.Kind == model.KindFree):
		bad = append(bad, fmt.Sprintf("implementation refused %s, which the model enables: %v", c.a, o.err))
	}
	if want := d.m.Metrics(d.s); o.metrics != want {
		bad = append(bad, fmt.Sprintf("after %s: implementation has %+v, model %+v", c.a, o.metrics, want))
	}
	if o.stuck != d.s.Stuck {
		bad = append(bad, fmt.Sprintf("after %s: implementation stuck=%v, model stuck=%v", c.a, o.stuck, d.s.Stuck))
	}
	if o.hazard == model.GracePeriodHolds(d.s) {
		bad = append(bad, fmt.Sprintf("after %s: implementation hazard=%v, model GracePeriod holds=%v", c.a, o.hazard, model.GracePeriodHolds(d.s)))
	}
	if len(bad) > 0 {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{strings.Join(bad, "; ")}}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

func (c actionCommand) String() string {
	if c.a.Kind == 0 {
		return "idle"
	}
	return c.a.String()
}

// alphabet lists every operation of a model with n CPUs: a free with the
// allocator succeeding and failing per CPU, and every other action per
// CPU (and slot).
func alphabet(n int) []model.Action {
	var out []model.Action
	for c := uint8(0); c < uint8(n); c++ {
		out = append(out, model.Action{Kind: model.KindFree, CPU: c, Free: model.FreeAllocOK}, model.Action{Kind: model.KindFree, CPU: c, Free: model.FreeHead})
		for _, k := range []model.Kind{model.KindReadLock, model.KindReadUnlock, model.KindMonitor, model.KindWake, model.KindRefill, model.KindShrink} {
			out = append(out, model.Action{Kind: k, CPU: c})
		}
		out = append(out, model.Action{Kind: model.KindReclaim, CPU: c}, model.Action{Kind: model.KindReclaim, CPU: c, Slot: 1})
	}
	return append(out, model.Action{Kind: model.KindGPStart}, model.Action{Kind: model.KindGPEnd})
}

// DiffCommands is the stateful differential test of an implementation
// against the model, as gopter commands: three commands in four are a
// transition the model enables, run on both; the fourth is any operation
// of the model's alphabet, often one the model disables, which the
// implementation must refuse. After each, the implementation's metrics,
// stuck flag and grace-period hazard must equal the model's metrics, stuck
// and the negation of GracePeriod, and it must accept exactly the
// operations the model enables: a wrongly disabled action is caught as
// well as a wrongly enabled one. newImpl nil means NewReclaimImpl.
func DiffCommands(d model.Design, p model.Params, newImpl NewImplFunc) (commands.Commands, error) {
	return diffCommands(d, p, newImpl, true)
}

// diffCommands is DiffCommands; without disabled, only transitions the
// model enables are generated (the test before disabled operations were
// added, kept to show what they catch).
func diffCommands(d model.Design, p model.Params, newImpl NewImplFunc, disabled bool) (commands.Commands, error) {
	m, err := model.New(d, p)
	if err != nil {
		return nil, fmt.Errorf("design %s: %w", d.Name(), err)
	}
	if newImpl == nil {
		newImpl = NewReclaimImpl
	}
	if _, err := newImpl(d, m.Params()); err != nil {
		return nil, err
	}
	all := make([]interface{}, 0, 10*m.Params().CPUs+2)
	for _, a := range alphabet(m.Params().CPUs) {
		all = append(all, actionCommand{a})
	}
	anyOp := gen.OneConstOf(all...)
	idle := actionCommand{} // generated only when nothing is enabled
	return &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			impl, err := newImpl(d, m.Params())
			if err != nil {
				panic(err) // checked above: the same arguments gave no error
			}
			return impl
		},
		InitialStateGen: func(*gopter.GenParameters) *gopter.GenResult {
			return gopter.NewGenResult(&diffState{m: m, s: m.Initial()}, gopter.NoShrinker)
		},
		GenCommandFunc: func(st commands.State) gopter.Gen {
			ds := st.(*diffState)
			en := m.Enabled(ds.s, nil)
			if len(en) == 0 {
				return gen.Const(idle)
			}
			cs := make([]interface{}, len(en))
			for i, a := range en {
				cs[i] = actionCommand{a}
			}
			if !disabled {
				return gen.OneConstOf(cs...)
			}
			return gen.Weighted([]gen.WeightedGen{{Weight: 3, Gen: gen.OneConstOf(cs...)}, {Weight: 1, Gen: anyOp}})
		},
	}, nil
}

// DiffResult is the outcome of DiffRun.
type DiffResult struct {
	Passed  bool
	Tests   int    // sequences that passed
	Failure string // the shrunk failing sequence and what differed
}

// DiffRun runs the differential test: runs command sequences of up to
// maxLen commands (gopter's size), from seed. A failure is shrunk by gopter.
func DiffRun(d model.Design, p model.Params, newImpl NewImplFunc, seed int64, runs, maxLen int) (*DiffResult, error) {
	return diffRun(d, p, newImpl, seed, runs, maxLen, true)
}

func diffRun(d model.Design, p model.Params, newImpl NewImplFunc, seed int64, runs, maxLen int, disabled bool) (*DiffResult, error) {
	cmds, err := diffCommands(d, p, newImpl, disabled)
	if err != nil {
		return nil, err
	}
	if runs < 1 || maxLen < 1 {
		return nil, errors.New("runs and maxLen must be >= 1")
	}
	tp := gopter.DefaultTestParametersWithSeed(seed)
	tp.MinSuccessfulTests = runs
	tp.MaxSize = maxLen
	res := commands.Prop(cmds).Check(tp)
	out := &DiffResult{Passed: res.Passed(), Tests: res.Succeeded}
	if !out.Passed {
		var b strings.Builder
		fmt.Fprintf(&b, "status %v after %d passed sequences (seed %d)", res.Status, res.Succeeded, seed)
		if res.Error != nil {
			fmt.Fprintf(&b, ": %v", res.Error)
		}
		for _, l := range res.Labels {
			fmt.Fprintf(&b, "\n  %s", l)
		}
		for _, a := range res.Args {
			fmt.Fprintf(&b, "\n  shrunk (%d shrinks): %v", a.Shrinks, a.Arg)
		}
		out.Failure = b.String()
	}
	return out, nil
}
