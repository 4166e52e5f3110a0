package traces

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// hist builds a history from compact lines "op arg call return [client]";
// return "-" means pending.
func hist(t testing.TB, lines ...string) *History {
	t.Helper()
	h := &History{Header: NewHeader(SourceRecorder, UnitNS)}
	for i, l := range lines {
		f := strings.Fields(l)
		r := Record{Type: "op", ID: int64(i + 1), Op: Op(f[0])}
		var call, ret int64
		fmt.Sscan(f[2], &call)
		r.Call = i64(call)
		if f[3] == "-" {
			r.Pending = true
		} else {
			fmt.Sscan(f[3], &ret)
			r.Return = i64(ret)
		}
		if len(f) > 4 {
			fmt.Sscan(f[4], &r.Client)
		}
		switch r.Op {
		case OpFree, OpReclaim:
			r.Obj = f[1]
		case OpGPStart, OpGPEnd:
			var g int64
			fmt.Sscan(f[1], &g)
			r.GP = i64(g)
		default:
			r.Section = f[1]
		}
		h.Records = append(h.Records, r)
	}
	if err := h.validate(); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestContractRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window int64
		want   string
		ops    []string
	}{
		{"free then reclaim, no grace periods recorded", 0, Linearizable, []string{"free a 1 1", "reclaim a 2 2"}},
		{"reclaim without free", 0, NotLinearizable, []string{"reclaim a 2 2"}},
		{"reclaim before free", 0, NotLinearizable, []string{"reclaim a 1 1", "free a 2 2"}},
		{"reclaimed twice", 0, NotLinearizable, []string{"free a 1 1", "reclaim a 2 2", "reclaim a 3 3"}},
		{"freed twice", 0, NotLinearizable, []string{"free a 1 1", "free a 2 2"}},
		{"reader running at the free still runs at the reclaim", 0, NotLinearizable, []string{"section s 0 10", "free a 1 1", "reclaim a 5 5"}},
		{"reader ended before the reclaim", 0, Linearizable, []string{"section s 0 4", "free a 1 1", "reclaim a 5 5"}},
		{"reader began after the free", 0, Linearizable, []string{"free a 1 1", "section s 2 10", "reclaim a 5 5"}},
		{"overlapping free may take effect before the reader", 0, Linearizable, []string{"free a 0 3", "section s 2 10", "reclaim a 5 5"}},
		{"overlapping reclaim may take effect after the reader ends", 0, Linearizable, []string{"section s 0 6", "free a 1 1", "reclaim a 5 8"}},
		{"split read_lock/read_unlock", 0, NotLinearizable, []string{"read_lock s 0 0", "free a 1 1", "reclaim a 5 5", "read_unlock s 9 9"}},
		{"full grace period", 0, Linearizable, []string{"free a 1 1", "gp_start 1 2 2", "gp_end 1 3 3", "reclaim a 4 4"}},
		{"grace period began before the free", 0, NotLinearizable, []string{"gp_start 1 0 0", "free a 1 1", "gp_end 1 3 3", "reclaim a 4 4"}},
		{"window lets the free come before the start", 2, Linearizable, []string{"gp_start 1 0 0", "free a 1 1", "gp_end 1 3 3", "reclaim a 4 4"}},
		{"reclaim before the grace period ends", 0, NotLinearizable, []string{"free a 1 1", "gp_start 1 2 2", "reclaim a 3 3", "gp_end 1 4 4"}},
		{"reclaim overlapping the end", 0, Linearizable, []string{"free a 1 1", "gp_start 1 2 2", "reclaim a 3 5", "gp_end 1 4 4"}},
		{"pending free never reclaimed", 0, Linearizable, []string{"free a 1 -", "section s 0 -"}},
		{"other objects do not matter", 0, NotLinearizable, []string{"free b 0 0", "section s 0 10", "free a 1 1", "reclaim a 5 5", "reclaim b 6 6"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hist(t, tc.ops...)
			res, err := Check(context.Background(), h, CheckOptions{Window: tc.window})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != tc.want {
				t.Fatalf("verdict %s, want %s (failures %+v)", res.Verdict, tc.want, res.Failures)
			}
			if tc.want == NotLinearizable && (len(res.Failures) == 0 || res.Failures[0].Reason == "") {
				t.Fatal("no explanation of the failure")
			}
		})
	}
}

// TestTimeoutGivesUnknown: a check that runs out of time says unknown, never
// a verdict it has not established.
func TestTimeoutGivesUnknown(t *testing.T) {
	h := syntheticHistory(20000, 1)
	res, err := Check(context.Background(), h, CheckOptions{Timeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Unknown || res.Undecided == 0 {
		t.Fatalf("verdict %s with %d undecided, want unknown", res.Verdict, res.Undecided)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, _ = Check(ctx, h, CheckOptions{})
	if res.Verdict != Unknown {
		t.Fatalf("cancelled check: verdict %s, want unknown", res.Verdict)
	}
}

// syntheticHistory is a long correct history: objects freed by 4 CPUs,
// batched, reclaimed after the next full grace period, with readers.
// Every bad-th round (0: none) one object is reclaimed before its grace
// period ends.
func syntheticHistory(nops int, bad int) *History {
	h := &History{Header: NewHeader(SourceRecorder, UnitNS)}
	synthRecords(nops, bad, func(r Record) { h.Records = append(h.Records, r) })
	return h
}

// synthRecords hands the records of syntheticHistory(nops, bad) to emit,
// one at a time: a history of any length in constant memory.
func synthRecords(nops int, bad int, emit func(Record)) {
	id := int64(0)
	add := func(r Record) {
		id++
		r.Type, r.ID, r.Result = "op", id, "ok"
		emit(r)
	}
	var tnow int64 = 100
	gp := int64(0)
	type pend struct {
		obj string
		at  int64
	}
	var waiting, next []pend
	obj := 0
	for id < int64(nops) {
		for k := 0; k < 8; k++ {
			obj++
			o := fmt.Sprintf("o%d", obj)
			add(Record{Op: OpFree, Client: k % 4, Obj: o, Call: i64(tnow), Return: i64(tnow + 30)})
			next = append(next, pend{o, tnow})
			tnow += 10
		}
		add(Record{Op: OpSection, Client: 4, Section: fmt.Sprintf("s%d", gp), Call: i64(tnow - 50), Return: i64(tnow + 40)})
		gp++
		add(Record{Op: OpGPStart, Client: 5, GP: i64(gp), Call: i64(tnow + 60), Return: i64(tnow + 70)})
		add(Record{Op: OpGPEnd, Client: 5, GP: i64(gp), Call: i64(tnow + 200), Return: i64(tnow + 210)})
		for _, p := range waiting {
			add(Record{Op: OpReclaim, Client: 6, Obj: p.obj, Call: i64(tnow + 280), Return: i64(tnow + 300)})
		}
		if bad > 0 && gp%int64(bad) == 0 {
			// Reclaimed while its first grace period still runs.
			add(Record{Op: OpReclaim, Client: 6, Obj: next[0].obj, Call: i64(tnow + 100), Return: i64(tnow + 120)})
			next = next[1:]
		}
		waiting, next = next, nil
		tnow += 400
	}
}
