package traces

import (
	"fmt"
	"time"
)

// Trimming of a streaming import's tables (a long --follow run): every
// trimEvery events, what no event to come can need is forgotten. Events
// may come out of time order by up to trimLag (per-CPU buffers merged);
// the figures are then the same as with nothing forgotten.
const (
	trimEvery = 1 << 12
	trimLag   = int64(time.Second)
)

// trimState is what trimming remembers of what it forgot.
type trimState struct {
	events    int
	flightMax int // most pages in flight before the intervals forgotten
}

// trim forgets, at time now: the grace periods, ends and spans of grace
// periods no object still outstanding or freed from now on can count, and
// the batches in flight that ended before every open batch was queued.
func (im *importer) trim(now int64) {
	p := now - trimLag
	for _, q := range im.outstanding {
		p = min(p, q[0].freeAt)
	}
	// Latency counts ends and spans after an object's free: none at or
	// before p can be counted again.
	k := 0
	for k < len(im.gpEnds) && im.gpEnds[k] <= p {
		k++
	}
	im.gpEnds = im.gpEnds[k:]
	k = 0
	for k < len(im.gpSpans) && im.gpSpans[k][0] <= p {
		k++
	}
	im.gpSpans = im.gpSpans[k:]
	im.gt.forget(p)
	im.trimFlight(now - trimLag)
}

// trimFlight counts the most pages in flight before t, before which no
// batch still open or to come was queued, and forgets the batches that
// ended by then.
func (im *importer) trimFlight(t int64) {
	for _, b := range im.queued {
		t = min(t, b.queuedAt)
	}
	for _, b := range im.running {
		if b.queuedAt > 0 {
			t = min(t, b.queuedAt)
		}
	}
	var before []flightIv
	keep := im.flight[:0]
	for _, f := range im.flight {
		if f.q < t {
			before = append(before, flightIv{f.q, min(f.end, t), f.pages})
		}
		if f.end > t {
			keep = append(keep, f)
		}
	}
	im.trim0.flightMax = max(im.trim0.flightMax, maxInFlight(before))
	im.flight = keep
}

// forget drops the grace periods that started and ended by at; a grace
// period numbered at or below one forgotten and not known is then refused
// (gpTable.check). One that ended without starting in the capture (it
// started before, or its start was lost) is kept: its number may be
// anything.
func (t *gpTable) forget(at int64) {
	keep := t.gps[:0]
	for _, g := range t.gps {
		if !g.started || !g.ended || g.endRet > at {
			keep = append(keep, g)
			continue
		}
		if !t.hasForgotten || !gpAtOrBefore(g.num, t.forgotten) {
			t.forgotten, t.hasForgotten = g.num, true
		}
		delete(t.byNum, g.num)
	}
	clear(t.gps[len(keep):])
	t.gps = keep
}

// check refuses a grace period number at or below those forgotten: gp_seq
// only grows, so it starts or ends again, or out of order.
func (t *gpTable) check(e *kevent, num int64, what string) error {
	if t.byNum[num] == nil && t.hasForgotten && gpAtOrBefore(num, t.forgotten) {
		return fmt.Errorf("line %d: grace period %d (gp_seq >> 2) %s again or out of order: grace periods up to %d have already started and ended", e.line, num, what, t.forgotten)
	}
	return nil
}

// gpNumBits is the width of a grace-period number (gp_seq >> 2): gp_seq
// starts just below 2^64 and wraps round (the captures show it).
const gpNumBits = 62

// gpAtOrBefore reports whether grace period a is at or before b, modulo
// 2^62 (within half the range of each other).
func gpAtOrBefore(a, b int64) bool {
	const mask = 1<<gpNumBits - 1
	return (b-a)&mask < 1<<(gpNumBits-1)
}
