package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rcucheck/rcucheck/bench"
	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/spin"
	"github.com/spf13/pflag"
)

// benchOpts are bench's flags.
type benchOpts struct {
	mf                                 modelFlags
	lf                                 limitFlags // the store, workers and progress flags
	runs                               int
	modes, plotPath                    string
	install, asJSON, exact, engineOnly bool
	scaling, check                     bool
	scalingMax                         float64
}

// benchFlags defines bench's flags on fs and returns bench's run.
func benchFlags(fs *pflag.FlagSet) runFunc {
	o := &benchOpts{}
	o.mf.register(fs, "head")
	o.lf.registerStore(fs)
	// The bench times the fingerprint store unless asked (--engine-only).
	o.lf.fprint = true
	fs.Lookup("fingerprint").DefValue = "true"
	fs.IntVar(&o.runs, "runs", 3, "timed runs of every setting; the tools alternate and medians are reported")
	fs.StringVar(&o.modes, "spin-modes", "plain,collapse,hc4", "SPIN storage settings: plain, collapse, hc4 (comma list)")
	fs.BoolVar(&o.install, "install", true, "install SPIN from Debian's packages (apt-get) when it is missing")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&o.exact, "exact", true, "also time rcucheck's exact store")
	fs.BoolVar(&o.check, "check", false, "time what users run, rcucheck check at its defaults (exact, NoStuck, GracePeriod and Drainable, shortest traces), with --workers and with 1 worker, against SPIN's safety search; with several designs (--design all) also their totals")
	fs.BoolVar(&o.engineOnly, "engine-only", false, "internal: run rcucheck's exploration once (with --workers, --fingerprint, --symmetry) and print its figures as JSON (the bench runs itself this way to measure peak memory)")
	fs.BoolVar(&o.scaling, "scaling", false, "instead: time rcucheck alone on instances of 10^5 to 10^7 states with 1 worker and every core")
	fs.Float64Var(&o.scalingMax, "scaling-max-states", 4e7, "with --scaling: skip instances larger than this")
	fs.StringVar(&o.plotPath, "plot", "", "with --scaling: write a plot of states/s against states (.png, .svg or .pdf)")
	return func(ctx context.Context, e *env, _ []string) (int, error) { return runBench(ctx, e, o) }
}

// runBench checks the flags, then runs the engine alone (--engine-only),
// the scaling table (--scaling) or the bench against SPIN.
func runBench(ctx context.Context, e *env, o *benchOpts) (int, error) {
	if o.runs < 1 {
		return exitUsage, usagef("--runs must be at least 1, got %d", o.runs)
	}
	ms, err := o.mf.models()
	if err != nil {
		return exitUsage, err
	}
	if len(ms) != 1 && (!o.check || o.engineOnly || o.scaling) {
		return exitUsage, usagef("--design: the bench takes one design (several only with --check), got %d", len(ms))
	}
	if o.engineOnly {
		return benchEngine(ctx, e, o, ms[0])
	}
	if o.plotPath != "" {
		switch strings.ToLower(filepath.Ext(o.plotPath)) {
		case ".png", ".svg", ".pdf":
		default:
			return exitUsage, usagef("--plot %q: want a .png, .svg or .pdf file", o.plotPath)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return exitUsage, fmt.Errorf("finding rcucheck's own binary: %w", err)
	}
	if o.scaling {
		return benchScaling(ctx, e, o, self)
	}
	cfg := bench.Config{Self: self, Runs: o.runs, Workers: o.lf.workers, Exact: o.exact, Check: o.check,
		Install: o.install, Quiet: o.lf.quiet, Log: e.stderr,
		Heartbeat: func(line func(el time.Duration) string) func() { return e.heartbeat(o.lf.quiet, line) }}
	for _, name := range strings.Split(o.modes, ",") {
		md, err := spin.LookupMode(strings.TrimSpace(name))
		if err != nil {
			return exitUsage, usageError{fmt.Errorf("--spin-modes: %w", err)}
		}
		cfg.SpinModes = append(cfg.SpinModes, md)
	}
	var reps []*bench.Report
	for _, m := range ms {
		cfg.Model = m
		var rep *bench.Report
		rep, err = bench.Run(ctx, cfg)
		var setup *bench.SetupError
		if errors.As(err, &setup) {
			return exitUsage, setup.Err
		}
		reps = append(reps, rep)
		if err != nil || ctx.Err() != nil {
			break
		}
	}
	return benchExit(ctx, e, reps, o.asJSON, err)
}

// benchExit prints what was measured, even after an error or an
// interruption, and returns the exit code: 1 when exact settings disagree
// on the counts, 3 when the bench did not finish.
func benchExit(ctx context.Context, e *env, reps []*bench.Report, asJSON bool, err error) (int, error) {
	if asJSON {
		if werr := writeJSON(e.stdout, reps, false); werr != nil {
			return exitUsage, werr
		}
	} else {
		for i, rep := range reps {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			rep.Print(e.stdout)
		}
		if len(reps) > 1 {
			fmt.Fprintln(e.stdout)
			bench.PrintTotals(e.stdout, reps)
		}
	}
	agree := true
	for _, rep := range reps {
		agree = agree && rep.CountsAgree
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "bench: interrupted; the figures above are the runs that finished")
		return exitIncomplete, nil
	case err != nil:
		return exitUsage, err
	case !agree:
		return exitViolated, nil
	}
	return exitOK, nil
}

// benchEngine is the child the bench runs: one exploration, its figures
// as JSON on stdout.
func benchEngine(ctx context.Context, e *env, o *benchOpts, m *model.Model) (int, error) {
	opt := checker.Options{SkipGoals: true, Workers: o.lf.workers, Fingerprint: o.lf.fprint, Symmetry: o.lf.symmetry, ProgressEvery: e.every()}
	if !o.lf.quiet {
		opt.Progress = progressPrinter(e.stderr, fmt.Sprintf("bench %s (%s, %d workers)", m.Design().Name(), storeName(o.lf.fprint), o.lf.workers))
	}
	r, err := bench.Engine(ctx, m, opt)
	if err != nil {
		return exitUsage, err
	}
	if err := json.NewEncoder(e.stdout).Encode(r); err != nil {
		return exitUsage, err
	}
	if !r.Complete {
		return exitIncomplete, nil
	}
	return exitOK, nil
}

// benchScaling times rcucheck on instances of growing size, prints the
// table and writes the plot.
func benchScaling(ctx context.Context, e *env, o *benchOpts, self string) (int, error) {
	points, stopped, err := bench.Scaling(ctx, bench.ScalingConfig{Self: self, Runs: o.runs, MaxStates: o.scalingMax, Quiet: o.lf.quiet, Log: e.stderr})
	if err != nil {
		return exitUsage, err
	}
	if o.asJSON {
		if err := writeJSON(e.stdout, [][]bench.ScalingPoint{points}, false); err != nil {
			return exitUsage, err
		}
	} else {
		bench.PrintScaling(e.stdout, points, o.runs)
	}
	if o.plotPath != "" && len(points) > 0 {
		if err := bench.PlotScaling(points, o.plotPath); err != nil {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "bench --scaling: wrote %s\n", o.plotPath)
	}
	if stopped {
		return exitIncomplete, nil
	}
	return exitOK, nil
}

// storeName names the store of a run.
func storeName(fingerprint bool) string {
	if fingerprint {
		return "fingerprint"
	}
	return "exact"
}
