package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rcucheck/rcucheck/traces"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// importReport is what rcucheck import ftrace --json prints.
type importReport struct {
	*traces.Import
	Contract *traces.Result `json:"contract"`
	Trace    string         `json:"trace,omitempty"`
}

// importCommand is "rcucheck import", whose one importer today is ftrace.
func importCommand(e *env, code *exitCode) *cobra.Command {
	c := &cobra.Command{
		Use: "import", Short: "import a kernel ftrace capture: figures, contract verdict, model replay",
		Args: cobra.ArbitraryArgs,
		RunE: func(*cobra.Command, []string) error {
			return usagef("want 'rcucheck import ftrace FILE' (the only importer today)")
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	c.AddCommand(newCommand(e, spec{"ftrace FILE", "import a kernel ftrace capture (text, or gzip; - for standard input)", 1, importFtraceFlags}, code))
	return c
}

// importOpts are import ftrace's flags.
type importOpts struct {
	out, window string
	asJSON      bool
	timeout     time.Duration
	noReplay    bool
	quiet       bool
	follow      bool
	every       time.Duration
}

// importFtraceFlags defines import ftrace's flags on fs and returns its run.
func importFtraceFlags(fs *pflag.FlagSet) runFunc {
	o := &importOpts{}
	fs.StringVar(&o.out, "trace", "", "also write the imported history to this trace file (for rcucheck lin)")
	fs.StringVar(&o.window, "window", traces.DefaultWindow.String(), "uncertainty of every kernel timestamp (a duration, or an integer in ns)")
	fs.BoolVar(&o.asJSON, "json", false, "print figures, contract verdict and replay as JSON")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop the contract check after this long: verdict unknown, exit 3 (0: no limit)")
	fs.BoolVar(&o.noReplay, "no-replay", false, "skip the model replay")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines on stderr")
	fs.BoolVar(&o.follow, "follow", false, "FILE is a live kernel's trace_pipe (or a FIFO): check it continuously, a line per violation as it is found, a summary every --summary-every; Ctrl-C prints the summary so far (exit 3)")
	fs.DurationVar(&o.every, "summary-every", 10*time.Second, "with --follow: how often to print the summary so far")
	return func(ctx context.Context, e *env, args []string) (int, error) { return runImport(ctx, e, args[0], o) }
}

// runImport imports the ftrace capture path, judges it against the
// contract and prints the figures.
func runImport(ctx context.Context, e *env, path string, o *importOpts) (int, error) {
	w, err := parseWindow(o.window, traces.UnitNS)
	if err != nil {
		return exitUsage, usageError{err}
	}
	if o.timeout < 0 {
		return exitUsage, usagef("--timeout: must be >= 0 (0: no limit), got %s", o.timeout)
	}
	if o.out != "" {
		if err := traces.CheckWritable(o.out); err != nil {
			return exitUsage, usageError{fmt.Errorf("--trace: %w", err)}
		}
	}
	if o.every <= 0 {
		return exitUsage, usagef("--summary-every: must be > 0, got %s", o.every)
	}
	iopt := traces.ImportOptions{NoReplay: o.noReplay, KeepHistory: o.out != "", Follow: o.follow,
		ProgressEvery: e.every(), Progress: importProgress(e, "import ftrace", o.quiet)}
	copt := traces.CheckOptions{Window: w, Timeout: o.timeout,
		ProgressEvery: e.every(), Progress: checkProgress(e, "import ftrace: contract", o.quiet)}
	if o.follow {
		f := newFollower(e)
		iopt.Progress, iopt.ProgressEvery, copt.OnFailure = f.progress, o.every, f.failure
	}
	defer streamGC(os.Getenv)()
	imp, res, err := traces.ImportFtraceStreamFile(ctx, path, iopt, copt)
	if err != nil {
		return exitUsage, usageError{err}
	}
	rep := importReport{Import: imp, Contract: res}
	if o.out != "" {
		if err := traces.WriteFile(o.out, imp.History); err != nil {
			return exitUsage, err
		}
		rep.Trace = o.out
	}
	if o.asJSON {
		if err := writeJSON(e.stdout, []any{rep}, false); err != nil {
			return exitUsage, err
		}
	} else {
		traces.PrintImport(e.stdout, imp)
		fmt.Fprintf(e.stdout, "contract (window %s): %s%s: %d objects, %d reclaimed, %d grace periods, %d partitions, largest %d operations, %.2fs\n",
			time.Duration(w), res.Verdict, res.Lossy(), res.Objects, res.Reclaimed, res.GracePeriods, res.Partitions, res.MaxPartOps, res.ElapsedSec)
		if res.Undecided > 0 || res.StopReason != "" {
			fmt.Fprintf(e.stdout, "  %d partitions undecided (%s)\n", res.Undecided, res.StopReason)
		}
		for _, f := range res.Failures {
			fmt.Fprintf(e.stdout, "  - %s\n", f.Reason)
		}
		if o.out != "" {
			fmt.Fprintf(e.stdout, "history written to %s\n", o.out)
		}
	}
	return verdictExit(res.Verdict), nil
}
