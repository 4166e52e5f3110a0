package main

import (
	"bytes"
	"encoding/json"
	"errors"
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
		// Outputs that cannot be written are found before any run (issue 11).
		{[]string{"bound", "--sweep", "calls=1..2", "--quiet", "--plot", "/nonexistent-rcucheck/x.svg"}, "--plot: writing"},
		{[]string{"bound", "--sweep", "calls=1..2", "--quiet", "--witness-out", "/nonexistent-rcucheck/w.json"}, "--witness-out: writing"},
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
			Cycle   []string `json:"cycle"`
			Replay  []int    `json:"replay"`
			Fair    *bool    `json:"fair"`
			Starved []string `json:"starved"`
			Workers []struct {
				Action    string `json:"action"`
				EnabledIn int    `json:"enabled_in"`
				States    int    `json:"states"`
				Runs      int    `json:"runs"`
			} `json:"workers"`
		} `json:"witness"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if r.Verdict != "unbounded" || len(r.Points) != 4 || r.Witness == nil || len(r.Witness.Cycle) == 0 {
		t.Fatalf("verdict %s, %d points, witness %+v", r.Verdict, len(r.Points), r.Witness)
	}
	if wt := r.Witness; wt.Fair == nil || !*wt.Fair || wt.Starved == nil || len(wt.Starved) != 0 || len(wt.Workers) == 0 {
		t.Errorf("witness fair %v starved %v workers %+v: want fair, an empty starved list, the workers", wt.Fair, wt.Starved, wt.Workers)
	}
	for _, u := range r.Witness.Workers {
		if u.EnabledIn == u.States && u.Runs == 0 {
			t.Errorf("worker %+v enabled throughout, never run, in a fair witness", u)
		}
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

func TestBoundTextFairWitness(t *testing.T) {
	code, out, errs := rcucheck("bound", "--design", "reserve", "--sweep", "calls=1..4", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"verdict: UNBOUNDED", "the cycle is weakly fair", "  fair: yes", "reader held throughout: CPU 0", "refill(0) ran 1 time(s)", "cycle    1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Without room for the fair cycle, the starving one is printed as such.
	code, out, errs = rcucheck("bound", "--design", "reserve", "--sweep", "calls=1..4", "--witness-limit", "2", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"fair: NO: the cycle starves monitor(0)", "the cycle is NOT fair"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestClaimsFairWitness(t *testing.T) {
	code, out, errs := rcucheck("claims", "--calls", "3", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"least_reserve unbounded (+1 per 5-step fair cycle)", "weakly fair witness (no kernel worker starved)", "reader held throughout: CPU 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("claims output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "UNFAIR") {
		t.Errorf("claims output has an unfair witness:\n%s", out)
	}
}

// TestBoundClaimsLossy: a verdict computed with --fingerprint says so
// beside the verdict, in text and JSON, for bound and claims; a formula
// says it is a fit.
func TestBoundClaimsLossy(t *testing.T) {
	code, out, errs := rcucheck("bound", "--design", "limit", "--sweep", "calls=1..3", "--fingerprint", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"verdict: BOUNDED: least_reserve <= 2 for every K (fingerprints: P(missed state) <= ", "(fit on calls=1..3, 3 points, not proved)", "not exact: lossy store"} {
		if !strings.Contains(out, want) {
			t.Errorf("bound output lacks %q:\n%s", want, out)
		}
	}
	code, out, errs = rcucheck("bound", "--design", "limit", "--sweep", "calls=1..3", "--fingerprint", "--quiet", "--json")
	var r struct {
		Store   string   `json:"store"`
		P       float64  `json:"omission_probability"`
		Caveats []string `json:"caveats"`
		Formula struct {
			FitOn string `json:"fit_on"`
		} `json:"formula"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != exitOK {
		t.Fatalf("exit %d %v: %s %s", code, err, out, errs)
	}
	if r.Store != "fingerprint" || r.P <= 0 || len(r.Caveats) < 2 || r.Formula.FitOn == "" {
		t.Errorf("bound JSON %+v: want store fingerprint, its probability, caveats and fit_on", r)
	}
	code, out, errs = rcucheck("claims", "--calls", "3", "--fingerprint", "--quiet", "--json")
	var cs []struct {
		ID, Verdict, Basis, Store string
		P                         float64 `json:"omission_probability"`
		Grounds                   []struct{ Kind, Fact string }
	}
	if err := json.Unmarshal([]byte(out), &cs); err != nil || code != exitOK || len(cs) != 5 {
		t.Fatalf("exit %d %v: %s %s", code, err, out, errs)
	}
	for _, c := range cs {
		if c.Store != "fingerprint" || c.P <= 0 || c.Basis == "" || len(c.Grounds) == 0 {
			t.Errorf("claim %+v: want store fingerprint, its probability, a basis and grounds", c)
		}
	}
}

// TestClaimsBasisText: the claims table and each claim say what the
// verdict rests on.
func TestClaimsBasisText(t *testing.T) {
	code, out, errs := rcucheck("claims", "--calls", "3", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"verdict    basis", "CONFIRMED  structural ", "CONFIRMED rests on (structural):", "* structural: design head's miss plan", "CONFIRMED rests on (computed):", "not exact: the formula N*fill(L) is a fit"} {
		if !strings.Contains(out, want) {
			t.Errorf("claims output lacks %q:\n%s", want, out)
		}
	}
}

// TestClaimsProgress: progress goes to stderr only, and --quiet silences
// it (the per-run lines are tested in package bound, TestRunProgress).
func TestClaimsProgress(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		args := []string{"claims", "--calls", "3"}
		if quiet {
			args = append(args, "--quiet")
		}
		code, out, errs := rcucheck(args...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if strings.Contains(out, "\nclaims: ") || (errs == "") != quiet {
			t.Errorf("quiet %v: stdout has progress or stderr %q is wrong", quiet, errs)
		}
	}
}

// FuzzBoundArgs: whatever the values of bound's flags, parsing them either
// accepts them or refuses with one line naming the problem (exit 2 in
// runBound), never a panic, before any exploration. The seeds are the bad
// inputs found so far: overflowing sweeps, absurd counts, bad figures.
func FuzzBoundArgs(f *testing.F) {
	for _, s := range []struct {
		sweep, figure, num, design string
	}{
		{"calls=1..9223372036854775807", "least_reserve", "3", "reserve"},
		{"calls=9223372036854775807..9223372036854775807", "pages", "3", "head"},
		{"calls=1,9223372036854775808", "pending", "3", "limit"},
		{"calls=-9223372036854775808..1", "reserve_used", "3", "reserve"},
		{"bulk=1073741823,1073741824", "least_reserve", "3", "reserve"},
		{"cpus=64,65", "least_reserve", "3", "reserve"},
		{"calls=1,1073741824", "least_reserve", "9223372036854775807", "reserve"},
		{"limit=0..2", "least_reserve", "-1", "limit"},
		{"calls=1..2", "memory", "0", "nope"},
		{"calls=1..2..3", "", "2", "all"},
		{"calls=\x00", "least_reserve", "3", "reserve,"},
	} {
		f.Add(s.sweep, s.figure, s.num, s.design)
	}
	f.Fuzz(func(t *testing.T, sweep, figure, num, design string) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb}
		for _, args := range [][]string{
			{"--sweep", sweep, "--figure", figure, "--design", design},
			{"--sweep", sweep, "--window", num, "--pump", num, "--witness-limit", num},
			{"--sweep", sweep, "--bulk", num, "--cpus", num, "--cache", num, "--limit", num, "--reserve", num},
		} {
			_, err := parseBound(e, args)
			if err == nil {
				continue
			}
			var ue usageError
			if !errors.As(err, &ue) || strings.Contains(err.Error(), "\n") || err.Error() == "" {
				t.Fatalf("args %q: error %q is not one line of usage", args, err)
			}
		}
		if out.Len() > 0 || errb.Len() > 0 {
			t.Fatalf("parsing wrote %q %q", out.String(), errb.String())
		}
	})
}
