package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rcucheck runs the command line in-process and returns the exit code,
// stdout and stderr.
func rcucheck(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// golden compares out with testdata/name; UPDATE_GOLDEN=1 rewrites it.
func golden(t *testing.T, name, out string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("output differs from %s (UPDATE_GOLDEN=1 rewrites it):\n%s", path, out)
	}
}

// TestCheckGolden pins the text output of rcucheck check: the verdict table
// and the shortest counterexamples, on instances that run in milliseconds.
// The files are rcucheck's own output; what backs them independently:
// check-tiny's rows are enumerated by hand from the spec
// (model.TestHandEnumerated), and the counts, depth, NoStuck and GracePeriod
// verdicts and counterexample lengths of all three are SPIN's, recorded in
// testdata/spin/ and compared by TestGoldenBackedBySPIN (see
// golden_spin_test.go for the columns SPIN does not back).
func TestCheckGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"check-tiny.golden", []string{"check", "--design", "all", "--cpus", "1", "--bulk", "1", "--cache", "0", "--calls", "1", "--quiet"}, exitOK},
		{"check-k1.golden", []string{"check", "--design", "all", "--calls", "1", "--quiet"}, exitViolated},
		{"check-head-k1.golden", []string{"check", "--design", "head", "--calls", "1", "--quiet"}, exitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := rcucheck(c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, c.code, errs)
			}
			golden(t, c.name, out)
		})
	}
}

// TestCheckUsageErrors: bad flags and impossible parameters give one line
// on stderr and exit 2, and nothing on stdout.
func TestCheckUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--design", "nosuch"}, `unknown design "nosuch"`},
		{[]string{"check", "--cpus", "0"}, "cpus must be between 1 and 64"},
		{[]string{"check", "--cpus", "65"}, "cpus must be between 1 and 64"},
		{[]string{"check", "--bulk", "0"}, "bulk must be between 1"},
		{[]string{"check", "--calls", "-1"}, "calls must be between 0"},
		{[]string{"check", "--cache", "x"}, "invalid value"},
		{[]string{"check", "--design", "limit", "--limit", "0"}, "needs limit >= 1"},
		{[]string{"check", "--nosuchflag"}, "flag provided but not defined"},
		{[]string{"check", "stray"}, `unexpected argument "stray"`},
		{[]string{"nosuchcommand"}, `unknown command "nosuchcommand"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := rcucheck(c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			if strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q, want one line containing %q", errs, c.want)
			}
		})
	}
}

// TestCheckIncomplete: a state limit gives exit 3, "unknown" verdicts and
// the figures so far, never "holds".
func TestCheckIncomplete(t *testing.T) {
	code, out, _ := rcucheck("check", "--design", "head", "--max-states", "1000", "--quiet", "--json")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d", code, exitIncomplete)
	}
	for _, want := range []string{`"complete": false`, `"verdict": "unknown"`, `"stop_reason": "state limit 1000 reached"`} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"holds": true`) {
		t.Errorf("an incomplete run claims a property holds:\n%s", out)
	}
}

// TestCheckSymmetryFullCounts: with --symmetry the report keeps the same
// verdicts and maxima, stores fewer states, and gives the full model's counts,
// which must equal those of the unreduced run.
func TestCheckSymmetryFullCounts(t *testing.T) {
	type report struct {
		States          uint64                              `json:"states"`
		Transitions     uint64                              `json:"transitions"`
		FullStates      uint64                              `json:"full_states"`
		FullTransitions uint64                              `json:"full_transitions"`
		Properties      map[string]struct{ Verdict string } `json:"properties"`
		Max             map[string]int64                    `json:"max"`
	}
	runJSON := func(args ...string) []report {
		code, out, errs := rcucheck(append([]string{"check", "--design", "all", "--calls", "1", "--quiet", "--json"}, args...)...)
		if code != exitViolated {
			t.Fatalf("exit %d; stderr %s", code, errs)
		}
		var rs []report
		if err := json.Unmarshal([]byte(out), &rs); err != nil {
			t.Fatal(err)
		}
		return rs
	}
	plain, sym := runJSON(), runJSON("--symmetry")
	if len(plain) != 5 || len(sym) != 5 {
		t.Fatalf("%d and %d reports, want 5", len(plain), len(sym))
	}
	for i := range plain {
		p, s := plain[i], sym[i]
		if s.States >= p.States || s.FullStates != p.States || s.FullTransitions != p.Transitions {
			t.Errorf("design %d: reduced %d states, full %d/%d; unreduced %d/%d", i, s.States, s.FullStates, s.FullTransitions, p.States, p.Transitions)
		}
		if fmt.Sprint(s.Properties, s.Max) != fmt.Sprint(p.Properties, p.Max) {
			t.Errorf("design %d: verdicts or maxima differ with symmetry: %v %v vs %v %v", i, s.Properties, s.Max, p.Properties, p.Max)
		}
	}
}
