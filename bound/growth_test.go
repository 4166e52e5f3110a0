package bound

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// GrowthEvidence is the one standard behind "grows with K": a cycle
// replayed on the real model, linear, weakly fair, and replayed at the
// caller's own R. reserve's pages at R = 1 grow only with a larger reserve.
func TestGrowthEvidence(t *testing.T) {
	p := oneCPU()
	p.Reserve = 1
	tests := []struct {
		design, fig string
		shown       bool
		why         string
	}{
		{"head", FigurePages, true, "weakly fair"},
		{"reserve", FigurePages, false, "needs more than R = 1"},
		{"reserve", FigureLeastReserve, true, "replayed 8 times on the real model"},
		{"limit", FigureLeastReserve, false, "no pumping cycle found"},
	}
	for _, tc := range tests {
		g, err := GrowthEvidence(context.Background(), design(t, tc.design), p, tc.fig, GrowthOptions{Witness: WitnessOptions{Limit: 3}})
		if err != nil || g.Shown() != tc.shown || !strings.Contains(g.Why, tc.why) {
			t.Errorf("%s %s: shown %v (want %v), why %q (want %q), err %v", tc.design, tc.fig, g.Shown(), tc.shown, g.Why, tc.why, err)
		}
	}
}

// The witness search keeps --max-memory: with a cap its states do not fit
// under, it stops as incomplete (ErrIncomplete), and so do bound.Analyze
// and the claims that rest on it. Before, the search ignored the cap and
// took what memory it needed.
func TestWitnessSearchMemoryCap(t *testing.T) {
	d := design(t, "reserve")
	_, err := FindWitness(context.Background(), d, model.DefaultParams(), FigurePages, WitnessOptions{Limit: 4, MaxMemory: 64 << 10})
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "memory limit") {
		t.Errorf("FindWitness under 64 KiB: %v, want ErrIncomplete", err)
	}
	// limit has no pumpable cycle: without a proof the search explores
	// up to its 2e6 states (about 2 GB with the collector's headroom). The
	// sweep fits under 32 MiB, the search does not.
	s := Sweep{Param: "calls", Values: []int{1, 2}}
	r, err := Analyze(context.Background(), design(t, "limit"), model.DefaultParams(), s, Options{Figure: FigurePages, NoProof: true, Check: checker.Options{MaxMemory: 32 << 20}})
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "witness search") || r == nil || len(r.Points) != 2 {
		t.Errorf("Analyze under 32 MiB: %v (points %d), want the sweep and ErrIncomplete", err, len(r.Points))
	}
}
