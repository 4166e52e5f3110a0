package bound

import (
	"context"
	"fmt"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// Point is the outcome at one value of a sweep.
type Point struct {
	// Value is the swept parameter's value.
	Value int `json:"value"`
	// Params are the parameters of the point, with R the least reserve.
	Params model.Params `json:"params"`
	// LeastReserve is the least R under which NoStuck holds (0 for designs
	// without a reserve, which never need one), or -1 when none up to the
	// search's cap does.
	LeastReserve int `json:"least_reserve"`
	// Max are the metric maxima of the exhaustive run at R = LeastReserve.
	Max model.Metrics `json:"max"`
	// States is the number of states of that run; Runs counts the
	// exhaustive runs the search made (one per R tried).
	States uint64 `json:"states"`
	Runs   int    `json:"runs"`
	// Loss says whether the least reserve and the maxima rest on a lossy
	// store (the run that held; the runs that found a stuck state are exact).
	Loss
}

// reserveCap is the largest R the search needs to try: a free gets stuck
// only when every reserve page is held by a pending object of some batch
// or channel, and there are fewer than N*K pending objects before the
// last free.
func reserveCap(p model.Params) int { return p.CPUs * p.Calls }

// LeastReserve explores design d at p for R = 0, 1, 2, ... and returns the
// first point where NoStuck holds, with that run's maxima. A design without
// a reserve is explored once (R is 0 for it). Runs that find a stuck state
// stop at the first one. opt bounds every run (its SkipGoals is forced).
func LeastReserve(ctx context.Context, d model.Design, p model.Params, opt checker.Options) (Point, error) {
	return leastReserve(ctx, d, p, opt, nil)
}

// leastReserve is LeastReserve, telling rp about every run.
func leastReserve(ctx context.Context, d model.Design, p model.Params, opt checker.Options, rp RunProgress) (Point, error) {
	pt := Point{LeastReserve: -1, Loss: exactLoss()}
	opt.SkipGoals = true
	last := reserveCap(p)
	if !hasReserve(d) {
		last = 0
	}
	for r := 0; r <= last; r++ {
		q := p
		q.Reserve = r
		m, err := model.New(d, q)
		if err != nil {
			return pt, fmt.Errorf("least reserve of %s: %w", d.Name(), err)
		}
		res, err := run(ctx, &system{m: m}, rp.on(opt, d.Name()+" "+m.Params().String()), true)
		pt.Runs++
		if err != nil {
			return pt, fmt.Errorf("least reserve of %s at %s: %w", d.Name(), m.Params(), err)
		}
		holds := noStuck(res) == checker.Holds
		pt.Loss.add(res, holds)
		if holds {
			pt.Params = m.Params()
			pt.LeastReserve = r
			pt.Max = maxima(res)
			pt.States = res.States
			return pt, nil
		}
	}
	pt.Params = model.Normalize(d, p)
	return pt, nil
}
