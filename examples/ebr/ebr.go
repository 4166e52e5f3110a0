// Package ebr is epoch-based reclamation (Fraser 2004; crossbeam-epoch, the
// kernel's SRCU in spirit) on the engine's typed adapter checker.Spec: a
// reclaim scheme other than kvfree_rcu. A global epoch e in {0,1,2}; each of
// N threads, when pinned, holds the epoch it observed and may retire up to K
// objects into the limbo bin of the global epoch (with TagLocal, of its own:
// a bug found in 6 steps). The epoch advances when every pinned thread has
// observed it (with Buggy, always); advancing to e+1 frees the bin of e-1
// (= e+2 mod 3), retired two epochs ago. Properties: Safe (nothing is freed
// while a thread pinned at its retirement is still pinned: ghost sets as in
// the kvfree_rcu model), Drainable (every bin can still be emptied) and the
// metric limbo (retired objects not yet freed).
package ebr

import (
	"fmt"

	"github.com/rcucheck/rcucheck/checker"
)

// Model is an EBR instance.
type Model struct {
	Threads  int  // N, 1..MaxThreads
	Retires  int  // K: objects each thread retires, 0..255/N
	Buggy    bool // advance without checking the pinned threads
	TagLocal bool // tag retired objects with the thread's epoch, not the global one
}

// MaxThreads bounds Threads (a ghost set is a byte).
const MaxThreads = 8

// State is a state of the scheme (fields exported for checker.BinaryCodec).
type State struct {
	Epoch, Bad  uint8             // the global epoch; 1 once an object was freed too early
	Pinned      uint8             // the pinned threads, one bit each
	Bin, Ghost  [3]uint8          // per epoch: objects in limbo; threads pinned at a retirement, still pinned
	Local, Done [MaxThreads]uint8 // per thread: the epoch observed when pinned (0 unpinned), objects retired
}

// Limbo is the number of retired objects not yet freed.
func (s State) Limbo() int { return int(s.Bin[0]) + int(s.Bin[1]) + int(s.Bin[2]) }

// Step is an action: pin, unpin or retire by a thread, or advance the epoch.
type Step struct {
	Kind   string
	Thread int
}

// String returns e.g. "pin(0)" or "advance".
func (a Step) String() string {
	if a.Kind == "advance" {
		return a.Kind
	}
	return fmt.Sprintf("%s(%d)", a.Kind, a.Thread)
}

// Spec returns the model of m for checker.ExploreSpec, or the parameter out of range.
func (m Model) Spec() (checker.Spec[State, Step], error) {
	if m.Threads < 1 || m.Threads > MaxThreads || m.Retires < 0 || m.Threads*m.Retires > 255 {
		return checker.Spec[State, Step]{}, fmt.Errorf("want 1 <= threads <= %d and 0 <= threads*retires <= 255, got %d threads and %d retires", MaxThreads, m.Threads, m.Retires)
	}
	codec, err := checker.BinaryCodec[State]()
	return checker.Spec[State, Step]{
		Init: func() State { return State{} },
		Actions: func(_ State, emit func(Step)) {
			for t := range m.Threads {
				for _, k := range []string{"pin", "unpin", "retire"} {
					emit(Step{k, t})
				}
			}
			emit(Step{Kind: "advance"})
		},
		Next:  m.next,
		Codec: codec,
		Properties: []checker.Property[State]{
			checker.Invariant("Safe", func(s State) bool { return s.Bad == 0 }),
			checker.Goal("Drainable", func(s State) bool { return s.Limbo() == 0 }),
			checker.Metric("limbo", func(s State) int64 { return int64(s.Limbo()) }),
		},
	}, err
}

// next applies a to s, or reports it disabled.
func (m Model) next(s State, a Step) (State, bool) {
	t, bit := a.Thread, uint8(1)<<a.Thread
	pinned := s.Pinned&bit != 0
	switch {
	case a.Kind == "pin" && !pinned:
		s.Pinned, s.Local[t] = s.Pinned|bit, s.Epoch
	case a.Kind == "unpin" && pinned:
		s.Pinned, s.Local[t] = s.Pinned&^bit, 0
		for b := range s.Ghost {
			s.Ghost[b] &^= bit
		}
	case a.Kind == "retire" && pinned && int(s.Done[t]) < m.Retires:
		b := s.Epoch // tagged with the global epoch, as crossbeam-epoch does
		if m.TagLocal {
			b = s.Local[t]
		}
		s.Done[t]++
		s.Bin[b]++
		s.Ghost[b] |= s.Pinned
	case a.Kind == "advance":
		for u := range m.Threads {
			if s.Pinned&(1<<u) != 0 && s.Local[u] != s.Epoch && !m.Buggy {
				return s, false
			}
		}
		s.Epoch = (s.Epoch + 1) % 3
		free := (s.Epoch + 1) % 3      // the bin of the epoch before the old one
		s.Bad |= min(s.Ghost[free], 1) // a thread pinned at a retirement into it is still pinned
		s.Bin[free], s.Ghost[free] = 0, 0
	default:
		return s, false
	}
	return s, true
}
