package bound

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rcucheck/rcucheck/model"
)

// Weak fairness of a cycle.
//
// The model's actions belong to two parties. The system is the kernel's
// own workers, which run as soon as they can: the monitor (monitor(c)),
// RCU's grace-period machinery (gp_start, gp_end), the reclaim work
// (reclaim(c,j)), the wake-up of a synchronize_rcu() caller (wake(c)) and
// the page-cache refill worker (refill(c), either branch). The environment
// is the adversary: the callers of kvfree_rcu() (free), the readers
// (read_lock, read_unlock) and memory pressure (shrink).
//
// A cycle is weakly fair when every system action that is enabled in every
// state of the cycle (each state from which a step of the cycle is taken)
// is taken somewhere in the cycle. Repeated forever, such a cycle gives an
// infinite run in which no worker is continuously enabled yet never runs:
// the monitor may then wait, for instance, because both batch slots are
// occupied, and the grace period may fail to end because a reader it waits
// for is still running, but neither may simply be left idle. A system action is identified by its kind, its CPU and, for
// reclaim, its slot; the branches of refill are one worker. The
// environment gets no fairness: a reader may stay in its critical section
// for as long as the cycle repeats.

// SystemAction reports whether actions of kind k are the system's (the
// kernel workers fairness applies to) rather than the environment's.
func SystemAction(k model.Kind) bool {
	switch k {
	case model.KindMonitor, model.KindGPStart, model.KindGPEnd, model.KindReclaim, model.KindWake, model.KindRefill:
		return true
	}
	return false
}

// fairID maps a system action to the worker fairness counts: the branch
// of refill is dropped, and only reclaim has a slot.
func fairID(a model.Action) model.Action {
	id := model.Action{Kind: a.Kind, CPU: a.CPU}
	switch a.Kind {
	case model.KindGPStart, model.KindGPEnd:
		id.CPU = 0
	case model.KindReclaim:
		id.Slot = a.Slot
	}
	return id
}

// WorkerUse is what one kernel worker did along a witness's cycle.
type WorkerUse struct {
	Action string `json:"action"`
	// EnabledIn counts the states of the cycle (of States) in which the
	// worker could run; Runs the steps of the cycle that run it.
	EnabledIn int `json:"enabled_in"`
	States    int `json:"states"`
	Runs      int `json:"runs"`
}

// fairness accumulates the fairness of a cycle step by step.
type fairness struct {
	states  int
	ids     []model.Action // every system action of the model
	enabled []int          // per id: states in which it is enabled
	runs    []int          // per id: steps taking it
	readers model.CPUSet   // CPUs whose reader runs in every state so far
	buf     []model.Action
}

// index returns the index of system action id, adding it if new.
func (f *fairness) index(id model.Action) int {
	if x := slices.Index(f.ids, id); x >= 0 {
		return x
	}
	f.ids = append(f.ids, id)
	f.enabled = append(f.enabled, 0)
	f.runs = append(f.runs, 0)
	return len(f.ids) - 1
}

// step records that the cycle takes a in state s of model m.
func (f *fairness) step(m *model.Model, s *model.State, a model.Action) {
	if f.states == 0 {
		f.readers = s.RD()
		for _, id := range systemActions(len(s.CPUs)) {
			f.index(id)
		}
	}
	f.readers &= s.RD()
	f.states++
	f.buf = m.Enabled(s, f.buf[:0])
	var counted []int
	for _, e := range f.buf {
		if SystemAction(e.Kind) {
			x := f.index(fairID(e))
			if !slices.Contains(counted, x) {
				counted = append(counted, x)
				f.enabled[x]++
			}
		}
	}
	if SystemAction(a.Kind) {
		f.runs[f.index(fairID(a))]++
	}
}

// starved returns the system actions enabled in every state of the cycle
// and never taken, in the model's action order, as rcucheck prints them
// (never nil: empty for a fair cycle).
func (f *fairness) starved() []string {
	out := []string{}
	for x, id := range f.ids {
		if f.enabled[x] == f.states && f.runs[x] == 0 {
			out = append(out, id.String())
		}
	}
	return out
}

// uses returns what every system action did along the cycle.
func (f *fairness) uses() []WorkerUse {
	out := make([]WorkerUse, len(f.ids))
	for x, id := range f.ids {
		out[x] = WorkerUse{Action: id.String(), EnabledIn: f.enabled[x], States: f.states, Runs: f.runs[x]}
	}
	return out
}

// heldReaders returns the CPUs whose reader runs in every state of the cycle.
func (f *fairness) heldReaders() []int {
	out := []int{}
	for c := 0; c < 64; c++ {
		if f.readers&(1<<uint(c)) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// Starved replays cycle from a copy of state s on model m (every step
// checked enabled) and returns the system actions it starves: enabled in
// every state of the cycle and never taken. The cycle is weakly fair when
// the list is empty.
func Starved(m *model.Model, s *model.State, cycle []model.Action) ([]string, error) {
	if len(cycle) == 0 {
		return nil, fmt.Errorf("fairness: empty cycle")
	}
	s = s.Clone()
	var f fairness
	for i, a := range cycle {
		f.step(m, s, a)
		if err := m.Step(s, a); err != nil {
			return nil, fmt.Errorf("fairness: cycle step %d: %w", i+1, err)
		}
	}
	return f.starved(), nil
}

// fairSlack is the depth up to which the witness search goes on looking
// for a fair cycle once it has found an unfair one of n steps (prefix and
// cycle): a fair cycle needs a few more steps (the workers' own, and the
// environment's to disable the others), not arbitrarily many.
func fairSlack(n int) int { return 2*n + 12 }

// fairBudget is the number of states the witness search explores past the
// first unfair cycle, looking for a fair one. The fair witnesses of the
// specification's designs at N=1 and N=2 are found within 60,000 states of
// a pass (bound/fair_test.go); the budget leaves a wide margin while
// keeping a search with no fair cycle to a few seconds.
const fairBudget = 500_000

// fairCounter diversifies the witness search by fairness. The search is
// breadth first over states and keeps one path to each; a shorter path to
// a state that starves a worker would hide a longer fair one. Weak
// fairness is a generalized Büchi condition (for each system action a:
// take a, or pass a state where a is disabled); its standard
// degeneralization is a counter i over the system actions, advanced past
// action i whenever a step takes it or leaves from a state where it is
// disabled. The search keys its states by (state, i): paths that have
// discharged different parts of the condition are kept apart. The counter
// only steers the search: the fairness of a cycle found is checked exactly
// (fairness.step).
type fairCounter struct {
	ids []model.Action
	on  []bool
}

// newFairCounter makes the counter of a model with n CPUs.
func newFairCounter(n int) *fairCounter {
	ids := systemActions(n)
	return &fairCounter{ids: ids, on: make([]bool, len(ids))}
}

// systemActions lists the system actions (as fairID gives them) of a
// model with n CPUs, in the model's action order.
func systemActions(n int) []model.Action {
	var ids []model.Action
	for c := 0; c < n; c++ {
		ids = append(ids, model.Action{Kind: model.KindMonitor, CPU: uint8(c)})
	}
	ids = append(ids, model.Action{Kind: model.KindGPStart}, model.Action{Kind: model.KindGPEnd})
	for c := 0; c < n; c++ {
		for j := uint8(0); j < 2; j++ {
			ids = append(ids, model.Action{Kind: model.KindReclaim, CPU: uint8(c), Slot: j})
		}
	}
	for c := 0; c < n; c++ {
		ids = append(ids, model.Action{Kind: model.KindWake, CPU: uint8(c)})
	}
	for c := 0; c < n; c++ {
		ids = append(ids, model.Action{Kind: model.KindRefill, CPU: uint8(c)})
	}
	return ids
}

// next returns the counter after a step taking a from a state whose
// enabled actions are enabled, with counter i.
func (f *fairCounter) next(i int, enabled []model.Action, a model.Action) int {
	clear(f.on)
	for _, e := range enabled {
		if SystemAction(e.Kind) {
			if x := slices.Index(f.ids, fairID(e)); x >= 0 {
				f.on[x] = true
			}
		}
	}
	taken := fairID(a)
	for range f.ids {
		if f.on[i] && f.ids[i] != taken {
			break
		}
		i = (i + 1) % len(f.ids)
	}
	return i
}

// FairnessText says in a few words whether witness w's cycle is weakly
// fair, and which kernel workers it starves when it is not.
func FairnessText(w *Witness) string {
	if w.Fair {
		return "the cycle is weakly fair (no kernel worker enabled in all its states is left idle)"
	}
	return fmt.Sprintf("the cycle is NOT fair: it starves %s (enabled in every state of the cycle, never run); no fair pumpable cycle was found within the search's limits", strings.Join(w.Starved, ", "))
}

// WorkersText lists in one line what the kernel workers did along w's
// cycle, and the readers held throughout it.
func WorkersText(w *Witness) string {
	var parts []string
	for _, u := range w.Workers {
		switch {
		case u.Runs > 0:
			parts = append(parts, fmt.Sprintf("%s ran %d time(s)", u.Action, u.Runs))
		case u.EnabledIn == 0:
			parts = append(parts, u.Action+" never enabled")
		default:
			parts = append(parts, fmt.Sprintf("%s enabled in %d of %d states, never ran", u.Action, u.EnabledIn, u.States))
		}
	}
	readers := "none"
	if len(w.ReadersHeld) > 0 {
		cpus := make([]string, len(w.ReadersHeld))
		for i, c := range w.ReadersHeld {
			cpus[i] = strconv.Itoa(c)
		}
		readers = "CPU " + strings.Join(cpus, ", ")
	}
	return fmt.Sprintf("reader held throughout: %s; workers: %s", readers, strings.Join(parts, ", "))
}
