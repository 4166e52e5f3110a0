package properties

import (
	"cmp"
	"context"
	"fmt"
	"math/rand"
	randv2 "math/rand/v2"
	"reflect"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/rcucheck/rcucheck/model"
)

// The engine: every schedule of Run, Check and Prop is a value of a
// gopter.Gen (GenSchedule), checked by a prop.ForAll property (engine.prop)
// and, when it violates a property, shrunk by gopter's shrink loop with
// ScheduleShrinker. What gopter handles per test is a compact value (the
// walker's seed, step bound and profile); the check walks the model from
// it without recording the steps, and only a violating schedule is
// expanded into its steps for the shrinker.

var scheduleType = reflect.TypeOf((*Schedule)(nil))

// GenSchedule generates schedules of m of up to maxSteps transitions, or
// up to gopter's size when maxSteps is 0 or larger than the size, drawn by
// the walker under profile prof; with prof nil each schedule's profile is
// one of the "mixed" choices (see GenProfiles). A schedule ends early when
// no transition is enabled (e.g. stuck). Its shrinker is ScheduleShrinker.
func GenSchedule(m *model.Model, prof *Profile, maxSteps int) gopter.Gen {
	profiles := GenProfiles("mixed", m.Params())
	if prof != nil {
		profiles = gen.Const(*prof)
	}
	return GenScheduleWith(m, profiles, maxSteps)
}

// GenScheduleWith is GenSchedule with the profile drawn by profiles (a
// generator of Profile values).
func GenScheduleWith(m *model.Model, profiles gopter.Gen, maxSteps int) gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		n := gp.MaxSize
		if maxSteps > 0 && (n <= 0 || n > maxSteps) {
			n = maxSteps
		}
		v, ok := profiles(gp).Retrieve()
		if !ok {
			return gopter.NewEmptyResult(scheduleType)
		}
		pr := v.(Profile)
		sc := &Schedule{Model: m, Seed: gp.NextUint64(), Length: max(n, 0), Profile: &pr, compact: true, target: -1, cut: -1}
		r := gopter.NewGenResult(sc, ScheduleShrinker)
		r.ResultType = scheduleType
		return r
	}
}

// GenProfiles generates the walker profiles a profile name stands for:
// the named built-in profile, or for "mixed" one of the adversarial
// preset, the uniform one and (half of the time) a profile drawn by
// GenProfile.
func GenProfiles(name string, p model.Params) gopter.Gen {
	if name == "mixed" {
		return gen.OneGenOf(gen.Const(AdversarialProfile()), gen.Const(UniformProfile()), GenProfile(), GenProfile())
	}
	pr, err := LookupProfile(name, p)
	if err != nil {
		return gen.Fail(reflect.TypeOf(Profile{}))
	}
	return gen.Const(pr)
}

// shrinkRun is the budget of one shrink, shared by the candidates it
// makes: the replays allowed, the context that may end it, and a progress
// callback told after every replay.
type shrinkRun struct {
	ctx     context.Context
	budget  int
	replays int
	tick    func(replays, length int)
	off     bool // do not shrink at all
}

// spend accounts for one more candidate of length n, and reports whether
// the shrink may make it.
func (r *shrinkRun) spend(n int) bool {
	if r.off || r.replays >= r.budget || r.ctx.Err() != nil {
		return false
	}
	r.replays++
	if r.tick != nil {
		r.tick(r.replays, n)
	}
	return true
}

// ddState is where a schedule's shrinker resumes its delta debugging:
// removing chunks of halving size (chunk 0: a pass not yet begun), then,
// for a 1-minimal schedule of at most 48 steps, pairs of steps.
type ddState struct {
	chunk, pos int
	changed    bool // a removal succeeded in this pass
	pairs      bool
	i, j       int
}

// next returns the next candidate for acts (nil, false at the end), and
// the state its own shrinker starts from should it be accepted.
func (d *ddState) next(acts []model.Action) ([]model.Action, ddState, bool) {
	n := len(acts)
	for {
		if d.pairs {
			if d.j >= n {
				d.i++
				d.j = d.i + 1
			}
			if d.j >= n {
				return nil, ddState{}, false
			}
			cand := without(without(acts, d.j, 1), d.i, 1)
			d.j++
			return cand, ddState{}, true
		}
		if d.chunk == 0 {
			d.chunk, d.pos = max(n/2, 1), 0
		}
		if d.pos+d.chunk > n {
			switch {
			case d.chunk > 1:
				d.chunk, d.pos = d.chunk/2, 0
			case d.changed:
				d.chunk, d.changed = 0, false
			case n > 48 || n < 2:
				return nil, ddState{}, false
			default:
				d.pairs, d.i, d.j = true, 0, 1
			}
			continue
		}
		cand := without(acts, d.pos, d.chunk)
		cont := ddState{chunk: d.chunk, pos: d.pos, changed: true}
		d.pos += d.chunk
		return cand, cont, true
	}
}

// ScheduleShrinker is the gopter.Shrinker of schedules a check found
// violating a property: the steps up to the violation with chunks of
// halving size removed (delta debugging, resumed where the accepted
// candidate was made), then pairs of steps once no single step can go.
// Every candidate is replayed leniently (see Replay) against the property
// as it is made, so it is a real path of the model, cut at its first
// violation; it counts (the check fails on it) only when it still violates
// the property, in fewer steps than the schedule it came from. A schedule
// no check found violating has no candidates.
func ScheduleShrinker(v interface{}) gopter.Shrink {
	sc := v.(*Schedule)
	if sc.target < 0 || sc.sh == nil {
		return gopter.NoShrink
	}
	acts := sc.Steps()
	d := sc.dd
	return func() (interface{}, bool) {
		cand, cont, ok := d.next(acts)
		if !ok || !sc.sh.spend(len(acts)) {
			return nil, false
		}
		applied, bad := Replay(sc.Model, cand, sc.prop)
		c := &Schedule{Model: sc.Model, Actions: applied, target: sc.target, prop: sc.prop, cut: -1, dd: cont, sh: sc.sh, replayed: true}
		if bad && len(applied) < len(acts) {
			c.cut = len(applied)
		}
		return c, true
	}
}

// engine checks schedules against properties, as the condition of a
// prop.ForAll property.
type engine struct {
	props []Property
	// want reports whether a check looks for property j (nil: all).
	want func(j int) bool
	// shrink reports whether a violation of property j is shrunk (nil: all).
	shrink func(j int) bool
	// seen, when set, is told of every generated schedule checked: the
	// steps walked and, per property, the step of its first violation (-1
	// none).
	seen func(sc *Schedule, steps int, first []int)
	// newShrink returns the budget of a shrink (nil: 20000 replays).
	newShrink func() *shrinkRun
}

func newEngine(props []Property) *engine {
	if len(props) == 0 {
		props = DefaultProperties()
	}
	return &engine{props: props}
}

// prop is the gopter property: every schedule g generates satisfies the
// engine's properties.
func (e *engine) prop(g gopter.Gen) gopter.Prop {
	return prop.ForAll(e.check, g)
}

func (e *engine) wants(j int) bool { return e.want == nil || e.want(j) }

// check is the condition of the property. A schedule no check has seen
// is checked against every property the engine wants, and keeps the one
// violated first as its target; a shrink candidate is checked against its
// target only.
func (e *engine) check(sc *Schedule) *gopter.PropResult {
	if sc.target >= 0 {
		return e.checkTarget(sc)
	}
	first := make([]int, len(e.props))
	steps := e.walk(sc, first)
	if e.seen != nil {
		e.seen(sc, steps, first)
	}
	for j, n := range first {
		if n >= 0 && (sc.target < 0 || n < sc.cut) {
			sc.target, sc.cut = j, n
		}
	}
	if sc.target < 0 {
		return gopter.NewPropResult(true, "")
	}
	sc.prop = &e.props[sc.target]
	sc.sh = e.shrinkRun()
	sc.sh.off = e.shrink != nil && !e.shrink(sc.target)
	return e.failed(sc)
}

func (e *engine) shrinkRun() *shrinkRun {
	if e.newShrink != nil {
		return e.newShrink()
	}
	return &shrinkRun{ctx: context.Background(), budget: 20000}
}

func (e *engine) failed(sc *Schedule) *gopter.PropResult {
	return gopter.NewPropResult(false, fmt.Sprintf("%s violated after step %d", e.props[sc.target].Name, sc.cut))
}

// checkTarget checks a schedule against its target: a candidate the
// shrinker replayed fails when it violates the target sooner than its
// parent; another schedule is replayed leniently and becomes the real
// path up to the violation.
func (e *engine) checkTarget(sc *Schedule) *gopter.PropResult {
	if !sc.replayed {
		applied, bad := Replay(sc.Model, sc.Steps(), &e.props[sc.target])
		sc.cut = -1
		if bad {
			sc.Actions, sc.compact, sc.cut = applied, false, len(applied)
		}
	}
	if sc.cut < 0 {
		return gopter.NewPropResult(true, "")
	}
	return e.failed(sc)
}

// walk checks the properties the engine wants along sc from the initial
// state, records in first the step of each one's first violation (-1
// none), and returns the steps taken. It stops once every wanted property
// is violated.
func (e *engine) walk(sc *Schedule, first []int) int {
	m := sc.Model
	left := 0
	for j := range first {
		first[j] = -1
		if e.wants(j) {
			left++
		}
	}
	s := m.Initial()
	look := func(step int) {
		mt := m.Metrics(s)
		for j := range e.props {
			if first[j] < 0 && e.wants(j) && !e.props[j].Holds(m, s, mt) {
				first[j] = step
				left--
			}
		}
	}
	if look(0); left == 0 {
		return 0
	}
	if !sc.compact {
		for i, a := range sc.Actions {
			if err := m.Step(s, a); err != nil {
				return i
			}
			if look(i + 1); left == 0 {
				return i + 1
			}
		}
		return len(sc.Actions)
	}
	w := newWalker(m, *sc.Profile, sc.Seed)
	for step := 1; step <= sc.Length; step++ {
		a, ok := w.next(s)
		if !ok {
			return step - 1
		}
		m.Apply(s, a)
		if look(step); left == 0 {
			return step
		}
	}
	return sc.Length
}

// Prop is a gopter property: every state of every generated schedule (see
// GenSchedule) satisfies every one of props (default: NoStuck and
// GracePeriod). A failure is labelled with the property and the step, and
// gopter shrinks it with ScheduleShrinker (20000 replays at most). Add it
// to a gopter.Properties suite beside the suite's own properties.
func Prop(m *model.Model, prof *Profile, maxSteps int, props ...Property) gopter.Prop {
	return newEngine(props).prop(GenSchedule(m, prof, maxSteps))
}

// Shrink returns a shorter schedule of m that still violates prop, starting
// from actions (which must violate it when replayed), by gopter's shrink
// loop over ScheduleShrinker's candidates. The result is a real path of
// the model that ends in its first violating state, and 1-minimal unless
// the budget (replays; 0: 20000) or ctx ran out.
func Shrink(ctx context.Context, m *model.Model, actions []model.Action, prop Property, budget int) []model.Action {
	e := newEngine([]Property{prop})
	e.newShrink = func() *shrinkRun { return &shrinkRun{ctx: ctx, budget: cmp.Or(max(budget, 0), 20000)} }
	played, _ := Replay(m, actions, nil)
	sc := NewSchedule(m, played)
	g := func(*gopter.GenParameters) *gopter.GenResult { return gopter.NewGenResult(sc, ScheduleShrinker) }
	res := e.prop(g)(runGenParams(0, 1))
	if res.Status != gopter.PropFalse || len(res.Args) == 0 {
		return actions
	}
	return res.Args[0].Arg.(*Schedule).Steps()
}

// pcgSource is a math/rand source on a PCG of math/rand/v2: seeding it is
// cheap, unlike math/rand's own, so every run of a campaign gets gopter
// parameters of its own seed.
type pcgSource struct{ p *randv2.PCG }

func (s pcgSource) Int63() int64    { return int64(s.p.Uint64() >> 1) }
func (s pcgSource) Uint64() uint64  { return s.p.Uint64() }
func (s pcgSource) Seed(seed int64) { s.p.Seed(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15) }

// runGenParams returns the gopter parameters of one run: its own random
// stream from seed rs, and gopter's size. Shrinks are bounded by the
// replay budget, not by gopter's count.
func runGenParams(rs uint64, size int) *gopter.GenParameters {
	src := pcgSource{randv2.NewPCG(rs, rs^0x9e3779b97f4a7c15)}
	return &gopter.GenParameters{MinSize: 0, MaxSize: size, MaxShrinkCount: 1 << 30, Rng: rand.New(src)}
}

// genParamsFor returns gopter parameters of seed rs with gopter's default
// size.
func genParamsFor(rs uint64) *gopter.GenParameters { return runGenParams(rs, 100) }

// RunParams returns the gopter parameters of run i of a campaign of seed
// seed, with gopter's size: what Run evaluates its property on, for other
// searches that draw schedules the same way (rcucheck fuzz --hunt).
func RunParams(seed int64, i, size int) *gopter.GenParameters {
	return runGenParams(runSeed(seed, i), size)
}
