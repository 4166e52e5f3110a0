package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/traces"
	"github.com/spf13/pflag"
)

// checkOpts are check's flags.
type checkOpts struct {
	mf                     modelFlags
	lf                     limitFlags
	asJSON, states, verify *bool
	traceOut               *string
	sf                     shardFlags
}

// checkFlags defines check's flags on fs and returns check's run.
func checkFlags(fs *pflag.FlagSet) runFunc {
	o := &checkOpts{}
	o.mf.register(fs, "all")
	o.lf.register(fs)
	o.asJSON = fs.Bool("json", false, "print the reports as JSON (a list with --design all or several designs)")
	o.states = fs.Bool("states", false, "print the full state after every step of a trace")
	o.traceOut = fs.String("trace", "", "write every counterexample (completed with the reclaims it enables) and every path to a maximum as histories to this trace file, for rcucheck lin")
	o.verify = fs.Bool("verify", false, "also run the reference expander (Enabled, Apply) on every state and stop with an error (exit 2) at the first state where the fast expander disagrees with it (each state is expanded twice: about 2x slower)")
	o.sf.register(fs, "check.json", "designs")
	return func(ctx context.Context, e *env, _ []string) (int, error) { return runCheck(ctx, e, o) }
}

func runCheck(ctx context.Context, e *env, o *checkOpts) (int, error) {
	mf, lf, asJSON, states, traceOut, verify := &o.mf, &o.lf, o.asJSON, o.states, o.traceOut, o.verify
	ms, err := mf.models()
	if err != nil {
		return exitUsage, err
	}
	if err := o.sf.resolve("trace"); err != nil {
		return exitUsage, err
	}
	lf.every = e.every()
	defer exploreGC(os.Getenv)()
	wholeList := mf.design == "all" || len(ms) > 1
	list := wholeList || !o.sf.sh.Whole()    // a shard prints a list, of any length
	picked := o.sf.pick(equalCosts(len(ms))) // a round robin
	whole := len(ms)
	ms = pickModels(ms, picked)
	var reports []*model.Report
	for _, m := range ms {
		res, err := exploreModel(ctx, m, lf.options(e.stderr, "check "+m.Design().Name()), *verify)
		if err != nil {
			return exitUsage, err
		}
		reports = append(reports, res)
		if ctx.Err() != nil {
			break
		}
	}
	ran, notRun := len(reports), ms[len(reports):]
	if *traceOut != "" {
		if err := writeTraces(*traceOut, ms[:ran], reports); err != nil {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "rcucheck check: histories written to %s\n", *traceOut)
	}
	all := slices.Clone(reports)
	for _, m := range notRun {
		all = append(all, notRunReport(m))
	}
	if *asJSON {
		if err := writeJSON(e.stdout, all, list); err != nil {
			return exitUsage, err
		}
	} else {
		printReports(e.stdout, reports, *states)
		printNotRun(e.stdout, designNames(notRun))
	}
	if err := o.writeOut(all, picked, whole, wholeList, ctx.Err() != nil); err != nil {
		return exitUsage, err
	}
	if ctx.Err() != nil {
		return exitIncomplete, nil // interrupted: whatever was found so far
	}
	return checkExitCode(reports, len(notRun) > 0), nil
}

// notRunStop is the stop reason of a design an interruption kept from running.
const notRunStop = "not run (interrupted)"

// notRunReport is the JSON report of a design that never ran: incomplete,
// every verdict unknown.
func notRunReport(m *model.Model) *model.Report {
	r := &model.Report{Design: m.Design().Name(), Params: m.Params(), StopReason: notRunStop,
		Properties: map[string]model.PropertyReport{}}
	for _, name := range model.PropertyOrder() {
		r.Properties[name] = model.PropertyReport{Verdict: checker.Unknown}
	}
	return r
}

// printNotRun names the designs an interruption kept from running.
func printNotRun(w io.Writer, names []string) {
	if len(names) == 0 {
		return
	}
	fmt.Fprintf(w, "\nnot run: %s (interrupted)\n", strings.Join(names, ", "))
}

// designNames are the names of the designs of ms.
func designNames(ms []*model.Model) []string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Design().Name()
	}
	return names
}

// writeTraces writes the traces of every report as histories.
func writeTraces(path string, ms []*model.Model, reports []*model.Report) error {
	var hs []*traces.History
	for i, r := range reports {
		h, err := traces.FromReport(ms[i], r)
		if err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
		hs = append(hs, h...)
	}
	return traces.WriteFile(path, hs...)
}

// exploreModel checks m; with verify, every state's successors are
// computed by both expanders and compared (model.CheckVerified).
func exploreModel(ctx context.Context, m *model.Model, opt checker.Options, verify bool) (*model.Report, error) {
	if verify {
		return model.CheckVerified(ctx, m.Design(), m.Params(), opt)
	}
	return model.Check(ctx, m.Design(), m.Params(), opt)
}

// checkExitCode is 1 when a property is violated, else 3 when a run was
// incomplete (or skipped), else 0.
func checkExitCode(reports []*model.Report, skipped bool) int {
	incomplete := skipped
	for _, r := range reports {
		if r.Violated() {
			return exitViolated
		}
		if !r.Complete {
			incomplete = true
		}
	}
	if incomplete {
		return exitIncomplete
	}
	return exitOK
}

// writeJSON writes items as indented JSON: the list when list is set, else
// its only element.
func writeJSON[T any](w io.Writer, items []T, list bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if list {
		return enc.Encode(items)
	}
	return enc.Encode(items[0])
}

// printReports writes the verdict table, then every counterexample.
func printReports(w io.Writer, reports []*model.Report, states bool) {
	if len(reports) == 0 {
		return
	}
	fmt.Fprintf(w, "rcucheck check: N=%d B=%d C=%d K=%d (R and L as each design reads them)\n\n",
		reports[0].Params.CPUs, reports[0].Params.Bulk, reports[0].Params.Cache, reports[0].Params.Calls)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "design\tR\tL\tstates\ttransitions\tdepth\tNoStuck\tGracePeriod\tDrainable\tmax pages\tmax pending\tmax reserve_used")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d\n",
			r.Design, r.Params.Reserve, r.Params.Limit, r.States, r.Transitions, r.Depth,
			r.VerdictText(model.PropNoStuck),
			r.VerdictText(model.PropGracePeriod),
			r.VerdictText(model.PropDrainable),
			r.Max.Pages, r.Max.Pending, r.Max.ReserveUsed)
	}
	tw.Flush()
	for _, r := range reports {
		if !r.Complete {
			fmt.Fprintf(w, "\n%s: INCOMPLETE (%s): unknown verdicts are undecided, maxima are lower bounds\n", r.Design, r.StopReason)
		}
		if r.LossNote != "" {
			fmt.Fprintf(w, "\n%s: visited set of 60-bit hashes, %s: a holds is probabilistic and maxima are lower bounds; violated invariants are exact (their traces are real paths)\n", r.Design, r.LossNote)
		}
		if r.Symmetry {
			fmt.Fprintf(w, "\n%s: symmetry reduction: %d states (one per orbit of CPU permutations) stand for %d states and %d transitions of the full model\n",
				r.Design, r.States, r.FullStates, r.FullTransitions)
		}
		if r.Deadlocks > 0 {
			fmt.Fprintf(w, "\n%s: %d deadlocked states (no enabled transition)\n", r.Design, r.Deadlocks)
		}
		for _, name := range model.PropertyOrder() {
			p := r.Properties[name]
			if p.Verdict != checker.Violated {
				continue
			}
			what := "shortest counterexample"
			if name == model.PropDrainable {
				what = "shortest trace to a state from which pending = 0 is unreachable"
			}
			fmt.Fprintf(w, "\n%s: %s VIOLATED, %s (%d steps):\n", r.Design, name, what, len(p.Trace))
			printTrace(w, p.Trace, states)
		}
	}
}

// printTrace writes a trace one step a line: the action, then the metrics after it.
func printTrace(w io.Writer, steps []model.TraceStep, states bool) {
	width := 0
	for _, s := range steps {
		width = max(width, len(s.Action))
	}
	for i, s := range steps {
		fmt.Fprintf(w, "  %3d  %-*s  pages=%d pending=%d reserve_used=%d\n", i+1, width, s.Action, s.Pages, s.Pending, s.ReserveUsed)
		if states {
			fmt.Fprintf(w, "       %s\n", strings.TrimSpace(s.State))
		}
	}
}
