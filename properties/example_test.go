package properties_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// cacheFirst is a user's own design, as it would live in their project: the
// reserve design, but reclaimed pages refill the per-CPU cache before the
// emergency reserve.
func cacheFirst() model.Design {
	d, _ := model.LookupDesign("reserve")
	p := d.(model.Policies)
	p.DesignName = "cache-first"
	p.ReclaimPolicy = model.ReclaimCacheFirst
	return p
}

// TestUserSuite checks designs the way a user would in their own project:
// one line per design and property set. It fails with the seed and the
// shrunk witness when a property is violated.
func TestUserSuite(t *testing.T) {
	p := model.Params{CPUs: 4, Bulk: 16, Cache: 2, Reserve: 2, Calls: 200, Limit: 4}
	for _, name := range []string{"head", "sync"} {
		d, err := model.LookupDesign(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			// The spec's invariants and a memory bound of the user's: pages
			// stay below the caches plus what the pending objects fill, plus
			// two half-filled pages per CPU channel and batch.
			bound, err := properties.Bound("pages <= N*C + pending + 3*N")
			if err != nil {
				t.Fatal(err)
			}
			properties.Check(t, d, p, properties.NoStuck(), properties.GracePeriod(), bound)
		})
	}
}

// A failing check, as a user sees it: the test log names the property, the
// seed and the shrunk witness. Here the failure is expected, so the test
// runs Check on a recorder and asserts on what it reported.
func TestUserSuiteReportsViolation(t *testing.T) {
	rec := &recorder{TB: t}
	properties.Check(rec, cacheFirst(), model.DefaultParams())
	if len(rec.errors) != 1 {
		t.Fatalf("want one failure (NoStuck), got %d: %q", len(rec.errors), rec.errors)
	}
	t.Logf("what a user would read:\n%s", rec.errors[0])
}

type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

// Fuzz the reserve design at the spec's defaults and print the shrunk
// witness of its NoStuck violation.
func ExampleRun() {
	d, _ := model.LookupDesign("reserve")
	res, err := properties.Run(context.Background(), properties.Config{
		Design: d, Params: model.DefaultParams(), Props: []properties.Property{properties.NoStuck()},
		Seed: 1, Runs: 1000,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := res.Props[0].Witness
	fmt.Printf("%s violated: %d steps\n", w.Property, len(w.Actions))
	for _, a := range w.Actions {
		fmt.Println(" ", a)
	}
	// Output:
	// NoStuck violated: 4 steps
	//   shrink(0)
	//   free(0) reserve
	//   shrink(1)
	//   free(1) stuck
}

// A user's gopter suite: its own property beside rcucheck's NoStuck and
// GracePeriod, in one gopter.Properties run. The schedules of rcucheck's
// properties are drawn and shrunk by gopter, so a violation reaches the
// suite's reporter as gopter reports any counterexample: the shrunk
// argument, the original, and the number of shrinks.
func TestUserGopterSuite(t *testing.T) {
	tests := []struct {
		design   string
		failing  string // the rcucheck property the suite must report, "" none
		shortest int    // the exhaustive shortest counterexample
	}{
		{"head", "", 0},
		{"reserve", "NoStuck", 4},
		{"early", "GracePeriod", 7},
	}
	for _, tc := range tests {
		d, err := model.LookupDesign(tc.design)
		if err != nil {
			t.Fatal(err)
		}
		m, err := model.New(d, model.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		params := gopter.DefaultTestParametersWithSeed(7)
		params.MinSuccessfulTests = 400
		suite := gopter.NewProperties(params)
		suite.Property("user: reversing twice is the identity", prop.ForAll(func(xs []int) bool {
			ys := slices.Clone(xs)
			slices.Reverse(ys)
			slices.Reverse(ys)
			return slices.Equal(xs, ys)
		}, gen.SliceOf(gen.Int())))
		suite.Property("rcucheck: NoStuck", properties.Prop(m, nil, 0, properties.NoStuck()))
		suite.Property("rcucheck: GracePeriod", properties.Prop(m, nil, 0, properties.GracePeriod()))
		var out bytes.Buffer
		ok := suite.Run(gopter.NewFormatedReporter(false, 160, &out))
		report := out.String()
		if ok != (tc.failing == "") || !strings.Contains(report, "+ user: reversing twice is the identity: OK") {
			t.Fatalf("%s: suite passed %v:\n%s", tc.design, ok, report)
		}
		if tc.failing == "" {
			continue
		}
		// gopter's report: "! rcucheck: NoStuck: Falsified after 36 passed
		// tests.", the label, then ARG_0 (the shrunk schedule) and
		// ARG_0_ORIGINAL (N shrinks): the compact value gopter drew.
		re := regexp.MustCompile(`! rcucheck: ` + tc.failing + `: Falsified after \d+ passed tests\.\n` +
			`> Labels of failing property: ` + tc.failing + ` violated after step (\d+)\nARG_0: (\d+) steps:[^\n]*\nARG_0_ORIGINAL \((\d+) shrinks\): walk of seed`)
		g := re.FindStringSubmatch(report)
		if g == nil {
			t.Fatalf("%s: no shrunk %s counterexample in the report:\n%s", tc.design, tc.failing, report)
		}
		n, _ := strconv.Atoi(g[2])
		if g[1] != g[2] || g[3] == "0" || n < tc.shortest || 2*n > 3*tc.shortest {
			t.Errorf("%s: shrunk to %s steps (label: step %s) in %s shrinks; exhaustive shortest %d:\n%s", tc.design, g[2], g[1], g[3], tc.shortest, report)
		}
		t.Logf("what the user's suite reports:\n%s", report)
	}
}
