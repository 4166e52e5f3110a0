package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rcucheck/rcucheck/hunt"
	"github.com/rcucheck/rcucheck/model"
	"github.com/spf13/pflag"
)

// huntOpts are fuzz's flags of --hunt.
type huntOpts struct {
	kind, metric                    string
	seeds, runs, minCalls, maxCalls int
	pump                            int
}

func (h *huntOpts) register(fs *pflag.FlagSet) {
	fs.StringVar(&h.kind, "hunt", "", "hunt instead of checking properties: 'growth' draws schedules at K doubling and looks for unbounded growth of --metric, with a replayed pumped witness")
	fs.StringVar(&h.metric, "metric", model.MetricReserve, "the metric --hunt growth follows: pages, pending or reserve_used")
	fs.IntVar(&h.seeds, "hunt-seeds", 3, "--hunt: independent seeds (the seed, seed+1, ...) the slope's spread is taken over")
	fs.IntVar(&h.runs, "hunt-runs", 2, "--hunt: schedules per K and seed")
	fs.IntVar(&h.minCalls, "hunt-min-calls", 0, "--hunt: the smallest K (0: B)")
	fs.IntVar(&h.maxCalls, "hunt-max-calls", 0, "--hunt: the largest K (0: 16 times the smallest)")
	fs.IntVar(&h.pump, "hunt-pump", 8, "--hunt: repetitions of the witness's cycle replayed on the real model")
}

// huntReport is fuzz --hunt's JSON.
type huntReport struct {
	Design string       `json:"design"`
	Params model.Params `json:"params"`
	Seed   int64        `json:"seed"`
	Hunt   *hunt.Result `json:"hunt"`
}

// runHunt runs --hunt growth on every design given and prints it. Exit 1
// when a design's metric is shown unbounded, 3 when interrupted.
func runHunt(ctx context.Context, e *env, o *fuzzOpts) (int, error) {
	if o.hunt.kind != "growth" {
		return exitUsage, usagef("--hunt: unknown hunt %q (want growth)", o.hunt.kind)
	}
	if !o.seedSet() {
		o.seed = time.Now().UnixNano() & (1<<53 - 1)
	}
	ms, err := o.mf.models()
	if err != nil {
		return exitUsage, err
	}
	var reps []huntReport
	code := exitOK
	for _, m := range ms {
		cfg := hunt.Config{Design: m.Design(), Params: m.Params(), Metric: o.hunt.metric, Seed: o.seed, Seeds: o.hunt.seeds,
			Schedules: o.hunt.runs, MinCalls: o.hunt.minCalls, MaxCalls: o.hunt.maxCalls, Pump: o.hunt.pump}
		label := "fuzz --hunt " + m.Design().Name()
		if !o.quiet {
			fmt.Fprintf(e.stderr, "%s: seed %d\n", label, o.seed)
			cfg.Progress = func(s string) { fmt.Fprintf(e.stderr, "%s: %s\n", label, s) }
		}
		r, err := hunt.Run(ctx, cfg)
		if err != nil {
			return exitUsage, usagef("%v", err)
		}
		if !o.quiet {
			fmt.Fprintf(e.stderr, "%s: %d schedules, %d steps in %s (%.0f steps/s)\n", label, r.Schedules, r.Steps, r.Elapsed.Round(time.Millisecond), float64(r.Steps)/max(r.Elapsed.Seconds(), 1e-9))
		}
		reps = append(reps, huntReport{Design: m.Design().Name(), Params: m.Params(), Seed: o.seed, Hunt: r})
		switch {
		case !r.Complete:
			code = exitIncomplete
		case r.Unbounded() && code == exitOK:
			code = exitViolated
		}
	}
	if o.asJSON {
		return code, writeJSON(e.stdout, reps, len(reps) > 1)
	}
	for i, r := range reps {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		printHunt(e.stdout, r)
	}
	return code, nil
}

// printHunt writes one design's hunt: the worst value per K, the fit and
// the verdict, and the witness. No wall-clock figure: same seed, same bytes.
func printHunt(w io.Writer, r huntReport) {
	h := r.Hunt
	fmt.Fprintf(w, "rcucheck fuzz --hunt growth: design %s, %s (K doubling, R without limit), seed %d, metric %s\n", r.Design, r.Params, r.Seed, h.Metric)
	fmt.Fprintf(w, "%d schedules drawn by gopter, %d steps\n\n", h.Schedules, h.Steps)
	fmt.Fprintf(w, "%10s  %8s  %s\n", "K", "worst", "worst per seed")
	for _, p := range h.Points {
		per := make([]string, len(p.PerSeed))
		for i, v := range p.PerSeed {
			per[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(w, "%10d  %8d  %s\n", p.Calls, p.Worst, strings.Join(per, " "))
	}
	fmt.Fprintf(w, "\nfit: %s\n", h.FitNote)
	fmt.Fprintf(w, "slopes per seed (linear fit of each seed's worst values): %s\n", slopes(h.Slopes))
	fmt.Fprintf(w, "verdict: %s\n", h.Verdict)
	fmt.Fprintf(w, "%s of the worst schedules (up to their peaks) by branch: %s\n", h.Metric, hunt.SourcesText(h.Sources))
	if wt := h.Witness; wt != nil {
		fmt.Fprintf(w, "witness: %s; cycle of %d steps: %s\n", h.WitnessFrom, len(wt.Cycle), runLength(wt.Cycle))
		fmt.Fprintf(w, "replayed on the real model (K = %d, R = %d): %s %v; fair: %v (starved: %s)\n", wt.ReplayCalls, wt.ReplayR, wt.Metric, wt.Replay, wt.Fair, orNone(wt.Starved))
		fmt.Fprintf(w, "%s along one repetition of the cycle by branch: %s\n", h.Metric, hunt.SourcesText(h.WitnessSources))
	}
	if !h.Complete {
		fmt.Fprintln(w, "INTERRUPTED: the points above are all that ran")
	}
}

// slopes formats the seeds' slopes.
func slopes(xs []float64) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("%.4g", x)
	}
	return strings.Join(out, " ")
}

// runLength joins steps, a run of equal ones as "step x n".
func runLength(steps []string) string {
	var parts []string
	for i := 0; i < len(steps); {
		j := i
		for j < len(steps) && steps[j] == steps[i] {
			j++
		}
		if j-i > 1 {
			parts = append(parts, fmt.Sprintf("%s x %d", steps[i], j-i))
		} else {
			parts = append(parts, steps[i])
		}
		i = j
	}
	return strings.Join(parts, ", ")
}
