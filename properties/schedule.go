package properties

import (
	"fmt"
	"strings"

	"github.com/rcucheck/rcucheck/model"
)

// Schedule is a sequence of transitions of a model from its initial state,
// the value gopter generates, checks and shrinks. A generated schedule
// starts compact: the seed, step bound and profile of the walker that
// expands it (Steps), so that gopter handles a few words per test and the
// check walks the model without recording anything; the shrinker expands
// it to its steps up to the violation, and every shrunk candidate is
// explicit (Actions).
type Schedule struct {
	Model *model.Model
	// Actions are the steps of an explicit schedule; nil while the
	// schedule is compact.
	Actions []model.Action
	// Seed, Length and Profile are the walker's, for a compact schedule.
	Seed    uint64
	Length  int
	Profile *Profile
	compact bool

	// target is the index of the property this schedule is checked (and
	// shrunk) for, -1 until a check finds a violation of one, and prop that
	// property; cut is the number of steps up to that violation (-1 none or
	// unknown); replayed marks a shrink candidate, whose cut the shrinker
	// set (-1 unless it violates prop sooner than its parent); dd is where
	// its shrinker resumes; sh is the budget shared by one shrink.
	target   int
	prop     *Property
	cut      int
	replayed bool
	dd       ddState
	sh       *shrinkRun
}

// NewSchedule returns the explicit schedule of actions on m.
func NewSchedule(m *model.Model, actions []model.Action) *Schedule {
	return &Schedule{Model: m, Actions: actions, target: -1, cut: -1}
}

// Steps returns the schedule's steps: an explicit schedule's actions, or
// the walker's expansion of a compact one, up to its first violation when
// a check found one.
func (s *Schedule) Steps() []model.Action {
	if !s.compact {
		return s.Actions
	}
	n := s.Length
	if s.cut >= 0 {
		n = min(n, s.cut)
	}
	m := s.Model
	w := newWalker(m, *s.Profile, s.Seed)
	st := m.Initial()
	acts := make([]model.Action, 0, n)
	for len(acts) < n {
		a, ok := w.next(st)
		if !ok {
			break
		}
		m.Apply(st, a)
		acts = append(acts, a)
	}
	return acts
}

// String lists the schedule's first actions, or a compact schedule's
// walker (gopter prints it in reports).
func (s *Schedule) String() string {
	if s.compact {
		return fmt.Sprintf("walk of seed %#x, profile %s, up to %d steps", s.Seed, s.Profile.Name, s.Length)
	}
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
