package properties

import (
	"cmp"
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
	// EnvRun runs only the run of this index (the rerun line of a
	// failure sets it), as Config.Start with one run.
	EnvRun = "RCUCHECK_RUN"
)

// Check fuzzes design d at parameters p and fails t for every property of
// props (default: NoStuck and GracePeriod) that some schedule violates,
// printing the seed, the run, gopter's shrinks, a line that reruns the same
// case, and the shrunk witness step by step. The seed and the number of
// runs come from $RCUCHECK_SEED and $RCUCHECK_RUNS (defaults 1 and 300);
// $RCUCHECK_RUN=I runs run I alone.
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
	if v := os.Getenv(EnvRun); v != "" {
		run, err := strconv.Atoi(v)
		if err != nil || run < 0 {
			t.Fatalf("$%s=%q: want a run index >= 0", EnvRun, v)
		}
		cfg.Start, cfg.Runs = run, 1
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
		w := pr.Witness
		t.Errorf("%s\nrerun this case: %s=%d %s=%d go test -run '^%s$'", FormatWitness(w), EnvSeed, w.Seed, EnvRun, w.Run, t.Name())
	}
}

// FormatWitness describes a witness for a test log: the property, the
// seed and run (gopter's test) that found it, gopter's shrinks, a rerun
// line for rcucheck fuzz when the design is a built-in one, and its steps
// with the metrics after each.
func FormatWitness(w *Witness) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s violated by design %s at %s: gopter seed %d, test (run) %d (profile %s); shrunk from %d to %d steps in %d shrinks (%d replays)",
		w.Property, w.Design.Name(), w.Params, w.Seed, w.Run, w.Profile, w.UnshrunkLength, len(w.Actions), w.Shrinks, w.ShrinkReplays)
	if w.Shortest >= 0 {
		fmt.Fprintf(&b, " (exhaustive shortest: %d)", w.Shortest)
	}
	if line := RerunLine(w); line != "" {
		fmt.Fprintf(&b, "\nrerun: %s", line)
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

// RerunLine is the rcucheck fuzz command that runs the witness's run
// alone with the campaign's settings (so gopter draws and shrinks the same
// schedule), or "" when its design is not a built-in one.
func RerunLine(w *Witness) string {
	if _, err := model.LookupDesign(w.Design.Name()); err != nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rcucheck fuzz --design %s", w.Design.Name())
	if w.GenParams {
		b.WriteString(" --gen-params")
	} else {
		p := w.Params
		fmt.Fprintf(&b, " --cpus %d --bulk %d --cache %d --reserve %d --calls %d --limit %d", p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Calls, p.Limit)
	}
	if w.MaxSteps > 0 {
		fmt.Fprintf(&b, " --steps %d", w.MaxSteps)
	}
	fmt.Fprintf(&b, " --profile %s --seed %d --run %d", cmp.Or(w.CampaignProfile, "mixed"), w.Seed, w.Run)
	return b.String()
}
