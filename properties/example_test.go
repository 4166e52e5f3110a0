package properties_test

import (
	"context"
	"fmt"
	"testing"

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
	//   shrink(1)
	//   free(1) reserve
	//   shrink(0)
	//   free(0) stuck
}
