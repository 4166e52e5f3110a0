package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/checker"
	"github.com/spf13/pflag"
)

// claimsFlags defines claims' flags on fs and returns claims' run.
func claimsFlags(fs *pflag.FlagSet) runFunc {
	var lf limitFlags
	lf.register(fs)
	o := bound.DefaultClaimsOptions()
	fs.IntVar(&o.Base.Bulk, "bulk", o.Base.Bulk, "B: object pointers per bulk page, for the sweeps")
	fs.IntVar(&o.Base.Cache, "cache", o.Base.Cache, "C: page-cache capacity per CPU, for the sweeps")
	fs.IntVar(&o.MaxCalls, "calls", o.MaxCalls, "the sweeps run K = 1..this (3..12)")
	asJSON := fs.Bool("json", false, "print the claims as JSON")
	details := fs.Bool("details", false, "print every claim's evidence and traces in full")
	return func(ctx context.Context, e *env, _ []string) (int, error) {
		return runClaims(ctx, e, &lf, o, *asJSON, *details)
	}
}

// runClaims computes and prints the claims.
func runClaims(ctx context.Context, e *env, lf *limitFlags, o bound.ClaimsOptions, asJSON, details bool) (int, error) {
	switch {
	case o.MaxCalls < 3 || o.MaxCalls > 12:
		return exitUsage, usagef("--calls: must be between 3 and 12, got %d", o.MaxCalls)
	case o.Base.Bulk < 1 || o.Base.Bulk > 8:
		return exitUsage, usagef("--bulk: must be between 1 and 8, got %d", o.Base.Bulk)
	case o.Base.Cache < 0 || o.Base.Cache > 4:
		return exitUsage, usagef("--cache: must be between 0 and 4, got %d", o.Base.Cache)
	}
	o.Check = lf.options(e.stderr, "claims")
	o.Check.Progress = nil // RunProgress says which run it is
	if !lf.quiet {
		o.Progress = func(s string) { fmt.Fprintf(e.stderr, "claims: %s\n", s) }
		o.RunProgress = runProgress(e.stderr, "claims", lf)
	}
	claims, err := bound.Claims(ctx, o)
	incomplete := false
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, bound.ErrIncomplete) {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "rcucheck claims: %v (the claims decided so far follow)\n", err)
		incomplete = true
	}
	if asJSON {
		if err := writeJSON(e.stdout, []any{claims}, false); err != nil {
			return exitUsage, err
		}
	} else {
		printClaims(e.stdout, o, claims, details)
	}
	if incomplete {
		return exitIncomplete, nil
	}
	return exitOK, nil
}

// runProgress returns the progress line of every run of a bound or claims
// computation: the command, what the run explores, and the checker's line
// (lf.options words it); nil with --quiet.
func runProgress(w io.Writer, cmd string, lf *limitFlags) bound.RunProgress {
	if lf.quiet {
		return nil
	}
	return func(run string, p checker.Progress) {
		lf.options(w, cmd+": "+run).Progress(p)
	}
}

// printClaims writes the claims table, then each claim's evidence.
func printClaims(w io.Writer, o bound.ClaimsOptions, claims []bound.Claim, details bool) {
	fmt.Fprintf(w, "rcucheck claims: the kernel thread's technical claims, computed now (sweeps K=1..%d at N=%d B=%d C=%d; proofs and witnesses with no workload bound)\n\n",
		o.MaxCalls, o.Base.CPUs, o.Base.Bulk, o.Base.Cache)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tclaim\tdesign\tverdict\tbasis\tcomputed")
	for i, c := range claims {
		verdict := strings.ToUpper(c.Verdict)
		if c.Lossy() {
			verdict += " (" + c.LossNote + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i+1, c.ID, c.Design, verdict, c.Basis, c.Figure)
	}
	tw.Flush()
	for i, c := range claims {
		fmt.Fprintf(w, "\n%d. %s (%s): %s\n", i+1, c.ID, c.Who, c.Claim)
		fmt.Fprintf(w, "   %s rests on (%s):\n", strings.ToUpper(c.Verdict), c.Basis)
		for _, g := range c.Grounds {
			fmt.Fprintf(w, "   * %s: %s\n", g.Kind, g.Fact)
		}
		for _, cv := range c.Caveats {
			fmt.Fprintf(w, "   ! not exact: %s\n", cv)
		}
		for _, ev := range c.Evidence {
			fmt.Fprintf(w, "   - %s\n", ev)
		}
		if len(c.Trace) > 0 && (details || len(c.Trace) <= 12) {
			fmt.Fprintf(w, "   trace (%d steps):\n", len(c.Trace))
			printTrace(w, c.Trace, details)
		}
	}
	fmt.Fprintln(w, "\nrcucheck bound --design D --sweep calls=1..8 --plot out.svg shows any of these sweeps; rcucheck check the verdict table.")
}
