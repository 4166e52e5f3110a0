package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
	"github.com/rcucheck/rcucheck/traces"
)

// boundFlags collects repeated --bound flags.
type boundFlags []string

func (b *boundFlags) String() string     { return strings.Join(*b, "; ") }
func (b *boundFlags) Set(v string) error { *b = append(*b, v); return nil }

func runFuzz(ctx context.Context, e *env, args []string) (int, error) {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs, "all")
	var bounds boundFlags
	seed := fs.Int64("seed", 0, "seed of the campaign (default: from the clock, printed)")
	runs := fs.Int("runs", 1000, "number of schedules (0: until --time is up)")
	limit := fs.Duration("time", 0, "stop after this long, e.g. 30s (0: no limit); the runs done are printed")
	steps := fs.Int("steps", 0, "longest schedule (0: from the parameters)")
	profile := fs.String("profile", "mixed", "schedule profile: "+strings.Join(properties.ProfileNames(), ", "))
	genParams := fs.Bool("gen-params", false, "draw the parameters of every run (N<=64, B<=510, C<=8, R<=8, K<=10^6, L<=1024) instead of the flags")
	fs.Var(&bounds, "bound", "a metric bound to check too, e.g. 'pages <= 2*N*C + pending/B + 2*N' (repeatable)")
	keepGoing := fs.Bool("keep-going", false, "run every run even after every property is violated (counts violating runs)")
	cands := fs.Int("candidates", 8, "violating runs per property to shrink; the shortest witness is printed")
	shortest := fs.Uint64("shortest-states", 200000, "compute the exhaustive shortest length of each violation with at most this many states (0: skip)")
	allocRuns := fs.Int("alloc-runs", 10, "runs measuring page allocations per free under heavy use (0: skip)")
	allocFrees := fs.Int("alloc-frees", 100000, "frees per allocation run (at most N*K)")
	asJSON := fs.Bool("json", false, "print the report as JSON (a list with several designs)")
	states := fs.Bool("states", false, "print the full state after every witness step")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	traceOut := fs.String("trace", "", "write every shrunk witness (completed with the reclaims it enables) and one random run per design, from the seed, as histories to this trace file, for rcucheck lin")
	if err := parseArgs(e, fs, args, 0, "rcucheck fuzz [--design D|all] [--cpus N --bulk B --cache C --reserve R --calls K --limit L] [--seed S] [--runs N] [--time D] [--json]"); err != nil {
		return exitUsage, err
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if !seedSet {
		*seed = time.Now().UnixNano() & (1<<53 - 1)
	}
	switch {
	case *runs < 0:
		return exitUsage, usagef("--runs must be >= 0, got %d", *runs)
	case *runs == 0 && *limit <= 0:
		return exitUsage, usagef("--runs 0 needs a --time limit")
	case *limit < 0:
		return exitUsage, usagef("--time must be >= 0, got %s", *limit)
	case *steps < 0:
		return exitUsage, usagef("--steps must be >= 0, got %d", *steps)
	case *cands < 1:
		return exitUsage, usagef("--candidates must be >= 1, got %d", *cands)
	case *allocRuns < 0 || *allocFrees < 1:
		return exitUsage, usagef("--alloc-runs must be >= 0 and --alloc-frees >= 1")
	}
	if _, err := properties.LookupProfile(*profile, mf.params); err != nil {
		return exitUsage, usagef("--profile: %v", err)
	}
	props := properties.DefaultProperties()
	for _, b := range bounds {
		p, err := properties.Bound(b)
		if err != nil {
			return exitUsage, usagef("--bound: %v", err)
		}
		props = append(props, p)
	}
	var ms []*model.Model
	if *genParams {
		ds, err := mf.designs()
		if err != nil {
			return exitUsage, err
		}
		for _, d := range ds {
			m, err := model.New(d, model.DefaultParams())
			if err != nil {
				return exitUsage, usagef("design %s: %v", d.Name(), err)
			}
			ms = append(ms, m)
		}
	} else {
		var err error
		if ms, err = mf.models(); err != nil {
			return exitUsage, err
		}
	}

	var reports []*properties.Report
	var results []*properties.Result
	interrupted := false
	for _, m := range ms {
		d := m.Design()
		cfg := properties.Config{
			Design: d, Params: m.Params(), GenParams: *genParams, Props: props, Profile: *profile,
			Seed: *seed, Runs: *runs, Time: *limit, MaxSteps: *steps, KeepGoing: *keepGoing,
			Candidates: *cands, ShortestStates: *shortest,
		}
		label := "fuzz " + d.Name()
		if !*quiet {
			fmt.Fprintf(e.stderr, "%s: seed %d\n", label, *seed)
			cfg.ProgressEvery = e.every()
			cfg.Progress = func(p properties.Progress) {
				phase := ""
				if p.Phase != "" {
					phase = ", " + p.Phase
				}
				fmt.Fprintf(e.stderr, "%s: %d runs, %s schedules/s, %d steps, %s, violated: %s%s\n", label, p.Runs,
					rate(float64(p.Runs)/max(p.Search.Seconds(), 1e-9)), p.Steps, p.Elapsed.Round(time.Second), orNone(p.Violated), phase)
			}
		}
		res, err := properties.Run(ctx, cfg)
		if err != nil {
			return exitUsage, usagef("design %s: %v", d.Name(), err)
		}
		if !*quiet {
			sec := max(res.Search.Seconds(), 1e-9)
			fmt.Fprintf(e.stderr, "%s: %d runs, %d steps in %s (%.0f schedules/s, %.0f steps/s); shrinking and the checker: %s\n",
				label, res.Runs, res.Steps, res.Search.Round(time.Millisecond), float64(res.Runs)/sec, float64(res.Steps)/sec,
				(res.Elapsed - res.Search).Round(time.Millisecond))
		}
		var alloc *properties.AllocStats
		if *allocRuns > 0 && !*genParams && ctx.Err() == nil {
			stop := e.heartbeat(*quiet, func(el time.Duration) string {
				return fmt.Sprintf("%s: measuring allocations (%d runs of %d frees), %s", label, *allocRuns, *allocFrees, el)
			})
			alloc, err = properties.MeasureAllocations(ctx, d, m.Params(), *seed, *allocRuns, *allocFrees)
			stop()
			if err != nil {
				return exitUsage, fmt.Errorf("design %s: allocations: %w", d.Name(), err)
			}
		}
		rep, err := res.Report(alloc, *states)
		if err != nil {
			return exitUsage, fmt.Errorf("design %s: %w", d.Name(), err)
		}
		reports = append(reports, rep)
		results = append(results, res)
		if !res.Complete || ctx.Err() != nil {
			interrupted = true
			break
		}
	}
	if *traceOut != "" {
		if err := writeFuzzTraces(*traceOut, ms[:len(results)], results, *seed); err != nil {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "rcucheck fuzz: histories written to %s\n", *traceOut)
	}
	if *asJSON {
		if err := writeJSON(e.stdout, reports, len(ms) > 1); err != nil {
			return exitUsage, err
		}
	} else {
		printFuzz(e.stdout, reports, results)
	}
	if ctx.Err() != nil {
		return exitIncomplete, nil // interrupted: whatever was found so far
	}
	for _, r := range results {
		if r.Violated() {
			return exitViolated, nil
		}
	}
	if interrupted || len(results) < len(ms) {
		return exitIncomplete, nil
	}
	return exitOK, nil
}

// rate formats a rate with a decimal when it is small.
func rate(x float64) string {
	if x < 10 {
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// printFuzz writes the campaign's verdicts, witnesses and allocation
// figures. It prints no wall-clock figure: the same seed and runs give the
// same bytes.
func printFuzz(w io.Writer, reports []*properties.Report, results []*properties.Result) {
	for i, rep := range reports {
		res := results[i]
		if i > 0 {
			fmt.Fprintln(w)
		}
		params := "parameters drawn per run"
		if rep.Params != nil {
			params = rep.Params.String()
		}
		fmt.Fprintf(w, "rcucheck fuzz: design %s, %s, seed %d, profile %s\n", rep.Design, params, rep.Seed, rep.Profile)
		fmt.Fprintf(w, "%d runs of up to %d steps, %d steps in all (stopped: %s)\n\n", rep.Runs, rep.MaxSteps, rep.Steps, rep.StopReason)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "property\tverdict\tfirst run\tviolating runs\tunshrunk\tshrunk\texhaustive shortest")
		for _, name := range rep.Order {
			p := rep.Properties[name]
			if p.Holds {
				fmt.Fprintf(tw, "%s\tno violation in %d runs\t-\t0\t-\t-\t-\n", name, rep.Runs)
				continue
			}
			sh := "unknown"
			if p.Shortest != nil {
				sh = fmt.Sprint(*p.Shortest)
			}
			fmt.Fprintf(tw, "%s\tVIOLATED\t%d\t%d\t%d\t%d\t%s\n", name, *p.FirstRun, p.ViolatingRuns, p.UnshrunkLength, p.Length, sh)
		}
		tw.Flush()
		if !res.Complete {
			fmt.Fprintf(w, "\n%s: INTERRUPTED after %d runs: verdicts cover those runs only\n", rep.Design, rep.Runs)
		}
		for _, name := range rep.Order {
			p := rep.Properties[name]
			if p.Holds {
				continue
			}
			fmt.Fprintf(w, "\n%s: %s VIOLATED, shrunk witness (%d steps; run %d, run seed %d, profile %s, %s):\n",
				rep.Design, name, p.Length, *p.Run, *p.RunSeed, p.RunProfile, p.Params)
			printTrace(w, p.Trace, p.Trace != nil && p.Trace[0].State != "")
		}
		if a := rep.Allocations; a != nil {
			fmt.Fprintf(w, "\nallocations under heavy use without memory pressure (profile heavy, %d runs of %d frees):\n", a.Runs, a.Frees)
			fmt.Fprintf(w, "  bulk pages taken by frees: one per %.1f frees (per free: mean %.6f, stddev %.6f, min %.6f, max %.6f)\n",
				a.FreesPerPage, a.PagesPerFree.Mean, a.PagesPerFree.Stddev, a.PagesPerFree.Min, a.PagesPerFree.Max)
			fmt.Fprintf(w, "  pages from the page allocator: one per %.1f frees (per free: mean %.6f, stddev %.6f, min %.6f, max %.6f)\n",
				a.FreesPerAlloc, a.AllocsPerFree.Mean, a.AllocsPerFree.Stddev, a.AllocsPerFree.Min, a.AllocsPerFree.Max)
		}
	}
}

// writeFuzzTraces writes the witnesses of a campaign, each followed by the
// reclaims its last state allows, and one random run of each design from
// the campaign's seed, as histories for rcucheck lin.
func writeFuzzTraces(path string, ms []*model.Model, results []*properties.Result, seed int64) error {
	var hs []*traces.History
	for i, res := range results {
		for _, w := range res.Witnesses() {
			wm, err := w.Model()
			if err != nil {
				return fmt.Errorf("--trace: %w", err)
			}
			path, err := traces.CompletePath(wm, w.Actions)
			if err != nil {
				return fmt.Errorf("--trace: %s witness: %w", w.Property, err)
			}
			h, err := traces.FromModelRun(w.Design, w.Params, w.Seed, path)
			if err != nil {
				return fmt.Errorf("--trace: %w", err)
			}
			hs = append(hs, h)
		}
		m := ms[i]
		run := traces.RandomPath(m, seed, properties.AutoSteps(m.Params()))
		h, err := traces.FromModelRun(m.Design(), m.Params(), seed, run)
		if err != nil {
			return fmt.Errorf("--trace: random run: %w", err)
		}
		hs = append(hs, h)
	}
	return traces.WriteFile(path, hs...)
}
