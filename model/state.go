// Package model implements the reference model of kvfree_rcu() with page
// reserves and grace periods (shared/docs/reference-model.md), its designs
// and its metrics.
//
// A State holds exactly the variables of the specification. Enabled lists the
// actions a state allows and Apply performs one; the exhaustive checker reaches
// the same code through Model, which packs states into machine words.
package model

import (
	"fmt"
	"math/bits"
	"strings"
)

// Phase is the phase of a batch slot or of a blocked synchronize_rcu() caller.
// For a slot, NONE is read as FREE.
type Phase uint8

// The four phases. A slot uses Free/Next/Cur/Done; blk uses None/Next/Cur/Done.
const (
	PhaseFree Phase = 0 // slot is free (as blk: no caller is blocked)
	PhaseNext Phase = 1 // waiting for a grace period that has not started
	PhaseCur  Phase = 2 // waiting for the running grace period
	PhaseDone Phase = 3 // its grace period has ended
)

// PhaseNone is the value of blk[c] when no caller is blocked on c.
const PhaseNone = PhaseFree

// String returns the spec's name of the phase.
func (p Phase) String() string {
	switch p {
	case PhaseFree:
		return "FREE"
	case PhaseNext:
		return "NEXT"
	case PhaseCur:
		return "CUR"
	case PhaseDone:
		return "DONE"
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// CPUSet is a bit set of CPUs: bit c stands for CPU c (N <= 64).
type CPUSet uint64

// Has reports whether c is in the set.
func (s CPUSet) Has(c int) bool { return s&(1<<uint(c)) != 0 }

// Len returns the number of CPUs in the set.
func (s CPUSet) Len() int { return bits.OnesCount64(uint64(s)) }

// String formats the set as {0,2}.
func (s CPUSet) String() string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for c := 0; c < 64; c++ {
		if s.Has(c) {
			if !first {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%d", c)
			first = false
		}
	}
	b.WriteByte('}')
	return b.String()
}

// Slot is one of a CPU's two in-flight batches.
type Slot struct {
	Phase Phase
	Pages int32 // bpages
	Objs  int32 // bobjs
	Heads int32 // bheads
	Pin   CPUSet
}

// CPU holds the per-CPU variables of the specification.
type CPU struct {
	Calls  int32 // frees issued so far
	Rd     bool  // a read-side critical section is running
	Pages  int32 // bulk pages in the channel
	Objs   int32 // objects stored in them
	Heads  int32 // objects queued through their rcu_head
	Cache  int32 // free pages in the page cache
	Blk    Phase // the caller blocked in synchronize_rcu()
	Pin    CPUSet
	BlkPin CPUSet
	Slot   [2]Slot
}

// State is a state of the reference model: exactly the spec's variables.
type State struct {
	GPRunning bool   // gp = RUN
	QS        CPUSet // readers the running grace period still waits for
	Reserve   int32  // pages left in the emergency pool
	Stuck     bool
	CPUs      []CPU
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	t := *s
	t.CPUs = append([]CPU(nil), s.CPUs...)
	return &t
}

// CopyFrom makes s equal to t, reusing s's storage.
func (s *State) CopyFrom(t *State) {
	cpus := s.CPUs
	*s = *t
	s.CPUs = append(cpus[:0], t.CPUs...)
}

// Equal reports whether s and t are the same state.
func (s *State) Equal(t *State) bool {
	if s.GPRunning != t.GPRunning || s.QS != t.QS || s.Reserve != t.Reserve || s.Stuck != t.Stuck || len(s.CPUs) != len(t.CPUs) {
		return false
	}
	for i := range s.CPUs {
		if s.CPUs[i] != t.CPUs[i] {
			return false
		}
	}
	return true
}

// RD returns the set of CPUs with a running reader.
func (s *State) RD() CPUSet {
	var rd CPUSet
	for c := range s.CPUs {
		if s.CPUs[c].Rd {
			rd |= 1 << uint(c)
		}
	}
	return rd
}

// Inflight returns inflight(c) = objs + heads + sum_j (bobjs + bheads).
func (s *State) Inflight(c int) int {
	u := &s.CPUs[c]
	n := int(u.Objs) + int(u.Heads)
	for j := range u.Slot {
		n += int(u.Slot[j].Objs) + int(u.Slot[j].Heads)
	}
	return n
}

// String renders the state on one line, for traces and debugging.
func (s *State) String() string {
	var b strings.Builder
	gp := "IDLE"
	if s.GPRunning {
		gp = "RUN"
	}
	fmt.Fprintf(&b, "gp=%s qs=%s reserve=%d", gp, s.QS, s.Reserve)
	if s.Stuck {
		b.WriteString(" STUCK")
	}
	for c := range s.CPUs {
		u := &s.CPUs[c]
		rd := 0
		if u.Rd {
			rd = 1
		}
		fmt.Fprintf(&b, " | cpu%d calls=%d rd=%d pages=%d objs=%d heads=%d cache=%d pin=%s",
			c, u.Calls, rd, u.Pages, u.Objs, u.Heads, u.Cache, u.Pin)
		if u.Blk != PhaseNone {
			fmt.Fprintf(&b, " blk=%s blkpin=%s", u.Blk, u.BlkPin)
		}
		for j := range u.Slot {
			sl := &u.Slot[j]
			if sl.Phase != PhaseFree {
				fmt.Fprintf(&b, " slot%d=%s{pages=%d objs=%d heads=%d pin=%s}", j, sl.Phase, sl.Pages, sl.Objs, sl.Heads, sl.Pin)
			}
		}
	}
	return b.String()
}
