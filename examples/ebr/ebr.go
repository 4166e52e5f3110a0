// Package ebr is a second reclaim scheme, epoch-based reclamation (Fraser
// 2004; crossbeam-epoch, the kernel's SRCU in spirit), written directly
// against the generic engine's checker.Model: it shows that the engine
// knows nothing of kvfree_rcu.
//
// The model: a global epoch e in {0,1,2}; each of N threads is pinned or
// not and, when pinned, holds the epoch it observed (le). A pinned thread
// retires objects into the limbo bin of the global epoch, at most K per
// thread (with TagLocal, into the bin of its own le: a subtle bug the
// checker finds in 6 steps).
// The epoch advances when every pinned thread has observed the current
// epoch; advancing to e+1 frees the bin of epoch e-1 (= e+2 mod 3), whose
// objects were retired two epochs ago.
//
// Properties: Safe (no object is freed while a thread that was pinned when
// it was retired is still pinned: ghost sets as in the kvfree_rcu model),
// Drainable (every limbo bin can still be emptied), and the metric limbo,
// the retired objects not yet freed. With Buggy the epoch advances without
// looking at the pinned threads, and Safe fails.
package ebr

import (
	"fmt"

	"github.com/rcucheck/rcucheck/checker"
)

// Model is an EBR instance.
type Model struct {
	Threads  int  // N, 1..8
	Retires  int  // K: objects each thread retires, 0..255
	Buggy    bool // advance without checking the pinned threads
	TagLocal bool // tag retired objects with the thread's epoch, not the global one
}

// MaxThreads bounds Threads.
const MaxThreads = 8

// Validate reports a parameter out of range.
func (m Model) Validate() error {
	if m.Threads < 1 || m.Threads > MaxThreads {
		return fmt.Errorf("threads must be between 1 and %d, got %d", MaxThreads, m.Threads)
	}
	if m.Retires < 0 || m.Retires > 255 || m.Threads*m.Retires > 255 {
		return fmt.Errorf("retires must be between 0 and 255/threads, got %d", m.Retires)
	}
	return nil
}

// state layout, one byte a field: [e, bad, bin0, bin1, bin2, ghost0, ghost1,
// ghost2, then per thread: pinned, le, retired].
type state struct {
	e, bad int
	bin    [3]int
	ghost  [3]uint8 // threads pinned when an object of the bin was retired, still pinned
	pinned [MaxThreads]bool
	le     [MaxThreads]int
	done   [MaxThreads]int
}

func (m Model) fields() int { return 8 + 3*m.Threads }

// StateWords implements checker.Model.
func (m Model) StateWords() int { return (m.fields() + 7) / 8 }

func (m Model) pack(s *state, dst []uint64) {
	clear(dst)
	i := 0
	put := func(v int) { dst[i/8] |= uint64(v&0xff) << (8 * (i % 8)); i++ }
	put(s.e)
	put(s.bad)
	for b := 0; b < 3; b++ {
		put(s.bin[b])
	}
	for b := 0; b < 3; b++ {
		put(int(s.ghost[b]))
	}
	for t := 0; t < m.Threads; t++ {
		p := 0
		if s.pinned[t] {
			p = 1
		}
		put(p)
		put(s.le[t])
		put(s.done[t])
	}
}

func (m Model) unpack(src []uint64) state {
	var s state
	i := 0
	get := func() int { v := int(src[i/8] >> (8 * (i % 8)) & 0xff); i++; return v }
	s.e, s.bad = get(), get()
	for b := 0; b < 3; b++ {
		s.bin[b] = get()
	}
	for b := 0; b < 3; b++ {
		s.ghost[b] = uint8(get())
	}
	for t := 0; t < m.Threads; t++ {
		s.pinned[t] = get() == 1
		s.le[t], s.done[t] = get(), get()
	}
	return s
}

// Initial implements checker.Model.
func (m Model) Initial(dst []uint64) { m.pack(&state{}, dst) }

// The actions: kind in the low byte, thread in the next.
const (
	actPin checker.Action = iota + 1
	actUnpin
	actRetire
	actAdvance
)

// ActionName implements checker.Model.
func (Model) ActionName(a checker.Action) string {
	t := int(a >> 8)
	switch a & 0xff {
	case actPin:
		return fmt.Sprintf("pin(%d)", t)
	case actUnpin:
		return fmt.Sprintf("unpin(%d)", t)
	case actRetire:
		return fmt.Sprintf("retire(%d)", t)
	case actAdvance:
		return "advance"
	}
	return fmt.Sprintf("action(%d)", uint32(a))
}

// Invariants implements checker.Model.
func (Model) Invariants() []string { return []string{"Safe"} }

// Goals implements checker.Model.
func (Model) Goals() []string { return []string{"Drainable"} }

// Metrics implements checker.Model.
func (Model) Metrics() []string { return []string{"limbo"} }

// NewExpander implements checker.Model.
func (m Model) NewExpander() checker.Expander {
	return &expander{m: m, out: make([]uint64, m.StateWords())}
}

type expander struct {
	m   Model
	out []uint64
}

func (x *expander) Successors(src []uint64, emit func(checker.Action, []uint64)) {
	m := x.m
	s := m.unpack(src)
	step := func(a checker.Action, n state) {
		m.pack(&n, x.out)
		emit(a, x.out)
	}
	for t := 0; t < m.Threads; t++ {
		th := checker.Action(t) << 8
		if !s.pinned[t] {
			n := s
			n.pinned[t], n.le[t] = true, s.e
			step(actPin|th, n)
			continue
		}
		n := s
		n.pinned[t], n.le[t] = false, 0
		for b := range n.ghost {
			n.ghost[b] &^= 1 << t
		}
		step(actUnpin|th, n)
		if s.done[t] < m.Retires {
			n := s
			n.done[t]++
			b := s.e // tagged with the global epoch, as crossbeam-epoch does
			if m.TagLocal {
				b = s.le[t]
			}
			n.bin[b]++
			for u := 0; u < m.Threads; u++ {
				if s.pinned[u] {
					n.ghost[b] |= 1 << u
				}
			}
			step(actRetire|th, n)
		}
	}
	ok := true
	for t := 0; t < m.Threads && !m.Buggy; t++ {
		if s.pinned[t] && s.le[t] != s.e {
			ok = false
		}
	}
	if ok {
		n := s
		n.e = (s.e + 1) % 3
		free := (n.e + 1) % 3 // the bin of the epoch before the old one
		if n.ghost[free] != 0 {
			n.bad = 1
		}
		n.bin[free], n.ghost[free] = 0, 0
		step(actAdvance, n)
	}
}

func (x *expander) Evaluate(src []uint64, inv, goal []bool, metric []int64) {
	s := x.m.unpack(src)
	inv[0] = s.bad == 0
	limbo := s.bin[0] + s.bin[1] + s.bin[2]
	goal[0] = limbo == 0
	metric[0] = int64(limbo)
}
