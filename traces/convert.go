package traces

import (
	"fmt"
	"sort"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// PathOptions say how a path of the model becomes a history.
type PathOptions struct {
	Label    string // the header's label
	Seed     int64  // the header's seed (0 when the path was not random)
	Expected string // the header's expected verdict, when known
	// Complete appends to the path the reclaim and wake actions its last
	// state enables, repeatedly, so that objects whose grace period has
	// ended are actually reclaimed in the history. A counterexample to
	// GracePeriod ends in a state where a batch is DONE while a reader that
	// overlapped a free still runs: its reclaim is what makes the violation
	// visible to the contract.
	Complete bool
	// NoSteps leaves the internal model steps out of the history.
	NoSteps bool
}

// FromModelRun converts a path of the model of design d at parameters p
// (for instance a random run started from seed) into a history whose
// operations span the model steps between their call and their return.
// It is what "rcucheck fuzz --trace" writes.
func FromModelRun(d model.Design, p model.Params, seed int64, actions []model.Action) (*History, error) {
	m, err := model.New(d, p)
	if err != nil {
		return nil, fmt.Errorf("trace of a %s run: %w", d.Name(), err)
	}
	return FromModelPath(m, actions, PathOptions{Seed: seed, Label: fmt.Sprintf("random run, seed %d", seed)})
}

// CompletePath returns actions followed by the reclaim and wake actions the
// path's last state enables, applied until none is enabled.
func CompletePath(m *model.Model, actions []model.Action) ([]model.Action, error) {
	s := m.Initial()
	for i, a := range actions {
		if err := m.Step(s, a); err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	out := append([]model.Action(nil), actions...)
	var buf []model.Action
	for {
		buf = m.Enabled(s, buf[:0])
		found := false
		for _, a := range buf {
			if a.Kind == model.KindReclaim || a.Kind == model.KindWake {
				m.Apply(s, a)
				out = append(out, a)
				found = true
				break
			}
		}
		if !found {
			return out, nil
		}
	}
}

// ParsePath parses actions as model.Action.String prints them.
func ParsePath(names []string) ([]model.Action, error) {
	out := make([]model.Action, 0, len(names))
	for i, n := range names {
		a, err := model.ParseAction(n)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// pathOp is an operation being built: its return is known later.
type pathOp struct {
	rec     Record
	pending bool
}

// tracker follows object identities through the model's channels, batch
// slots and blocked callers as a path is applied. It does not decide
// anything the model decides: where an action moves objects is read from the
// state before and after the model applied it, and every step is checked
// against the model's own counts.
type tracker struct {
	n       int
	objSeq  int
	secSeq  int
	gpSeq   int64
	ops     []*pathOp
	cpu     []cpuObjs
	objFree map[string]*pathOp
	secOpen []*pathOp
}

type cpuObjs struct {
	objs, heads []string
	blk         string
	blkDoneAt   int64
	slot        [2]struct {
		objs   []string
		doneAt int64
	}
}

// FromModelPath converts a path of m into a history. The path must be
// enabled step by step from the initial state.
func FromModelPath(m *model.Model, actions []model.Action, opt PathOptions) (*History, error) {
	if opt.Complete {
		var err error
		if actions, err = CompletePath(m, actions); err != nil {
			return nil, fmt.Errorf("completing the path: %w", err)
		}
	}
	p := m.Params()
	n := p.CPUs
	h := &History{Header: NewHeader(SourceModel, UnitStep)}
	h.Header.Model = "reference-model"
	h.Header.Design = m.Design().Name()
	h.Header.Params = &p
	h.Header.Seed = opt.Seed
	h.Header.Label = opt.Label
	h.Header.Expected = opt.Expected
	for c := 0; c < n; c++ {
		h.Header.Clients = append(h.Header.Clients, fmt.Sprintf("cpu%d", c))
	}
	for c := 0; c < n; c++ {
		h.Header.Clients = append(h.Header.Clients, fmt.Sprintf("worker%d", c))
	}
	h.Header.Clients = append(h.Header.Clients, "gp")
	gpClient := 2 * n

	t := &tracker{n: n, cpu: make([]cpuObjs, n), objFree: map[string]*pathOp{}, secOpen: make([]*pathOp, n)}
	s := m.Initial()
	prev := s.Clone()
	var steps []Record
	for i, a := range actions {
		step := int64(i + 1)
		prev.CopyFrom(s)
		if err := m.Step(s, a); err != nil {
			return nil, fmt.Errorf("model path step %d (%s): %w", step, a, err)
		}
		c := int(a.CPU)
		client := c
		if a.Kind == model.KindGPStart || a.Kind == model.KindGPEnd {
			client = gpClient
		}
		steps = append(steps, Record{Type: "step", Time: i64(step), Client: client, Action: a.String()})
		if err := t.apply(prev, s, a, step, gpClient); err != nil {
			return nil, fmt.Errorf("model path step %d (%s): %w", step, a, err)
		}
		if err := t.check(m, s); err != nil {
			return nil, fmt.Errorf("model path step %d (%s): object bookkeeping out of step with the model: %w", step, a, err)
		}
	}
	sort.SliceStable(t.ops, func(i, j int) bool { return *t.ops[i].rec.Call < *t.ops[j].rec.Call })
	var recs []Record
	for i, op := range t.ops {
		r := op.rec
		r.Type = "op"
		r.ID = int64(i + 1)
		if op.pending {
			r.Pending, r.Return = true, nil
		} else {
			r.Result = "ok"
		}
		recs = append(recs, r)
	}
	if !opt.NoSteps {
		recs = mergeByTime(recs, steps)
	}
	h.Records = recs
	return h, nil
}

// mergeByTime interleaves operation and step records by time.
func mergeByTime(ops, steps []Record) []Record {
	out := make([]Record, 0, len(ops)+len(steps))
	i, j := 0, 0
	for i < len(ops) || j < len(steps) {
		if j >= len(steps) || (i < len(ops) && *ops[i].Call <= *steps[j].Time) {
			out = append(out, ops[i])
			i++
		} else {
			out = append(out, steps[j])
			j++
		}
	}
	return out
}

func (t *tracker) newOp(op Op, client int, call int64) *pathOp {
	o := &pathOp{rec: Record{Op: op, Client: client, Call: i64(call), Return: i64(call)}}
	t.ops = append(t.ops, o)
	return o
}

func (t *tracker) apply(prev, s *model.State, a model.Action, step int64, gpClient int) error {
	c := int(a.CPU)
	switch a.Kind {
	case model.KindFree:
		t.objSeq++
		obj := fmt.Sprintf("o%d", t.objSeq)
		op := t.newOp(OpFree, c, step)
		op.rec.Obj = obj
		op.rec.Info = a.String()
		t.objFree[obj] = op
		u, pu := &s.CPUs[c], &prev.CPUs[c]
		switch {
		case u.Objs > pu.Objs:
			t.cpu[c].objs = append(t.cpu[c].objs, obj)
		case u.Heads > pu.Heads:
			t.cpu[c].heads = append(t.cpu[c].heads, obj)
		case u.Blk != model.PhaseNone && pu.Blk == model.PhaseNone:
			t.cpu[c].blk = obj
			op.pending = true // returns at wake(c)
		case s.Stuck:
			op.pending = true // the free never completes
		default:
			return fmt.Errorf("free(%d) put its object nowhere the converter knows", c)
		}
	case model.KindReadLock:
		t.secSeq++
		op := t.newOp(OpSection, c, step)
		op.rec.Section = fmt.Sprintf("s%d", t.secSeq)
		op.pending = true
		t.secOpen[c] = op
	case model.KindReadUnlock:
		op := t.secOpen[c]
		if op == nil {
			return fmt.Errorf("read_unlock(%d) without a section", c)
		}
		op.rec.Return = i64(step)
		op.pending = false
		t.secOpen[c] = nil
	case model.KindMonitor:
		j := -1
		for k := range s.CPUs[c].Slot {
			if prev.CPUs[c].Slot[k].Phase == model.PhaseFree && s.CPUs[c].Slot[k].Phase != model.PhaseFree {
				j = k
			}
		}
		if j < 0 {
			return fmt.Errorf("monitor(%d) filled no slot", c)
		}
		u := &t.cpu[c]
		u.slot[j].objs = append(append([]string(nil), u.objs...), u.heads...)
		u.objs, u.heads = nil, nil
	case model.KindGPStart:
		t.gpSeq++
		op := t.newOp(OpGPStart, gpClient, step)
		op.rec.GP = i64(t.gpSeq)
	case model.KindGPEnd:
		op := t.newOp(OpGPEnd, gpClient, step)
		op.rec.GP = i64(t.gpSeq)
	case model.KindReclaim:
		u := &t.cpu[c]
		sl := &u.slot[a.Slot]
		for _, obj := range sl.objs {
			op := t.newOp(OpReclaim, t.n+c, sl.doneAt)
			op.rec.Obj = obj
			op.rec.Return = i64(step)
			op.rec.Info = a.String()
		}
		sl.objs = nil
	case model.KindWake:
		u := &t.cpu[c]
		obj := u.blk
		op := t.newOp(OpReclaim, c, u.blkDoneAt)
		op.rec.Obj = obj
		op.rec.Return = i64(step)
		op.rec.Info = a.String()
		if f := t.objFree[obj]; f != nil {
			f.rec.Return = i64(step)
			f.pending = false
		}
		u.blk = ""
	}
	// The step at which a batch or a blocked caller became DONE starts the
	// reclaim's interval: the worker (or the caller) runs from then on.
	for k := range s.CPUs {
		u, pu := &s.CPUs[k], &prev.CPUs[k]
		for j := range u.Slot {
			if u.Slot[j].Phase == model.PhaseDone && pu.Slot[j].Phase != model.PhaseDone {
				t.cpu[k].slot[j].doneAt = step
			}
		}
		if u.Blk == model.PhaseDone && pu.Blk != model.PhaseDone {
			t.cpu[k].blkDoneAt = step
		}
	}
	return nil
}

// check compares the tracked objects with the model's counts.
func (t *tracker) check(m *model.Model, s *model.State) error {
	var pending int64
	for c := range s.CPUs {
		u, tu := &s.CPUs[c], &t.cpu[c]
		if int(u.Objs) != len(tu.objs) || int(u.Heads) != len(tu.heads) {
			return fmt.Errorf("cpu%d channel: model objs=%d heads=%d, tracked %d and %d", c, u.Objs, u.Heads, len(tu.objs), len(tu.heads))
		}
		for j := range u.Slot {
			if int(u.Slot[j].Objs+u.Slot[j].Heads) != len(tu.slot[j].objs) {
				return fmt.Errorf("cpu%d slot %d: model holds %d objects, tracked %d", c, j, u.Slot[j].Objs+u.Slot[j].Heads, len(tu.slot[j].objs))
			}
			pending += int64(len(tu.slot[j].objs))
		}
		if (u.Blk != model.PhaseNone) != (tu.blk != "") {
			return fmt.Errorf("cpu%d blocked caller: model blk=%s, tracked %q", c, u.Blk, tu.blk)
		}
		pending += int64(len(tu.objs) + len(tu.heads))
		if tu.blk != "" {
			pending++
		}
	}
	if mp := m.Metrics(s).Pending; mp != pending {
		return fmt.Errorf("model pending=%d, tracked %d", mp, pending)
	}
	return nil
}

// FromReport converts the traces of a check report on m into histories:
// every counterexample (completed with the reclaims its last state enables,
// see PathOptions.Complete) and every path to a metric's maximum. A
// GracePeriod counterexample is expected not to be linearizable; when the
// report shows GracePeriod holding, every history is expected to be.
func FromReport(m *model.Model, rep *model.Report) ([]*History, error) {
	gpHolds := rep.Properties[model.PropGracePeriod].Verdict == checker.Holds
	var hs []*History
	add := func(label string, steps []model.TraceStep, expected string) error {
		names := make([]string, len(steps))
		for i, s := range steps {
			names[i] = s.Action
		}
		path, err := ParsePath(names)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		if expected == "" && gpHolds {
			expected = Linearizable
		}
		h, err := FromModelPath(m, path, PathOptions{Label: label, Complete: true, Expected: expected})
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		hs = append(hs, h)
		return nil
	}
	for _, name := range model.PropertyOrder() {
		pr := rep.Properties[name]
		if pr.Verdict != checker.Violated {
			continue
		}
		expected := ""
		if name == model.PropGracePeriod {
			expected = NotLinearizable
		}
		if err := add(fmt.Sprintf("%s %s counterexample (%d steps)", rep.Design, name, len(pr.Trace)), pr.Trace, expected); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{model.MetricPages, model.MetricPending, model.MetricReserve} {
		steps, ok := rep.MaxTraces[name]
		if !ok || len(steps) == 0 {
			continue
		}
		if err := add(fmt.Sprintf("%s path to the maximum of %s (%d steps)", rep.Design, name, len(steps)), steps, ""); err != nil {
			return nil, err
		}
	}
	return hs, nil
}
