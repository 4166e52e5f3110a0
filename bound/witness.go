package bound

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// The metrics a sweep can follow. LeastReserve is the figure of the least
// reserve; the others are the model's metrics.
const (
	FigureLeastReserve = "least_reserve"
	FigurePages        = model.MetricPages
	FigurePending      = model.MetricPending
	FigureReserveUsed  = model.MetricReserve
)

// Figures lists the figures a sweep can classify.
func Figures() []string {
	return []string{FigureLeastReserve, FigurePages, FigurePending, FigureReserveUsed}
}

// Witness is a pumpable cycle: from the initial state, Prefix leads to a
// state s; Cycle leads from s to a state that equals s but for larger
// counters, with the figure Gain higher, and can be repeated. The search
// runs on the model with no workload bound; Replay shows it on the real
// model.
type Witness struct {
	Design string `json:"design"`
	// Params are the parameters of the search (K = infinity: calls is 0;
	// R large enough to be no limit, for designs with a reserve).
	Params model.Params `json:"params"`
	// Metric is the metric that grows: reserve_used for the least reserve.
	Metric string   `json:"metric"`
	Prefix []string `json:"prefix"`
	Cycle  []string `json:"cycle"`
	// Gain is the metric's growth per repetition of the cycle.
	Gain int64 `json:"gain"`
	// Replay is the value of the metric on the real model after the prefix
	// and m = 0..M repetitions, with the K and R the replay needed.
	Replay      []int64 `json:"replay"`
	ReplayCalls int     `json:"replay_calls"`
	ReplayR     int     `json:"replay_reserve,omitempty"`
	Linear      bool    `json:"linear"`
	// Fair says whether the cycle is weakly fair to the kernel's workers
	// (see SystemAction): Starved lists the system actions enabled in every
	// state of the cycle and never taken in it (empty when Fair).
	Fair    bool     `json:"fair"`
	Starved []string `json:"starved"`
	// Workers says, for every system action of the model, in how many of
	// the cycle's states it was enabled and how often the cycle runs it;
	// ReadersHeld lists the CPUs whose reader runs throughout the cycle.
	Workers     []WorkerUse  `json:"workers"`
	ReadersHeld []int        `json:"readers_held"`
	Exhausts    []StuckPoint `json:"exhausts,omitempty"`

	prefix, cycle []model.Action
}

// StuckPoint says that at reserve R the witness, replayed, reaches a stuck
// state after Iterations repetitions of the cycle, in Steps steps, once a
// CPU has issued Calls frees (so at every K >= Calls).
type StuckPoint struct {
	Reserve    int `json:"reserve"`
	Iterations int `json:"iterations"`
	Calls      int `json:"calls"`
	Steps      int `json:"steps"`
}

// Actions returns the prefix and cycle as actions.
func (w *Witness) Actions() (prefix, cycle []model.Action) { return w.prefix, w.cycle }

// figureMetric returns the model metric that witnesses growth of fig.
func figureMetric(fig string) (string, error) {
	switch fig {
	case FigureLeastReserve, FigureReserveUsed:
		return model.MetricReserve, nil
	case FigurePages, FigurePending:
		return fig, nil
	}
	return "", fmt.Errorf("unknown figure %q", fig)
}

func metricOf(mt model.Metrics, name string) int64 {
	switch name {
	case model.MetricPages:
		return mt.Pages
	case model.MetricPending:
		return mt.Pending
	}
	return mt.ReserveUsed
}

// dominates reports whether t equals s in every finite variable (phases,
// readers, pins, caches, the room of every bulk page, stuck) and has at
// least s's counters (pages, objs, heads of channels and slots) and at
// most s's reserve: the cycle from s to t may then be repeated.
func dominates(t, s *model.State, b int32) bool {
	if t.GPRunning != s.GPRunning || t.QS != s.QS || t.Stuck || s.Stuck || t.Reserve > s.Reserve {
		return false
	}
	room := func(p, o int32) int32 { return p*b - o }
	for c := range s.CPUs {
		u, v := &s.CPUs[c], &t.CPUs[c]
		if u.Rd != v.Rd || u.Cache != v.Cache || u.Blk != v.Blk || u.Pin != v.Pin || u.BlkPin != v.BlkPin {
			return false
		}
		if v.Pages < u.Pages || v.Heads < u.Heads || room(u.Pages, u.Objs) != room(v.Pages, v.Objs) || (u.Pages == 0) != (v.Pages == 0) {
			return false
		}
		for j := range u.Slot {
			x, y := &u.Slot[j], &v.Slot[j]
			if x.Phase != y.Phase || x.Pin != y.Pin || y.Pages < x.Pages || y.Heads < x.Heads ||
				room(x.Pages, x.Objs) != room(y.Pages, y.Objs) || (x.Pages == 0) != (y.Pages == 0) || (x.Heads == 0) != (y.Heads == 0) {
				return false
			}
		}
		if (u.Heads == 0) != (v.Heads == 0) {
			return false
		}
	}
	return true
}

// FindWitness searches design d's model with no workload bound, breadth
// first, for a shortest pumpable cycle along which fig grows: a path from
// the initial state through a state s to a state t that dominates s with a
// larger metric, such that repeating the cycle from s stays enabled and
// grows the metric by the same gain each time (checked on verifyReps
// repetitions). Counters are explored up to limit pages per channel or
// slot; for designs with a reserve, R is set large enough never to run out
// within that limit.
//
// It prefers a weakly fair cycle (see SystemAction): the search goes on
// past pumpable cycles that starve a kernel worker (up to the depth
// fairSlack gives and fairBudget more states), and returns the first
// unfair one (Fair false, Starved naming the workers) only when no fair
// one turns up. With several
// CPUs it first searches the runs in which only CPU 0's caller, reader and
// workers act (the others stay idle, their workers disabled), then all
// runs. It returns nil when no pumpable cycle is found within the limits.
// The witness is then replayed on the real model (see Pump).
//
// o bounds the search: past o.MaxStates states it gives what it found
// (the search's own limit); once its nodes and visited set would pass
// o.MaxMemory it stops with an error wrapping ErrIncomplete (the user's
// limit: the answer is then incomplete, never killed by the kernel).
func FindWitness(ctx context.Context, d model.Design, p model.Params, fig string, o WitnessOptions) (*Witness, error) {
	metric, err := figureMetric(fig)
	if err != nil {
		return nil, err
	}
	limit := o.Limit
	if limit < 1 {
		return nil, fmt.Errorf("witness search: limit must be at least 1, got %d", limit)
	}
	p = model.Normalize(d, p)
	if hasReserve(d) {
		p.Reserve = 3 * p.CPUs * (limit + 1)
	}
	p.Calls = (limit + 1) * p.Bulk
	ws := &witnessSearch{d: d, p: p, metric: metric, limit: limit, maxStates: o.MaxStates, maxMemory: o.MaxMemory, rp: o.Progress}
	if ws.m, err = model.New(d, p); err != nil {
		return nil, fmt.Errorf("witness search for %s: %w", d.Name(), err)
	}
	// mv replays candidate cycles: the same rules with room to repeat them
	// (no workload bound, a reserve that does not run out).
	pv := p
	pv.Calls = 1 << 20
	if hasReserve(d) {
		pv.Reserve = p.Reserve + verifyReps*p.CPUs*(limit+1)*4
		ws.extra = int32(pv.Reserve - p.Reserve)
	}
	if ws.mv, err = model.New(d, pv); err != nil {
		return nil, fmt.Errorf("witness search for %s: %w", d.Name(), err)
	}
	var fallback *Witness
	if p.CPUs > 1 {
		w, err := ws.run(ctx, true)
		if err != nil || (w != nil && w.Fair) {
			return w, err
		}
		fallback = w
	}
	w, err := ws.run(ctx, false)
	if err != nil || w == nil || w.Fair || fallback == nil {
		return w, err
	}
	// Neither pass found a fair cycle: the shorter unfair one.
	if len(fallback.prefix)+len(fallback.cycle) < len(w.prefix)+len(w.cycle) {
		return fallback, nil
	}
	return w, nil
}

// witnessSearch holds what the passes of FindWitness share.
type witnessSearch struct {
	d         model.Design
	p         model.Params
	m, mv     *model.Model // the search's model, and the one candidates are replayed on
	extra     int32        // mv's reserve minus m's
	metric    string
	limit     int
	maxStates int
	maxMemory uint64      // bytes (0: no limit)
	rp        RunProgress // nil: no progress
}

// WitnessOptions bound a witness search (FindWitness).
type WitnessOptions struct {
	// Limit is the number of pages per channel or slot explored (>= 1).
	Limit int
	// MaxStates bounds the states explored (0: no limit): past it the
	// search gives what it found.
	MaxStates int
	// MaxMemory bounds, in bytes, what the search's states and visited set
	// take, with the garbage collector's headroom (0: no limit): past it
	// the search stops with ErrIncomplete.
	MaxMemory uint64
	// Progress, when set, is told about the search about every second.
	Progress RunProgress
}

// searchNode is one state of a witness search and how it was reached.
type searchNode struct {
	s      *model.State
	parent int
	depth  int
	fc     int // the fairness counter (see fairCounter)
	act    model.Action
	val    int64
}

// nodeBytes is what a witness search's node costs in memory: the node in
// a slice that grows by doubling, its state, and its key and entry in the
// visited map (with the map's own overhead), all doubled for the garbage
// collector's headroom (GOGC=100 lets the heap reach twice what is live).
func nodeBytes(cpus, keyBytes int) uint64 {
	node := 2 * uint64(unsafe.Sizeof(searchNode{}))
	state := uint64(unsafe.Sizeof(model.State{})) + uint64(cpus)*uint64(unsafe.Sizeof(model.CPU{}))
	entry := 2 * (uint64(unsafe.Sizeof("")) + 8 + uint64(keyBytes))
	return 2 * (node + state*5/4 + entry)
}

// memoryStop is the error of a search that reached its memory limit.
func (ws *witnessSearch) memoryStop() error {
	return fmt.Errorf("witness search for %s: %w: memory limit %d MiB reached", ws.d.Name(), ErrIncomplete, ws.maxMemory>>20)
}

// progressEvery is how often a witness search reports its progress.
const progressEvery = time.Second

// tell reports the search's progress to ws.rp at most every progressEvery.
func (ws *witnessSearch) tell(start time.Time, last *time.Time, states, depth int) {
	if ws.rp == nil || time.Since(*last) < progressEvery {
		return
	}
	*last = time.Now()
	el := time.Since(start)
	ws.rp("witness search for "+ws.d.Name()+" (no workload bound)", checker.Progress{
		States: uint64(states), Depth: depth, Elapsed: el, StatesPerSec: float64(states) / el.Seconds()})
}

// over reports whether s has more pages (or heads) in a channel or slot
// than the search explores.
func (ws *witnessSearch) over(s *model.State) bool {
	limit, b := ws.limit, ws.p.Bulk
	for c := range s.CPUs {
		u := &s.CPUs[c]
		if int(u.Pages) > limit || int(u.Heads) > limit*b {
			return true
		}
		for j := range u.Slot {
			if int(u.Slot[j].Pages) > limit || int(u.Slot[j].Heads) > limit*b {
				return true
			}
		}
	}
	return false
}

// run is one breadth-first pass; with cpu0 only actions of CPU 0 (and the
// grace-period machinery) are taken.
func (ws *witnessSearch) run(ctx context.Context, cpu0 bool) (*Witness, error) {
	m, d, metric := ws.m, ws.d, ws.metric
	b := int32(ws.p.Bulk)
	type node = searchNode
	init := m.Initial()
	nodes := []node{{s: init, parent: -1, val: metricOf(m.Metrics(init), metric)}}
	seen := map[string]int{}
	key := make([]uint64, m.Checkable().StateWords())
	kb := make([]byte, 8*len(key)+2)
	perNode := nodeBytes(ws.p.CPUs, len(kb))
	keyOf := func(s *model.State, fc int) string {
		m.Pack(s, key)
		for i, w := range key {
			binary.LittleEndian.PutUint64(kb[8*i:], w)
		}
		binary.LittleEndian.PutUint16(kb[8*len(key):], uint16(fc))
		return string(kb)
	}
	seen[keyOf(init, 0)] = 0
	fcs := newFairCounter(ws.p.CPUs)
	// fallback is the first pumpable cycle found, when it is not fair; the
	// search goes on for a fair one up to depth slack and budget states.
	var fallback *Witness
	slack, budget := 0, 0
	var acts []model.Action
	var steps []int
	start, last := time.Now(), time.Now()
	for i := 0; i < len(nodes); i++ {
		if i&1023 == 0 {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("witness search for %s: %w", d.Name(), ctx.Err())
			}
			ws.tell(start, &last, len(nodes), nodes[i].depth)
		}
		if ws.maxStates > 0 && len(nodes) > ws.maxStates {
			return fallback, nil
		}
		if ws.maxMemory > 0 && uint64(len(nodes))*perNode > ws.maxMemory {
			return nil, ws.memoryStop()
		}
		if fallback != nil && (nodes[i].depth >= slack || len(nodes) > budget) {
			return fallback, nil
		}
		cur := nodes[i].s
		acts = m.Enabled(cur, acts[:0])
		for _, a := range acts {
			if cpu0 && a.CPU != 0 {
				continue
			}
			fc := fcs.next(nodes[i].fc, acts, a)
			next := cur.Clone()
			m.Apply(next, a)
			dropCalls(next)
			if next.Stuck || ws.over(next) {
				continue
			}
			k := keyOf(next, fc)
			if _, ok := seen[k]; ok {
				continue
			}
			val := metricOf(m.Metrics(next), metric)
			seen[k] = len(nodes)
			nodes = append(nodes, node{s: next, parent: i, depth: nodes[i].depth + 1, fc: fc, act: a, val: val})
			// Look for an ancestor the new state dominates.
			for anc := i; anc >= 0; anc = nodes[anc].parent {
				if val <= nodes[anc].val || !dominates(next, nodes[anc].s, b) {
					continue
				}
				// steps: the nodes of the path from the initial state.
				steps = steps[:0]
				for j := len(nodes) - 1; nodes[j].parent >= 0; j = nodes[j].parent {
					steps = append(steps, j)
				}
				slices.Reverse(steps)
				depth := nodes[anc].depth
				path := make([]model.Action, len(steps))
				for x, j := range steps {
					path[x] = nodes[j].act
				}
				gain := val - nodes[anc].val
				if !repeats(ws.mv, nodes[anc].s, ws.extra, path[depth:], metric, gain, b) {
					continue
				}
				var f fairness
				for _, j := range steps[depth:] {
					f.step(m, nodes[nodes[j].parent].s, nodes[j].act)
				}
				w := &Witness{
					Design: d.Name(), Params: m.Params(), Metric: metric, Gain: gain,
					Starved: f.starved(), Workers: f.uses(), ReadersHeld: f.heldReaders(),
					prefix: path[:depth], cycle: path[depth:],
				}
				w.Fair = len(w.Starved) == 0
				w.Params.Calls = 0
				w.Prefix, w.Cycle = names(w.prefix), names(w.cycle)
				if w.Fair {
					return w, nil
				}
				if fallback == nil {
					fallback, slack, budget = w, fairSlack(len(path)), len(nodes)+fairBudget
				}
			}
		}
	}
	return fallback, nil
}

// verifyReps is the number of repetitions of a candidate cycle the search
// replays before it accepts the cycle as pumpable.
const verifyReps = 4

// repeats replays cycle verifyReps times from a copy of s on mv (s's
// reserve raised by extra, so that the pages used are the same) and
// reports whether every step is enabled, every repetition ends in a state
// that dominates the one it started from, and the metric grows by exactly
// gain each time. Dominance alone does not make a cycle pumpable: a cycle
// that hands the channel to a batch and reclaims it later returns more
// pages the more the channel holds.
func repeats(mv *model.Model, s *model.State, extra int32, cycle []model.Action, metric string, gain int64, b int32) bool {
	s = s.Clone()
	s.Reserve += extra
	base := metricOf(mv.Metrics(s), metric)
	var buf []model.Action
	for r := int64(1); r <= verifyReps; r++ {
		start := s.Clone()
		for _, a := range cycle {
			buf = mv.Enabled(s, buf[:0])
			if !slices.Contains(buf, a) {
				return false
			}
			mv.Apply(s, a)
			dropCalls(s)
		}
		if !dominates(s, start, b) || metricOf(mv.Metrics(s), metric) != base+r*gain {
			return false
		}
	}
	return true
}

func names(acts []model.Action) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = a.String()
	}
	return out
}

// freesPerCPU counts the frees of each CPU in acts.
func freesPerCPU(acts []model.Action, n int) []int {
	f := make([]int, n)
	for _, a := range acts {
		if a.Kind == model.KindFree {
			f[a.CPU]++
		}
	}
	return f
}

// Pump runs the witness on the real model (with the workload bound K and
// the reserve R it needs for the prefix and reps repetitions) and records
// the metric after the prefix and after each repetition: Replay[m]. Every
// step is checked enabled by model.Step, and every repetition must starve
// exactly the system actions the search found (none for a fair witness).
// Linear is set when the metric grows by exactly Gain per repetition.
func (w *Witness) Pump(d model.Design, reps int) error {
	p := w.Params
	pf, cf := freesPerCPU(w.prefix, p.CPUs), freesPerCPU(w.cycle, p.CPUs)
	k := 0
	for c := range pf {
		k = max(k, pf[c]+reps*cf[c])
	}
	p.Calls = max(k, 1)
	if hasReserve(d) {
		// Enough reserve for every page the replay may take.
		p.Reserve = 0
		for c := range pf {
			p.Reserve += pf[c] + reps*cf[c]
		}
	}
	m, err := model.New(d, p)
	if err != nil {
		return fmt.Errorf("replaying the witness of %s: %w", d.Name(), err)
	}
	s := m.Initial()
	for i, a := range w.prefix {
		if err := m.Step(s, a); err != nil {
			return fmt.Errorf("replaying the witness of %s: prefix step %d: %w", d.Name(), i+1, err)
		}
	}
	w.Replay = []int64{metricOf(m.Metrics(s), w.Metric)}
	for r := 1; r <= reps; r++ {
		var f fairness
		for i, a := range w.cycle {
			f.step(m, s, a)
			if err := m.Step(s, a); err != nil {
				return fmt.Errorf("replaying the witness of %s: repetition %d step %d: %w", d.Name(), r, i+1, err)
			}
		}
		w.Replay = append(w.Replay, metricOf(m.Metrics(s), w.Metric))
		if st := f.starved(); !slices.Equal(st, w.Starved) {
			return fmt.Errorf("replaying the witness of %s: repetition %d starves %v on the real model, the search found %v", d.Name(), r, st, w.Starved)
		}
	}
	w.ReplayCalls, w.ReplayR = p.Calls, m.Params().Reserve
	w.Linear = true
	for r := range w.Replay {
		if w.Replay[r] != w.Replay[0]+int64(r)*w.Gain {
			w.Linear = false
		}
	}
	return nil
}

// Exhaust replays the witness on the real model with reserve r and a
// workload bound large enough, until a free gets stuck: every step is the
// recorded one, except that a free whose recorded branch is not enabled
// takes the branch the state determines (a page in the newest bulk page,
// the cache, the reserve, or stuck). It fails when the replay cannot go on
// or no stuck state comes within maxReps repetitions.
func (w *Witness) Exhaust(d model.Design, r, maxReps int) (StuckPoint, error) {
	p := w.Params
	p.Reserve = r
	pf, cf := freesPerCPU(w.prefix, p.CPUs), freesPerCPU(w.cycle, p.CPUs)
	p.Calls = 1
	for c := range pf {
		p.Calls = max(p.Calls, pf[c]+maxReps*cf[c])
	}
	m, err := model.New(d, p)
	if err != nil {
		return StuckPoint{}, fmt.Errorf("exhausting reserve %d: %w", r, err)
	}
	s := m.Initial()
	sp := StuckPoint{Reserve: r}
	var buf []model.Action
	step := func(a model.Action) error {
		if err := m.Step(s, a); err == nil {
			sp.Steps++
			return nil
		}
		if a.Kind != model.KindFree {
			return fmt.Errorf("exhausting reserve %d: %s is not enabled after %d steps", r, a, sp.Steps)
		}
		for _, e := range m.Enabled(s, buf[:0]) {
			if e.Kind == model.KindFree && e.CPU == a.CPU {
				switch e.Free {
				case model.FreeInPage, model.FreeCache, model.FreeReserve, model.FreeStuck:
					m.Apply(s, e)
					sp.Steps++
					return nil
				}
			}
		}
		return fmt.Errorf("exhausting reserve %d: no free of CPU %d is enabled after %d steps", r, a.CPU, sp.Steps)
	}
	for _, a := range w.prefix {
		if err := step(a); err != nil {
			return sp, err
		}
		if s.Stuck {
			break
		}
	}
	for !s.Stuck && sp.Iterations < maxReps {
		sp.Iterations++
		for _, a := range w.cycle {
			if err := step(a); err != nil {
				return sp, err
			}
			if s.Stuck {
				break
			}
		}
	}
	if !s.Stuck {
		return sp, fmt.Errorf("exhausting reserve %d: no stuck state within %d repetitions", r, maxReps)
	}
	for c := range s.CPUs {
		sp.Calls = max(sp.Calls, int(s.CPUs[c].Calls))
	}
	return sp, nil
}
