package gate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// Exit codes of Main, rcucheck's.
const (
	ExitPass        = 0 // every row passed
	ExitFail        = 1 // a row failed or was undecided
	ExitUsage       = 2 // bad flags or a bad gate file
	ExitInterrupted = 3 // Ctrl-C: the rows done so far are reported
)

// Main is "rcucheck gate": it parses args (flags, then the gate file), runs
// the file with the designs of reg, prints the summary table on stdout,
// writes gate.json, junit.xml and counterexample traces to --out, and
// returns the exit code. Errors go to stderr on one line. A user's own
// binary calls it with a registry holding their designs.
func Main(ctx context.Context, stdout, stderr io.Writer, args []string, reg *model.Registry) int {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "gate-out", "directory for gate.json, junit.xml and traces/ (empty: write nothing)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "rcucheck gate: "+format+"\n", a...)
		return ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: rcucheck gate [--out DIR] [--quiet] FILE.toml")
			fmt.Fprintln(stdout, "\nexit codes: 0 every row passed, 1 a row failed or was undecided, 2 bad flags or gate file, 3 interrupted")
			fmt.Fprintln(stdout, "\nflags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return ExitPass
		}
		return fail("%v", err)
	}
	if fs.NArg() != 1 {
		return fail("want one gate file, got %d arguments", fs.NArg())
	}
	f, err := Load(fs.Arg(0), reg)
	if err != nil {
		return fail("%v", err)
	}
	opt := Options{}
	if !*quiet {
		last := time.Now()
		opt.Progress = func(row string, p checker.Progress) {
			if time.Since(last) >= 5*time.Second {
				last = time.Now()
				fmt.Fprintf(stderr, "gate: %s: %d states, depth %d, %s\n", row, p.States, p.Depth, p.Elapsed.Round(time.Second))
			}
		}
		opt.RowDone = func(r *Row) {
			fmt.Fprintf(stderr, "gate: %-9s %s (%d states, %.1fs)\n", r.Status, r.ID(), r.States, r.ElapsedSec)
		}
	}
	res, err := Run(ctx, f, opt)
	if err != nil {
		return fail("%v", err)
	}
	WriteTable(stdout, res)
	if *out != "" {
		if err := WriteOutputs(*out, res); err != nil {
			fmt.Fprintf(stderr, "rcucheck gate: %v\n", err)
			return ExitUsage
		}
	}
	switch {
	case res.Failed > 0:
		return ExitFail
	case res.Interrupted:
		return ExitInterrupted
	case !res.Passed:
		return ExitFail
	}
	return ExitPass
}
