package model

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is one of the spec's ten actions.
type Kind uint8

// The actions, numbered as in the specification.
const (
	KindFree Kind = iota + 1
	KindReadLock
	KindReadUnlock
	KindMonitor
	KindGPStart
	KindGPEnd
	KindReclaim
	KindWake
	KindRefill
	KindShrink
)

var kindNames = [...]string{
	KindFree:       "free",
	KindReadLock:   "read_lock",
	KindReadUnlock: "read_unlock",
	KindMonitor:    "monitor",
	KindGPStart:    "gp_start",
	KindGPEnd:      "gp_end",
	KindReclaim:    "reclaim",
	KindWake:       "wake",
	KindRefill:     "refill",
	KindShrink:     "shrink",
}

// String returns the spec's name of the action.
func (k Kind) String() string {
	if k >= KindFree && k <= KindShrink {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// FreeCase says which branch of free(c) a transition takes. The case is
// determined by the state and the design except for the allocator's
// nondeterministic choice between FreeAllocOK and a failure.
type FreeCase uint8

// The branches of free(c).
const (
	FreeNone     FreeCase = iota // not a free
	FreeInPage                   // room in the newest bulk page
	FreeCache                    // a page from the per-CPU cache
	FreeAllocOK                  // the page allocator gave a page
	FreeHead                     // allocation failed: rcu_head fallback
	FreeSync                     // allocation failed: blocked in synchronize_rcu()
	FreeReserve                  // no page: one from the emergency reserve
	FreeStuck                    // no page and the reserve is empty
	FreeLockless                 // a page from the per-CPU free lists, within the budget
)

var freeCaseNames = [...]string{
	FreeInPage:   "",
	FreeCache:    "cache",
	FreeAllocOK:  "alloc-ok",
	FreeHead:     "alloc-fails rcu_head",
	FreeSync:     "alloc-fails synchronize_rcu",
	FreeReserve:  "reserve",
	FreeStuck:    "stuck",
	FreeLockless: "lockless",
}

// RefillCase says which branch of refill(c) a transition takes.
type RefillCase uint8

// The branches of refill(c).
const (
	RefillToCap RefillCase = iota // fill the cache to C (the spec's refill)
	RefillOne                     // add one page (a worker backing off; RefillBackoff designs)
)

// Action is one transition of the model: an action of the spec with its
// CPU, its slot (reclaim) and its branch (free, refill).
type Action struct {
	Kind   Kind
	CPU    uint8
	Slot   uint8
	Free   FreeCase
	Refill RefillCase
}

// String formats the action as rcucheck prints it, e.g. "free(1) alloc-ok",
// "reclaim(0,1)" or "gp_start".
func (a Action) String() string {
	switch a.Kind {
	case KindGPStart, KindGPEnd:
		return a.Kind.String()
	case KindReclaim:
		return fmt.Sprintf("reclaim(%d,%d)", a.CPU, a.Slot)
	case KindFree:
		s := fmt.Sprintf("free(%d)", a.CPU)
		if int(a.Free) < len(freeCaseNames) && freeCaseNames[a.Free] != "" {
			s += " " + freeCaseNames[a.Free]
		}
		return s
	case KindRefill:
		if a.Refill == RefillOne {
			return fmt.Sprintf("refill(%d) one", a.CPU)
		}
	}
	return fmt.Sprintf("%s(%d)", a.Kind, a.CPU)
}

// ParseAction reads an action as String prints it.
func ParseAction(text string) (Action, error) {
	text = strings.TrimSpace(text)
	name, rest, _ := strings.Cut(text, "(")
	var a Action
	for k := KindFree; k <= KindShrink; k++ {
		if k.String() == name {
			a.Kind = k
		}
	}
	if a.Kind == 0 {
		return a, fmt.Errorf("unknown action %q", text)
	}
	if a.Kind == KindGPStart || a.Kind == KindGPEnd {
		if rest != "" || strings.Contains(text, "(") {
			return a, fmt.Errorf("action %q takes no arguments", text)
		}
		return a, nil
	}
	args, tail, ok := strings.Cut(rest, ")")
	if !ok {
		return a, fmt.Errorf("action %q: missing ')'", text)
	}
	parts := strings.Split(args, ",")
	want := 1
	if a.Kind == KindReclaim {
		want = 2
	}
	if len(parts) != want {
		return a, fmt.Errorf("action %q: want %d argument(s)", text, want)
	}
	cpu, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || cpu < 0 || cpu >= MaxCPUs {
		return a, fmt.Errorf("action %q: bad CPU %q", text, parts[0])
	}
	a.CPU = uint8(cpu)
	if want == 2 {
		slot, err := strconv.Atoi(strings.TrimSpace(parts[1]))
		if err != nil || slot < 0 || slot > 1 {
			return a, fmt.Errorf("action %q: bad slot %q", text, parts[1])
		}
		a.Slot = uint8(slot)
	}
	tail = strings.TrimSpace(tail)
	if a.Kind == KindRefill && tail == "one" {
		a.Refill = RefillOne
		return a, nil
	}
	if a.Kind != KindFree {
		if tail != "" {
			return a, fmt.Errorf("action %q: unexpected %q", text, tail)
		}
		return a, nil
	}
	for fc := FreeInPage; int(fc) < len(freeCaseNames); fc++ {
		if freeCaseNames[fc] == tail {
			a.Free = fc
			return a, nil
		}
	}
	return a, fmt.Errorf("action %q: unknown free branch %q", text, tail)
}

// Code packs the action into 32 bits (see ActionFromCode).
func (a Action) Code() uint32 {
	return uint32(a.Kind) | uint32(a.CPU)<<4 | uint32(a.Slot)<<10 | uint32(a.Free)<<11 | uint32(a.Refill&1)<<15
}

// ActionFromCode unpacks an action packed by Code.
func ActionFromCode(c uint32) Action {
	return Action{Kind: Kind(c & 15), CPU: uint8(c >> 4 & 63), Slot: uint8(c >> 10 & 1), Free: FreeCase(c >> 11 & 15), Refill: RefillCase(c >> 15 & 1)}
}
