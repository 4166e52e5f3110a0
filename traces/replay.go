package traces

import (
	"fmt"
	"sort"

	"github.com/rcucheck/rcucheck/model"
)

// Divergence is a class of kernel events the model could not follow.
type Divergence struct {
	Class       string `json:"class"`
	Count       int    `json:"count"`
	FirstLine   int    `json:"first_line"`
	Example     string `json:"example"`
	Abstraction bool   `json:"abstraction"` // expected from what the model leaves out, not a fidelity problem
}

// Replay is the outcome of replaying a capture as a path of the model.
type Replay struct {
	Design      string        `json:"design"`
	Params      model.Params  `json:"params"`
	Events      int           `json:"events"`  // kernel events mapped to model actions
	Applied     int           `json:"applied"` // of which the model could take as recorded
	Divergences []*Divergence `json:"divergences"`
	Unfaithful  int           `json:"unfaithful"` // events in classes that are not abstractions
	MaxPages    int64         `json:"max_pages"`
	MaxPending  int64         `json:"max_pending"`
	// Skipped says why the replay did not run (a capture past
	// ImportOptions.ReplayLimit); the other fields are then empty.
	Skipped string `json:"skipped,omitempty"`
}

// replayKernel replays the capture on the model of design head (6.1's
// two-argument kvfree_rcu with the rcu_head fallback) with B = 510 and
// C = 5, and records every kernel event the model cannot take.
func replayKernel(imp *Import, objs []*kobj, batches []*kbatch) *Replay {
	r, err := newReplayer(&imp.Figures, objs, batches)
	if err != nil {
		return r.rp
	}
	freeIdx := 0
	for i := range imp.events {
		e := &imp.events[i]
		switch e.name {
		case "kvfree_call_rcu":
			if freeIdx < len(objs) {
				r.free(e, objs[freeIdx])
				freeIdx++
			}
		case "queue_rcu_work":
			r.queue(e)
		case "gp_init_ret":
			if st, _ := e.dec("started"); st != 0 {
				r.rp.Events++
				if !r.try(model.Action{Kind: model.KindGPStart}) {
					r.note("grace period started with no kvfree_rcu batch waiting (RCU serves other users too)", true, e, "gp_start")
				}
			}
		case "gp_cleanup_ret":
			r.rp.Events++
			if !r.try(model.Action{Kind: model.KindGPEnd}) {
				r.note("grace period ended that the model did not start", true, e, "gp_end")
			}
		case "kfree_rcu_work":
			r.reclaim(e)
		case "fill_page_cache_func_ret":
			// The refill's CPU is that of the worker that ran it.
			if e.cpu < r.p.CPUs && int(r.s.CPUs[e.cpu].Cache) < r.p.Cache {
				r.rp.Events++
				r.try(model.Action{Kind: model.KindRefill, CPU: uint8(e.cpu)})
			}
		case "kfree_rcu_shrink_scan":
			for c := 0; c < r.p.CPUs; c++ {
				if r.s.CPUs[c].Cache > 0 {
					r.rp.Events++
					r.try(model.Action{Kind: model.KindShrink, CPU: uint8(c)})
				}
			}
		}
	}
	sort.SliceStable(r.rp.Divergences, func(i, j int) bool { return r.rp.Divergences[i].FirstLine < r.rp.Divergences[j].FirstLine })
	return r.rp
}

// replayer is the state of replayKernel: the model, its state, and what
// the replay found so far.
type replayer struct {
	rp      *Replay
	p       model.Params
	m       *model.Model
	s       *model.State
	buf     []model.Action
	owner   map[uint64]int // krcp -> the CPU that owns it
	batchAt map[int]*kbatch
	div     map[string]*Divergence
}

// newReplayer builds the model of the replay. On error the Replay says it
// (as a divergence) and nothing is replayed.
func newReplayer(fg *Figures, objs []*kobj, batches []*kbatch) (*replayer, error) {
	d, _ := model.LookupDesign("head")
	k := 1
	for _, n := range fg.FreesPerCPU {
		k = max(k, n)
	}
	p := model.Params{CPUs: max(fg.CPUs, 1), Bulk: BulkEntries, Cache: 5, Calls: k}
	r := &replayer{rp: &Replay{Design: d.Name(), Params: p}, p: p, owner: krcpOwners(objs, batches),
		batchAt: map[int]*kbatch{}, div: map[string]*Divergence{}}
	var err error
	if r.m, err = model.New(d, p); err != nil {
		r.rp.Divergences = append(r.rp.Divergences, &Divergence{Class: "model: " + err.Error(), Count: 1})
		return r, err
	}
	r.s = r.m.Initial()
	for _, b := range batches {
		r.batchAt[b.line] = b
	}
	return r, nil
}

// krcpOwners says which CPU owns each krcp: the CPU that freed most of its
// objects (the lowest on a tie).
func krcpOwners(objs []*kobj, batches []*kbatch) map[uint64]int {
	votes := map[uint64]map[int]int{}
	for _, o := range objs {
		if o.batch >= 0 {
			kr := batches[o.batch].krcp
			if votes[kr] == nil {
				votes[kr] = map[int]int{}
			}
			votes[kr][o.cpu]++
		}
	}
	owner := map[uint64]int{}
	for kr, v := range votes {
		best, bc := -1, -1
		for c, n := range v {
			if n > bc || (n == bc && c < best) {
				best, bc = c, n
			}
		}
		owner[kr] = best
	}
	return owner
}

// note records event e in divergence class class.
func (r *replayer) note(class string, abstraction bool, e *kevent, detail string) {
	dv := r.div[class]
	if dv == nil {
		dv = &Divergence{Class: class, FirstLine: e.line, Example: detail, Abstraction: abstraction}
		r.div[class] = dv
		r.rp.Divergences = append(r.rp.Divergences, dv)
	}
	dv.Count++
	if !abstraction {
		r.rp.Unfaithful++
	}
}

// try takes action a when the model enables it, and reports whether it did.
func (r *replayer) try(a model.Action) bool {
	if err := r.m.Step(r.s, a); err != nil {
		return false
	}
	r.rp.Applied++
	mt := r.m.Metrics(r.s)
	r.rp.MaxPages, r.rp.MaxPending = max(r.rp.MaxPages, mt.Pages), max(r.rp.MaxPending, mt.Pending)
	return true
}

// free replays the kvfree_call_rcu e of object o: the model's free branch
// that matches the path the kernel took for it.
func (r *replayer) free(e *kevent, o *kobj) {
	r.rp.Events++
	c := o.cpu
	if c >= r.p.CPUs {
		return
	}
	r.buf = r.m.Enabled(r.s, r.buf[:0])
	var choice, head *model.Action
	for j := range r.buf {
		a := &r.buf[j]
		if a.Kind != model.KindFree || int(a.CPU) != c {
			continue
		}
		if a.Free == model.FreeHead {
			head = a
		} else if choice == nil {
			choice = a
		}
	}
	switch {
	case o.path == "rcu_head" && head != nil:
		r.try(*head)
	case o.path == "rcu_head":
		r.note("rcu_head fallback while the model's channel had room or a cached page", false, e, fmt.Sprintf("object %s", o.name))
		if choice != nil {
			r.try(*choice)
		}
	case choice != nil:
		if choice.Free == model.FreeAllocOK {
			r.note("bulk page from the kernel's cache where the model's cache was empty (6.1 two-argument callers never allocate inline)", false, e, fmt.Sprintf("object %s", o.name))
		}
		r.try(*choice)
	default:
		r.note("free not enabled in the model (calls exhausted)", false, e, o.name)
	}
}

// queue replays a batch handed to RCU (queue_rcu_work by the monitor or
// the shrinker) as its owner's monitor.
func (r *replayer) queue(e *kevent) {
	if !e.callerIn("kfree_rcu_monitor") && !e.callerIn("kfree_rcu_shrink_scan") {
		return
	}
	kr, _ := e.hex("krcp")
	c, ok := r.owner[kr]
	r.rp.Events++
	if !ok {
		r.note("batch of a krcp whose objects were never seen freed", true, e, fmt.Sprintf("krcp %#x", kr))
		return
	}
	if !r.try(model.Action{Kind: model.KindMonitor, CPU: uint8(c)}) {
		r.note("batch handed to RCU where the model's monitor is not enabled (empty channel or no free slot)", false, e, fmt.Sprintf("cpu%d", c))
	}
}

// reclaim replays a run of kfree_rcu_work as the reclaim of its owner's
// slot whose grace period is done, the kernel's slot first.
func (r *replayer) reclaim(e *kevent) {
	b := r.batchAt[e.line]
	r.rp.Events++
	if b == nil {
		return
	}
	c, ok := r.owner[b.krcp]
	if !ok {
		r.note("worker run of a krcp whose objects were never seen freed", true, e, "")
		return
	}
	u := &r.s.CPUs[c]
	slots := []int{b.slot, 1 - b.slot}
	if b.slot < 0 {
		slots = []int{0, 1}
	}
	for _, j := range slots {
		if u.Slot[j].Phase != model.PhaseDone {
			continue
		}
		if got := int(u.Slot[j].Objs + u.Slot[j].Heads); got != b.objs {
			r.note("batch size differs: the kernel attaches each channel to a batch separately", false, e, fmt.Sprintf("cpu%d slot %d: model %d objects, kernel %d", c, j, got, b.objs))
		}
		if r.try(model.Action{Kind: model.KindReclaim, CPU: uint8(c), Slot: uint8(j)}) {
			return
		}
		break
	}
	r.note("worker frees a batch whose grace period the model has not seen end", false, e, fmt.Sprintf("cpu%d krwp %#x", c, b.krwp))
}
