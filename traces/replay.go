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
}

// replayKernel replays the capture on the model of design head (6.1's
// two-argument kvfree_rcu with the rcu_head fallback) with B = 510 and
// C = 5, and records every kernel event the model cannot take.
func replayKernel(imp *Import, objs []*kobj, batches []*kbatch, gps []*kgp) *Replay {
	fg := &imp.Figures
	d, _ := model.LookupDesign("head")
	k := 1
	for _, n := range fg.FreesPerCPU {
		k = max(k, n)
	}
	p := model.Params{CPUs: max(fg.CPUs, 1), Bulk: BulkEntries, Cache: 5, Calls: k}
	rp := &Replay{Design: d.Name(), Params: p}
	m, err := model.New(d, p)
	if err != nil {
		rp.Divergences = append(rp.Divergences, &Divergence{Class: "model: " + err.Error(), Count: 1})
		return rp
	}
	// Which CPU owns each krcp: the CPU that freed most of its objects.
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
	div := map[string]*Divergence{}
	note := func(class string, abstraction bool, e *kevent, detail string) {
		dv := div[class]
		if dv == nil {
			dv = &Divergence{Class: class, FirstLine: e.line, Example: detail, Abstraction: abstraction}
			div[class] = dv
			rp.Divergences = append(rp.Divergences, dv)
		}
		dv.Count++
		if !abstraction {
			rp.Unfaithful++
		}
	}
	s := m.Initial()
	var buf []model.Action
	try := func(a model.Action) bool {
		if err := m.Step(s, a); err != nil {
			return false
		}
		rp.Applied++
		mt := m.Metrics(s)
		rp.MaxPages, rp.MaxPending = max(rp.MaxPages, mt.Pages), max(rp.MaxPending, mt.Pending)
		return true
	}
	batchAt := map[int]*kbatch{}
	for _, b := range batches {
		batchAt[b.line] = b
	}
	freeIdx := 0
	for i := range imp.events {
		e := &imp.events[i]
		switch e.name {
		case "kvfree_call_rcu":
			if freeIdx >= len(objs) {
				continue
			}
			o := objs[freeIdx]
			freeIdx++
			rp.Events++
			c := o.cpu
			if c >= p.CPUs {
				continue
			}
			buf = m.Enabled(s, buf[:0])
			var choice, head *model.Action
			for j := range buf {
				a := &buf[j]
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
				try(*head)
			case o.path == "rcu_head":
				note("rcu_head fallback while the model's channel had room or a cached page", false, e, fmt.Sprintf("object %s", o.name))
				if choice != nil {
					try(*choice)
				}
			case choice != nil:
				if choice.Free == model.FreeAllocOK {
					note("bulk page from the kernel's cache where the model's cache was empty (6.1 two-argument callers never allocate inline)", false, e, fmt.Sprintf("object %s", o.name))
				}
				try(*choice)
			default:
				note("free not enabled in the model (calls exhausted)", false, e, o.name)
			}
		case "queue_rcu_work":
			if !e.callerIn("kfree_rcu_monitor") && !e.callerIn("kfree_rcu_shrink_scan") {
				continue
			}
			kr, _ := e.hex("krcp")
			c, ok := owner[kr]
			rp.Events++
			if !ok {
				note("batch of a krcp whose objects were never seen freed", true, e, fmt.Sprintf("krcp %#x", kr))
				continue
			}
			if !try(model.Action{Kind: model.KindMonitor, CPU: uint8(c)}) {
				note("batch handed to RCU where the model's monitor is not enabled (empty channel or no free slot)", false, e, fmt.Sprintf("cpu%d", c))
			}
		case "gp_init_ret":
			if st, _ := e.dec("started"); st == 0 {
				continue
			}
			rp.Events++
			if !try(model.Action{Kind: model.KindGPStart}) {
				note("grace period started with no kvfree_rcu batch waiting (RCU serves other users too)", true, e, "gp_start")
			}
		case "gp_cleanup_ret":
			rp.Events++
			if !try(model.Action{Kind: model.KindGPEnd}) {
				note("grace period ended that the model did not start", true, e, "gp_end")
			}
		case "kfree_rcu_work":
			b := batchAt[e.line]
			rp.Events++
			if b == nil {
				continue
			}
			c, ok := owner[b.krcp]
			if !ok {
				note("worker run of a krcp whose objects were never seen freed", true, e, "")
				continue
			}
			u := &s.CPUs[c]
			slots := []int{b.slot, 1 - b.slot}
			if b.slot < 0 {
				slots = []int{0, 1}
			}
			done := false
			for _, j := range slots {
				if u.Slot[j].Phase != model.PhaseDone {
					continue
				}
				if got := int(u.Slot[j].Objs + u.Slot[j].Heads); got != b.objs {
					note("batch size differs: the kernel attaches each channel to a batch separately", false, e, fmt.Sprintf("cpu%d slot %d: model %d objects, kernel %d", c, j, got, b.objs))
				}
				done = try(model.Action{Kind: model.KindReclaim, CPU: uint8(c), Slot: uint8(j)})
				break
			}
			if !done {
				note("worker frees a batch whose grace period the model has not seen end", false, e, fmt.Sprintf("cpu%d krwp %#x", c, b.krwp))
			}
		case "fill_page_cache_func_ret":
			// The refill's CPU is that of the worker that ran it.
			if e.cpu < p.CPUs && int(s.CPUs[e.cpu].Cache) < p.Cache {
				rp.Events++
				try(model.Action{Kind: model.KindRefill, CPU: uint8(e.cpu)})
			}
		case "kfree_rcu_shrink_scan":
			for c := 0; c < p.CPUs; c++ {
				if s.CPUs[c].Cache > 0 {
					rp.Events++
					try(model.Action{Kind: model.KindShrink, CPU: uint8(c)})
				}
			}
		}
	}
	sort.SliceStable(rp.Divergences, func(i, j int) bool { return rp.Divergences[i].FirstLine < rp.Divergences[j].FirstLine })
	return rp
}
