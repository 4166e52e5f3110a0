package checker

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
)

// Spec describes a model by typed functions over its states S and actions
// A, in the manner of Stateright's Model trait and Porcupine's Model: the
// engine explores it through the Model its Model method returns. Write a
// Model and an Expander by hand only when speed matters (they work on packed
// words without decoding them).
//
// Every function must be deterministic and safe to call from several
// goroutines at once (pure functions of their arguments are).
type Spec[S any, A comparable] struct {
	// Init returns the initial state.
	Init func() S
	// Actions calls emit with every action that may apply to s, in a
	// fixed order (the order of the transitions, and so of the traces). A
	// nondeterministic step is one action per outcome.
	Actions func(s S, emit func(A))
	// Next applies a to s: the successor, and false when a is not enabled
	// in s (no transition).
	Next func(s S, a A) (S, bool)
	// Codec packs states into words and back.
	Codec Codec[S]
	// Properties are the invariants, goals and metrics, each with its name
	// and kind; they are reported in this order within their kind.
	Properties []Property[S]
	// ActionName formats an action for traces (nil: fmt.Sprint).
	ActionName func(A) string
}

// Codec packs a model's states into a fixed number of 64-bit words. Two
// states must be equal exactly when their words are, and Decode must undo
// Encode.
type Codec[S any] struct {
	Words  int                  // words of a packed state, at least 1
	Encode func(S, []uint64)    // packs s into dst, Words long and zeroed
	Decode func(src []uint64) S // unpacks what Encode wrote
}

// BinaryCodec is a Codec for any state type of fixed size that
// encoding/binary can write (numbers, bools, arrays and structs of them,
// with exported fields): convenient, though slower than packing by hand
// (about a microsecond a state, by reflection).
func BinaryCodec[S any]() (c Codec[S], err error) {
	var zero S
	n := binary.Size(zero)
	if n <= 0 {
		return Codec[S]{}, fmt.Errorf("binary codec: %T has no fixed binary size", zero)
	}
	c = binaryCodec[S]((n + 7) / 8)
	// encoding/binary panics when it decodes into an unexported field:
	// try once here.
	defer func() {
		if r := recover(); r != nil {
			c, err = Codec[S]{}, fmt.Errorf("binary codec: %T: %v (its fields must be exported)", zero, r)
		}
	}()
	c.Decode(make([]uint64, c.Words))
	return c, nil
}

// binaryCodec is BinaryCodec for a type of that many words.
func binaryCodec[S any](words int) Codec[S] {
	return Codec[S]{
		Words: words,
		Encode: func(s S, dst []uint64) {
			b := make([]byte, 8*words)
			if _, err := binary.Encode(b, binary.LittleEndian, s); err != nil {
				panic(fmt.Sprintf("checker: binary codec: %v", err)) // cannot happen: the size was checked
			}
			for i := range dst {
				dst[i] = binary.LittleEndian.Uint64(b[8*i:])
			}
		},
		Decode: func(src []uint64) S {
			b := make([]byte, 8*words)
			for i, w := range src {
				binary.LittleEndian.PutUint64(b[8*i:], w)
			}
			var s S
			if _, err := binary.Decode(b, binary.LittleEndian, &s); err != nil {
				panic(fmt.Sprintf("checker: binary codec: %v", err)) // cannot happen: the size was checked
			}
			return s
		},
	}
}

// PropertyKind says what the checker decides about a property.
type PropertyKind int

// The kinds of properties.
const (
	// KindInvariant holds when every reachable state satisfies it.
	KindInvariant PropertyKind = iota + 1
	// KindGoal holds when a goal state stays reachable from every
	// reachable state (AG EF goal).
	KindGoal
	// KindMetric is an integer whose maximum the checker computes.
	KindMetric
)

// String returns "invariant", "goal" or "metric".
func (k PropertyKind) String() string {
	if k < KindInvariant || k > KindMetric {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return [...]string{"invariant", "goal", "metric"}[k-KindInvariant]
}

// Property is a named property of a Spec: Holds for an invariant or a goal
// (whether s satisfies it, or is a goal state), Value for a metric.
type Property[S any] struct {
	Name  string
	Kind  PropertyKind
	Holds func(S) bool
	Value func(S) int64
}

// Invariant returns an invariant: holds must be true in every reachable state.
func Invariant[S any](name string, holds func(S) bool) Property[S] {
	return Property[S]{Name: name, Kind: KindInvariant, Holds: holds}
}

// Goal returns a goal: from every reachable state, some state where goal is
// true must stay reachable.
func Goal[S any](name string, goal func(S) bool) Property[S] {
	return Property[S]{Name: name, Kind: KindGoal, Holds: goal}
}

// Metric returns a metric whose maximum over the reachable states the
// checker computes, with a shortest trace to it.
func Metric[S any](name string, value func(S) int64) Property[S] {
	return Property[S]{Name: name, Kind: KindMetric, Value: value}
}

// ExploreSpec explores the model spec describes (see Explore).
func ExploreSpec[S any, A comparable](ctx context.Context, spec Spec[S, A], opt Options) (*Result, error) {
	m, err := spec.Model()
	if err != nil {
		return nil, err
	}
	return Explore(ctx, m, opt)
}

// Model checks spec and returns it as a Model for Explore. The Action of a
// transition numbers its A in the order the run first met it, which may
// differ from run to run with several workers; its name (Step.Name) does not.
func (spec Spec[S, A]) Model() (Model, error) {
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	m := &specModel[S, A]{spec: spec, actions: &actionTable[A]{ids: map[A]Action{}}}
	for _, p := range spec.Properties {
		m.byKind[p.Kind-KindInvariant] = append(m.byKind[p.Kind-KindInvariant], p)
	}
	return m, nil
}

// validate refuses a Spec with a function missing, properties without a
// name, of an unknown kind or lacking their function, or a codec that does
// not give back the initial state.
func (spec Spec[S, A]) validate() error {
	c := spec.Codec
	switch {
	case spec.Init == nil || spec.Actions == nil || spec.Next == nil:
		return fmt.Errorf("the functions Init, Actions and Next are required")
	case c.Encode == nil || c.Decode == nil:
		return fmt.Errorf("the codec's Encode and Decode are required")
	case c.Words < 1:
		return fmt.Errorf("the codec has %d words per state; want at least 1", c.Words)
	}
	seen := map[string]bool{}
	for i, p := range spec.Properties {
		switch {
		case p.Name == "" || seen[p.Name]:
			return fmt.Errorf("property %d: name %q empty or used twice", i, p.Name)
		case p.Kind < KindInvariant || p.Kind > KindMetric:
			return fmt.Errorf("property %s: unknown %s", p.Name, p.Kind)
		case p.Kind == KindMetric && p.Value == nil, p.Kind != KindMetric && p.Holds == nil:
			return fmt.Errorf("property %s: a %s needs its function (Holds or Value)", p.Name, p.Kind)
		}
		seen[p.Name] = true
	}
	w, back := make([]uint64, c.Words), make([]uint64, c.Words)
	c.Encode(spec.Init(), w)
	c.Encode(c.Decode(w), back)
	if !equalWords(w, back) {
		return fmt.Errorf("the codec does not give back the initial state: %x, then %x", w, back)
	}
	return nil
}

// specModel is a Spec as a Model.
type specModel[S any, A comparable] struct {
	spec    Spec[S, A]
	byKind  [3][]Property[S] // invariants, goals, metrics
	actions *actionTable[A]
}

// actionTable numbers the actions met, shared by the expanders.
type actionTable[A comparable] struct {
	mu    sync.Mutex
	ids   map[A]Action
	names []A
}

// id returns a's number, giving it the next one when a is new.
func (t *actionTable[A]) id(a A) Action {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.ids[a]
	if !ok {
		id = Action(len(t.names))
		t.ids[a] = id
		t.names = append(t.names, a)
	}
	return id
}

// action returns the action numbered id.
func (t *actionTable[A]) action(id Action) (A, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if int(id) >= len(t.names) {
		var zero A
		return zero, false
	}
	return t.names[id], true
}

func (m *specModel[S, A]) StateWords() int { return m.spec.Codec.Words }

func (m *specModel[S, A]) Initial(dst []uint64) {
	clear(dst)
	m.spec.Codec.Encode(m.spec.Init(), dst)
}

func (m *specModel[S, A]) ActionName(id Action) string {
	a, ok := m.actions.action(id)
	switch {
	case !ok:
		return fmt.Sprintf("action(%d)", uint32(id))
	case m.spec.ActionName != nil:
		return m.spec.ActionName(a)
	}
	return fmt.Sprint(a)
}

func (m *specModel[S, A]) names(k PropertyKind) []string {
	var out []string
	for _, p := range m.byKind[k-KindInvariant] {
		out = append(out, p.Name)
	}
	return out
}

func (m *specModel[S, A]) Invariants() []string { return m.names(KindInvariant) }
func (m *specModel[S, A]) Goals() []string      { return m.names(KindGoal) }
func (m *specModel[S, A]) Metrics() []string    { return m.names(KindMetric) }

func (m *specModel[S, A]) NewExpander() Expander {
	return &specExpander[S, A]{m: m, out: make([]uint64, m.spec.Codec.Words), ids: map[A]Action{}}
}

// specExpander expands decoded states; it keeps the numbers of the actions
// it has met so that the shared table is locked once per action and worker.
type specExpander[S any, A comparable] struct {
	m   *specModel[S, A]
	out []uint64
	ids map[A]Action
}

func (x *specExpander[S, A]) Successors(src []uint64, emit func(Action, []uint64)) {
	sp := &x.m.spec
	s := sp.Codec.Decode(src)
	sp.Actions(s, func(a A) {
		n, ok := sp.Next(s, a)
		if !ok {
			return
		}
		id, known := x.ids[a]
		if !known {
			id = x.m.actions.id(a)
			x.ids[a] = id
		}
		clear(x.out)
		sp.Codec.Encode(n, x.out)
		emit(id, x.out)
	})
}

func (x *specExpander[S, A]) Evaluate(src []uint64, inv, goal []bool, metric []int64) {
	s := x.m.spec.Codec.Decode(src)
	k := &x.m.byKind
	for i, p := range k[0] {
		inv[i] = p.Holds(s)
	}
	for i, p := range k[1] {
		goal[i] = p.Holds(s)
	}
	for i, p := range k[2] {
		metric[i] = p.Value(s)
	}
}
