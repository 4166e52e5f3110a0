package properties

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"
	"github.com/rcucheck/rcucheck/model"
)

// Schedule is a sequence of transitions of a model from its initial state.
type Schedule struct {
	Model   *model.Model
	Actions []model.Action
}

// String lists the schedule's first actions (gopter prints it in reports).
func (s *Schedule) String() string {
	const show = 40
	var b strings.Builder
	fmt.Fprintf(&b, "%d steps:", len(s.Actions))
	for i, a := range s.Actions {
		if i == show {
			fmt.Fprintf(&b, " ... (%d more)", len(s.Actions)-show)
			break
		}
		b.WriteString(" " + a.String())
		if i+1 < len(s.Actions) {
			b.WriteByte(';')
		}
	}
	return b.String()
}

// match finds the enabled transition that plays the role of a: the same
// action on the same CPU and slot; the same branch if it is enabled, else,
// for a free, a branch with the same allocator outcome (a page from the
// allocator or not), else the first branch.
func match(enabled []model.Action, a model.Action) (model.Action, bool) {
	found := -1
	for i, e := range enabled {
		if e.Kind != a.Kind || e.CPU != a.CPU || e.Slot != a.Slot {
			continue
		}
		if e == a {
			return e, true
		}
		if found < 0 || (e.Kind == model.KindFree && allocated(e.Free) == allocated(a.Free) && allocated(enabled[found].Free) != allocated(a.Free)) {
			found = i
		}
	}
	if found < 0 {
		return model.Action{}, false
	}
	return enabled[found], true
}

// Replay plays actions leniently from m's initial state: an action that is
// not enabled is skipped, and a free takes the branch that matches its
// allocator outcome (see match). It stops right after the first state in
// which prop fails (or at the start, if the initial state fails it) and
// returns the transitions applied and whether prop failed. With prop nil it
// plays every action.
func Replay(m *model.Model, actions []model.Action, prop *Property) (applied []model.Action, violated bool) {
	s := m.Initial()
	if prop != nil && !prop.Holds(m, s, m.Metrics(s)) {
		return nil, true
	}
	buf := make([]model.Action, 0, 8*m.Params().CPUs+4)
	applied = make([]model.Action, 0, len(actions))
	for _, a := range actions {
		buf = m.Enabled(s, buf[:0])
		e, ok := match(buf, a)
		if !ok {
			continue
		}
		m.Apply(s, e)
		applied = append(applied, e)
		if prop != nil && !prop.Holds(m, s, m.Metrics(s)) {
			return applied, true
		}
	}
	return applied, false
}

// without returns actions with [i, i+n) removed, in a new slice.
func without(actions []model.Action, i, n int) []model.Action {
	out := make([]model.Action, 0, len(actions)-n)
	out = append(out, actions[:i]...)
	return append(out, actions[i+n:]...)
}

// shrinkStats says how a shrink went.
type shrinkStats struct {
	Replays   int
	Exhausted bool // the replay budget ran out before a fixed point
}

// Shrink returns a shorter schedule of m that still violates prop, starting
// from actions (which must violate it when replayed). It removes chunks of
// halving size (delta debugging) until no single step can be removed, then
// tries removing pairs of steps when the witness is short. Every candidate
// is replayed leniently (see Replay) and cut at the violation, so the result
// is a real path of the model that ends in the first violating state.
// budget bounds the number of replays (0: 20000); ctx stops it early with
// the best witness so far.
func Shrink(ctx context.Context, m *model.Model, actions []model.Action, prop Property, budget int) []model.Action {
	w, _ := shrink(ctx, m, actions, prop, budget, nil)
	return w
}

// shrink is Shrink; tick, when set, is told after every replay how many
// replays were made and the length of the shortest witness so far.
func shrink(ctx context.Context, m *model.Model, actions []model.Action, prop Property, budget int, tick func(replays, length int)) ([]model.Action, shrinkStats) {
	if budget <= 0 {
		budget = 20000
	}
	var st shrinkStats
	cur, ok := Replay(m, actions, &prop)
	st.Replays++
	if !ok {
		return actions, st
	}
	try := func(cand []model.Action) bool {
		if st.Replays >= budget || ctx.Err() != nil {
			st.Exhausted = true
			return false
		}
		st.Replays++
		r, ok := Replay(m, cand, &prop)
		better := ok && len(r) < len(cur)
		if better {
			cur = r
		}
		if tick != nil {
			tick(st.Replays, len(cur))
		}
		return better
	}
	for changed := true; changed && !st.Exhausted; {
		changed = false
		for chunk := max(len(cur)/2, 1); chunk >= 1 && !st.Exhausted; chunk /= 2 {
			for i := 0; i+chunk <= len(cur) && !st.Exhausted; {
				if try(without(cur, i, chunk)) {
					changed = true
					continue
				}
				i += chunk
			}
		}
		if changed || len(cur) > 48 {
			continue
		}
		// 1-minimal: try removing two steps at once.
		for i := 0; i < len(cur) && !changed && !st.Exhausted; i++ {
			for j := i + 1; j < len(cur) && !changed && !st.Exhausted; j++ {
				cand := without(without(cur, j, 1), i, 1)
				changed = try(cand)
			}
		}
	}
	return cur, st
}

// ScheduleShrinker is a gopter.Shrinker of *Schedule values: it proposes the
// schedule with chunks of halving size removed, each replayed leniently
// (see Replay) so that every candidate is a real path of the model.
func ScheduleShrinker(v interface{}) gopter.Shrink {
	s := v.(*Schedule)
	chunk := max(len(s.Actions)/2, 1)
	i := 0
	return func() (interface{}, bool) {
		for chunk >= 1 && len(s.Actions) > 0 {
			if i+chunk > len(s.Actions) {
				chunk /= 2
				i = 0
				continue
			}
			cand := without(s.Actions, i, chunk)
			i += chunk
			applied, _ := Replay(s.Model, cand, nil)
			return &Schedule{Model: s.Model, Actions: applied}, true
		}
		return nil, false
	}
}

var scheduleType = reflect.TypeOf((*Schedule)(nil))

// GenSchedule generates schedules of m of up to maxSteps transitions (0:
// the generator's size), drawn by the walker under profile prof; with prof
// nil each schedule draws its own profile from GenProfile. A schedule ends
// early when no transition is enabled (e.g. stuck). Its shrinker is
// ScheduleShrinker.
func GenSchedule(m *model.Model, prof *Profile, maxSteps int) gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		n := maxSteps
		if n <= 0 {
			n = gp.MaxSize
		}
		var pr Profile
		if prof != nil {
			pr = *prof
		} else {
			v, _ := GenProfile()(gp).Retrieve()
			pr = v.(Profile)
		}
		w := newWalker(m, pr, gp.NextUint64())
		s := m.Initial()
		acts := make([]model.Action, 0, min(n, 1<<16))
		for len(acts) < n {
			a, ok := w.next(s)
			if !ok {
				break
			}
			m.Apply(s, a)
			acts = append(acts, a)
		}
		r := gopter.NewGenResult(&Schedule{Model: m, Actions: acts}, ScheduleShrinker)
		r.ResultType = scheduleType
		return r
	}
}

// Prop is a gopter property: every state of every generated schedule (see
// GenSchedule) satisfies every one of props. A failure is labelled with the
// property and the step; gopter shrinks it with ScheduleShrinker.
func Prop(m *model.Model, prof *Profile, maxSteps int, props ...Property) gopter.Prop {
	if len(props) == 0 {
		props = DefaultProperties()
	}
	return prop.ForAll(func(sc *Schedule) string {
		for i := range props {
			if applied, bad := Replay(m, sc.Actions, &props[i]); bad {
				return fmt.Sprintf("%s violated after step %d", props[i].Name, len(applied))
			}
		}
		return ""
	}, GenSchedule(m, prof, maxSteps))
}
