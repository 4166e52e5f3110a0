package model

// This file evaluates a packed state (its invariants, goal and metrics, in
// the order of Checkable's lists) from its words, without unpacking it:
// the fast expander's Evaluate, which the checker runs on every new state.
// TestFastExpanderMatchesStraightforward compares it with evaluate, which
// unpacks, on every state of every design at several instances.

// evalFields are the variables Evaluate reads, placed by the layout.
type evalFields struct {
	n int
	cpuPlace
	stuck, reserve                         bitField
	pages, cache, objs, heads, blk, blkpin bitField
	phase, bpages, bobjs, bheads, bpin     [2]bitField
}

func newEvalFields(l *layout) evalFields {
	cpu := func(name string, slot int) bitField { return placeOf(l.cpu, name, slot) }
	f := evalFields{
		n: l.n, cpuPlace: newCPUPlace(l),
		stuck: placeOf(l.header, "stuck", -1), reserve: placeOf(l.header, "reserve", -1),
		pages: cpu("pages", -1), cache: cpu("cache", -1), objs: cpu("objs", -1), heads: cpu("heads", -1),
		blk: cpu("blk", -1), blkpin: cpu("blkpin", -1),
	}
	for j := range f.phase {
		f.phase[j], f.bpages[j], f.bobjs[j], f.bheads[j], f.bpin[j] =
			cpu("phase", j), cpu("bpages", j), cpu("bobjs", j), cpu("bheads", j), cpu("bpin", j)
	}
	return f
}

// cpuEval is what the CPU whose bits are w adds to the metrics and the
// invariant, in one word: its pages (Metrics.Pages) from bit 32, its
// pending objects (Metrics.Pending) from bit 1, and in bit 0 whether it
// breaks GracePeriod (a DONE slot or blk still pinned).
func (f *evalFields) cpuEval(w uint64) uint64 {
	pages := f.pages.of(w) + f.cache.of(w)
	pending := f.objs.of(w) + f.heads.of(w) + b2u(f.blk.of(w) != uint64(PhaseNone))
	bad := b2u(f.blk.of(w) == uint64(PhaseDone) && f.blkpin.of(w) != 0)
	for j := range f.phase {
		pages += f.bpages[j].of(w)
		pending += f.bobjs[j].of(w) + f.bheads[j].of(w)
		bad |= b2u(f.phase[j].of(w) == uint64(PhaseDone) && f.bpin[j].of(w) != 0)
	}
	return pages<<32 | pending<<1 | bad
}

// evaluate is the packed state s's invariants (NoStuck, GracePeriod), goal
// (Drainable's: nothing pending) and metrics (pages, pending, reserve
// used), the CPUs' parts through memo; reserve is the instance's reserve.
func (f *evalFields) evaluate(s []uint64, memo *wordMemo[uint64], reserve int64, inv, goal []bool, metric []int64) {
	var sum, bad uint64
	for c := 0; c < f.n; c++ {
		w := f.word(s, c)
		v, ok := memo.slot(w)
		if !ok {
			*v = f.cpuEval(w)
		}
		sum, bad = sum+*v&^1, bad|*v&1
	}
	pending := int64(sum >> 1 & (1<<31 - 1))
	inv[0], inv[1] = f.stuck.head(s) == 0, bad == 0
	goal[0] = pending == 0
	metric[0], metric[1], metric[2] = int64(sum>>32), pending, reserve-int64(f.reserve.head(s))
}
