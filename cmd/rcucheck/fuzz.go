package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
	"github.com/rcucheck/rcucheck/traces"
	"github.com/spf13/pflag"
)

// fuzzOpts are fuzz's flags.
type fuzzOpts struct {
	mf                                          modelFlags
	bounds                                      []string
	seed                                        int64
	seedSet                                     func() bool
	runs, steps, cands, allocRuns, allocFrees   int
	run                                         int
	limit                                       time.Duration
	profile, traceOut, kernelCapture            string
	genParams, keepGoing, asJSON, states, quiet bool
	shortest                                    uint64
	hunt                                        huntOpts
	sf                                          shardFlags
	logs                                        []*properties.RunLog     // a shard's, per design
	kernel                                      *properties.KernelAllocs // imported once
}

// fuzzFlags defines fuzz's flags on fs and returns fuzz's run.
func fuzzFlags(fs *pflag.FlagSet) runFunc {
	o := registerFuzz(fs)
	return func(ctx context.Context, e *env, _ []string) (int, error) { return runFuzz(ctx, e, o) }
}

// registerFuzz defines fuzz's flags on fs, into the fuzzOpts returned.
func registerFuzz(fs *pflag.FlagSet) *fuzzOpts {
	o := &fuzzOpts{seedSet: func() bool { return fs.Changed("seed") }}
	o.mf.register(fs, "all")
	fs.Int64Var(&o.seed, "seed", 0, "seed of the campaign (default: from the clock, printed)")
	fs.IntVar(&o.runs, "runs", 1000, "number of schedules (0: until --time is up)")
	fs.IntVar(&o.run, "run", -1, "run only the run of this index (0-based) of the seed's campaign, as a failure's rerun line does")
	fs.DurationVar(&o.limit, "time", 0, "stop after this long, e.g. 30s (0: no limit); the runs done are printed")
	fs.IntVar(&o.steps, "steps", 0, "longest schedule (0: from the parameters)")
	fs.StringVar(&o.profile, "profile", "mixed", "schedule profile: "+strings.Join(properties.ProfileNames(), ", "))
	fs.BoolVar(&o.genParams, "gen-params", false, "draw the parameters of every run (N<=64, B<=510, C<=8, R<=8, K<=10^6, L<=1024) instead of the flags")
	fs.StringArrayVar(&o.bounds, "bound", nil, "a metric bound to check too, e.g. 'pages <= 2*N*C + pending/B + 2*N' (repeatable)")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "run every run even after every property is violated (counts violating runs)")
	fs.IntVar(&o.cands, "candidates", 8, "violating runs per property to shrink; the shortest witness is printed")
	fs.Uint64Var(&o.shortest, "shortest-states", 200000, "compute the exhaustive shortest length of each violation with at most this many states (0: skip)")
	fs.IntVar(&o.allocRuns, "alloc-runs", 10, "runs measuring page allocations per free under heavy use (0: skip)")
	fs.IntVar(&o.allocFrees, "alloc-frees", 100000, "frees per allocation run (at most N*K)")
	fs.StringVar(&o.kernelCapture, "kernel-capture", "", "the real kernel's bulk capture the allocation figures are compared with (default: ../"+properties.KernelCapture+" from the repository, found from the working directory; said unavailable when missing)")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as JSON (a list with several designs)")
	fs.BoolVar(&o.states, "states", false, "print the full state after every witness step")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines on stderr")
	o.hunt.register(fs)
	fs.StringVar(&o.traceOut, "trace", "", "write every shrunk witness (completed with the reclaims it enables) and one random run per design, from the seed, as histories to this trace file, for rcucheck lin")
	o.sf.register(fs, "fuzz.json", "runs (a block of run indices of every design; needs --seed and --runs)")
	return o
}

// validate checks the flags, draws the seed when none was given, and
// returns the properties and the models of the campaign.
func (o *fuzzOpts) validate() ([]properties.Property, []*model.Model, error) {
	if !o.seedSet() {
		o.seed = time.Now().UnixNano() & (1<<53 - 1)
	}
	switch {
	case o.runs < 0:
		return nil, nil, usagef("--runs must be >= 0, got %d", o.runs)
	case o.runs == 0 && o.limit <= 0:
		return nil, nil, usagef("--runs 0 needs a --time limit")
	case o.limit < 0:
		return nil, nil, usagef("--time must be >= 0, got %s", o.limit)
	case o.steps < 0:
		return nil, nil, usagef("--steps must be >= 0, got %d", o.steps)
	case o.run < -1:
		return nil, nil, usagef("--run must be a run index >= 0, got %d", o.run)
	case o.cands < 1:
		return nil, nil, usagef("--candidates must be >= 1, got %d", o.cands)
	case o.allocRuns < 0 || o.allocFrees < 1:
		return nil, nil, usagef("--alloc-runs must be >= 0 and --alloc-frees >= 1")
	}
	if _, err := properties.LookupProfile(o.profile, o.mf.params); err != nil {
		return nil, nil, usagef("--profile: %v", err)
	}
	props := properties.DefaultProperties()
	for _, b := range o.bounds {
		p, err := properties.Bound(b)
		if err != nil {
			return nil, nil, usagef("--bound: %v", err)
		}
		props = append(props, p)
	}
	ms, err := o.models()
	return props, ms, err
}

// models are the models of the chosen designs: at the flags' parameters,
// or at the defaults with --gen-params (each run then draws its own).
func (o *fuzzOpts) models() ([]*model.Model, error) {
	if !o.genParams {
		return o.mf.models()
	}
	ds, err := o.mf.designs()
	if err != nil {
		return nil, err
	}
	var ms []*model.Model
	for _, d := range ds {
		m, err := model.New(d, model.DefaultParams())
		if err != nil {
			return nil, usagef("design %s: %v", d.Name(), err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// runFuzz runs the campaign on every design, then prints it.
func runFuzz(ctx context.Context, e *env, o *fuzzOpts) (int, error) {
	if o.hunt.kind != "" {
		return runHunt(ctx, e, o)
	}
	props, ms, err := o.validate()
	if err == nil {
		err = o.startShard()
	}
	if err != nil {
		return exitUsage, err
	}
	var reports []*properties.Report
	var results []*properties.Result
	interrupted := false
	for _, m := range ms {
		res, rep, err := fuzzDesign(ctx, e, o, m, props)
		if err != nil {
			return exitUsage, err
		}
		reports = append(reports, rep)
		results = append(results, res)
		if !res.Complete || ctx.Err() != nil {
			interrupted = true
			break
		}
	}
	if o.traceOut != "" {
		if err := writeFuzzTraces(o.traceOut, ms[:len(results)], results, o.seed); err != nil {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "rcucheck fuzz: histories written to %s\n", o.traceOut)
	}
	if o.asJSON {
		if err := writeJSON(e.stdout, reports, len(ms) > 1); err != nil {
			return exitUsage, err
		}
	} else {
		printFuzz(e.stdout, reports, results)
	}
	if err := o.writeOut(ms, reports, ctx.Err() != nil); err != nil {
		return exitUsage, err
	}
	return fuzzExitCode(ctx, results, interrupted || len(results) < len(ms)), nil
}

// fuzzExitCode is 3 when interrupted (whatever was found so far), else 1
// when a property is violated, else 3 when a design was cut short or never
// ran, else 0.
func fuzzExitCode(ctx context.Context, results []*properties.Result, incomplete bool) int {
	if ctx.Err() != nil {
		return exitIncomplete
	}
	for _, r := range results {
		if r.Violated() {
			return exitViolated
		}
	}
	if incomplete {
		return exitIncomplete
	}
	return exitOK
}

// fuzzDesign runs the campaign on m, with progress lines on e.stderr
// unless quiet, then measures allocations per free, and returns the result
// and its report.
func fuzzDesign(ctx context.Context, e *env, o *fuzzOpts, m *model.Model, props []properties.Property) (*properties.Result, *properties.Report, error) {
	d := m.Design()
	cfg := o.config(m, props)
	o.shardConfig(&cfg)
	label := "fuzz " + d.Name()
	if !o.quiet {
		fmt.Fprintf(e.stderr, "%s: seed %d\n", label, o.seed)
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
		return nil, nil, usagef("design %s: %v", d.Name(), err)
	}
	if !o.quiet {
		sec := max(res.Search.Seconds(), 1e-9)
		fmt.Fprintf(e.stderr, "%s: %d runs (gopter tests), %d steps in %s (%.0f schedules/s, %.0f steps/s); gopter's shrinks and the checker: %s\n",
			label, res.Runs, res.Steps, res.Search.Round(time.Millisecond), float64(res.Runs)/sec, float64(res.Steps)/sec,
			(res.Elapsed - res.Search).Round(time.Millisecond))
	}
	var alloc *properties.AllocStats
	if o.allocRuns > 0 && !o.genParams && ctx.Err() == nil && o.measuresAlloc() {
		cfg := properties.AllocConfig{Design: d, Params: m.Params(), Seed: o.seed, Runs: o.allocRuns, Frees: o.allocFrees, ProgressEvery: e.every()}
		if !o.quiet {
			cfg.Progress = func(p properties.AllocProgress) {
				fmt.Fprintf(e.stderr, "%s: measuring allocations: %d/%d runs of %d frees, %d frees (%.0f/s), %s\n", label, p.Runs, p.Target, o.allocFrees,
					p.Frees, float64(p.Frees)/max(p.Elapsed.Seconds(), 1e-9), p.Elapsed.Round(time.Second))
			}
		}
		alloc, err = properties.Allocations(ctx, cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("design %s: allocations: %w", d.Name(), err)
		}
	}
	rep, err := res.Report(alloc, o.states)
	if err != nil {
		return nil, nil, fmt.Errorf("design %s: %w", d.Name(), err)
	}
	if rep.Allocations != nil {
		if rep.Allocations.Kernel, err = o.kernelAllocs(); err != nil {
			return nil, nil, err
		}
		rep.Allocations.Comparison = properties.CompareKernel(alloc, rep.Allocations.Kernel)
	}
	return res, rep, nil
}

// kernelAllocs imports the kernel's bulk capture once per command: the
// --kernel-capture file (an error when it does not import) or the one
// found from the working directory (unavailable when none is).
func (o *fuzzOpts) kernelAllocs() (*properties.KernelAllocs, error) {
	if o.kernel != nil {
		return o.kernel, nil
	}
	path, required := o.kernelCapture, o.kernelCapture != ""
	if !required {
		path = properties.FindKernelCapture(".")
	}
	k, err := properties.ReadKernelAllocs(path, required)
	if err != nil {
		return nil, usagef("--kernel-capture: %v", err)
	}
	o.kernel = k
	return k, nil
}

// config is the campaign of design m's model: the flags' (one run with
// --run).
func (o *fuzzOpts) config(m *model.Model, props []properties.Property) properties.Config {
	cfg := properties.Config{
		Design: m.Design(), Params: m.Params(), GenParams: o.genParams, Props: props, Profile: o.profile,
		Seed: o.seed, Runs: o.runs, Time: o.limit, MaxSteps: o.steps, KeepGoing: o.keepGoing,
		Candidates: o.cands, ShortestStates: o.shortest,
	}
	if o.run >= 0 {
		cfg.Start, cfg.Runs, cfg.Time = o.run, 1, 0
	}
	return cfg
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
			fmt.Fprintf(w, "  gopter: seed %d, test %d, %d shrinks (%d candidates replayed), from %d steps\n", rep.Seed, *p.Run, p.Shrinks, p.ShrinkReplays, p.UnshrunkLength)
			if p.Rerun != "" {
				fmt.Fprintf(w, "  rerun: %s\n", p.Rerun)
			}
			printTrace(w, p.Trace, p.Trace != nil && p.Trace[0].State != "")
		}
		if a := rep.Allocations; a != nil {
			printAllocations(w, a)
		}
	}
}

// printAllocations writes the allocation figures of the model under heavy
// use beside the real kernel's, and why they differ.
func printAllocations(w io.Writer, a *properties.AllocReport) {
	fmt.Fprintf(w, "\nallocations under heavy use without memory pressure (profile heavy, %d gopter runs of %d frees):\n", a.Runs, a.Frees)
	fmt.Fprintf(w, "  bulk pages taken by frees: one per %.1f frees (per free: mean %.6f = %.2f/B, stddev %.6f, min %.6f, max %.6f)\n",
		a.FreesPerPage, a.PagesPerFree.Mean, a.PagesPerFreeB, a.PagesPerFree.Stddev, a.PagesPerFree.Min, a.PagesPerFree.Max)
	fmt.Fprintf(w, "  pages from the page allocator: one per %.1f frees (per free: mean %.6f, stddev %.6f, min %.6f, max %.6f)\n",
		a.FreesPerAlloc, a.AllocsPerFree.Mean, a.AllocsPerFree.Stddev, a.AllocsPerFree.Min, a.AllocsPerFree.Max)
	k := a.Kernel
	switch {
	case k == nil:
		return
	case k.Unavailable != "":
		fmt.Fprintf(w, "  the real kernel (%s): unavailable: %s\n", k.Capture, k.Unavailable)
		return
	}
	fmt.Fprintf(w, "  the real kernel (%s): %d page allocations for %d frees, one per %.1f (per free %.6f); %d bulk pages, one per %.1f frees (per free %.6f); page-cache refills: %d\n",
		k.Capture, k.PageAllocs, k.Frees, 1/max(k.AllocsPerFree, 1e-300), k.AllocsPerFree, k.BulkPages, 1/max(k.PagesPerFree, 1e-300), k.PagesPerFree, k.CacheRefills)
	c := a.Comparison
	if c == nil {
		return
	}
	verdict := "not compared"
	switch {
	case c.Compared && c.Differ:
		verdict = fmt.Sprintf("differ (model/kernel %.1fx)", c.Ratio)
	case c.Compared:
		verdict = "the same"
	}
	fmt.Fprintf(w, "  model and kernel allocations per free: %s: %s\n", verdict, strings.TrimPrefix(c.Reason, "not compared: "))
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
