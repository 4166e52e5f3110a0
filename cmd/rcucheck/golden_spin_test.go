package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/spin"
)

// The golden files are written by rcucheck itself (UPDATE_GOLDEN=1), so
// comparing against them only pins the output. What backs each one
// independently (the SPIN records in testdata/spin/ were made with the
// spec's hand-written Promela encoding, now spin's test oracle; RECORD_SPIN=1
// re-records them with the encoding printed from the model's table of rules,
// which spin's differential test holds equal to the hand-written one):
//
//   - check-tiny.golden (N=1 B=1 C=0 K=1, every spec design): every row is
//     enumerated by hand from the spec in model.TestHandEnumerated (counts,
//     depth, verdicts, maxima), and its counts, depth, NoStuck and
//     GracePeriod verdicts and shortest counterexamples are SPIN's, recorded
//     in testdata/spin/ (TestGoldenBackedBySPIN).
//   - check-k1.golden (N=2 B=2 C=1 R=1 K=1 L=2, every spec design) and
//     check-head-k1.golden (its head row): the same columns are SPIN's,
//     recorded in testdata/spin/; spin/testdata/pan-head-N2K1.txt records
//     the depth-first run of head with the same counts. The maxima and
//     Drainable, which SPIN does not check here, rest on
//     model.TestAgainstBruteForce (a map-based search independent of the
//     checker) and on the rules being the spec's (model.TestSpecTransitions,
//     spin.TestDifferentialSPIN).
//   - fuzz-defaults.golden: the column "exhaustive shortest" (4 for
//     reserve's NoStuck, 7 for early's GracePeriod at the defaults K=3) is
//     the depth of SPIN's first error in a breadth-first search, recorded in
//     testdata/spin/; the shrunk witnesses are at that length. The random
//     runs themselves (runs, steps, allocations) have no other
//     implementation: that file pins the seed's reproducibility only.
//
// RECORD_SPIN=1 go test -run TestGoldenBackedBySPIN ./cmd/rcucheck reruns
// SPIN (spin and gcc needed) and rewrites testdata/spin/.

// spinRecord is one recorded SPIN run: the Promela encoding of design at
// p with prop asserted (spin.PromelaChecking), a breadth-first search
// (spin.BFSMode) that goes on past errors (-c0) or stops at the first (-c1,
// for instances too large to run whole in a test).
type spinRecord struct {
	design string
	p      model.Params
	prop   string
	first  bool // stop at the first error
}

// file is where the run's output is recorded.
func (r spinRecord) file(t *testing.T) string {
	m, err := model.NewByName(r.design, r.p)
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params()
	return filepath.Join("testdata", "spin", fmt.Sprintf("%s-N%dB%dC%dR%dK%dL%d-%s.txt", r.design, p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Calls, p.Limit, r.prop))
}

// load returns the recorded run's figures, running SPIN first with
// RECORD_SPIN=1.
func (r spinRecord) load(t *testing.T) spin.Stats {
	t.Helper()
	path := r.file(t)
	if os.Getenv("RECORD_SPIN") != "" {
		r.record(t, path)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (RECORD_SPIN=1 records it)", err)
	}
	s, err := spin.Parse(string(out))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// record runs SPIN on r and writes its output to path, after a line saying
// how it was run.
func (r spinRecord) record(t *testing.T, path string) {
	t.Helper()
	if err := spin.Tools(); err != nil {
		t.Fatal(err)
	}
	m, err := model.NewByName(r.design, r.p)
	if err != nil {
		t.Fatal(err)
	}
	src, err := spin.PromelaChecking(m.Design(), m.Params(), r.prop)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := spin.Compile(ctx, filepath.Join(t.TempDir(), "pan"), src, spin.BFSMode())
	if err != nil {
		t.Fatal(err)
	}
	args := append(spin.RunArgs(1<<20), "-c0")
	if r.first {
		args[len(args)-1] = "-c1"
	}
	run, err := b.Run(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("# SPIN on rcucheck's Promela encoding (spin.PromelaChecking) of design %s, %s, asserting %s.\n# %s; ./pan %s\n",
		r.design, m.Params(), r.prop, strings.Join(b.Command, "; "), strings.Join(args, " "))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(head+run.RawOutput), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goldenRow is a row of rcucheck check's table: design, R, L, states,
// transitions, depth, NoStuck, GracePeriod.
var goldenRow = regexp.MustCompile(`(?m)^(\S+)\s+\d+\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+(holds|VIOLATED \((\d+) steps\))\s+(holds|VIOLATED \((\d+) steps\))`)

// TestGoldenBackedBySPIN checks the golden check tables against SPIN's
// recorded runs: for every row, SPIN stored as many states, made as many
// transitions, reached the same breadth-first depth, and found NoStuck and
// GracePeriod violated, at the same least depth, exactly where the row
// says so.
func TestGoldenBackedBySPIN(t *testing.T) {
	tiny := model.Params{CPUs: 1, Bulk: 1, Cache: 0, Reserve: 1, Calls: 1, Limit: 2}
	k1 := model.DefaultParams()
	k1.Calls = 1
	for _, g := range []struct {
		file string
		p    model.Params
		rows int
	}{{"check-tiny.golden", tiny, 5}, {"check-k1.golden", k1, 5}, {"check-head-k1.golden", k1, 1}} {
		text, err := os.ReadFile(filepath.Join("testdata", g.file))
		if err != nil {
			t.Fatal(err)
		}
		rows := goldenRow.FindAllStringSubmatch(string(text), -1)
		if len(rows) != g.rows {
			t.Fatalf("%s: %d table rows, want %d", g.file, len(rows), g.rows)
		}
		for _, row := range rows {
			for i, prop := range []string{model.PropNoStuck, model.PropGracePeriod} {
				s := spinRecord{row[1], g.p, prop, false}.load(t)
				spinSteps := -1
				if s.Errors > 0 {
					spinSteps = s.FirstErrorDepth + 1
				}
				want := fmt.Sprintf("%d states, %d transitions, depth %d, %s %d", s.StatesStored, s.SpecTransitions(), s.Depth, prop, spinSteps)
				steps := -1
				if n := row[6+2*i]; n != "" {
					steps, _ = strconv.Atoi(n)
				}
				got := fmt.Sprintf("%s states, %s transitions, depth %s, %s %d", row[2], row[3], row[4], prop, steps)
				if got != want || s.Truncated {
					t.Errorf("%s, %s: golden %s; SPIN %s (-1: holds)", g.file, row[1], got, want)
				}
			}
		}
	}
}

// TestFuzzGoldenShortestBySPIN: the exhaustive shortest counterexamples of
// fuzz-defaults.golden (reserve's NoStuck, early's GracePeriod at the
// defaults) are the least depths of SPIN's first errors.
func TestFuzzGoldenShortestBySPIN(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "fuzz-defaults.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ design, prop string }{{"reserve", model.PropNoStuck}, {"early", model.PropGracePeriod}} {
		s := spinRecord{c.design, model.DefaultParams(), c.prop, true}.load(t)
		if s.Errors == 0 {
			t.Fatalf("%s %s: SPIN found no error", c.design, c.prop)
		}
		// The property's table row ends with the exhaustive shortest.
		re := regexp.MustCompile(`(?m)^` + c.prop + `\s+VIOLATED\s.*\s(\d+)$`)
		var found bool
		for _, block := range strings.Split(string(text), "rcucheck fuzz: design ")[1:] {
			if !strings.HasPrefix(block, c.design+",") {
				continue
			}
			m := re.FindStringSubmatch(block)
			if m == nil {
				t.Fatalf("%s: no %s row in fuzz-defaults.golden", c.design, c.prop)
			}
			if n, _ := strconv.Atoi(m[1]); n != s.FirstErrorDepth+1 {
				t.Errorf("%s %s: golden exhaustive shortest %d; SPIN's first error at depth %d (%d steps)", c.design, c.prop, n, s.FirstErrorDepth, s.FirstErrorDepth+1)
			}
			found = true
		}
		if !found {
			t.Fatalf("no %s section in fuzz-defaults.golden", c.design)
		}
	}
}
