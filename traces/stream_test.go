package traces

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// testLazy is the operations held before streaming rounds start in the
// tests: small, so that small histories stream.
const testLazy = 2048

// streamTrace encodes histories for CheckStream.
func streamTrace(t *testing.T, hs ...*History) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, hs...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func streamCheck(t *testing.T, text []byte, opt CheckOptions) *Result {
	t.Helper()
	rs, err := CheckStream(context.Background(), bytes.NewReader(text), StreamOptions{Check: opt,
		Window: func(string) (int64, error) { return opt.Window, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return rs[0]
}

// TestStreamingCheck: a history long enough for the streaming check to
// judge and forget partitions as it reads gets the verdict and the figures
// of the check of the whole history; records that come too late, an
// object judged and then freed again, grace periods that appear after
// partitions were judged without them, and too much open at once are
// never a wrong verdict.
func TestStreamingCheck(t *testing.T) {
	long := syntheticHistory(3*testLazy, 0)
	bad := syntheticHistory(3*testLazy, 97)
	late := syntheticHistory(3*testLazy, 0)
	// A read section recorded at the end that began at time 0: it pins
	// objects already judged.
	late.Records = append(late.Records, Record{Type: "op", ID: 1 << 40, Op: OpSection, Section: "late", Call: i64(0), Return: i64(1), Result: "ok"})
	again := syntheticHistory(3*testLazy, 0)
	again.Records = append(again.Records, Record{Type: "op", ID: 1 << 40, Op: OpFree, Obj: "o1", Call: i64(1 << 40), Return: i64(1 << 40), Result: "ok"})
	noGP := syntheticHistory(3*testLazy, 0)
	var keep []Record
	for _, r := range noGP.Records {
		if r.Op != OpGPStart && r.Op != OpGPEnd {
			keep = append(keep, r)
		}
	}
	// With a grace period at the end, the whole history needs the
	// grace-period rule: the objects reclaimed without one violate it.
	noGP.Records = append(keep, Record{Type: "op", ID: 1 << 40, Op: OpGPStart, GP: i64(1 << 30), Call: i64(1 << 40), Return: i64(1 << 40), Result: "ok"})
	never := syntheticHistory(3*testLazy, 0)
	keep = nil
	for _, r := range never.Records {
		if r.Op != OpReclaim {
			keep = append(keep, r)
		}
	}
	never.Records = keep // objects never reclaimed keep every grace period open
	for _, tc := range []struct {
		name    string
		h       *History
		maxOpen int
		want    string
		reason  string
	}{
		{"correct", long, 0, Linearizable, ""},
		{"violations", bad, 0, NotLinearizable, ""},
		{"late record", late, 0, Unknown, "out of time order"},
		{"judged object freed again", again, 0, NotLinearizable, ""},
		{"grace periods after judging", noGP, 0, NotLinearizable, "first grace period comes after"},
		{"too much open", never, testLazy, Unknown, "operations open at once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := CheckOptions{Window: 5, MaxOpen: tc.maxOpen, lazy: testLazy}
			got := streamCheck(t, streamTrace(t, tc.h), opt)
			if got.Verdict != tc.want || !strings.Contains(got.StopReason, tc.reason) {
				t.Fatalf("verdict %s (%s), want %s (%q)", got.Verdict, got.StopReason, tc.want, tc.reason)
			}
			if tc.reason != "" {
				return
			}
			whole, err := Check(context.Background(), tc.h, opt)
			if err != nil {
				t.Fatal(err)
			}
			got.elapsed, got.ElapsedSec, whole.elapsed, whole.ElapsedSec = 0, 0, 0, 0
			got.Failures, whole.Failures = nil, nil
			if fmt.Sprint(*got) != fmt.Sprint(*whole) {
				t.Fatalf("streaming %+v\nwhole     %+v", *got, *whole)
			}
		})
	}
}

// TestStreamingForgets: the streaming check holds what is open, not the
// history: well under the operations read.
func TestStreamingForgets(t *testing.T) {
	h := syntheticHistory(6*testLazy, 0)
	ls := &linSink{ctx: context.Background(), opt: StreamOptions{Check: CheckOptions{lazy: testLazy}, Window: func(string) (int64, error) { return 5, nil }}}
	most := 0
	rd := reading{stream: &watchSink{ls, func(s *streamer) { most = max(most, s.held) }}}
	if err := rd.read(bytes.NewReader(streamTrace(t, h))); err != nil {
		t.Fatal(err)
	}
	if most > 2*testLazy || ls.out[0].Verdict != Linearizable {
		t.Fatalf("held at most %d operations of %d (verdict %s)", most, len(h.Records), ls.out[0].Verdict)
	}
}

// watchSink calls watch after every record.
type watchSink struct {
	*linSink
	watch func(*streamer)
}

func (w *watchSink) record(r *Record) error {
	err := w.linSink.record(r)
	w.watch(w.s)
	return err
}

// TestReduceSound: a partition reduced to one grace period that surely
// lies between the free and the reclaim; none when there is no such one.
func TestReduceSound(t *testing.T) {
	op := func(k copKind, gp, call, ret int64) cop { return cop{kind: k, name: "o", gp: gp, call: call, ret: ret} }
	own := []cop{op(kFree, 0, 10, 10), op(kReclaim, 0, 100, 100)}
	for _, tc := range []struct {
		name string
		gps  []cop
		keep []int64 // grace periods kept; nil: no reduction
	}{
		{"one between", []cop{op(kGPStart, 1, 20, 20), op(kGPEnd, 1, 50, 50), op(kGPStart, 2, 60, 60), op(kGPEnd, 2, 90, 90)}, []int64{1}},
		{"start meets the free", []cop{op(kGPStart, 1, 5, 15), op(kGPEnd, 1, 50, 50), op(kGPStart, 2, 60, 60), op(kGPEnd, 2, 90, 90)}, []int64{2}},
		{"end meets the reclaim", []cop{op(kGPStart, 1, 20, 20), op(kGPEnd, 1, 95, 105)}, nil},
		{"no start", []cop{op(kGPEnd, 1, 50, 50)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := reduce(append(append([]cop(nil), own...), tc.gps...), len(own))
			if tc.keep == nil {
				if got != nil {
					t.Fatalf("reduced to %v", got)
				}
				return
			}
			var gps []int64
			for _, o := range got {
				if o.kind == kGPStart {
					gps = append(gps, o.gp)
				}
			}
			if fmt.Sprint(gps) != fmt.Sprint(tc.keep) || len(got) != len(own)+2*len(tc.keep) {
				t.Fatalf("kept %v (%d ops), want %v", gps, len(got), tc.keep)
			}
		})
	}
}

// eventLine is the regular expression the capture parser replaced: the
// oracle of FuzzParseEvent.
var eventLine = regexp.MustCompile(`^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+(\d+)\.(\d+):\s+([A-Za-z0-9_]+):\s?(.*)$`)

// FuzzParseEvent: the event line parser without regular expressions
// accepts exactly the lines the regular expression matched (or refuses
// their numbers), with the same fields and arguments as strings.Fields
// and strings.Cut gave.
func FuzzParseEvent(f *testing.F) {
	for _, s := range strings.Split(smallCapture, "\n") {
		f.Add(s)
	}
	f.Add(" kfreercu_mixed/-251     [000] .....     9.192050: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x8 func=0x8 caller=load_thread+0x7a/0x133 [kfreercu_mixed] gp_seq=1")
	f.Add("a-b-1 [2] x 3.4: n: a=1 {b}=2 =3 c c=\v4\u00a05 r0={1,2} r0={3}")
	f.Add("x [1]-2 [3] f 1.2: e: [4] y-5 [6] g 7.8: h:")
	f.Fuzz(func(t *testing.T, line string) {
		if strings.Contains(line, "\n") {
			return // a line has none: the reader splits at them
		}
		var e kevent
		err := parseEventInto(&e, 1, line)
		m := eventLine.FindStringSubmatch(line)
		if m == nil {
			if err == nil {
				t.Fatalf("accepted %q, which the regular expression does not match", line)
			}
			return
		}
		if err != nil {
			if !strings.Contains(err.Error(), "pid") && !strings.Contains(err.Error(), "cpu") && !strings.Contains(err.Error(), "timestamp") {
				t.Fatalf("refused %q: %v", line, err)
			}
			return
		}
		if e.comm != strings.TrimSpace(m[1]) || fmt.Sprint(e.pid) != strings.TrimLeft(m[2], "0") && e.pid != 0 || e.name != m[7] {
			t.Fatalf("%q: got comm %q pid %d name %q, want %q", line, e.comm, e.pid, e.name, m)
		}
		payload := m[8]
		site := ""
		if strings.HasPrefix(payload, "(") {
			if i := strings.Index(payload, ")"); i >= 0 {
				site, payload = payload[1:i], payload[i+1:]
			}
		}
		want := map[string]string{}
		last := ""
		for _, tok := range strings.Fields(payload) {
			k, v, ok := strings.Cut(tok, "=")
			if !ok || k == "" || strings.ContainsAny(k, "{}") {
				if last != "" {
					want[last] += " " + tok
				}
				continue
			}
			want[k], last = v, k
		}
		for k, v := range want {
			if got, ok := e.arg(k); !ok || got != v {
				t.Fatalf("%q: field %q = %q, want %q", line, k, got, v)
			}
		}
		if e.site != site || len(want) > len(e.args) {
			t.Fatalf("%q: site %q args %v, want %q %v", line, e.site, e.args, site, want)
		}
	})
}

// FuzzFastRecord: the fast decoder of records agrees with the strict one
// on every line it takes.
func FuzzFastRecord(f *testing.F) {
	f.Add(`{"type":"op","id":2,"client":1,"op":"section","section":"s1","call":2,"pending":true}`)
	f.Add(`{"type":"op","id":1,"client":0,"op":"free","obj":"o1","result":"ok","call":1,"return":1,"info":"x","pending":false}`)
	f.Add(`{"type":"op","id":-0,"client":1,"call":01}`)
	f.Add(`{"type":"step","time":9223372036854775807,"client":0,"action":"monitor(0)"}`)
	f.Fuzz(func(t *testing.T, line string) {
		var fast, slow Record
		if !fastRecord([]byte(line), &fast) {
			return
		}
		if err := strictDecode([]byte(line), &slow, 1); err != nil {
			t.Fatalf("fast took %q, strict refuses it: %v", line, err)
		}
		if fmt.Sprint(fast) != fmt.Sprint(slow) || fmt.Sprint(deref(fast)) != fmt.Sprint(deref(slow)) {
			t.Fatalf("%q: fast %+v, strict %+v", line, fast, slow)
		}
	})
}

func deref(r Record) []any {
	var out []any
	for _, p := range []*int64{r.GP, r.Call, r.Return, r.Time} {
		if p == nil {
			out = append(out, nil)
		} else {
			out = append(out, *p)
		}
	}
	return out
}

// TestStreamingDoubleReclaim: a capture whose object is reclaimed again
// long after its partition was judged is not linearizable, as when it is
// judged whole.
func TestStreamingDoubleReclaim(t *testing.T) {
	text := reclaimAgainCapture(3000, 1) // object 1 again
	for _, lazy := range []int{64, 0} {
		_, res, err := ImportFtraceStream(context.Background(), strings.NewReader(text), ImportOptions{NoReplay: true}, CheckOptions{Window: 10, lazy: lazy})
		if err != nil || res.Verdict != NotLinearizable || res.Failed != 1 || !strings.Contains(res.Failures[0].Reason, "0x1000#1") {
			t.Fatalf("lazy %d: err %v, result %+v", lazy, err, res)
		}
	}
}

// reclaimAgainCapture is a capture of n objects at addresses 0x1000 to
// 0xn000, each freed, then a grace period, then reclaimed, second after
// second; then address 0x<again>000 reclaimed once more.
func reclaimAgainCapture(n, again int) string {
	const free = " x-1 [000] ..... %d.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x%x008 func=0x8\n"
	const gp = " r-15 [001] ..... %d.000100: gp_init: (rcu_gp_init+0x0/0x550) gp_seq=%d\n r-15 [001] ..... %d.000110: gp_init_ret: (a <- rcu_gp_init) started=1 gp_seq=%d\n" +
		" r-15 [001] ..... %d.000200: gp_cleanup: (rcu_gp_cleanup+0x0/0x460) gp_seq=%d\n r-15 [001] ..... %d.000210: gp_cleanup_ret: (a <- rcu_gp_cleanup) gp_seq=%d\n"
	const kv = " k-17 [000] ..... %d.000300: kvfree: (kvfree+0x0/0x30) addr=0x%x000 caller=kvfree_call_rcu+0x1/0x2\n"
	var b strings.Builder
	b.WriteString("# tracer: nop\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, free, i, i)
		fmt.Fprintf(&b, gp, i, 4*i, i, 4*i+1, i, 4*i+1, i, 4*i+4)
		fmt.Fprintf(&b, kv, i, i)
	}
	fmt.Fprintf(&b, kv, n+2000, again)
	return b.String()
}
