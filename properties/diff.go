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

// diffState is the model's side of the differential test.
type diffState struct {
	m *model.Model
	s *model.State
}

func (d *diffState) String() string { return d.s.String() }

// observation is what an implementation shows after one command.
type observation struct {
	err     error
	metrics model.Metrics
	stuck   bool
	hazard  bool
}

// actionCommand is one model transition as a gopter command.
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
	n := &diffState{m: d.m, s: d.s.Clone()}
	n.m.Apply(n.s, c.a)
	return n
}

func (c actionCommand) PreCondition(st commands.State) bool {
	d := st.(*diffState)
	en := d.m.Enabled(d.s, nil)
	if c.a.Kind == 0 {
		return len(en) == 0 // "idle": only when nothing is enabled
	}
	for _, e := range en {
		if e == c.a {
			return true
		}
	}
	return false
}

func (c actionCommand) PostCondition(st commands.State, res commands.Result) *gopter.PropResult {
	d := st.(*diffState)
	o := res.(observation)
	var bad []string
	if o.err != nil && !(d.s.Stuck && c.a.Free == model.FreeStuck) {
		bad = append(bad, fmt.Sprintf("implementation refused %s: %v", c.a, o.err))
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

// DiffCommands is the stateful differential test of an implementation
// against the model, as gopter commands: each command is a transition of
// the model enabled in the model's state, run on both; after each, the
// implementation's metrics, stuck flag and grace-period hazard must equal
// the model's metrics, stuck and the negation of GracePeriod, and it must
// accept the operation. newImpl nil means NewReclaimImpl.
func DiffCommands(d model.Design, p model.Params, newImpl NewImplFunc) (commands.Commands, error) {
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
			return gen.OneConstOf(cs...)
		},
	}, nil
}

// DiffResult is the outcome of CheckDiffRun.
type DiffResult struct {
	Passed  bool
	Tests   int    // sequences that passed
	Failure string // the shrunk failing sequence and what differed
}

// DiffRun runs the differential test: runs command sequences of up to
// maxLen commands (gopter's size), from seed. A failure is shrunk by gopter.
func DiffRun(d model.Design, p model.Params, newImpl NewImplFunc, seed int64, runs, maxLen int) (*DiffResult, error) {
	cmds, err := DiffCommands(d, p, newImpl)
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
