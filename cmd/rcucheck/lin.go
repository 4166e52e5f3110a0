package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rcucheck/rcucheck/traces"
	"github.com/spf13/pflag"
)

// linReport is what rcucheck lin --json prints.
type linReport struct {
	File      string           `json:"file"`
	Verdict   string           `json:"verdict"`
	Histories []*traces.Result `json:"histories"`
	HTML      []string         `json:"html,omitempty"`
	Import    *traces.Import   `json:"import,omitempty"`
}

// linFlags defines lin's flags on fs and returns lin's run.
func linFlags(fs *pflag.FlagSet) runFunc {
	htmlOut := fs.String("html", "", "write Porcupine's visualisation, annotated with grace periods and reclaims, to this file (several histories: FILE-1.html, FILE-2.html, ...)")
	asJSON := fs.Bool("json", false, "print the verdicts as JSON")
	window := fs.String("window", "auto", "uncertainty added around every time: an integer in the history's unit, or a duration such as 10us for ns histories; auto: 0 for model steps, "+traces.DefaultWindow.String()+" for ns")
	timeout := fs.Duration("timeout", 0, "stop after this long; the verdict is then unknown (exit 3) unless a violation was found (0: no limit)")
	maxHTML := fs.Int("html-objects", 200, "at most this many objects in the visualisation (failing ones first)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	return func(ctx context.Context, e *env, args []string) (int, error) {
		return runLin(ctx, e, args[0], linOpts{*htmlOut, *asJSON, *window, *timeout, *maxHTML, *quiet})
	}
}

// linOpts are lin's flags.
type linOpts struct {
	htmlOut string
	asJSON  bool
	window  string
	timeout time.Duration
	maxHTML int
	quiet   bool
}

// runLin judges the histories of the trace file path.
func runLin(ctx context.Context, e *env, path string, o linOpts) (int, error) {
	if _, err := parseWindow(o.window, traces.UnitNS); err != nil {
		return exitUsage, usageError{err}
	}
	if o.timeout < 0 {
		return exitUsage, usagef("--timeout: must be >= 0 (0: no limit), got %s", o.timeout)
	}
	if o.htmlOut != "" {
		if err := traces.CheckWritable(o.htmlOut); err != nil {
			return exitUsage, usageError{fmt.Errorf("--html: %w", err)}
		}
	}
	iopt := traces.ImportOptions{ProgressEvery: e.every(), Progress: importProgress(e, "lin", o.quiet)}
	if o.htmlOut == "" {
		return runLinStream(ctx, e, path, o, iopt)
	}
	hs, imp, err := readHistories(path, o.window, iopt)
	if err != nil {
		return exitUsage, usageError{err}
	}
	for i := range hs {
		if o.htmlOut == "" {
			break
		}
		if err := traces.CheckWritable(htmlName(o.htmlOut, i, len(hs))); err != nil {
			return exitUsage, usageError{fmt.Errorf("--html: %w", err)}
		}
	}
	rep := linReport{File: path, Import: imp}
	var deadline time.Time
	if o.timeout > 0 {
		deadline = time.Now().Add(o.timeout)
	}
	for i, h := range hs {
		w, err := parseWindow(o.window, h.Header.TimeUnit)
		if err != nil {
			return exitUsage, usageError{err}
		}
		opt := traces.CheckOptions{Window: w, ProgressEvery: e.every(), Progress: checkProgress(e, fmt.Sprintf("lin: history %d/%d", i+1, len(hs)), o.quiet)}
		if !deadline.IsZero() {
			if opt.Timeout = time.Until(deadline); opt.Timeout <= 0 {
				opt.Timeout = time.Nanosecond
			}
		}
		res, err := traces.Check(ctx, h, opt)
		if err != nil {
			return exitUsage, fmt.Errorf("history %d: %w", i+1, err)
		}
		rep.Histories = append(rep.Histories, res)
		if o.htmlOut != "" {
			out := htmlName(o.htmlOut, i, len(hs))
			var failed []string
			for _, f := range res.Failures {
				failed = append(failed, f.Obj)
			}
			err := traces.WriteFileAtomic(out, func(wr io.Writer) error {
				_, err := traces.Visualize(h, traces.VisualizeOptions{Window: w, Timeout: opt.Timeout, MaxObjects: o.maxHTML, Failed: failed}, wr)
				return err
			})
			if err != nil {
				return exitUsage, err
			}
			rep.HTML = append(rep.HTML, out)
		}
	}
	return reportLin(e, &rep, o.asJSON)
}

// runLinStream judges the histories of path as it reads them (no --html:
// nothing needs them whole).
func runLinStream(ctx context.Context, e *env, path string, o linOpts, iopt traces.ImportOptions) (int, error) {
	opt := traces.StreamOptions{
		Check:  traces.CheckOptions{ProgressEvery: e.every()},
		Window: func(unit string) (int64, error) { return parseWindow(o.window, unit) },
		Progress: func(i int) func(traces.CheckProgress) {
			return checkProgress(e, fmt.Sprintf("lin: history %d", i), o.quiet)
		},
	}
	if o.timeout > 0 {
		opt.Deadline = time.Now().Add(o.timeout)
	}
	defer streamGC(os.Getenv)()
	res, imp, err := traces.CheckStreamFile(ctx, path, opt, iopt)
	if err != nil {
		return exitUsage, usageError{err}
	}
	rep := linReport{File: path, Import: imp, Histories: res}
	return reportLin(e, &rep, o.asJSON)
}

// reportLin prints lin's report and returns its exit code.
func reportLin(e *env, rep *linReport, asJSON bool) (int, error) {
	rep.Verdict = overallVerdict(rep.Histories)
	if asJSON {
		if err := writeJSON(e.stdout, []any{rep}, false); err != nil {
			return exitUsage, err
		}
	} else {
		printLin(e.stdout, rep)
	}
	return verdictExit(rep.Verdict), nil
}

// verdictExit is lin's and import's exit code: 1 not linearizable, 3
// unknown (a timeout or an interrupt), 0 linearizable.
func verdictExit(v string) int {
	switch v {
	case traces.NotLinearizable:
		return exitViolated
	case traces.Unknown:
		return exitIncomplete
	}
	return exitOK
}

// readHistories reads a trace file, or imports an ftrace capture with
// iopt (its window set from window).
func readHistories(path, window string, iopt traces.ImportOptions) ([]*traces.History, *traces.Import, error) {
	kind, err := traces.Sniff(path)
	if err != nil {
		return nil, nil, err
	}
	if kind == traces.KindFtrace {
		w, err := parseWindow(window, traces.UnitNS)
		if err != nil {
			return nil, nil, err
		}
		iopt.Window = w
		imp, err := traces.ImportFtraceFile(path, iopt)
		if err != nil {
			return nil, nil, err
		}
		return []*traces.History{imp.History}, imp, nil
	}
	hs, err := traces.ReadFile(path)
	return hs, nil, err
}

// parseWindow reads --window for a history in unit.
func parseWindow(s, unit string) (int64, error) {
	if s == "" || s == "auto" {
		if unit == traces.UnitNS {
			return int64(traces.DefaultWindow), nil
		}
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("--window: must be >= 0, got %d", n)
		}
		return n, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("--window: want an integer or a duration such as 10us, got %q", s)
	}
	if unit != traces.UnitNS {
		return 0, fmt.Errorf("--window: a duration needs a history in ns, this one counts %ss", unit)
	}
	if d < 0 {
		return 0, fmt.Errorf("--window: must be >= 0, got %s", d)
	}
	return int64(d), nil
}

func htmlName(base string, i, n int) string {
	if n == 1 {
		return base
	}
	ext := filepath.Ext(base)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(base, ext), i+1, ext)
}

func overallVerdict(rs []*traces.Result) string {
	v := traces.Linearizable
	for _, r := range rs {
		switch r.Verdict {
		case traces.NotLinearizable:
			return traces.NotLinearizable
		case traces.Unknown:
			v = traces.Unknown
		}
	}
	return v
}

func printLin(w io.Writer, rep *linReport) {
	if rep.Import != nil {
		traces.PrintImport(w, rep.Import)
		fmt.Fprintln(w)
	}
	for i, r := range rep.Histories {
		label := r.Label
		if label == "" {
			label = "history"
		}
		fmt.Fprintf(w, "%d. %s: %s%s\n", i+1, label, strings.ToUpper(r.Verdict), r.Lossy())
		fmt.Fprintf(w, "   %d operations, %d objects (%d reclaimed), %d read sections, %d grace periods; %d partitions checked, largest %d operations; window %d %s; %.3fs\n",
			r.Operations, r.Objects, r.Reclaimed, r.Sections, r.GracePeriods, r.Partitions, r.MaxPartOps, r.Window, r.TimeUnit, r.ElapsedSec)
		if r.Expected != "" && r.Expected != r.Verdict && r.Verdict != traces.Unknown {
			fmt.Fprintf(w, "   NOTE: the writer expected %s\n", r.Expected)
		}
		if r.Undecided > 0 || r.StopReason != "" {
			fmt.Fprintf(w, "   %d partitions undecided (%s)\n", r.Undecided, r.StopReason)
		}
		if r.Failed > 0 {
			fmt.Fprintf(w, "   %d objects violate the contract", r.Failed)
			if len(r.Failures) < r.Failed {
				fmt.Fprintf(w, " (first %d shown)", len(r.Failures))
			}
			fmt.Fprintln(w, ":")
			for _, f := range r.Failures {
				fmt.Fprintf(w, "   - %s\n", f.Reason)
				for _, op := range f.Ops {
					fmt.Fprintf(w, "       %s\n", op)
				}
			}
		}
	}
	for _, h := range rep.HTML {
		fmt.Fprintf(w, "visualisation: %s\n", h)
	}
	lossy := ""
	for _, r := range rep.Histories {
		if r.LossNote != "" {
			lossy = " (lossy: see above)"
		}
	}
	fmt.Fprintf(w, "verdict: %s%s\n", rep.Verdict, lossy)
}
