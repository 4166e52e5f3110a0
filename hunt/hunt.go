// Package hunt looks for unbounded memory use at kernel sizes, where the
// exhaustive pumping search of package bound cannot go: it draws
// schedules with gopter (properties.GenScheduleWith over
// properties.GenGrowthProfiles) at workloads K that double, keeps the
// worst schedule of each K for one metric, fits the worst values
// (constant, logarithmic or linear in K, the slope's spread over
// independent seeds), and, when they grow, extracts a repeating part of a
// worst schedule and replays it pumped on the real model (bound.CycleWitness
// and Witness.Pump), so that the verdict "unbounded" rests on a replayed
// witness, not on the fit, and the fit's note says so when the noisy
// worst values do not show the same growth. The repeating part is a piece
// of the schedule between two increments of the metric (whole, or reduced
// to some of its steps), or a page's worth of the frees of the CPU whose
// free or refill raised the metric, taken from the schedule's state there
// (with the workers run until idle, and the shrinker emptying the cache,
// so that the cycle need not starve a worker); a weakly fair one is
// preferred. Sources attribute the metric's increases to the branches of
// the model's actions (e.g. head's pages: refill and free alloc-ok, the
// page allocator's). It sits above both properties and bound.
package hunt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// Config is one hunt.
type Config struct {
	Design model.Design
	// Params give N, B, C and L; the hunt sets K (doubling) and, for a
	// design with a reserve, an R that never runs out.
	Params model.Params
	// Metric is pages, pending or reserve_used.
	Metric string
	Seed   int64
	// Seeds is the number of independent campaigns (seeds Seed,
	// Seed+1, ...) the slope's spread is taken over (default 3).
	Seeds int
	// Schedules is the number of schedules per K and seed (default 2).
	Schedules int
	// MinCalls and MaxCalls bound K, which doubles from MinCalls (default
	// B and 16*B).
	MinCalls, MaxCalls int
	// Pump is the number of repetitions the witness is replayed (default 8).
	Pump int
	// Progress, when set, is told what the hunt does, now and then.
	Progress func(string)
}

// Point is the worst value of the metric found at one K.
type Point struct {
	Calls   int     `json:"calls"`
	Worst   int64   `json:"worst"`
	PerSeed []int64 `json:"per_seed"`
}

// Result is the outcome of a hunt.
type Result struct {
	Design  string `json:"design"`
	Metric  string `json:"metric"`
	Verdict string `json:"verdict"`
	// Fit is the shape fitted to the worst values: constant, logarithmic
	// or linear; Slope the growth per call of the linear fit (mean over the
	// seeds) and SlopeSpread its standard deviation over them.
	Fit         string    `json:"fit"`
	Slope       float64   `json:"slope"`
	SlopeSpread float64   `json:"slope_spread"`
	Slopes      []float64 `json:"slopes"`
	// SlopeErr is the standard error of Slope (SlopeSpread/sqrt(seeds));
	// Noisy says the worst values do not tell the slope from 0 or a
	// logarithm from a line: Slope is under three standard errors.
	SlopeErr float64 `json:"slope_stderr"`
	Noisy    bool    `json:"noisy"`
	// FitNote says in words what the fit is and how it stands to the
	// verdict (which rests on the witness when there is one).
	FitNote string  `json:"fit_note"`
	Points  []Point `json:"points"`
	// Witness is the repeating part of a worst schedule replayed pumped on
	// the real model (nil when none was found); WitnessFrom says which
	// schedule and which part of it.
	Witness     *bound.Witness `json:"witness"`
	WitnessFrom string         `json:"witness_from,omitempty"`
	// GrowthPerCall is the witness's growth of the metric per free of
	// its busiest CPU (the gain of a repetition over that CPU's frees in
	// it): the a of "grows ~ a*K"; 0 without a witness.
	GrowthPerCall float64 `json:"growth_per_call,omitempty"`
	// Sources say which branches of the model's actions raised and
	// lowered the metric in the worst schedules, up to their peaks;
	// WitnessSources the same along one repetition of the witness's cycle.
	Sources        []Source      `json:"sources"`
	WitnessSources []Source      `json:"witness_sources,omitempty"`
	Schedules      int           `json:"schedules"`
	Steps          int64         `json:"steps"`
	Complete       bool          `json:"complete"`
	Elapsed        time.Duration `json:"-"`
}

// Unbounded reports whether the hunt showed growth with a replayed witness.
func (r *Result) Unbounded() bool { return r.Witness != nil }

func (c *Config) defaults() error {
	if c.Design == nil {
		return errors.New("hunt: no design given")
	}
	if _, err := properties.MetricFunc(c.Metric); err != nil {
		return fmt.Errorf("hunt: %w", err)
	}
	c.Seeds = cmp.Or(c.Seeds, 3)
	c.Schedules = cmp.Or(c.Schedules, 2)
	c.Pump = cmp.Or(c.Pump, 8)
	c.MinCalls = cmp.Or(c.MinCalls, max(c.Params.Bulk, 1))
	c.MaxCalls = cmp.Or(c.MaxCalls, 16*c.MinCalls)
	switch {
	case c.Seeds < 1 || c.Schedules < 1 || c.Pump < 2:
		return fmt.Errorf("hunt: seeds and schedules must be >= 1 and pump >= 2")
	case c.MinCalls < 1 || c.MaxCalls < 2*c.MinCalls:
		return fmt.Errorf("hunt: K must double at least once: %d..%d", c.MinCalls, c.MaxCalls)
	case c.MaxCalls > 1_000_000:
		return fmt.Errorf("hunt: K up to %d: at most 10^6", c.MaxCalls)
	}
	return nil
}

// Calls returns the workloads of the hunt: K doubling from MinCalls up to
// MaxCalls.
func (c *Config) Calls() []int {
	var ks []int
	for k := c.MinCalls; k <= c.MaxCalls; k *= 2 {
		ks = append(ks, k)
	}
	return ks
}

// params returns the model's parameters at workload k: R large enough
// never to run out for a design with a reserve.
func (c *Config) params(k int) model.Params {
	p := c.Params
	p.Calls = k
	if model.Normalize(c.Design, model.Params{Reserve: 1}).Reserve > 0 {
		p.Reserve = p.CPUs * (k/max(p.Bulk, 1) + p.Cache + 4)
	}
	return model.Normalize(c.Design, p)
}

// steps is the length of the schedules at workload k: enough for the
// frees of a burst on one CPU to reach K.
func steps(k int) int { return 4*k + 2000 }

// Run hunts: it draws the schedules, fits the worst values and, when they
// grow, looks for a pumped witness. ctx ends it early (Complete false,
// with the points found so far).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	metric, _ := properties.MetricFunc(cfg.Metric)
	res := &Result{Design: cfg.Design.Name(), Metric: cfg.Metric, Complete: true}
	var worst []*properties.Schedule
	for ki, k := range cfg.Calls() {
		pt, w, err := cfg.point(ctx, ki, k, metric, res)
		if err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			res.Complete = false
			break
		}
		res.Points = append(res.Points, pt)
		worst = append(worst, w)
	}
	res.fit()
	if !res.flat() && ctx.Err() == nil {
		cfg.witness(ctx, worst, res)
	}
	res.Sources = cfg.peakSources(worst)
	res.verdict()
	res.Elapsed = time.Since(start)
	return res, nil
}

// flat reports whether the worst value is the same at every K: no
// schedule grew the metric, and no part of one can pump it.
func (r *Result) flat() bool {
	for _, p := range r.Points {
		if p.Worst != r.Points[0].Worst {
			return false
		}
	}
	return true
}

// point draws the schedules of workload k (the ki-th) and returns the
// worst value per seed and the worst schedule.
func (c *Config) point(ctx context.Context, ki, k int, metric func(model.Metrics) int64, res *Result) (Point, *properties.Schedule, error) {
	m, err := model.New(c.Design, c.params(k))
	if err != nil {
		return Point{}, nil, fmt.Errorf("hunt at K = %d: %w", k, err)
	}
	g := properties.GenScheduleWith(m, properties.GenGrowthProfiles(), steps(k))
	pt := Point{Calls: k, Worst: math.MinInt64}
	var worst *properties.Schedule
	for s := 0; s < c.Seeds; s++ {
		seedWorst := int64(math.MinInt64)
		for i := 0; i < c.Schedules && ctx.Err() == nil; i++ {
			v, ok := g(properties.RunParams(c.Seed+int64(s), ki*c.Schedules+i, steps(k))).Retrieve()
			if !ok {
				return pt, nil, fmt.Errorf("hunt at K = %d: the generator gave no schedule", k)
			}
			sc := v.(*properties.Schedule)
			peak, n := properties.Peak(sc, metric)
			res.Schedules++
			res.Steps += int64(n)
			seedWorst = max(seedWorst, peak)
			if peak > pt.Worst {
				pt.Worst, worst = peak, sc
			}
		}
		pt.PerSeed = append(pt.PerSeed, seedWorst)
		if c.Progress != nil {
			c.Progress(fmt.Sprintf("K = %d, seed %d: worst %s %d (%d schedules, %d steps so far)", k, c.Seed+int64(s), c.Metric, seedWorst, res.Schedules, res.Steps))
		}
	}
	return pt, worst, nil
}
