package properties

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leanovate/gopter"
	"github.com/rcucheck/rcucheck/model"
)

// Config is one fuzzing campaign of Run.
type Config struct {
	// Design is the design under test.
	Design model.Design
	// Params are the model's parameters, unless GenParams is set.
	Params model.Params
	// GenParams draws the parameters of every run with GenParams(Ranges)
	// instead of using Params.
	GenParams bool
	// Ranges bound the generated parameters (zero value: DefaultRanges).
	Ranges Ranges
	// Props are the properties checked after every step (nil: NoStuck and
	// GracePeriod).
	Props []Property
	// Profile names the walker's profile: "mixed" (default: each run draws
	// one), "uniform", "adversarial" or "heavy"; see ProfileNames.
	Profile string
	// Seed makes the campaign reproducible: the same Config gives the same
	// Result.
	Seed int64
	// Runs is the number of schedules (0: until Time is up).
	Runs int
	// Time bounds the campaign's duration (0: none). With a time bound the
	// number of runs done depends on the machine; Result.Runs reports it,
	// and Runs set to that number reproduces the campaign exactly.
	Time time.Duration
	// MaxSteps bounds a schedule's length (0: AutoSteps of the parameters).
	MaxSteps int
	// KeepGoing runs every run even after every property has a witness, to
	// count the violating runs.
	KeepGoing bool
	// Candidates is the number of violating runs per property whose
	// witnesses are shrunk; the shortest is reported (0: 8). Different
	// runs reach a violation by different routes, and deleting steps from
	// one route cannot always reach the shortest.
	Candidates int
	// ShrinkBudget bounds the replays of one shrink (0: 20000).
	ShrinkBudget int
	// ShortestStates, when > 0, runs the exhaustive checker on the same
	// model with this many states at most to find the shortest length of
	// every violation found (Witness.Shortest).
	ShortestStates uint64
	// ShortestTime bounds each of those checker runs (0: 10 s).
	ShortestTime time.Duration
	// Progress, when set, is called about every ProgressEvery (default 1 s),
	// during runs as between them, and while witnesses are shrunk.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is a snapshot of a running campaign.
type Progress struct {
	Runs     int
	Steps    uint64
	Elapsed  time.Duration // since the campaign began
	Search   time.Duration // of the runs alone (Runs / Search is the rate of schedules)
	Violated []string      // properties with a witness so far
	// Phase is empty while schedules run, else what the campaign does
	// after them, e.g. "shrinking NoStuck 2/8".
	Phase string
}

// Result is the outcome of Run. Every field is a function of the Config
// alone when the campaign ends by its run count.
type Result struct {
	Design     string
	Params     model.Params // the fixed parameters (normalised); zero with GenParams
	GenParams  bool
	Profile    string
	Seed       int64
	Runs       int    // runs done
	Steps      uint64 // transitions taken, over all runs
	MaxSteps   int    // the bound on a schedule's length (with GenParams: of the first run)
	Complete   bool   // false when ctx ended the campaign early
	StopReason string // "runs", "time", "all violated" or "interrupted"
	Props      []PropResult
	Elapsed    time.Duration // wall time of the whole campaign; not part of the reproducible output
	Search     time.Duration // wall time of the runs alone (without shrinking and the checker)
}

// PropResult is the outcome of one property.
type PropResult struct {
	Name string
	// Holds is true when no run violated the property (which is evidence,
	// not proof).
	Holds bool
	// ViolatingRuns counts the runs that violated it (all of them with
	// KeepGoing; otherwise until Candidates were found).
	ViolatingRuns int
	// FirstRun is the first run (0-based) that violated it, -1 if none.
	FirstRun int
	// Witness is the first violation found, shrunk; nil when it holds.
	Witness *Witness
}

// Violated reports whether some property has a witness.
func (r *Result) Violated() bool {
	for _, p := range r.Props {
		if !p.Holds {
			return true
		}
	}
	return false
}

// Witness is a violation found by Run: everything needed to replay it
// (design, parameters, seed) and the shrunk schedule.
type Witness struct {
	Design   model.Design
	Params   model.Params
	Property string
	Seed     int64  // the campaign's seed
	Run      int    // the run that found it (0-based)
	RunSeed  uint64 // that run's own seed
	Profile  string // that run's profile
	// Actions is the shrunk schedule: a path of the model from its initial
	// state whose last state violates Property.
	Actions []model.Action
	// UnshrunkLength is the length of the run's prefix up to the violation.
	UnshrunkLength int
	// Shortest is the exhaustive checker's shortest length, or -1 when it
	// was not computed or the checker's budget was too small.
	Shortest int
	// ShrinkReplays is the number of replays the shrink took.
	ShrinkReplays int
}

// Model returns the witness's model.
func (w *Witness) Model() (*model.Model, error) { return model.New(w.Design, w.Params) }

// Steps returns the witness as printable steps: each action and the metrics
// after it (with the state when withState is set).
func (w *Witness) Steps(withState bool) ([]model.TraceStep, error) {
	m, err := w.Model()
	if err != nil {
		return nil, err
	}
	s := m.Initial()
	out := make([]model.TraceStep, 0, len(w.Actions))
	for i, a := range w.Actions {
		if err := m.Step(s, a); err != nil {
			return nil, fmt.Errorf("witness step %d: %w", i+1, err)
		}
		mt := m.Metrics(s)
		st := model.TraceStep{Action: a.String(), Pages: mt.Pages, Pending: mt.Pending, ReserveUsed: mt.ReserveUsed}
		if withState {
			st.State = s.String()
		}
		out = append(out, st)
	}
	return out, nil
}

// AutoSteps is the default bound on a schedule's length: enough for every
// CPU to fill several bulk pages and cycle its cache, and no more than the
// frees the parameters allow times four, at most one million.
func AutoSteps(p model.Params) int {
	byFrees := 4*int64(p.CPUs)*int64(p.Calls) + 64
	byPages := 8*int64(p.CPUs)*int64(p.Bulk+p.Cache) + 256
	return int(min(byFrees, byPages, 1_000_000))
}

// runSeed derives run i's seed from the campaign's (splitmix64).
func runSeed(seed int64, i int) uint64 {
	z := uint64(seed) + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func genParamsFor(rs uint64) *gopter.GenParameters {
	return gopter.DefaultGenParameters().CloneWithSeed(int64(rs >> 1))
}

// runProfile returns run i's profile: the named one, or for "mixed" the
// adversarial preset, the uniform one, or (every other run) a profile drawn
// by GenProfile.
func runProfile(name string, p model.Params, i int, rs uint64) (Profile, error) {
	if name != "mixed" {
		return LookupProfile(name, p)
	}
	switch i % 4 {
	case 0:
		return AdversarialProfile(), nil
	case 1:
		return UniformProfile(), nil
	}
	v, ok := GenProfile()(genParamsFor(rs ^ 0x5bd1e995)).Retrieve()
	if !ok {
		return Profile{}, errors.New("profile generator gave no value")
	}
	return v.(Profile), nil
}

// Run fuzzes cfg.Design: it draws schedules with the walker, checks the
// properties after every step, and shrinks the first violation of each
// property. It stops after cfg.Runs runs, after cfg.Time, once every
// property has a witness (unless KeepGoing), or when ctx ends (the result
// then holds what was found so far and Complete is false).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	props, fixed, err := cfg.prepare()
	if err != nil {
		return nil, err
	}
	c := newCampaign(cfg, props, fixed)
	if err := c.search(ctx); err != nil {
		return nil, err
	}
	c.res.Search = time.Since(c.start)
	for j := range props {
		c.res.Props[j].Witness = c.shrinkAll(ctx, j)
	}
	c.res.Elapsed = time.Since(c.start)
	return c.res, nil
}

// prepare checks cfg, sets its defaults, and returns the properties and,
// unless the parameters are generated, the model.
func (cfg *Config) prepare() ([]Property, *model.Model, error) {
	switch {
	case cfg.Design == nil:
		return nil, nil, errors.New("no design given")
	case cfg.Runs < 0:
		return nil, nil, fmt.Errorf("runs must be >= 0, got %d", cfg.Runs)
	case cfg.Runs == 0 && cfg.Time <= 0:
		return nil, nil, errors.New("give a number of runs or a time limit")
	case cfg.MaxSteps < 0:
		return nil, nil, fmt.Errorf("max steps must be >= 0, got %d", cfg.MaxSteps)
	}
	cfg.Profile = cmp.Or(cfg.Profile, "mixed")
	if _, err := LookupProfile(cfg.Profile, model.DefaultParams()); err != nil {
		return nil, nil, err
	}
	if cfg.Ranges == (Ranges{}) {
		cfg.Ranges = DefaultRanges()
	}
	if err := cfg.Ranges.Validate(); err != nil {
		return nil, nil, err
	}
	props := cfg.Props
	if len(props) == 0 {
		props = DefaultProperties()
	}
	if cfg.GenParams {
		return props, nil, validateProps(props, model.DefaultParams())
	}
	m, err := model.New(cfg.Design, cfg.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("design %s: %w", cfg.Design.Name(), err)
	}
	return props, m, validateProps(props, m.Params())
}

// found is a violating run kept for shrinking.
type found struct {
	m       *model.Model
	actions []model.Action
	w       Witness
}

// campaign is the state of a Run.
type campaign struct {
	cfg    Config
	props  []Property
	fixed  *model.Model // nil with GenParams
	res    *Result
	raw    [][]found // per property, the violating runs kept (at most cands)
	cands  int
	nFound int // properties with cands witnesses
	start  time.Time
	tick   ticker
	trace  []model.Action
}

func newCampaign(cfg Config, props []Property, fixed *model.Model) *campaign {
	c := &campaign{cfg: cfg, props: props, fixed: fixed, raw: make([][]found, len(props)), cands: cmp.Or(max(cfg.Candidates, 0), 8), start: time.Now()}
	c.tick = ticker{every: cmp.Or(max(cfg.ProgressEvery, 0), time.Second), last: c.start}
	c.res = &Result{Design: cfg.Design.Name(), GenParams: cfg.GenParams, Profile: cfg.Profile, Seed: cfg.Seed, Complete: true}
	if fixed != nil {
		c.res.Params = fixed.Params()
	}
	c.res.Props = make([]PropResult, len(props))
	for i, p := range props {
		c.res.Props[i] = PropResult{Name: p.Name, Holds: true, FirstRun: -1}
	}
	return c
}

// progress reports the campaign when a report is due; phase says what it
// does after the runs ("" during them).
func (c *campaign) progress(phase string) {
	if c.cfg.Progress != nil && c.tick.due() {
		p := c.res.progress(c.start)
		p.Phase = phase
		if phase != "" {
			p.Search = c.res.Search
		}
		c.cfg.Progress(p)
	}
}

// search runs schedules until a stop condition holds.
func (c *campaign) search(ctx context.Context) error {
	cfg, res := &c.cfg, c.res
	for i := 0; cfg.Runs == 0 || i < cfg.Runs; i++ {
		switch {
		case ctx.Err() != nil:
			res.Complete, res.StopReason = false, "interrupted"
		case cfg.Time > 0 && time.Since(c.start) >= cfg.Time:
			res.StopReason = "time"
		case c.nFound == len(c.props) && !cfg.KeepGoing:
			res.StopReason = "all violated"
		}
		if res.StopReason != "" {
			return nil
		}
		if err := c.runOne(ctx, i); err != nil {
			return err
		}
		res.Runs++
		c.progress("")
	}
	res.StopReason = "runs"
	return nil
}

// runModel returns run i's model: the fixed one, or one with parameters
// drawn from the run's seed rs.
func (c *campaign) runModel(rs uint64) (*model.Model, error) {
	if c.fixed != nil {
		return c.fixed, nil
	}
	v, ok := GenParams(c.cfg.Design, c.cfg.Ranges)(genParamsFor(rs)).Retrieve()
	if !ok {
		return nil, errors.New("parameter generator gave no value")
	}
	m, err := model.New(c.cfg.Design, v.(model.Params))
	if err != nil {
		return nil, fmt.Errorf("generated parameters %s: %w", v.(model.Params), err)
	}
	return m, validateProps(c.props, m.Params())
}

// runOne draws and walks schedule i, checking the properties after every
// step.
func (c *campaign) runOne(ctx context.Context, i int) error {
	rs := runSeed(c.cfg.Seed, i)
	m, err := c.runModel(rs)
	if err != nil {
		return err
	}
	prof, err := runProfile(c.cfg.Profile, m.Params(), i, rs)
	if err != nil {
		return err
	}
	maxSteps := cmp.Or(c.cfg.MaxSteps, AutoSteps(m.Params()))
	if i == 0 {
		c.res.MaxSteps = maxSteps
	}
	w := newWalker(m, prof, rs)
	s := m.Initial()
	c.trace = c.trace[:0]
	r := &runCheck{c: c, i: i, rs: rs, m: m, prof: prof.Name, violated: make([]bool, len(c.props))}
	more := r.check(s)
	for step := 0; more && step < maxSteps; step++ {
		a, ok := w.next(s)
		if !ok {
			break
		}
		m.Apply(s, a)
		c.trace = append(c.trace, a)
		c.res.Steps++
		more = r.check(s)
		if step&1023 == 1023 {
			if ctx.Err() != nil {
				break
			}
			c.progress("")
		}
	}
	return nil
}

// runCheck checks the properties along one run.
type runCheck struct {
	c        *campaign
	i        int
	rs       uint64
	m        *model.Model
	prof     string
	violated []bool // per property, violated in this run
}

// check checks the properties in state s, keeps the run as a witness
// candidate of each property it violates first, and reports whether a
// property is left to look for in this run.
func (r *runCheck) check(s *model.State) bool {
	c := r.c
	mt := r.m.Metrics(s)
	left := false
	for j, prop := range c.props {
		if r.violated[j] || len(c.raw[j]) >= c.cands && !c.cfg.KeepGoing {
			continue
		}
		if prop.Holds(r.m, s, mt) {
			left = true
			continue
		}
		r.violated[j] = true
		pr := &c.res.Props[j]
		pr.Holds = false
		pr.ViolatingRuns++
		if len(c.raw[j]) == 0 {
			pr.FirstRun = r.i
		}
		if len(c.raw[j]) < c.cands {
			c.raw[j] = append(c.raw[j], found{m: r.m, actions: append([]model.Action(nil), c.trace...), w: Witness{
				Design: c.cfg.Design, Params: r.m.Params(), Property: prop.Name,
				Seed: c.cfg.Seed, Run: r.i, RunSeed: r.rs, Profile: r.prof,
				UnshrunkLength: len(c.trace), Shortest: -1,
			}})
			if len(c.raw[j]) == c.cands {
				c.nFound++
			}
		}
	}
	return left
}

// shrinkAll shrinks every witness candidate of property j and returns the
// shortest (nil when none), with its exhaustive shortest length when
// ShortestStates asks for it. Progress lines name the candidate, the
// replays made and the shortest length so far.
func (c *campaign) shrinkAll(ctx context.Context, j int) *Witness {
	prop := c.props[j]
	var best *Witness
	for k := range c.raw[j] {
		phase := fmt.Sprintf("shrinking %s %d/%d", prop.Name, k+1, len(c.raw[j]))
		c.progress(phase)
		f := &c.raw[j][k]
		w := f.w
		shrunk, st := shrink(ctx, f.m, f.actions, prop, c.cfg.ShrinkBudget, func(replays, length int) {
			c.progress(fmt.Sprintf("%s: %d replays, %d steps (from %d)", phase, replays, length, len(f.actions)))
		})
		w.Actions, w.ShrinkReplays = shrunk, st.Replays
		if best == nil || len(w.Actions) < len(best.Actions) ||
			len(w.Actions) == len(best.Actions) && w.Params.CPUs*w.Params.Bulk < best.Params.CPUs*best.Params.Bulk {
			best = &w
		}
	}
	if best != nil && c.cfg.ShortestStates > 0 && ctx.Err() == nil {
		c.progress("shortest length of " + prop.Name)
		if bm, err := best.Model(); err == nil {
			sctx, cancel := context.WithTimeout(ctx, cmp.Or(max(c.cfg.ShortestTime, 0), 10*time.Second))
			if n, ok := ShortestLength(sctx, bm, prop, c.cfg.ShortestStates); ok {
				best.Shortest = n
			}
			cancel()
		}
	}
	return best
}

// ticker tells when a progress report is due.
type ticker struct {
	every time.Duration
	last  time.Time
}

// due reports whether a report is due, and if so starts the next period.
func (t *ticker) due() bool {
	if time.Since(t.last) < t.every {
		return false
	}
	t.last = time.Now()
	return true
}

func (r *Result) progress(start time.Time) Progress {
	el := time.Since(start)
	p := Progress{Runs: r.Runs, Steps: r.Steps, Elapsed: el, Search: el}
	for _, pr := range r.Props {
		if !pr.Holds {
			p.Violated = append(p.Violated, pr.Name)
		}
	}
	return p
}

// Witnesses returns the witness of every violated property, in the order
// of the properties: each carries its design, parameters, seeds and shrunk
// schedule, ready to be written as a trace.
func (r *Result) Witnesses() []*Witness {
	var ws []*Witness
	for _, p := range r.Props {
		if p.Witness != nil {
			ws = append(ws, p.Witness)
		}
	}
	return ws
}
