package properties

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
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
	// Start is the index of the first run: the campaign runs Start,
	// Start+1, ... Each run is a function of Seed and its index alone
	// (runSeed), so Start 17 with Runs 1 replays run 17 of any campaign of
	// the same Seed, and campaigns over disjoint ranges of indices together
	// run exactly the runs of one campaign over their union.
	Start int
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
	// Log, when set, is filled with what MergeLogs needs to put this
	// campaign over a range of runs together with the campaigns over the
	// other ranges of one campaign (rcucheck fuzz --shard).
	Log *RunLog
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
	Seed     int64  // the campaign's seed (gopter's parameters of the run derive from it and Run)
	Run      int    // the run (gopter's test) that found it, 0-based
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
	// ShrinkReplays is the number of candidates the shrink replayed;
	// Shrinks the number gopter accepted (its PropArg.Shrinks).
	ShrinkReplays int
	Shrinks       int
	// CampaignProfile, GenParams and MaxSteps are the campaign's settings
	// that decide what gopter draws (RerunLine repeats them).
	CampaignProfile string
	GenParams       bool
	MaxSteps        int
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

// Run fuzzes cfg.Design with gopter: run i evaluates the gopter property
// "every schedule satisfies the properties" (prop.ForAll over
// GenSchedule, or over GenParams then GenSchedule with cfg.GenParams) on
// gopter parameters seeded by cfg.Seed and i alone, sized by the longest
// schedule. A violating schedule is shrunk by gopter with
// ScheduleShrinker, for the first Candidates violating runs of each
// property; the shortest is the property's witness. Run stops after
// cfg.Runs runs, after cfg.Time, once every property has its candidates
// (unless KeepGoing), or when ctx ends (the result then holds what was
// found so far and Complete is false).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	props, fixed, err := cfg.prepare()
	if err != nil {
		return nil, err
	}
	c := newCampaign(ctx, cfg, props, fixed)
	if err := c.search(ctx); err != nil {
		return nil, err
	}
	c.keepLog()
	c.res.Search = time.Since(c.start) - c.shrinking
	for j := range props {
		c.res.Props[j].Witness = c.best(ctx, j)
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
	case cfg.Start < 0:
		return nil, nil, fmt.Errorf("the first run must be >= 0, got %d", cfg.Start)
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

// campaign is the state of a Run.
type campaign struct {
	cfg         Config
	props       []Property
	fixed       *model.Model // nil with GenParams
	res         *Result
	found       [][]*Witness // per property, the shrunk witnesses of its first violating runs (at most cands)
	cands       int
	nFound      int // properties with cands witnesses
	start       time.Time
	tick        ticker
	eng         *engine
	prop        gopter.Prop
	size        int           // gopter's size: the longest schedule (0 with GenParams: AutoSteps of each run's parameters)
	run         int           // the run being checked
	viol        []int         // the run's first violation of each property (-1 none)
	shrinking   time.Duration // spent in gopter's shrinks
	shrinkStart time.Time
	err         error // a generated parameter set the properties cannot evaluate
}

func newCampaign(ctx context.Context, cfg Config, props []Property, fixed *model.Model) *campaign {
	c := &campaign{cfg: cfg, props: props, fixed: fixed, found: make([][]*Witness, len(props)), cands: cmp.Or(max(cfg.Candidates, 0), 8), start: time.Now()}
	c.tick = ticker{every: cmp.Or(max(cfg.ProgressEvery, 0), time.Second), last: c.start}
	c.res = &Result{Design: cfg.Design.Name(), GenParams: cfg.GenParams, Profile: cfg.Profile, Seed: cfg.Seed, Complete: true}
	c.res.Props = make([]PropResult, len(props))
	for i, p := range props {
		c.res.Props[i] = PropResult{Name: p.Name, Holds: true, FirstRun: -1}
	}
	c.eng = newEngine(props)
	c.eng.want = func(j int) bool { return c.cfg.KeepGoing || len(c.found[j]) < c.cands }
	c.eng.shrink = func(j int) bool { return len(c.found[j]) < c.cands }
	c.eng.seen = c.seen
	c.eng.newShrink = func() *shrinkRun {
		return &shrinkRun{ctx: ctx, budget: cmp.Or(max(c.cfg.ShrinkBudget, 0), 20000), tick: c.shrinkTick}
	}
	var g gopter.Gen
	if fixed != nil {
		c.res.Params = fixed.Params()
		c.size = cmp.Or(cfg.MaxSteps, AutoSteps(fixed.Params()))
		c.res.MaxSteps = c.size
		g = GenScheduleWith(fixed, GenProfiles(cfg.Profile, fixed.Params()), c.size)
	} else {
		g = c.genDrawn()
	}
	c.prop = c.eng.prop(g)
	return c
}

// genDrawn generates a schedule at parameters GenParams draws, with the
// campaign's profile and step bound (or AutoSteps of the parameters).
func (c *campaign) genDrawn() gopter.Gen {
	return GenParams(c.cfg.Design, c.cfg.Ranges).FlatMap(func(v interface{}) gopter.Gen {
		p := v.(model.Params)
		m, err := model.New(c.cfg.Design, p)
		if err == nil {
			err = validateProps(c.props, m.Params())
		}
		if err != nil {
			c.err = fmt.Errorf("generated parameters %s: %w", p, err)
			return gen.Fail(scheduleType)
		}
		steps := cmp.Or(c.cfg.MaxSteps, AutoSteps(m.Params()))
		if c.res.MaxSteps == 0 {
			c.res.MaxSteps = steps
		}
		return GenScheduleWith(m, GenProfiles(c.cfg.Profile, m.Params()), steps)
	}, scheduleType)
}

// progress reports the campaign when a report is due; phase says what it
// does besides running schedules ("" while it runs them).
func (c *campaign) progress(phase string) {
	if c.cfg.Progress != nil && c.tick.due() {
		p := c.res.progress(c.start)
		p.Phase = phase
		p.Search = p.Elapsed - c.shrinking
		c.cfg.Progress(p)
	}
}

// search runs schedules until a stop condition holds.
func (c *campaign) search(ctx context.Context) error {
	cfg, res := &c.cfg, c.res
	for i := cfg.Start; cfg.Runs == 0 || i < cfg.Start+cfg.Runs; i++ {
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
		if err := c.runOne(i); err != nil {
			return err
		}
		res.Runs++
		c.progress("")
	}
	res.StopReason = "runs"
	return nil
}

// runOne evaluates the gopter property on run i's parameters, and once
// more for every other property the run violated that still wants a
// witness (the first evaluation shrinks the one violated first).
func (c *campaign) runOne(i int) error {
	c.run, c.viol = i, nil
	r := c.prop(RunParams(c.cfg.Seed, i, c.size))
	if err := c.record(r, -1); err != nil {
		return err
	}
	viol := c.viol
	for j, n := range viol {
		if n < 0 || len(c.found[j]) >= c.cands || c.hasRun(j, i) {
			continue
		}
		c.eng.want = func(k int) bool { return k == j }
		c.shrinkStart = time.Now()
		r := c.prop(RunParams(c.cfg.Seed, i, c.size))
		c.eng.want = func(k int) bool { return c.cfg.KeepGoing || len(c.found[k]) < c.cands }
		if err := c.record(r, j); err != nil {
			return err
		}
	}
	return nil
}

// hasRun reports whether property j has a witness from run i.
func (c *campaign) hasRun(j, i int) bool {
	f := c.found[j]
	return len(f) > 0 && f[len(f)-1].Run == i
}

// seen counts a run's schedule: its steps and, on its first evaluation,
// the properties it violates.
func (c *campaign) seen(sc *Schedule, steps int, first []int) {
	if c.viol != nil {
		return // a second evaluation of the same run
	}
	c.res.Steps += uint64(steps)
	c.logRun(steps, first)
	c.viol = append([]int(nil), first...)
	c.res.countViolations(c.run, first)
	c.shrinkStart = time.Now()
}

// record keeps the witness gopter's result r carries when its property
// still wants one (forced: the property the evaluation was restricted to,
// or -1).
func (c *campaign) record(r *gopter.PropResult, forced int) error {
	switch r.Status {
	case gopter.PropTrue:
		return nil
	case gopter.PropUndecided:
		if c.err != nil {
			return c.err
		}
		return fmt.Errorf("run %d: the generator gave no schedule", c.run)
	case gopter.PropError:
		return fmt.Errorf("run %d: %w", c.run, r.Error)
	}
	c.shrinking += time.Since(c.shrinkStart)
	arg := r.Args[0]
	orig, shrunk := arg.OrigArg.(*Schedule), arg.Arg.(*Schedule)
	j := orig.target
	if j < 0 || (forced >= 0 && j != forced) || len(c.found[j]) >= c.cands {
		return nil
	}
	w := c.witness(j, WitnessRecord{Run: c.run, RunSeed: runSeed(c.cfg.Seed, c.run), Profile: orig.Profile.Name, Params: orig.Model.Params(),
		Actions: shrunk.Steps(), UnshrunkLength: orig.cut, ShrinkReplays: orig.sh.replays, Shrinks: arg.Shrinks})
	c.found[j] = append(c.found[j], w)
	if len(c.found[j]) == c.cands {
		c.nFound++
	}
	return nil
}

// shrinkTick reports a shrink's progress: the candidate, the replays made
// and the length of the schedule being shrunk.
func (c *campaign) shrinkTick(replays, length int) {
	if c.cfg.Progress == nil {
		return
	}
	j := -1
	for k, n := range c.viol {
		if n >= 0 && len(c.found[k]) < c.cands && (j < 0 || n < c.viol[j]) {
			j = k
		}
	}
	if j < 0 {
		return
	}
	c.progress(fmt.Sprintf("shrinking %s %d/%d: %d replays, %d steps", c.props[j].Name, len(c.found[j])+1, c.cands, replays, length))
}

// best returns the shortest witness of property j (nil when none; on a
// tie, the one of the smaller model), with the exhaustive checker's
// shortest length when ShortestStates asks for it.
func (c *campaign) best(ctx context.Context, j int) *Witness {
	prop := c.props[j]
	var best *Witness
	for _, w := range c.found[j] {
		if best == nil || len(w.Actions) < len(best.Actions) ||
			len(w.Actions) == len(best.Actions) && w.Params.CPUs*w.Params.Bulk < best.Params.CPUs*best.Params.Bulk {
			best = w
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
