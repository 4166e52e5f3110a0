package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/rcucheck/rcucheck/traces"
)

// importReport is what rcucheck import ftrace --json prints.
type importReport struct {
	*traces.Import
	Contract *traces.Result `json:"contract"`
	Trace    string         `json:"trace,omitempty"`
}

func runImport(ctx context.Context, e *env, args []string) (int, error) {
	if len(args) == 0 || (args[0] != "ftrace" && args[0] != "-h" && args[0] != "--help" && args[0] != "-help") {
		return exitUsage, usagef("want 'rcucheck import ftrace FILE' (the only importer today)")
	}
	fs := flag.NewFlagSet("import ftrace", flag.ContinueOnError)
	out := fs.String("trace", "", "also write the imported history to this trace file (for rcucheck lin)")
	window := fs.String("window", traces.DefaultWindow.String(), "uncertainty of every kernel timestamp (a duration, or an integer in ns)")
	asJSON := fs.Bool("json", false, "print figures, contract verdict and replay as JSON")
	timeout := fs.Duration("timeout", 0, "stop the contract check after this long: verdict unknown, exit 3 (0: no limit)")
	noReplay := fs.Bool("no-replay", false, "skip the model replay")
	if args[0] == "ftrace" {
		args = args[1:]
	}
	if err := parseArgs(e, fs, args, 1, "rcucheck import ftrace FILE [--trace out.jsonl] [--window 10us] [--json]"); err != nil {
		return exitUsage, err
	}
	w, err := parseWindow(*window, traces.UnitNS)
	if err != nil {
		return exitUsage, usageError{err}
	}
	if *timeout < 0 {
		return exitUsage, usagef("--timeout: must be >= 0 (0: no limit), got %s", *timeout)
	}
	if *out != "" {
		if err := traces.CheckWritable(*out); err != nil {
			return exitUsage, usageError{fmt.Errorf("--trace: %w", err)}
		}
	}
	iw := w
	if iw == 0 {
		iw = -1 // no window at all
	}
	imp, err := traces.ImportFtraceFile(fs.Arg(0), traces.ImportOptions{Window: iw, NoReplay: *noReplay})
	if err != nil {
		return exitUsage, usageError{err}
	}
	res, err := traces.Check(ctx, imp.History, traces.CheckOptions{Window: w, Timeout: *timeout})
	if err != nil {
		return exitUsage, err
	}
	rep := importReport{Import: imp, Contract: res}
	if *out != "" {
		if err := traces.WriteFile(*out, imp.History); err != nil {
			return exitUsage, err
		}
		rep.Trace = *out
	}
	if *asJSON {
		if err := writeJSON(e.stdout, []any{rep}, false); err != nil {
			return exitUsage, err
		}
	} else {
		traces.PrintImport(e.stdout, imp)
		fmt.Fprintf(e.stdout, "contract (window %s): %s: %d objects, %d reclaimed, %d grace periods, %d partitions, largest %d operations, %.2fs\n",
			time.Duration(w), res.Verdict, res.Objects, res.Reclaimed, res.GracePeriods, res.Partitions, res.MaxPartOps, res.ElapsedSec)
		for _, f := range res.Failures {
			fmt.Fprintf(e.stdout, "  - %s\n", f.Reason)
		}
		if *out != "" {
			fmt.Fprintf(e.stdout, "history written to %s\n", *out)
		}
	}
	return verdictExit(res.Verdict), nil
}
