package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/internal/fileout"
	"github.com/rcucheck/rcucheck/model"
	"github.com/spf13/pflag"
)

// boundRun is a bound command line, parsed and checked: nothing of it is
// explored yet.
type boundRun struct {
	mf                         modelFlags
	lf                         limitFlags
	sw                         bound.Sweep
	ds                         []model.Design
	figure                     string
	window, pump, witnessLimit int
	noProof, asJSON            bool
	plotPath, witnessOut       string
	sweepText                  string
	sf                         shardFlags
}

// boundFlags defines bound's flags on fs and returns bound's run.
func boundFlags(fs *pflag.FlagSet) runFunc {
	b := registerBound(fs)
	return func(ctx context.Context, e *env, _ []string) (int, error) {
		if err := b.validate(); err != nil {
			return exitUsage, err
		}
		if err := b.sf.resolve("plot", "witness-out"); err != nil {
			return exitUsage, err
		}
		return runBound(ctx, e, b)
	}
}

// parseBound reads and checks bound's flags in args (flags alone): every
// bad value is a usage error of one line, found before any exploration.
func parseBound(_ *env, args []string) (*boundRun, error) {
	fs := pflag.NewFlagSet("bound", pflag.ContinueOnError)
	b := registerBound(fs)
	if err := parseFlagSet(fs, args); err != nil {
		return nil, err
	}
	return b, b.validate()
}

// registerBound defines bound's flags on fs, into the boundRun returned.
func registerBound(fs *pflag.FlagSet) *boundRun {
	b := &boundRun{}
	b.mf.register(fs, "reserve")
	// Sweeps explore many instances: one CPU unless asked.
	b.mf.params.CPUs = 1
	fs.Lookup("cpus").DefValue = "1"
	b.lf.register(fs)
	fs.StringVar(&b.sweepText, "sweep", "calls=1..6", "the parameter and its values: PARAM=A..B or PARAM=V1,V2 (PARAM: "+strings.Join(bound.SweepParams(), ", ")+")")
	fs.StringVar(&b.figure, "figure", bound.FigureLeastReserve, "the figure classified: "+strings.Join(bound.Figures(), ", "))
	fs.IntVar(&b.window, "window", 3, "a plateau is this many equal values at the end of the sweep (>= 2)")
	fs.IntVar(&b.pump, "pump", 8, "repetitions of a pumpable cycle replayed on the real model (1..1000)")
	fs.IntVar(&b.witnessLimit, "witness-limit", 4, "the witness search explores up to this many pages per channel or batch (1..64)")
	fs.BoolVar(&b.noProof, "no-proof", false, "skip the counter-abstraction proof")
	fs.BoolVar(&b.asJSON, "json", false, "print the results as JSON (a list with several designs)")
	fs.StringVar(&b.plotPath, "plot", "", "draw the figure against the swept parameter into this file (.svg, .png or .pdf)")
	fs.StringVar(&b.witnessOut, "witness-out", "", "save the pumpable witness(es) as JSON into this file")
	b.sf.register(fs, "bound.json", "sweep points (of every design)")
	return b
}

// validate checks the parsed flags and resolves the sweep and the designs.
func (b *boundRun) validate() error {
	var err error
	if b.sw, err = bound.ParseSweep(b.sweepText); err != nil {
		return usageError{fmt.Errorf("--sweep: %w", err)}
	}
	if len(b.sw.Values) < 2 {
		return usagef("--sweep: need at least 2 values, got %d", len(b.sw.Values))
	}
	switch {
	case !slices.Contains(bound.Figures(), b.figure):
		return usagef("--figure: unknown figure %q (want one of %s)", b.figure, strings.Join(bound.Figures(), ", "))
	case b.window < 2 || b.window > bound.MaxSweepPoints:
		return usagef("--window: must be between 2 and %d, got %d", bound.MaxSweepPoints, b.window)
	case b.pump < 1 || b.pump > 1000:
		return usagef("--pump: must be between 1 and 1000, got %d", b.pump)
	case b.witnessLimit < 1 || b.witnessLimit > 64:
		return usagef("--witness-limit: must be between 1 and 64, got %d", b.witnessLimit)
	}
	if b.plotPath != "" {
		if err := bound.CheckPlotPath(b.plotPath); err != nil {
			return usageError{fmt.Errorf("--plot: %w", err)}
		}
	}
	if b.witnessOut != "" {
		if err := fileout.CheckWritable(b.witnessOut); err != nil {
			return usageError{fmt.Errorf("--witness-out: %w", err)}
		}
	}
	if b.ds, err = b.mf.designs(); err != nil {
		return err
	}
	for _, d := range b.ds {
		if err := b.sw.ValidateAnalysis(d, b.mf.params, bound.Options{NoProof: b.noProof, WitnessLimit: b.witnessLimit}); err != nil {
			return usageError{err}
		}
	}
	return nil
}

// runBound analyses every design of b, or, with --shard, its shard's
// points (runBoundShard).
func runBound(ctx context.Context, e *env, b *boundRun) (int, error) {
	if !b.sf.sh.Whole() {
		return runBoundShard(ctx, e, b)
	}
	results, incomplete, err := b.analyze(ctx, e, nil)
	if err != nil {
		return exitUsage, err
	}
	return b.report(e, results, incomplete)
}

// options are the bound.Options of b's analysis of design d, with progress
// on e.stderr.
func (b *boundRun) options(e *env, d model.Design) bound.Options {
	opt := bound.Options{
		Figure: b.figure, Window: b.window, Pump: b.pump, WitnessLimit: b.witnessLimit, NoProof: b.noProof,
		Check: b.lf.options(e.stderr, "bound "+d.Name()), RunProgress: runProgress(e.stderr, "bound", &b.lf),
	}
	opt.Check.Progress = nil // RunProgress says which run it is
	if !b.lf.quiet {
		opt.Progress = func(s string) { fmt.Fprintf(e.stderr, "bound: %s\n", s) }
	}
	return opt
}

// sweptPoints returns the points of the sweep of the i-th design of b
// computed elsewhere (by the shards of the run), and the error that
// stopped the sweep early (nil when every point is there).
type sweptPoints func(i int) ([]bound.Point, error)

// analyze analyses every design of b in order (bound.Analyze; with
// points, bound.Conclude on the points given), until one is stopped by a
// limit or an interruption: the results so far, whether one was stopped,
// and an error for bad input.
func (b *boundRun) analyze(ctx context.Context, e *env, points sweptPoints) ([]*bound.Result, bool, error) {
	var results []*bound.Result
	for i, d := range b.ds {
		opt := b.options(e, d)
		var r *bound.Result
		var err error
		if points == nil {
			r, err = bound.Analyze(ctx, d, b.mf.params, b.sw, opt)
		} else {
			pts, perr := points(i)
			r, err = bound.Conclude(ctx, d, b.mf.params, b.sw, pts, perr, opt)
		}
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, bound.ErrIncomplete) {
				return nil, false, err
			}
			// Interrupted or a limit hit: report what was found so far.
			fmt.Fprintf(e.stderr, "rcucheck bound: %s: %v\n", d.Name(), err)
			if r != nil && len(r.Points) > 0 {
				r.Verdict = "incomplete"
				results = append(results, r)
			}
			return results, true, nil
		}
		results = append(results, r)
	}
	return results, false, nil
}

// boundJSON is what bound --json prints of results: a list with several,
// else the one result (an empty list with none).
func boundJSON(results []*bound.Result) any {
	if len(results) == 1 {
		return results[0]
	}
	return append([]*bound.Result{}, results...)
}

// report prints results (JSON with --json, else the text), writes --out,
// --plot and --witness-out, and returns the exit code.
func (b *boundRun) report(e *env, results []*bound.Result, incomplete bool) (int, error) {
	if b.asJSON {
		if err := writeJSON(e.stdout, []any{boundJSON(results)}, false); err != nil {
			return exitUsage, err
		}
	} else {
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			printBound(e.stdout, r)
		}
	}
	if err := b.sf.write(boundJSON(results)); err != nil {
		return exitUsage, err
	}
	if b.plotPath != "" && len(results) > 0 {
		if err := bound.WritePlot(results, b.plotPath); err != nil {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "bound: plot written to %s\n", b.plotPath)
	}
	if b.witnessOut != "" {
		var ws []*bound.Witness
		for _, r := range results {
			if r.Witness != nil {
				ws = append(ws, r.Witness)
			}
		}
		err := bound.WriteFileAtomic(b.witnessOut, func(f io.Writer) error {
			return writeJSON(f, []any{ws}, false)
		})
		if err != nil {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "bound: %d witness(es) written to %s\n", len(ws), b.witnessOut)
	}
	if incomplete || len(results) < len(b.ds) {
		return exitIncomplete, nil
	}
	return exitOK, nil
}

// printBound writes one result: the points, the trend and formula, the
// verdict for every K and its evidence.
func printBound(w io.Writer, r *bound.Result) {
	b := r.Base
	fmt.Fprintf(w, "rcucheck bound: design %s, sweep %s, N=%d B=%d C=%d L=%d, figure %s\n\n",
		r.Design, r.Sweep, b.CPUs, b.Bulk, b.Cache, b.Limit, r.Figure)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tleast R\tmax pages\tmax pending\tmax reserve_used\tstates\truns\n", r.Sweep.Param)
	for _, pt := range r.Points {
		least := fmt.Sprint(pt.LeastReserve)
		if pt.LeastReserve < 0 {
			least = "none"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t%d\n", pt.Value, least, pt.Max.Pages, pt.Max.Pending, pt.Max.ReserveUsed, pt.States, pt.Runs)
	}
	tw.Flush()
	fmt.Fprintln(w)
	switch r.Trend.Kind {
	case bound.TrendPlateau:
		fmt.Fprintf(w, "trend:   plateau at %d from %s=%d (the last %d points are equal)\n", r.Trend.Value, r.Sweep.Param, r.Trend.From, r.Trend.Window)
	case "":
	default:
		fmt.Fprintf(w, "trend:   %s (over the last %d points)\n", r.Trend.Kind, r.Trend.Window)
	}
	if f := r.Formula; f != nil {
		fmt.Fprintf(w, "formula: %s = %s (%s, not proved)", r.Figure, f.Text, f.FitOn)
		if len(f.Also) > 0 {
			fmt.Fprintf(w, " (also fits: %s)", strings.Join(f.Also, "; "))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "formula: none of the family fits every point")
	}
	verdict := strings.ToUpper(r.Verdict)
	switch {
	case r.Verdict == bound.VerdictBounded:
		verdict += fmt.Sprintf(": %s <= %d for every K", r.Figure, *r.Bound)
	case r.Verdict == bound.VerdictBoundedUpTo:
		verdict += fmt.Sprintf(": %s <= %d up to K = %d, nothing stronger", r.Figure, *r.Bound, r.UpToCalls)
	}
	if r.Lossy() {
		verdict += " (" + r.LossNote + ")"
	}
	fmt.Fprintf(w, "verdict: %s\n  why: %s\n", verdict, r.Why)
	for _, cv := range r.Caveats {
		fmt.Fprintf(w, "  not exact: %s\n", cv)
	}
	if wt := r.Witness; wt != nil {
		p := wt.Params
		fmt.Fprintf(w, "\npumpable witness (model with no workload bound, N=%d B=%d C=%d R=%d L=%d):\n", p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Limit)
		if wt.Fair {
			fmt.Fprintln(w, "  fair: yes (weakly fair: every kernel worker enabled in all the cycle's states runs in it)")
		} else {
			fmt.Fprintf(w, "  fair: NO: the cycle starves %s (enabled in every state of the cycle, never run); no fair cycle was found within the search's limits (a larger --witness-limit may find one)\n", strings.Join(wt.Starved, ", "))
		}
		fmt.Fprintf(w, "  %s\n", bound.WorkersText(wt))
		for i, a := range wt.Prefix {
			fmt.Fprintf(w, "  prefix %3d  %s\n", i+1, a)
		}
		for i, a := range wt.Cycle {
			fmt.Fprintf(w, "  cycle  %3d  %s\n", i+1, a)
		}
		var vals []string
		for _, v := range wt.Replay {
			vals = append(vals, fmt.Sprint(v))
		}
		fmt.Fprintf(w, "replayed on the real model (K=%d", wt.ReplayCalls)
		if wt.ReplayR > 0 {
			fmt.Fprintf(w, ", R=%d", wt.ReplayR)
		}
		fmt.Fprintf(w, "): %s after m = 0..%d repetitions: %s (+%d each, linear: %v)\n", wt.Metric, len(wt.Replay)-1, strings.Join(vals, " "), wt.Gain, wt.Linear)
		for _, sp := range wt.Exhausts {
			fmt.Fprintf(w, "  with R=%d: stuck after %d repetitions (%d steps, K=%d)\n", sp.Reserve, sp.Iterations, sp.Steps, sp.Calls)
		}
	}
	if a := r.Proof; a != nil && r.Verdict == bound.VerdictBounded {
		fmt.Fprintf(w, "\nproof: counter abstraction, threshold T=%d, %d abstract states, NoStuck %v, GracePeriod %v; max pages %d (exact: %v), pending %d (exact: %v)\n",
			a.T, a.States, holdsWord(a.NoStuck), holdsWord(a.GracePeriod), a.Max.Pages, a.PagesExact, a.Max.Pending, a.PendingExact)
	}
}

func holdsWord(ok bool) string {
	if ok {
		return "holds"
	}
	return "not proved"
}
