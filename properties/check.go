package properties

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

// Environment variables read by Check (a test binary's flags belong to the
// user, so Check does not define any).
const (
	// EnvSeed sets Check's seed (default 1, so tests are reproducible).
	EnvSeed = "RCUCHECK_SEED"
	// EnvRuns sets Check's number of runs (default 300).
	EnvRuns = "RCUCHECK_RUNS"
)

// Check fuzzes design d at parameters p and fails t for every property of
// props (default: NoStuck and GracePeriod) that some schedule violates,
// printing the seed, the run and the shrunk witness step by step. The seed
// and the number of runs come from $RCUCHECK_SEED and $RCUCHECK_RUNS
// (defaults 1 and 300).
func Check(t testing.TB, d model.Design, p model.Params, props ...Property) {
	t.Helper()
	cfg := Config{Design: d, Params: p, Props: props, Seed: 1, Runs: 300}
	if v := os.Getenv(EnvSeed); v != "" {
		seed, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("$%s=%q: not an integer", EnvSeed, v)
		}
		cfg.Seed = seed
	}
	if v := os.Getenv(EnvRuns); v != "" {
		runs, err := strconv.Atoi(v)
		if err != nil || runs < 1 {
			t.Fatalf("$%s=%q: want a positive integer", EnvRuns, v)
		}
		cfg.Runs = runs
	}
	CheckConfig(t, cfg)
}

// CheckConfig is Check with a full Config.
func CheckConfig(t testing.TB, cfg Config) {
	t.Helper()
	ctx := context.Background()
	if dl, ok := t.(interface {
		Context() context.Context
	}); ok {
		ctx = dl.Context()
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("rcucheck properties: %v", err)
	}
	for _, pr := range res.Props {
		if pr.Holds {
			continue
		}
		t.Errorf("%s", FormatWitness(pr.Witness))
	}
}

// FormatWitness describes a witness for a test log: the property, the
// seed and run that found it, how to reproduce it, and its steps with the
// metrics after each.
func FormatWitness(w *Witness) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s violated by design %s at %s: seed %d, run %d (profile %s); shrunk from %d to %d steps",
		w.Property, w.Design.Name(), w.Params, w.Seed, w.Run, w.Profile, w.UnshrunkLength, len(w.Actions))
	if w.Shortest >= 0 {
		fmt.Fprintf(&b, " (exhaustive shortest: %d)", w.Shortest)
	}
	fmt.Fprintf(&b, "\nreproduce: %s=%d go test -run '<this test>'", EnvSeed, w.Seed)
	if _, err := model.LookupDesign(w.Design.Name()); err == nil {
		fmt.Fprintf(&b, "   or: rcucheck fuzz --design %s --cpus %d --bulk %d --cache %d --reserve %d --calls %d --limit %d --seed %d",
			w.Design.Name(), w.Params.CPUs, w.Params.Bulk, w.Params.Cache, w.Params.Reserve, w.Params.Calls, w.Params.Limit, w.Seed)
	}
	steps, err := w.Steps(false)
	if err != nil {
		fmt.Fprintf(&b, "\n(cannot replay the witness: %v)", err)
		return b.String()
	}
	for i, s := range steps {
		fmt.Fprintf(&b, "\n  %3d  %-28s pages=%d pending=%d reserve_used=%d", i+1, s.Action, s.Pages, s.Pending, s.ReserveUsed)
	}
	return b.String()
}
