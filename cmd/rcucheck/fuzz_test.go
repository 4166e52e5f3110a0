package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/properties"
)

// The text report at a fixed seed, against a golden file
// (UPDATE_GOLDEN=1 go test -run TestFuzzGolden rewrites it). The random
// runs have no other implementation: the file pins the seed's
// reproducibility. Its "exhaustive shortest" column is backed by SPIN's
// breadth-first search recorded in testdata/spin/
// (TestFuzzGoldenShortestBySPIN).
func TestFuzzGolden(t *testing.T) {
	code, out, _ := rcucheck("fuzz", "--design", "reserve,early,head", "--seed", "1", "--runs", "300", "--quiet")
	if code != exitViolated {
		t.Fatalf("exit %d, want %d\n%s", code, exitViolated, out)
	}
	golden(t, "fuzz-defaults.golden", out)
}

func TestFuzzJSONAndReproducible(t *testing.T) {
	args := []string{"--design", "early", "--seed", "5", "--runs", "400", "--json", "--quiet", "--alloc-runs", "2"}
	code, out, _ := rcucheck(append([]string{"fuzz"}, args...)...)
	if code != exitViolated {
		t.Fatalf("exit %d\n%s", code, out)
	}
	_, again, _ := rcucheck(append([]string{"fuzz"}, args...)...)
	if again != out {
		t.Fatal("same seed, different bytes")
	}
	var rep struct {
		Seed       int64 `json:"seed"`
		Runs       int   `json:"runs"`
		Properties map[string]struct {
			Holds          bool              `json:"holds"`
			Trace          []json.RawMessage `json:"trace"`
			UnshrunkLength int               `json:"unshrunk_length"`
			Shortest       *int              `json:"shortest"`
		} `json:"properties"`
		Allocations *struct {
			Runs int `json:"runs"`
		} `json:"allocations"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	gp := rep.Properties["GracePeriod"]
	if rep.Seed != 5 || rep.Runs < 1 || gp.Holds || len(gp.Trace) == 0 || gp.UnshrunkLength < len(gp.Trace) {
		t.Errorf("unexpected report: %s", out)
	}
	if gp.Shortest == nil || *gp.Shortest != len(gp.Trace) {
		t.Errorf("shrunk %d steps, exhaustive shortest %v", len(gp.Trace), gp.Shortest)
	}
	if !rep.Properties["NoStuck"].Holds || rep.Allocations == nil || rep.Allocations.Runs != 2 {
		t.Errorf("unexpected report: %s", out)
	}
}

func TestFuzzExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--design", "head", "--calls", "2", "--runs", "100", "--seed", "1"}, exitOK, ""},
		{[]string{"--design", "nope"}, exitUsage, "unknown design"},
		{[]string{"--runs", "-1"}, exitUsage, "--runs"},
		{[]string{"--runs", "0"}, exitUsage, "--time"},
		{[]string{"--profile", "calm"}, exitUsage, "unknown profile"},
		{[]string{"--bound", "pages <="}, exitUsage, "--bound"},
		{[]string{"--bound", "pages <= 1/(C-1)"}, exitUsage, "division by zero"},
		{[]string{"--cpus", "0"}, exitUsage, "cpus"},
		{[]string{"--steps", "x"}, exitUsage, "steps"},
		{[]string{"extra"}, exitUsage, "unexpected argument"},
	}
	for _, tc := range tests {
		code, _, stderr := rcucheck(append(append([]string{"fuzz"}, tc.args...), "--quiet", "--alloc-runs", "0")...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, stderr)
		}
		if tc.err != "" && (!strings.Contains(stderr, tc.err) || strings.Count(strings.TrimSpace(stderr), "\n") != 0) {
			t.Errorf("%v: stderr %q, want one line containing %q", tc.args, stderr, tc.err)
		}
	}
}

func TestFuzzInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, &env{stdout: &out, stderr: &errb}, []string{"fuzz", "--design", "head", "--seed", "1", "--quiet"})
	if code != exitIncomplete || !strings.Contains(out.String(), "INTERRUPTED") {
		t.Errorf("exit %d, output:\n%s", code, out.String())
	}
}

func TestFuzzSeedPrinted(t *testing.T) {
	_, _, stderr := rcucheck("fuzz", "--design", "head", "--calls", "1", "--runs", "5", "--alloc-runs", "0")
	if !strings.Contains(stderr, "fuzz head: seed ") {
		t.Errorf("no seed on stderr: %q", stderr)
	}
}

// fuzz --hunt growth at a small size: the JSON carries hunt {metric,
// verdict, slope, points, witness}; reserve's reserve_used is unbounded
// (exit 1) with a pumped witness, the same seed gives the same bytes, and
// bad hunts are refused.
func TestFuzzHunt(t *testing.T) {
	args := []string{"fuzz", "--hunt", "growth", "--design", "reserve", "--cpus", "4", "--bulk", "16", "--cache", "2", "--seed", "1", "--json", "--quiet"}
	code, out, stderr := rcucheck(args...)
	if code != exitViolated {
		t.Fatalf("exit %d, want %d: %s", code, exitViolated, stderr)
	}
	if _, again, _ := rcucheck(args...); again != out {
		t.Error("same seed, different bytes")
	}
	var rep struct {
		Hunt struct {
			Metric  string  `json:"metric"`
			Verdict string  `json:"verdict"`
			Slope   float64 `json:"slope"`
			Points  []struct {
				Calls int   `json:"calls"`
				Worst int64 `json:"worst"`
			} `json:"points"`
			FitNote       string  `json:"fit_note"`
			GrowthPerCall float64 `json:"growth_per_call"`
			Sources       []struct {
				Branch string `json:"branch"`
			} `json:"sources"`
			Witness *struct {
				Replay []int64 `json:"replay"`
				Linear bool    `json:"linear"`
				Fair   bool    `json:"fair"`
			} `json:"witness"`
		} `json:"hunt"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	h := rep.Hunt
	if h.GrowthPerCall <= 0 || h.FitNote == "" || len(h.Sources) == 0 || h.Sources[0].Branch != "free reserve" || h.Witness == nil || !h.Witness.Fair {
		t.Errorf("unexpected hunt: %s", out)
	}
	_, text, _ := rcucheck(args[:len(args)-2]...)
	for _, want := range []string{"\nfit: " + h.FitNote + "\n", "\nverdict: " + h.Verdict + "\n", "reserve_used of the worst schedules (up to their peaks) by branch: free reserve +",
		"reserve_used along one repetition of the cycle by branch: free reserve +1\n", "fair: true (starved: none)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if h.Metric != "reserve_used" || !strings.HasPrefix(h.Verdict, "unbounded") || h.Slope <= 0 || len(h.Points) != 5 || h.Points[0].Calls != 16 ||
		h.Witness == nil || !h.Witness.Linear || len(h.Witness.Replay) != 9 {
		t.Errorf("unexpected hunt: %s", out)
	}
	for _, bad := range [][]string{{"--hunt", "shrink"}, {"--hunt", "growth", "--metric", "heat"}, {"--hunt", "growth", "--hunt-max-calls", "3"}} {
		code, _, stderr := rcucheck(append(append([]string{"fuzz"}, bad...), "--quiet")...)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", bad, code, stderr)
		}
	}
}

// fuzz prints the model's allocations per free under heavy use at the
// run's sizes, with their spread over the gopter runs, beside the real
// kernel's figure imported from its bulk capture (5 page allocations for
// 16,000 frees), and why they differ; the text's figures are the JSON's.
// Without the capture it says the kernel's figure is unavailable; a
// --kernel-capture that does not import is bad input.
func TestFuzzKernelRatio(t *testing.T) {
	args := []string{"fuzz", "--design", "head", "--cpus", "2", "--bulk", "508", "--cache", "5", "--calls", "20000", "--runs", "2",
		"--alloc-runs", "3", "--alloc-frees", "20000", "--seed", "1", "--quiet", "--kernel-capture", kernelTrace("krcu-bulk")}
	code, text, stderr := rcucheck(args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, js, _ := rcucheck(append(args, "--json")...)
	var rep struct {
		Allocations struct {
			Runs          int `json:"runs"`
			AllocsPerFree struct {
				Mean, Stddev float64
			} `json:"allocs_per_free"`
			Kernel struct {
				PageAllocs int `json:"page_allocations"`
				Frees      int `json:"frees"`
			} `json:"kernel"`
			Comparison struct {
				Differ bool   `json:"differ"`
				Reason string `json:"reason"`
			} `json:"comparison"`
		} `json:"allocations"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	a := rep.Allocations
	for _, want := range []string{
		fmt.Sprintf("(profile heavy, %d gopter runs of 20000 frees)", a.Runs),
		fmt.Sprintf("pages from the page allocator: one per %.1f frees (per free: mean %.6f, stddev %.6f,", 1/a.AllocsPerFree.Mean, a.AllocsPerFree.Mean, a.AllocsPerFree.Stddev),
		"the real kernel (krcu-bulk.trace.gz): 5 page allocations for 16000 frees, one per 3200.0 (per free 0.000313)",
		"model and kernel allocations per free: differ (model/kernel ",
		a.Comparison.Reason,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if a.Runs != 3 || a.Kernel.PageAllocs != 5 || a.Kernel.Frees != 16000 || !a.Comparison.Differ || !strings.Contains(a.Comparison.Reason, "found the cache not empty") {
		t.Errorf("allocations %+v", a)
	}
	var out bytes.Buffer
	printAllocations(&out, &properties.AllocReport{Runs: 1, Kernel: &properties.KernelAllocs{Capture: "krcu-bulk.trace.gz", Unavailable: "no capture found"}})
	if !strings.Contains(out.String(), "the real kernel (krcu-bulk.trace.gz): unavailable: no capture found") {
		t.Errorf("no capture:\n%s", out.String())
	}
	code, _, stderr = rcucheck(append(args[:len(args)-1], filepath.Join(t.TempDir(), "none.gz"))...)
	if code != exitUsage || !strings.Contains(stderr, "--kernel-capture") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("missing --kernel-capture: exit %d, %q", code, stderr)
	}
}
