package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBoundUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bound", "--sweep", "calls"}, "--sweep"},
		{[]string{"bound", "--sweep", "calls=1"}, "at least 2 values"},
		{[]string{"bound", "--sweep", "reserve=1..3"}, "unknown parameter"},
		{[]string{"bound", "--figure", "memory"}, "unknown figure"},
		{[]string{"bound", "--window", "1"}, "--window"},
		{[]string{"bound", "--pump", "0"}, "--pump"},
		{[]string{"bound", "--plot", "out.gif"}, "extension"},
		{[]string{"bound", "--design", "nope"}, "unknown design"},
		{[]string{"bound", "--design", "limit", "--sweep", "limit=0..2"}, "limit"},
		{[]string{"bound", "stray"}, "unexpected argument"},
		{[]string{"claims", "--calls", "99"}, "--calls"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := rcucheck(tc.args...)
			if code != exitUsage || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line naming %q", code, out, errs, tc.want)
			}
		})
	}
}

func TestBoundJSONAndFiles(t *testing.T) {
	dir := t.TempDir()
	plot, wit := filepath.Join(dir, "b.svg"), filepath.Join(dir, "w.json")
	code, out, errs := rcucheck("bound", "--design", "reserve", "--sweep", "calls=1..4", "--quiet", "--json", "--plot", plot, "--witness-out", wit)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Verdict string `json:"verdict"`
		Points  []struct {
			Value        int `json:"value"`
			LeastReserve int `json:"least_reserve"`
			Max          struct {
				Pages, Pending int
				ReserveUsed    int `json:"reserve_used"`
			} `json:"max"`
		} `json:"points"`
		Witness *struct {
			Cycle  []string `json:"cycle"`
			Replay []int    `json:"replay"`
		} `json:"witness"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if r.Verdict != "unbounded" || len(r.Points) != 4 || r.Witness == nil || len(r.Witness.Cycle) == 0 {
		t.Fatalf("verdict %s, %d points, witness %+v", r.Verdict, len(r.Points), r.Witness)
	}
	if r.Points[3].LeastReserve <= r.Points[0].LeastReserve || r.Points[3].Max.ReserveUsed != r.Points[3].LeastReserve {
		t.Errorf("points %+v", r.Points)
	}
	for _, f := range []string{plot, wit} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

func TestBoundTextLimit(t *testing.T) {
	code, out, errs := rcucheck("bound", "--design", "limit", "--sweep", "calls=1..4", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"plateau at 2", "verdict: BOUNDED: least_reserve <= 2 for every K", "proof: counter abstraction"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
