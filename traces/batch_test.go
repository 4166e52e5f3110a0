package traces

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/anishathalye/porcupine"
)

// randomPart is one object's partition of random operations at times in
// [0, 60): its free (maybe two), maybe a reclaim, sections (maybe one
// never ending) and grace periods; about half of them are linearizable.
func randomPart(rng *rand.Rand, obj string) part {
	iv := func() (int64, int64) {
		c := rng.Int64N(60)
		return c, c + rng.Int64N(8)
	}
	var ops []cop
	add := func(k copKind, name string, gp int64) {
		c, r := iv()
		ops = append(ops, cop{kind: k, name: name, gp: gp, call: c, ret: r})
	}
	add(kFree, obj, 0)
	if rng.IntN(8) == 0 {
		add(kFree, obj, 0)
	}
	if rng.IntN(6) != 0 {
		add(kReclaim, obj, 0)
	}
	for s := range rng.IntN(3) {
		name := fmt.Sprintf("s%d", s)
		c, r := iv()
		u := r + rng.Int64N(30)
		ops = append(ops, cop{kind: kLock, name: name, call: c, ret: r})
		if rng.IntN(5) != 0 {
			ops = append(ops, cop{kind: kUnlock, name: name, call: u, ret: u + rng.Int64N(5)})
		}
	}
	for g := range int64(rng.IntN(3)) {
		c, r := iv()
		e := r + rng.Int64N(25)
		ops = append(ops, cop{kind: kGPStart, gp: g, call: c, ret: r}, cop{kind: kGPEnd, gp: g, call: e, ret: e + rng.Int64N(4)})
	}
	return part{obj: obj, ops: ops, full: ops}
}

// TestPorcBatchGroups: Porcupine's verdict on a chunk whose partitions
// share Porcupine partitions (porcBatch) is the conjunction of its
// verdicts on each partition alone, legal or not, with or without the
// grace-period rule, for chunks of 1 to 40 partitions and partitions too
// big to share (memberOps).
func TestPorcBatchGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2026))
	seen := map[bool]int{}
	for trial := range 1500 {
		gpRequired := trial%3 != 0
		pm := ContractModel(gpRequired)
		var parts []part
		want := true
		for k := range 1 + rng.IntN(40) {
			p := randomPart(rng, fmt.Sprintf("o%d", k))
			if rng.IntN(30) == 0 { // too big to share
				for len(p.ops) <= memberOps {
					p.ops = append(p.ops, randomPart(rng, p.obj).ops[1:]...)
				}
			}
			ok := porcupine.CheckOperations(pm, partOps(0, p.ops, nil))
			seen[ok]++
			if ok || (want && rng.IntN(3) == 0) { // most chunks: legal but for one at most
				parts = append(parts, p)
				want = want && ok
			}
		}
		pm.Partition = partitionRuns
		var b porcBatch
		if got := porcupine.CheckOperations(pm, b.build(parts)); got != want {
			t.Fatalf("trial %d: %d partitions, grouped verdict %v, alone %v", trial, len(parts), got, want)
		}
	}
	if seen[true] < 500 || seen[false] < 500 {
		t.Fatalf("partitions legal/illegal: %d/%d: the test needs more of both", seen[true], seen[false])
	}
}

// TestPorcBatchTimes: members of a group lie one after the other in time,
// whatever their times, even at the bounds widen clamps to.
func TestPorcBatchTimes(t *testing.T) {
	mk := func(call, ret int64) part {
		return part{ops: []cop{{kind: kFree, call: call, ret: ret}, {kind: kReclaim, call: call, ret: ret}}}
	}
	parts := []part{mk(5, 9), mk(0, 3), mk(-timeBound, timeBound), mk(-timeBound, timeBound), mk(7, 7), mk(timeBound, timeBound)}
	var b porcBatch
	h := b.build(parts)
	groups := map[int]bool{}
	for i := 1; i < len(h); i++ {
		a, c := h[i-1].Input.(*cin), h[i].Input.(*cin)
		groups[c.part] = true
		if a.part == c.part && a.member != c.member && h[i].Call <= h[i-1].Return {
			t.Fatalf("op %d: member %d begins at %d, not after %d", i, c.member, h[i].Call, h[i-1].Return)
		}
		if h[i].Call > h[i].Return || h[i].Call < -timeBound {
			t.Fatalf("op %d: interval [%d, %d] wrapped round", i, h[i].Call, h[i].Return)
		}
	}
	if len(groups) < 2 {
		t.Fatalf("the whole-range members should need groups of their own: %d groups", len(groups)+1)
	}
}
