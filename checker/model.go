// Package checker is a generic explicit-state model checker. It knows nothing
// of the models it explores: a Model gives packed states of a fixed number of
// 64-bit words, the labelled transitions out of a state, and for each state
// the truth of its invariants and goals and the values of its metrics.
//
// Explore visits every reachable state breadth first and reports the counts
// of states and transitions, the depth, shortest counterexamples to
// invariants, the maximum of each metric with a shortest trace to it, whether
// a goal stays reachable from every state (AG EF goal) and deadlocks.
//
// A Model works on packed words, for speed. A Spec describes a model by
// typed functions instead (initial state, actions, next state, a codec and
// named properties) and gives a Model: see ExampleSpec.
package checker

// Action identifies a transition of a model; its meaning is the model's.
type Action uint32

// Model is what the checker explores.
type Model interface {
	// StateWords is the number of 64-bit words of a packed state.
	StateWords() int
	// Initial writes the initial state into dst (StateWords long).
	Initial(dst []uint64)
	// NewExpander returns an Expander for one worker. Expanders are not
	// shared between goroutines.
	NewExpander() Expander
	// ActionName formats a transition for traces.
	ActionName(a Action) string
	// Invariants names the invariants, in the order Evaluate reports them.
	Invariants() []string
	// Goals names the goals: for each, the checker decides whether a goal
	// state is reachable from every reachable state.
	Goals() []string
	// Metrics names the integer metrics whose maxima the checker computes.
	Metrics() []string
}

// Expander computes the transitions and observations of packed states.
type Expander interface {
	// Successors calls emit once for every enabled transition of s (each
	// branch of a nondeterministic action counts as one), in a fixed order.
	// next is only valid during the call to emit.
	Successors(s []uint64, emit func(a Action, next []uint64))
	// Evaluate fills inv[i] with whether invariant i holds in s, goal[i]
	// with whether s is a goal state of goal i, and metric[i] with the
	// value of metric i in s.
	Evaluate(s []uint64, inv, goal []bool, metric []int64)
}

// Appender is implemented by expanders that can hand over the successors
// of a state all at once: AppendSuccessors appends to dst the words of the
// states Successors would emit, in the same order, and returns the
// extended slice. The checker then makes no call per transition: it uses
// AppendSuccessors when it needs no action, that is while exploring.
type Appender interface {
	AppendSuccessors(s, dst []uint64) []uint64
}

// Ranker is implemented by expanders that can spare the checker the
// transition graph when it decides the goals. Rank returns a rank of s for
// goal g, or math.MaxUint64 for "unranked". The checker verifies, on every
// state it expands, that the state is a goal state of g or has a successor
// of lower rank; when that holds of every state of finite rank, every such
// state reaches a goal state (by induction on the rank, each step a real
// transition), and a state that fails it while being unranked and without
// successors is one from which no goal state is reachable. Any other
// failure leaves the goal to the transition graph: the run is done again
// keeping it. A wrong rank therefore costs time, never a wrong verdict.
// Ranks must have the same value on every state of an orbit (Symmetric).
type Ranker interface {
	Rank(s []uint64, g int) uint64
}

// Compact is implemented by models whose packed states use fewer bits than
// their words hold. The checker then keeps the states of a level, which it
// holds whole even with Options.Fingerprint, in (StateBits()+7)/8 bytes
// each; every bit from StateBits on must be 0.
type Compact interface {
	StateBits() int
}

// Symmetric is implemented by models whose states come in orbits of
// interchangeable components (such as the CPUs of the reference model).
// When Options.Symmetry is set, Explore stores one representative per orbit.
type Symmetric interface {
	// NewCanonicalizer returns a Canonicalizer for one worker; it is not
	// shared between goroutines.
	NewCanonicalizer() Canonicalizer
}

// Canonicalizer maps a packed state to the representative of its orbit.
type Canonicalizer interface {
	// Canonicalize replaces s, in place, by the representative of its orbit:
	// a state symmetric to s that depends only on the orbit, so that two
	// symmetric states give the same words. It returns the orbit's size
	// (the number of distinct states symmetric to s, s included), or 0 when
	// it does not know it. Invariants, goals and metrics must have the same
	// value on every state of an orbit, and symmetric states must have
	// symmetric successors.
	Canonicalize(s []uint64) uint64
}
