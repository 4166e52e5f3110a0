package traces

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
)

// TestImportKernelTraces: both shared captures import, their figures agree
// with the counts their README documents, and they satisfy the contract.
func TestImportKernelTraces(t *testing.T) {
	for _, tc := range []struct {
		file                   string
		events, frees, rcuHead int
		vfree, headless        int
	}{
		{"krcu-bulk", 17654, 16000, 24, 80, 560},
		{"krcu-pressure", 35733, 20000, 8000, 80, 2320},
	} {
		t.Run(tc.file, func(t *testing.T) {
			imp, err := ImportFtraceFile("../../shared/data/kernel-traces/"+tc.file+".trace.gz", ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			f := imp.Figures
			if f.Events != tc.events || f.Frees != tc.frees || f.ByPath["rcu_head"] != tc.rcuHead || f.ByPath["vmalloc"] != tc.vfree || f.Headless != tc.headless {
				t.Fatalf("figures %+v", f)
			}
			if f.LostEvents || f.Reclaimed+f.NotReclaimed != f.Frees || f.GPsStarted == 0 || f.Batches == 0 {
				t.Fatalf("inconsistent figures %+v", f)
			}
			if f.FullGPs.Min < 1 {
				t.Fatalf("an object was reclaimed without a full grace period after its free: %+v", f.FullGPs)
			}
			res, err := Check(context.Background(), imp.History, CheckOptions{Window: int64(DefaultWindow)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != Linearizable || res.Reclaimed != f.Reclaimed {
				t.Fatalf("contract: %+v", res)
			}
			if imp.Replay == nil || imp.Replay.Applied == 0 {
				t.Fatal("no model replay")
			}
			var out bytes.Buffer
			PrintImport(&out, imp)
			for _, want := range []string{"objects freed", "grace periods", "objects per batch", "pages in flight", "free latency", "page allocations", "model replay"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q", want)
				}
			}
		})
	}
}

// TestImportDetectsEarlyReclaim: moving a grace period's end after a
// reclaim that depends on it makes the capture non-linearizable.
func TestImportDetectsEarlyReclaim(t *testing.T) {
	const tr = `# tracer: nop
#
 kfreercu_load/0-251 [000] ..... 17.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0xffff000000001008 func=0x8 caller=load_thread+0x7a/0x133 [kfreercu_load] gp_seq=68
     rcu_preempt-15  [001] ..... 17.001000: gp_init: (rcu_gp_init+0x0/0x550) gp_seq=68
     rcu_preempt-15  [001] ..... 17.001010: gp_init_ret: (rcu_gp_kthread+0x5a/0x1b0 <- rcu_gp_init) started=1 gp_seq=69
     kworker/0:1-17  [000] ..... 17.002000: kfree_rcu_work: (kfree_rcu_work+0x0/0x2e0) krwp=0xffff000000020918 head_free=0xffff000000001008 bkv0=0x0 bkv1=0x0 bkv0_nr=0 bkv0_next=0x0 bkv1_nr=0 krcp=0xffff000000020900 gp_seq=69
     kworker/0:1-17  [000] ..... 17.002010: kvfree: (kvfree+0x0/0x30) addr=0xffff000000001000 caller=kfree_rcu_work+0x20b/0x2e0
     kworker/0:1-17  [000] ..... 17.002020: kfree_rcu_work_ret: (process_one_work+0x1c7/0x380 <- kfree_rcu_work)
     rcu_preempt-15  [001] ..... 17.003000: gp_cleanup: (rcu_gp_cleanup+0x0/0x460) gp_seq=69
     rcu_preempt-15  [001] ..... 17.003010: gp_cleanup_ret: (rcu_gp_kthread+0xe9/0x1b0 <- rcu_gp_cleanup) gp_seq=72
`
	imp, err := ImportFtrace(strings.NewReader(tr), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Check(context.Background(), imp.History, CheckOptions{Window: int64(DefaultWindow)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != NotLinearizable {
		t.Fatalf("verdict %s, want not linearizable", res.Verdict)
	}
	// The same capture with the reclaim after the grace period is fine.
	fixed := sortByTime(strings.NewReplacer("17.002000", "17.004000", "17.002010", "17.004010", "17.002020", "17.004020").Replace(tr))
	imp, err = ImportFtrace(strings.NewReader(fixed), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := Check(context.Background(), imp.History, CheckOptions{Window: int64(DefaultWindow)}); res.Verdict != Linearizable {
		t.Fatalf("fixed capture: verdict %s", res.Verdict)
	}
}

// sortByTime puts the event lines of a capture in time order (stable),
// after its comment lines, as ftrace writes them.
func sortByTime(text string) string {
	lines := strings.SplitAfter(text, "\n")
	ts := func(l string) string {
		if f := strings.Fields(l); len(f) > 3 && !strings.HasPrefix(l, "#") {
			return fmt.Sprintf("%20s", strings.TrimSuffix(f[3], ":"))
		}
		return ""
	}
	sort.SliceStable(lines, func(i, j int) bool { return ts(lines[i]) < ts(lines[j]) })
	return strings.Join(lines, "")
}

func TestImportErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"not ftrace", "hello\n", "line 1: not an ftrace capture"},
		{"garbage line", "# tracer: nop\nthis is not an event\n", "line 2: not an ftrace event line"},
		{"bad hex", "# tracer: nop\n x-1 [000] ..... 1.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0xzz func=0x8\n", `line 2: field "head": want a hex number`},
		{"missing field", "# tracer: nop\n x-1 [000] ..... 1.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) func=0x8\n", `line 2: kvfree_call_rcu event has no field "head"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ImportFtrace(strings.NewReader(tc.text), ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzImportFtrace: the importer never panics; a capture it accepts gives
// a history that checks without error (at the default and the largest
// window) and that the trace reader accepts and reads back unchanged, so
// that import --trace never writes a file lin refuses. Seeds: good lines
// and the bad inputs of issue 11 (out of order, cut, huge numbers).
func FuzzImportFtrace(f *testing.F) {
	const hdr = "# tracer: nop\n"
	for _, seed := range []string{
		hdr + " x-1 [000] ..... 1.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x10 func=0x8\n",
		hdr + " y-2 [001] ..... 1.000001: gp_cleanup_ret: (a <- b) gp_seq=18446744073709551613\n",
		hdr + " k-3 [000] ..... 2.5: kfree_bulk_recs0: (x) s=0x0 size=2 p=0x1 caller=kfree_rcu_work+0x1/0x2 r0={0x10,0x20,0x30}\n",
		smallCapture,
		perCPU(smallCapture),
		smallCapture[:len(smallCapture)-20],
		strings.Replace(smallCapture, "17.003010", "17.000500", 1),
		sortByTime(strings.NewReplacer("gp_cleanup:", "gp_cleanupx:", "17.003010", "17.000500").Replace(smallCapture)),
		hdr + " x-1 [99999999999] ..... 1.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x10 func=0x8\n",
		hdr + " x-1 [8191] ..... 1.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x10 func=0x8\n",
		hdr + " x-1 [000] ..... 9223372036854775807.999999999: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x10 func=0x8\n",
		hdr + " x-1 [000] ..... 1152921504.606846976: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x10 func=0x8\n",
		hdr + " k-3 [000] ..... 2.5: kfree_bulk_recs0: (x) s=0x0 size=18446744073709551615 p=0x1 caller=kfree_rcu_work+0x1/0x2 r-1={0x10,0x20,0x30}\n",
		goodHeader + "\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		imp, err := ImportFtrace(strings.NewReader(text), ImportOptions{})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for _, w := range []int64{int64(DefaultWindow), math.MaxInt64} {
			if _, err := Check(context.Background(), imp.History, CheckOptions{Window: w}); err != nil {
				t.Fatal(err)
			}
		}
		var first, second bytes.Buffer
		if err := Encode(&first, imp.History); err != nil {
			t.Fatal(err)
		}
		hs, err := Read(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("the imported history does not read back: %v", err)
		}
		if err := Encode(&second, hs...); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("round trip changed the history:\n%s\n%s", first.Bytes(), second.Bytes())
		}
	})
}

// TestRecorder: a recorded history round-trips and is judged.
func TestRecorder(t *testing.T) {
	r := NewRecorder("toy")
	lk := r.ReadLock(1, "s1")
	lk.End()
	f := r.Free(0, "a")
	f.End()
	r.ReadUnlock(1, "s1").End()
	g := r.GPStart(2, 1)
	g.End()
	r.GPEnd(2, 1).End()
	r.Reclaim(3, "a").End()
	r.Free(0, "b") // never returns: pending
	h := r.History()
	res, err := Check(context.Background(), h, CheckOptions{})
	if err != nil || res.Verdict != Linearizable {
		t.Fatalf("verdict %v err %v", res.Verdict, err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, h); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(&buf); err != nil {
		t.Fatal(err)
	}
}
