package traces

import (
	"context"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

func mustModel(t testing.TB, design string, p model.Params) *model.Model {
	t.Helper()
	m, err := model.NewByName(design, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRandomRunsOfCorrectDesigns: thousands of random executions of the
// four correct designs give linearizable histories; early gives
// non-linearizable ones.
func TestRandomRuns(t *testing.T) {
	p := model.Params{CPUs: 3, Bulk: 2, Cache: 1, Reserve: 2, Calls: 4, Limit: 2}
	runs := 1000
	if testing.Short() {
		runs = 200
	}
	for _, tc := range []struct {
		design  string
		wantBad bool
	}{
		{"head", false}, {"sync", false}, {"reserve", false}, {"limit", false}, {"early", true},
	} {
		t.Run(tc.design, func(t *testing.T) {
			m := mustModel(t, tc.design, p)
			bad, overlapping := 0, 0
			for seed := int64(1); seed <= int64(runs); seed++ {
				path := RandomPath(m, seed, 80)
				h, err := FromModelPath(m, path, PathOptions{Seed: seed, Complete: true})
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if hasOverlap(h) {
					overlapping++
				}
				res, err := Check(context.Background(), h, CheckOptions{})
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				switch res.Verdict {
				case NotLinearizable:
					bad++
					if !tc.wantBad {
						t.Fatalf("seed %d: %s history not linearizable: %+v", seed, tc.design, res.Failures)
					}
				case Unknown:
					t.Fatalf("seed %d: unknown without a timeout", seed)
				}
			}
			t.Logf("%s: %d/%d runs not linearizable, %d with overlapping operations of different clients", tc.design, bad, runs, overlapping)
			if tc.wantBad && bad == 0 {
				t.Fatalf("no random run of %s was found non-linearizable", tc.design)
			}
			if overlapping < runs/2 {
				t.Fatalf("only %d of %d histories have overlapping operations", overlapping, runs)
			}
		})
	}
}

// hasOverlap reports whether two operations of different clients overlap
// in time in a way that gives Porcupine a choice of order.
func hasOverlap(h *History) bool {
	ops := h.Ops()
	for i := range ops {
		for j := i + 1; j < len(ops); j++ {
			a, b := ops[i], ops[j]
			if a.Client == b.Client || a.Return == nil || b.Return == nil {
				continue
			}
			if *a.Call < *b.Return && *b.Call < *a.Return {
				return true
			}
		}
	}
	return false
}

// TestShortestCounterexample: the checker's shortest GracePeriod
// counterexample of early converts into a non-linearizable history, and
// the witnesses of the correct designs into linearizable ones.
func TestCheckerTraces(t *testing.T) {
	p := model.DefaultParams()
	p.Calls = 2
	for _, design := range []string{"early", "head", "sync"} {
		t.Run(design, func(t *testing.T) {
			m := mustModel(t, design, p)
			rep, err := model.Check(context.Background(), m.Design(), m.Params(), checker.Options{})
			if err != nil {
				t.Fatal(err)
			}
			hs, err := FromReport(m, rep)
			if err != nil {
				t.Fatal(err)
			}
			if len(hs) == 0 {
				t.Fatal("no history from the report")
			}
			for _, h := range hs {
				res, err := Check(context.Background(), h, CheckOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if h.Header.Expected != "" && res.Verdict != h.Header.Expected {
					t.Errorf("%s: verdict %s, expected %s; failures %+v", h.Header.Label, res.Verdict, h.Header.Expected, res.Failures)
				}
				t.Logf("%s: %s (%d ops)", h.Header.Label, res.Verdict, res.Operations)
			}
		})
	}
}
