package traces

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestGenMap: a genMap of generation g remembers the last g keys put (and
// never more than 2g), and counts exactly what it forgot: with n distinct
// keys put in order, max(0, ceil(n/g)-2)*g. Putting a remembered key again
// moves it to the current generation without counting it twice.
func TestGenMap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		gen, n int
		again  int // put key again after every key put (-1: none)
	}{
		{"below the cap", 8, 16, -1},
		{"one past", 8, 17, -1},
		{"long", 8, 1000, -1},
		{"one key refreshed", 8, 1000, 3},
		{"unbounded", 0, 1000, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newGenMap[int, int](tc.gen)
			for k := 1; k <= tc.n; k++ {
				m.put(k, 10*k)
				if tc.again >= 0 && k != tc.again {
					m.put(tc.again, 10*tc.again)
				}
			}
			distinct := tc.n
			if tc.gen <= 0 {
				if m.forgotten != 0 || m.len() != tc.n {
					t.Fatalf("unbounded: forgot %d, remembers %d of %d", m.forgotten, m.len(), tc.n)
				}
				return
			}
			if tc.again < 0 {
				if want := max(0, (distinct+tc.gen-1)/tc.gen-2) * tc.gen; m.forgotten != want {
					t.Fatalf("forgot %d, want %d", m.forgotten, want)
				}
			}
			if m.forgotten+m.len() != distinct || m.len() > 2*tc.gen {
				t.Fatalf("forgot %d and remembers %d of %d distinct keys (generation %d)", m.forgotten, m.len(), distinct, tc.gen)
			}
			for k := max(1, tc.n-tc.gen+1); k <= tc.n; k++ {
				if v, ok := m.get(k); !ok || v != 10*k {
					t.Fatalf("key %d of the last %d: %d, %v", k, tc.gen, v, ok)
				}
			}
			if tc.again >= 0 {
				if _, ok := m.get(tc.again); !ok {
					t.Fatalf("key %d, put again all along, forgotten", tc.again)
				}
			}
		})
	}
}

// TestStreamBoundedClosed: a streaming check remembers the objects it
// judged in a bounded set; a free of a judged object that it still
// remembers is a violation, below the cap and past it; one it forgot is
// taken for a new object, and the verdict then says, in Lossy and the
// JSON fields, how many judged objects were forgotten.
func TestStreamBoundedClosed(t *testing.T) {
	base := syntheticHistory(3*testLazy, 0)
	objs := 0
	for _, r := range base.Records {
		if r.Op == OpFree {
			objs++
		}
	}
	for _, tc := range []struct {
		name     string
		remember int
		late     string
		want     string
		lossy    bool
	}{
		{"below the cap: the first object again", 0, "o1", NotLinearizable, false},
		{"past the cap: a recent object again", 64, fmt.Sprintf("o%d", objs-40), NotLinearizable, true},
		{"past the cap: the first object again", 64, "o1", Linearizable, true},
		{"past the cap: nothing again", 64, "", Linearizable, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := syntheticHistory(3*testLazy, 0)
			if tc.late != "" {
				h.Records = append(h.Records, Record{Type: "op", ID: 1 << 40, Op: OpFree, Obj: tc.late, Call: i64(1 << 40), Return: i64(1 << 40), Result: "ok"})
			}
			ls := &linSink{ctx: context.Background(), opt: StreamOptions{Check: CheckOptions{lazy: 64, remember: tc.remember}, Window: func(string) (int64, error) { return 5, nil }}}
			var s *streamer
			rd := reading{stream: &watchSink{ls, func(x *streamer) { s = x }}}
			if err := rd.read(bytes.NewReader(streamTrace(t, h))); err != nil {
				t.Fatal(err)
			}
			res := ls.out[0]
			if res.Verdict != tc.want {
				t.Fatalf("verdict %s, want %s (%+v)", res.Verdict, tc.want, res)
			}
			if res.ForgottenObjects != s.closed.forgotten || (res.ForgottenObjects > 0) != tc.lossy || (res.LossNote != "") != tc.lossy {
				t.Fatalf("forgot %d (set: %d, remembers %d), note %q, want lossy %v", res.ForgottenObjects, s.closed.forgotten, s.closed.len(), res.LossNote, tc.lossy)
			}
			if tc.lossy && (!strings.Contains(res.Lossy(), fmt.Sprintf("lossy: %d judged objects forgotten", res.ForgottenObjects)) || s.closed.len() > 2*tc.remember) {
				t.Fatalf("beside the verdict %q; remembers %d", res.Lossy(), s.closed.len())
			}
			if judged := s.closed.len() + s.closed.forgotten; judged > res.Objects || judged < res.Objects/2 {
				t.Fatalf("set of %d judged objects for %d objects", judged, res.Objects)
			}
		})
	}
}

// TestRecordCheckBounded: the record check of a trace file refuses a read
// section or grace period recorded again while it remembers it, below
// the cap and past it; past the cap one it forgot is taken for a new one
// and the verdict says how many it forgot.
func TestRecordCheckBounded(t *testing.T) {
	build := func(again Record) *History {
		h := &History{Header: NewHeader(SourceRecorder, UnitNS)}
		add := func(r Record) {
			r.Type, r.ID, r.Result = "op", int64(len(h.Records)+1), "ok"
			h.Records = append(h.Records, r)
		}
		for k := int64(1); k <= 20; k++ {
			add(Record{Op: OpSection, Section: fmt.Sprintf("s%d", k), Call: i64(100 * k), Return: i64(100*k + 10)})
			add(Record{Op: OpGPStart, GP: i64(k), Call: i64(100*k + 20), Return: i64(100*k + 21)})
			add(Record{Op: OpGPEnd, GP: i64(k), Call: i64(100*k + 30), Return: i64(100*k + 31)})
		}
		again.Call, again.Return = i64(5000), i64(5001)
		add(again)
		return h
	}
	for _, tc := range []struct {
		name      string
		gens      [2]int
		again     Record
		err       string
		secs, gps int
	}{
		{"section below the cap", [2]int{0, 0}, Record{Op: OpSection, Section: "s1"}, `line 62: field "section": section "s1" is already recorded`, 0, 0},
		{"section read_lock below the cap", [2]int{0, 0}, Record{Op: OpReadLock, Section: "s2"}, `section "s2" is already recorded`, 0, 0},
		{"gp below the cap", [2]int{0, 0}, Record{Op: OpGPStart, GP: i64(1)}, `line 62: field "gp": gp_start(1) already recorded at line 3`, 0, 0},
		{"recent section past the cap", [2]int{4, 4}, Record{Op: OpSection, Section: "s19"}, "already recorded", 0, 0},
		{"recent gp past the cap", [2]int{4, 4}, Record{Op: OpGPEnd, GP: i64(19)}, "gp_end(19) already recorded at line 58", 0, 0},
		{"forgotten section", [2]int{4, 4}, Record{Op: OpSection, Section: "s1"}, "", 16, 12},
		{"forgotten gp", [2]int{4, 4}, Record{Op: OpGPStart, GP: i64(1)}, "", 12, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls := &linSink{ctx: context.Background(), opt: StreamOptions{Window: func(string) (int64, error) { return 5, nil }}}
			rd := reading{stream: ls, gens: tc.gens}
			err := rd.read(bytes.NewReader(streamTrace(t, build(tc.again))))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res := ls.out[0]
			if res.ForgottenSections != tc.secs || res.ForgottenGPs != tc.gps || !strings.Contains(res.Lossy(), fmt.Sprintf("%d ended read sections forgotten", tc.secs)) ||
				!strings.Contains(res.LossNote, fmt.Sprintf("%d grace periods forgotten", tc.gps)) || res.Verdict != Linearizable {
				t.Fatalf("forgot %d sections, %d grace periods, want %d, %d; %s%s", res.ForgottenSections, res.ForgottenGPs, tc.secs, tc.gps, res.Verdict, res.Lossy())
			}
		})
	}
}

// TestImportBoundedAddresses: a capture whose address is reclaimed again
// long after its object was reclaimed is a violation while the importer
// remembers the address's last free, below the cap and past it; past the
// cap a forgotten address's second reclaim counts as a reclaim of an
// object freed before the capture, and the verdict says how many
// addresses were forgotten.
func TestImportBoundedAddresses(t *testing.T) {
	for _, tc := range []struct {
		name      string
		gen       int
		again     int
		want      string
		forgotten int
	}{
		{"below the cap", 0, 1, NotLinearizable, 0},
		{"past the cap, recent", 100, 950, NotLinearizable, 800},
		{"past the cap, forgotten", 100, 1, Linearizable, 800},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imp, res, err := ImportFtraceStream(context.Background(), strings.NewReader(reclaimAgainCapture(1000, tc.again)), ImportOptions{NoReplay: true, addrGen: tc.gen}, CheckOptions{Window: 10, lazy: 64})
			if err != nil {
				t.Fatal(err)
			}
			pre := 0
			if tc.want == Linearizable {
				pre = 1
			}
			if res.Verdict != tc.want || imp.Figures.ForgottenAddresses != tc.forgotten || res.ForgottenAddresses != tc.forgotten || imp.Figures.PreCapture != pre ||
				(res.LossNote != "") != (tc.forgotten > 0) || (tc.forgotten > 0 && !strings.Contains(res.Lossy(), fmt.Sprintf("the last free of %d addresses forgotten", tc.forgotten))) {
				t.Fatalf("verdict %s%s, forgot %d (figures %d), pre-capture %d", res.Verdict, res.Lossy(), res.ForgottenAddresses, imp.Figures.ForgottenAddresses, imp.Figures.PreCapture)
			}
		})
	}
}
