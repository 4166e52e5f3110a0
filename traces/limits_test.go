package traces

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestCheckExtremeWindows: a window as large as int64 allows saturates (it
// allows every order) instead of wrapping round, at small times and at times
// next to MaxTime; the verdict at a huge window is the verdict at a window
// that already covers the whole history.
func TestCheckExtremeWindows(t *testing.T) {
	valid := []string{"free o1 1 1 0", "reclaim o1 2 3 1"}
	early := []string{"reclaim o1 1 1 1", "free o1 5 5 0"} // reclaimed before freed
	late := func(lines []string) []string {                // the same, shifted next to MaxTime
		var out []string
		for _, l := range lines {
			f := strings.Fields(l)
			var c, r int64
			fmt.Sscan(f[2], &c)
			fmt.Sscan(f[3], &r)
			out = append(out, fmt.Sprintf("%s %s %d %d %s", f[0], f[1], MaxTime-10+c, MaxTime-10+r, f[4]))
		}
		return out
	}
	pending := []string{"section s 0 - 2", "free o1 1 1 0", "reclaim o1 2 3 1"} // a reader that never ends
	gp := []string{"free o1 10 10 0", "gp_start 1 20 20 2", "gp_end 1 30 30 2", "reclaim o1 40 40 1"}
	gpEarly := []string{"free o1 10 10 0", "gp_start 1 20 20 2", "reclaim o1 25 25 1", "gp_end 1 30 30 2"}
	for _, tc := range []struct {
		name   string
		lines  []string
		window int64
		want   string
	}{
		{"valid w0", valid, 0, Linearizable},
		{"valid w1", valid, 1, Linearizable},
		{"valid MaxTime", valid, MaxTime, Linearizable},
		{"valid MaxInt64/2", valid, math.MaxInt64 / 2, Linearizable},
		{"valid MaxInt64-1", valid, math.MaxInt64 - 1, Linearizable},
		{"valid MaxInt64", valid, math.MaxInt64, Linearizable},
		{"valid late MaxInt64", late(valid), math.MaxInt64, Linearizable},
		{"valid late w0", late(valid), 0, Linearizable},
		{"early w0", early, 0, NotLinearizable},
		{"early w1", early, 1, NotLinearizable},
		{"early w2", early, 2, Linearizable}, // intervals meet: free may come first
		{"early MaxInt64", early, math.MaxInt64, Linearizable},
		{"early late w0", late(early), 0, NotLinearizable},
		{"early late MaxInt64", late(early), math.MaxInt64, Linearizable},
		{"pending reader MaxInt64", pending, math.MaxInt64, Linearizable},
		{"pending reader w0", pending, 0, NotLinearizable},
		{"gp MaxInt64", gp, math.MaxInt64, Linearizable},
		{"gp early w0", gpEarly, 0, NotLinearizable},
		{"gp early w2", gpEarly, 2, NotLinearizable},
		{"gp early w3", gpEarly, 3, Linearizable},
		{"gp early MaxInt64", gpEarly, math.MaxInt64, Linearizable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hist(t, tc.lines...)
			res, err := Check(context.Background(), h, CheckOptions{Window: tc.window})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != tc.want {
				t.Fatalf("verdict %s, want %s: %+v", res.Verdict, tc.want, res.Failures)
			}
		})
	}
}

// TestCheckRefusesTimesOutOfRange: a history built in memory with a time
// beyond MaxTime (or negative) is an error, not a verdict.
func TestCheckRefusesTimesOutOfRange(t *testing.T) {
	for _, lines := range [][]string{
		{"free o1 1 1 0", fmt.Sprintf("reclaim o1 2 %d 1", int64(math.MaxInt64))},
		{"free o1 -5 1 0"},
		{fmt.Sprintf("free o1 %d %d 0", MaxTime+1, MaxTime+1)},
	} {
		_, err := Check(context.Background(), hist(t, lines...), CheckOptions{Window: 1})
		if err == nil || !strings.Contains(err.Error(), "time") {
			t.Errorf("%v: error %v, want one about the time", lines, err)
		}
	}
}

// TestReadTimeLimits: times up to MaxTime read, beyond it is an error naming
// the line and the field.
func TestReadTimeLimits(t *testing.T) {
	rec := func(call, ret int64) string {
		return fmt.Sprintf(`{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":%d,"return":%d}`, call, ret)
	}
	for _, tc := range []struct {
		name, line, want string
	}{
		{"at MaxTime", rec(MaxTime, MaxTime), ""},
		{"return past MaxTime", rec(1, MaxTime+1), `line 2: field "return": `},
		{"call MaxInt64", rec(math.MaxInt64, math.MaxInt64), `line 2: field "call": `},
		{"step MaxInt64", fmt.Sprintf(`{"type":"step","time":%d,"client":0,"action":"gp_start"}`, int64(math.MaxInt64)), `line 2: field "time": `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(goodHeader + "\n" + tc.line + "\n" + `{"type":"end","records":1}` + "\n"))
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestImportExtremeValues: timestamps, CPU numbers and grace-period numbers
// at the edges give figures or one error, never a wrap or a huge allocation.
func TestImportExtremeValues(t *testing.T) {
	const free = " x-1 [%s] ..... %s: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x1008 func=0x8\n"
	for _, tc := range []struct {
		name, cpu, ts, want string
	}{
		{"ordinary", "000", "17.000001", ""},
		{"36 years", "001", "1152921504.606846976", ""},
		{"past MaxTime", "000", "1152921504.606846977", "line 3: timestamp"},
		{"2^32 s", "000", "4294967296.000000000", "line 3: timestamp"},
		{"int64 seconds", "000", "9223372036854775807.999999999", "line 3: timestamp"},
		{"huge cpu", "99999999999", "1.0", "line 3: cpu"},
		{"cpu past the limit", "100000", "1.0", "line 3: cpu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "# tracer: nop\n#\n" + fmt.Sprintf(free, tc.cpu, tc.ts)
			imp, err := ImportFtrace(strings.NewReader(text), ImportOptions{})
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			case err != nil:
				return
			}
			res, err := Check(context.Background(), imp.History, CheckOptions{Window: math.MaxInt64})
			if err != nil || res.Verdict != Linearizable {
				t.Fatalf("verdict %+v, error %v", res, err)
			}
		})
	}
}

// TestBulkRecordIndices: only records "rN" with N a plain index below size
// are reclaims; "r-1" is not a record field, so nothing is reclaimed by it.
func TestBulkRecordIndices(t *testing.T) {
	const capture = "# tracer: nop\n" +
		" x-1 [000] ..... 1.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0x18 func=0x8\n" +
		" k-3 [000] ..... 2.000000: kfree_rcu_work: (kfree_rcu_work+0x0/0x2e0) krwp=0x118 krcp=0x100\n" +
		" k-3 [000] ..... 2.000001: kfree_bulk_recs0: (x) s=0x0 size=18446744073709551615 p=0x1 caller=kfree_rcu_work+0x1/0x2 %s={0x5,0x10}\n"
	for _, tc := range []struct {
		key       string
		reclaimed int
	}{{"r0", 1}, {"r-1", 0}, {"r18446744073709551615", 0}} {
		imp, err := ImportFtrace(strings.NewReader(fmt.Sprintf(capture, tc.key)), ImportOptions{NoReplay: true})
		if err != nil {
			t.Fatal(err)
		}
		if imp.Figures.Reclaimed != tc.reclaimed {
			t.Errorf("%s: %d reclaimed, want %d", tc.key, imp.Figures.Reclaimed, tc.reclaimed)
		}
	}
}
