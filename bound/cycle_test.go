package bound

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

// A cycle given from outside pumps exactly as the search's own: the
// witness FindWitness finds, rebuilt by CycleWitness from its prefix and
// cycle, replays to the same figures; a cycle that does not grow, or that
// is not enabled, is refused.
func TestCycleWitness(t *testing.T) {
	d := design(t, "reserve")
	p := oneCPU()
	w, err := FindWitness(context.Background(), d, p, FigureReserveUsed, WitnessOptions{Limit: 3})
	if err != nil || w == nil {
		t.Fatalf("no witness: %v", err)
	}
	if err := w.Pump(d, 6); err != nil {
		t.Fatal(err)
	}
	prefix, cycle := w.Actions()
	c, err := CycleWitness(d, p, FigureReserveUsed, prefix, cycle)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Pump(d, 6); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Replay, w.Replay) || c.Gain != w.Gain || c.Fair != w.Fair || !c.Linear {
		t.Errorf("rebuilt witness replays %v (gain %d, fair %v), the search's %v (gain %d, fair %v)", c.Replay, c.Gain, c.Fair, w.Replay, w.Gain, w.Fair)
	}
	rl := model.Action{Kind: model.KindReadLock}
	tests := []struct {
		name          string
		prefix, cycle []model.Action
		err           string
	}{
		{"no growth", nil, []model.Action{rl, {Kind: model.KindReadUnlock}}, "grows by 0"},
		{"not enabled", nil, []model.Action{rl, rl}, "cycle step 2"},
		{"empty", prefix, nil, "empty cycle"},
	}
	for _, tc := range tests {
		if _, err := CycleWitness(d, p, FigureReserveUsed, tc.prefix, tc.cycle); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.err)
		}
	}
}
