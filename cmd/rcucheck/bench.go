package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/spin"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// engineRun is what one rcucheck exploration reports to the bench: the
// bench runs rcucheck in a child process ("bench --engine-only") so that
// its peak memory is measured the way SPIN's is.
type engineRun struct {
	States        uint64  `json:"states"`
	Transitions   uint64  `json:"transitions"`
	Depth         int     `json:"depth"`
	Complete      bool    `json:"complete"`
	Seconds       float64 `json:"seconds"`
	TableBytes    uint64  `json:"table_bytes"`
	OmissionBound float64 `json:"omission_bound"`
	// With --symmetry: the states stored are orbit representatives, and
	// these are the full model's counts computed from orbit sizes.
	Symmetry        bool              `json:"symmetry,omitempty"`
	FullStates      uint64            `json:"full_states"`
	FullTransitions uint64            `json:"full_transitions"`
	Verdicts        map[string]string `json:"verdicts"`
	Max             map[string]int64  `json:"max"`
}

// benchSetting is one configuration the bench times.
type benchSetting struct {
	Tool    string `json:"tool"`
	Setting string `json:"setting"`
	Command string `json:"command"`
	Exact   bool   `json:"exact"`

	run func(ctx context.Context) (benchSample, error)

	Samples []benchSample `json:"samples"`
	Median  benchSample   `json:"median"`
}

// benchSample is one timed run.
type benchSample struct {
	States        uint64  `json:"states"`
	Transitions   uint64  `json:"transitions"`
	Depth         int     `json:"depth"`
	Seconds       float64 `json:"seconds"`
	StatesPerSec  float64 `json:"states_per_sec"`
	PeakRSS       uint64  `json:"peak_rss_bytes"`
	BytesPerState float64 `json:"bytes_per_state"`
	OmissionBound float64 `json:"omission_bound,omitempty"`
	// Rounded: SPIN printed the counts with 8 significant digits.
	Rounded bool `json:"rounded,omitempty"`
}

// sameCounts compares the counts of two samples, to pan's 8 significant
// digits when one of them comes from pan's rounded output (SPIN counts one
// transition more, into the initial state).
func sameCounts(a, b benchSample) bool {
	if a.Rounded || b.Rounded {
		return spin.RoundCount(a.States) == spin.RoundCount(b.States) &&
			spin.RoundCount(a.Transitions+1) == spin.RoundCount(b.Transitions+1)
	}
	return a.States == b.States && a.Transitions == b.Transitions
}

// benchReport is the bench's JSON output.
type benchReport struct {
	Design      string          `json:"design"`
	Params      model.Params    `json:"params"`
	Runs        int             `json:"runs"`
	Settings    []*benchSetting `json:"settings"`
	CountsAgree bool            `json:"counts_agree"`
	Ratios      []benchRatio    `json:"ratios"`
	Complete    bool            `json:"complete"`
}

// benchRatio compares an rcucheck setting with a SPIN setting.
type benchRatio struct {
	Rcucheck      string  `json:"rcucheck"`
	Spin          string  `json:"spin"`
	StatesPerSec  float64 `json:"states_per_sec_ratio"`
	BytesPerState float64 `json:"bytes_per_state_ratio"`
}

func runBench(ctx context.Context, e *env, args []string) (int, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs, "head")
	runs := fs.Int("runs", 3, "timed runs of every setting; the tools alternate and medians are reported")
	workers := fs.Int("workers", 0, "rcucheck's workers for its main settings (0: one per core); a 1-worker setting is always timed too")
	modes := fs.String("spin-modes", "plain,collapse,hc4", "SPIN storage settings: plain, collapse, hc4 (comma list)")
	install := fs.Bool("install", true, "install SPIN from Debian's packages (apt-get) when it is missing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	exact := fs.Bool("exact", true, "also time rcucheck's exact store")
	engineOnly := fs.Bool("engine-only", false, "internal: run rcucheck's exploration once and print its figures as JSON (the bench runs itself this way to measure peak memory)")
	fprint := fs.Bool("fingerprint", true, "with --engine-only: fingerprint store")
	symmetry := fs.Bool("symmetry", false, "with --engine-only: CPU symmetry reduction (the figures then include the full model's counts)")
	scaling := fs.Bool("scaling", false, "instead: time rcucheck alone on instances of 10^5 to 10^7 states with 1 worker and every core")
	scalingMax := fs.Float64("scaling-max-states", 4e7, "with --scaling: skip instances larger than this")
	plotPath := fs.String("plot", "", "with --scaling: write a plot of states/s against states (.png, .svg or .pdf)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parseFlags(fs, args); err != nil {
		if err == flag.ErrHelp {
			printUsage(e.stdout, fs, "rcucheck bench [--design D] [--cpus N --bulk B --cache C --reserve R --calls K --limit L] [--runs 3] [--workers W] [--spin-modes plain,collapse,hc4] [--json]")
			return exitOK, nil
		}
		return exitUsage, err
	}
	if *runs < 1 {
		return exitUsage, usagef("--runs must be at least 1, got %d", *runs)
	}
	if *workers < 0 || *workers > checker.MaxWorkers {
		return exitUsage, usagef("--workers must be from 0 to %d, got %d", checker.MaxWorkers, *workers)
	}
	ms, err := mf.models()
	if err != nil {
		return exitUsage, err
	}
	if len(ms) != 1 {
		return exitUsage, usagef("--design: the bench takes one design, got %d", len(ms))
	}
	m := ms[0]
	if *engineOnly {
		opt := checker.Options{SkipGoals: true, Workers: *workers, Fingerprint: *fprint, Symmetry: *symmetry, ProgressEvery: e.every()}
		if !*quiet {
			opt.Progress = progressPrinter(e.stderr, fmt.Sprintf("bench %s (%s, %d workers)", m.Design().Name(), storeName(*fprint), *workers))
		}
		return benchEngine(ctx, e, m, opt)
	}
	if *plotPath != "" {
		switch strings.ToLower(filepath.Ext(*plotPath)) {
		case ".png", ".svg", ".pdf":
		default:
			return exitUsage, usagef("--plot %q: want a .png, .svg or .pdf file", *plotPath)
		}
	}
	if *scaling {
		self, err := os.Executable()
		if err != nil {
			return exitUsage, fmt.Errorf("finding rcucheck's own binary: %w", err)
		}
		return runScaling(ctx, e, self, *runs, *scalingMax, *plotPath, *asJSON, *quiet)
	}
	var spinModes []spin.Mode
	for _, name := range strings.Split(*modes, ",") {
		md, err := spin.LookupMode(strings.TrimSpace(name))
		if err != nil {
			return exitUsage, usageError{fmt.Errorf("--spin-modes: %w", err)}
		}
		spinModes = append(spinModes, md)
	}
	promela, err := spin.Promela(m.Design(), m.Params())
	if err != nil {
		return exitUsage, usageError{err}
	}
	if err := spin.Tools(); err != nil {
		if !*install {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "bench: %v; installing SPIN with apt-get\n", err)
		if err := spin.Install(ctx, os.Stderr); err != nil {
			return exitUsage, err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return exitUsage, fmt.Errorf("finding rcucheck's own binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "rcucheck-bench-")
	if err != nil {
		return exitUsage, fmt.Errorf("bench work dir: %w", err)
	}
	defer os.RemoveAll(dir)

	p := m.Params()
	modelArgs := []string{"--design", m.Design().Name(), "--cpus", fmt.Sprint(p.CPUs), "--bulk", fmt.Sprint(p.Bulk),
		"--cache", fmt.Sprint(p.Cache), "--reserve", fmt.Sprint(p.Reserve), "--calls", fmt.Sprint(p.Calls), "--limit", fmt.Sprint(p.Limit)}
	rep := &benchReport{Design: m.Design().Name(), Params: p, Runs: *runs}
	wname := fmt.Sprintf("%d workers", *workers)
	if *workers == 0 {
		wname = "all cores"
	}
	addEngine := func(fp bool, w int, label string) {
		args := append([]string{"bench", "--engine-only", "--workers", fmt.Sprint(w), fmt.Sprintf("--fingerprint=%v", fp), fmt.Sprintf("--quiet=%v", *quiet)}, modelArgs...)
		rep.Settings = append(rep.Settings, &benchSetting{
			Tool: "rcucheck", Setting: label, Exact: !fp,
			Command: "rcucheck " + strings.Join(args, " "),
			run:     func(ctx context.Context) (benchSample, error) { return benchChild(ctx, self, args) },
		})
	}
	addEngine(true, *workers, "fingerprint, "+wname)
	if *exact {
		addEngine(false, *workers, "exact, "+wname)
	}
	addEngine(true, 1, "fingerprint, 1 worker")

	// The expected state count sizes SPIN's hash table: taken from a first
	// rcucheck run (which is also the first timed sample).
	first, err := rep.Settings[0].run(ctx)
	if err != nil {
		return benchExit(ctx, e, rep, *asJSON, err)
	}
	rep.Settings[0].Samples = append(rep.Settings[0].Samples, first)
	for _, md := range spinModes {
		fmt.Fprintf(e.stderr, "bench: compiling SPIN's verifier (%s)\n", md.Name)
		stop := e.heartbeat(*quiet, func(el time.Duration) string {
			return fmt.Sprintf("bench: compiling SPIN's verifier (%s), %s", md.Name, el)
		})
		b, err := spin.Compile(ctx, dir+"/"+md.Name, promela, md)
		stop()
		if err != nil {
			return benchExit(ctx, e, rep, *asJSON, err)
		}
		runArgs := spin.RunArgs(first.States)
		rep.Settings = append(rep.Settings, &benchSetting{
			Tool: "spin", Setting: md.Name, Exact: md.Exact,
			Command: strings.Join(b.Command, " && ") + " && ./pan " + strings.Join(runArgs, " "),
			run: func(ctx context.Context) (benchSample, error) {
				stop := e.heartbeat(*quiet, func(el time.Duration) string { return fmt.Sprintf("bench: spin %s running, %s", md.Name, el) })
				r, err := b.Run(ctx, runArgs)
				stop()
				if err != nil {
					return benchSample{}, err
				}
				if r.Truncated {
					return benchSample{}, fmt.Errorf("SPIN (%s) stopped early: %s", md.Name, r.TruncateReason)
				}
				smp := sample(r.StatesStored, r.SpecTransitions(), r.Depth, r.Wall.Seconds(), r.PeakRSS, 0)
				smp.Rounded = r.Rounded
				return smp, nil
			},
		})
	}
	// Alternate the tools: odd rounds run SPIN first.
	for round := 0; round < *runs; round++ {
		order := append([]*benchSetting(nil), rep.Settings...)
		if round%2 == 1 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, s := range order {
			if round == 0 && s == rep.Settings[0] {
				continue // the sizing run
			}
			fmt.Fprintf(e.stderr, "bench: round %d/%d: %s %s\n", round+1, *runs, s.Tool, s.Setting)
			smp, err := s.run(ctx)
			if err != nil {
				return benchExit(ctx, e, rep, *asJSON, err)
			}
			s.Samples = append(s.Samples, smp)
		}
	}
	rep.Complete = true
	return benchExit(ctx, e, rep, *asJSON, nil)
}

// benchExit summarises and prints what was measured, even after an error
// or an interruption, and returns the exit code: 1 when exact settings
// disagree on the counts, 3 when the bench did not finish.
func benchExit(ctx context.Context, e *env, rep *benchReport, asJSON bool, err error) (int, error) {
	rep.summarise()
	if asJSON {
		if werr := writeJSON(e.stdout, []*benchReport{rep}, false); werr != nil {
			return exitUsage, werr
		}
	} else {
		printBench(e.stdout, rep)
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "bench: interrupted; the figures above are the runs that finished")
		return exitIncomplete, nil
	case err != nil:
		return exitUsage, err
	case !rep.CountsAgree:
		return exitViolated, nil
	}
	return exitOK, nil
}

func sample(states, trans uint64, depth int, sec float64, rss uint64, omission float64) benchSample {
	s := benchSample{States: states, Transitions: trans, Depth: depth, Seconds: sec, PeakRSS: rss, OmissionBound: omission}
	if sec > 0 {
		s.StatesPerSec = float64(states) / sec
	}
	if states > 0 {
		s.BytesPerState = float64(rss) / float64(states)
	}
	return s
}

// benchChild runs rcucheck's exploration in a child process.
func benchChild(ctx context.Context, self string, args []string) (benchSample, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		return benchSample{}, fmt.Errorf("rcucheck %s: %w", strings.Join(args, " "), err)
	}
	var r engineRun
	if err := json.Unmarshal(out, &r); err != nil {
		return benchSample{}, fmt.Errorf("reading rcucheck's figures: %w", err)
	}
	if !r.Complete {
		return benchSample{}, fmt.Errorf("rcucheck %s did not finish", strings.Join(args, " "))
	}
	rss := spin.PeakRSS(cmd.ProcessState)
	// The wall time of the whole process, as for SPIN's pan.
	return sample(r.States, r.Transitions, r.Depth, wall.Seconds(), rss, r.OmissionBound), nil
}

// benchEngine is the child: one exploration of the safety properties (the
// same work as SPIN's safety search: every state, its transitions, the
// invariants and the metric maxima; Drainable's graph is not kept).
func benchEngine(ctx context.Context, e *env, m *model.Model, opt checker.Options) (int, error) {
	// The tables hold no pointers: a low GC target costs little time and
	// keeps the peak close to the live tables.
	debug.SetGCPercent(20)
	start := time.Now()
	res, err := checker.Explore(ctx, m.Checkable(), opt)
	if err != nil {
		return exitUsage, err
	}
	r := engineRun{
		States: res.States, Transitions: res.Transitions, Depth: res.Depth, Complete: res.Complete,
		Seconds: time.Since(start).Seconds(), TableBytes: res.PeakBytes, OmissionBound: res.OmissionBound,
		Symmetry: res.Symmetry, FullStates: res.FullStates, FullTransitions: res.FullTransitions,
		Verdicts: map[string]string{}, Max: map[string]int64{},
	}
	for _, p := range res.Invariants {
		r.Verdicts[p.Name] = p.Verdict.String()
	}
	for _, mr := range res.Metrics {
		r.Max[mr.Name] = mr.Max
	}
	if err := json.NewEncoder(e.stdout).Encode(r); err != nil {
		return exitUsage, err
	}
	if !res.Complete {
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

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summarise computes medians, the count check and the ratios.
func (r *benchReport) summarise() {
	r.CountsAgree = true
	var ref *benchSample
	for _, s := range r.Settings {
		if len(s.Samples) == 0 {
			continue
		}
		var sec, sps, bps, rss []float64
		for _, x := range s.Samples {
			sec = append(sec, x.Seconds)
			sps = append(sps, x.StatesPerSec)
			bps = append(bps, x.BytesPerState)
			rss = append(rss, float64(x.PeakRSS))
		}
		s.Median = s.Samples[0]
		s.Median.Seconds, s.Median.StatesPerSec, s.Median.BytesPerState = median(sec), median(sps), median(bps)
		s.Median.PeakRSS = uint64(median(rss))
		for _, x := range s.Samples {
			if !sameCounts(x, s.Samples[0]) {
				r.CountsAgree = false
			}
		}
		if !s.Exact {
			continue
		}
		if ref == nil {
			ref = &s.Median
		} else if !sameCounts(s.Median, *ref) {
			r.CountsAgree = false
		}
	}
	r.Ratios = nil
	for _, a := range r.Settings {
		if a.Tool != "rcucheck" || len(a.Samples) == 0 {
			continue
		}
		for _, b := range r.Settings {
			if b.Tool != "spin" || len(b.Samples) == 0 || b.Median.StatesPerSec == 0 || b.Median.BytesPerState == 0 {
				continue
			}
			r.Ratios = append(r.Ratios, benchRatio{
				Rcucheck: a.Setting, Spin: b.Setting,
				StatesPerSec:  a.Median.StatesPerSec / b.Median.StatesPerSec,
				BytesPerState: a.Median.BytesPerState / b.Median.BytesPerState,
			})
		}
	}
}

func printBench(w io.Writer, r *benchReport) {
	fmt.Fprintf(w, "rcucheck bench: design %s, %s; %d runs per setting, tools alternating, medians\n\n", r.Design, r.Params, r.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tool\tsetting\tstates\ttransitions\tdepth\tseconds\tstates/s\tpeak MiB\tbytes/state\t")
	for _, s := range r.Settings {
		if len(s.Samples) == 0 {
			continue
		}
		x := s.Median
		depth := fmt.Sprint(x.Depth)
		if s.Tool == "spin" {
			depth = "(dfs)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.2f\t%.0f\t%.0f\t%.1f\t\n", s.Tool, s.Setting, x.States, x.Transitions, depth,
			x.Seconds, x.StatesPerSec, float64(x.PeakRSS)/(1<<20), x.BytesPerState)
	}
	tw.Flush()
	fmt.Fprintln(w)
	var ref benchSample
	for _, s := range r.Settings {
		if s.Tool == "rcucheck" && s.Exact && len(s.Samples) > 0 {
			ref = s.Median
		}
	}
	for _, s := range r.Settings {
		if len(s.Samples) == 0 {
			continue
		}
		switch {
		case s.Tool == "rcucheck" && !s.Exact:
			fmt.Fprintf(w, "%s %s: probability that a fingerprint collision hid a state <= %.2g\n", s.Tool, s.Setting, s.Median.OmissionBound)
		case s.Tool == "spin" && !s.Exact && ref.States > 0:
			fmt.Fprintf(w, "spin %s: stored %d of the %d states (%d lost to hash compaction)\n", s.Setting, s.Median.States, ref.States, int64(ref.States)-int64(s.Median.States))
		}
	}
	for _, s := range r.Settings {
		if len(s.Samples) > 0 && s.Median.Rounded {
			fmt.Fprintf(w, "spin %s: pan printed its counts rounded to 8 significant digits; they are compared at that precision\n", s.Setting)
		}
	}
	if r.CountsAgree {
		fmt.Fprintln(w, "counts: every exact setting of both tools found the same states and transitions")
	} else {
		fmt.Fprintln(w, "counts: MISMATCH between exact settings (see the table)")
	}
	fmt.Fprintln(w, "\nratios (rcucheck / SPIN; states/s higher is better, bytes/state lower is better):")
	for _, q := range r.Ratios {
		fmt.Fprintf(w, "  %-28s vs spin %-9s states/s x%.2f  bytes/state x%.2f\n", q.Rcucheck, q.Spin, q.StatesPerSec, q.BytesPerState)
	}
	fmt.Fprintln(w, "\ncommands:")
	for _, s := range r.Settings {
		fmt.Fprintf(w, "  %s %s: %s\n", s.Tool, s.Setting, s.Command)
	}
	if !r.Complete {
		fmt.Fprintln(w, "\nINCOMPLETE: not every run finished")
	}
}

// scalingInstance is an instance of the scaling table.
type scalingInstance struct {
	design string
	n, k   int
	approx float64 // states, to skip instances over --scaling-max-states before running them
}

// scalingInstances span 10^5 to 10^7 states at the spec's B, C, R, L.
func scalingInstances() []scalingInstance {
	return []scalingInstance{
		{"reserve", 2, 2, 1.9e5},
		{"head", 2, 2, 8.9e5},
		{"head", 3, 1, 2.0e6},
		{"sync", 2, 3, 3.6e6},
		{"head", 2, 3, 3.1e7},
	}
}

// scalingPoint is one measured point of the scaling table.
type scalingPoint struct {
	Instance string      `json:"instance"`
	Workers  int         `json:"workers"`
	Median   benchSample `json:"median"`
}

// runScaling times rcucheck (fingerprint store) on instances of growing
// size with 1 worker and with every core, and optionally plots states/s
// against the state count.
func runScaling(ctx context.Context, e *env, self string, runs int, maxStates float64, plotPath string, asJSON, quiet bool) (int, error) {
	workers := []int{1, 2}
	if n := runtime.GOMAXPROCS(0); n > 2 {
		workers = append(workers, n)
	}
	var points []scalingPoint
	stopped := false
	for _, in := range scalingInstances() {
		if in.approx > maxStates {
			continue
		}
		p := model.DefaultParams()
		p.CPUs, p.Calls = in.n, in.k
		name := fmt.Sprintf("%s N=%d K=%d", in.design, in.n, in.k)
		for _, w := range workers {
			args := []string{"bench", "--engine-only", "--fingerprint=true", fmt.Sprintf("--quiet=%v", quiet), "--workers", fmt.Sprint(w), "--design", in.design,
				"--cpus", fmt.Sprint(in.n), "--calls", fmt.Sprint(in.k)}
			var samples []benchSample
			for i := 0; i < runs && !stopped; i++ {
				fmt.Fprintf(e.stderr, "bench --scaling: %s, %d workers, run %d/%d\n", name, w, i+1, runs)
				s, err := benchChild(ctx, self, args)
				if err != nil {
					if ctx.Err() != nil {
						stopped = true
						break
					}
					return exitUsage, err
				}
				samples = append(samples, s)
			}
			if len(samples) > 0 {
				rep := benchReport{Settings: []*benchSetting{{Samples: samples}}}
				rep.summarise()
				points = append(points, scalingPoint{Instance: name, Workers: w, Median: rep.Settings[0].Median})
			}
		}
	}
	if asJSON {
		if err := writeJSON(e.stdout, [][]scalingPoint{points}, false); err != nil {
			return exitUsage, err
		}
	} else {
		fmt.Fprintf(e.stdout, "rcucheck bench --scaling: fingerprint store, safety properties, median of %d runs\n\n", runs)
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "instance\tstates\ttransitions\tworkers\tseconds\tstates/s\tbytes/state\tspeedup\t")
		one := map[string]float64{}
		for _, pt := range points {
			if pt.Workers == 1 {
				one[pt.Instance] = pt.Median.StatesPerSec
			}
			speed := "1.00"
			if b := one[pt.Instance]; b > 0 && pt.Workers != 1 {
				speed = fmt.Sprintf("%.2f", pt.Median.StatesPerSec/b)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.0f\t%.1f\t%s\t\n", pt.Instance, pt.Median.States, pt.Median.Transitions,
				pt.Workers, pt.Median.Seconds, pt.Median.StatesPerSec, pt.Median.BytesPerState, speed)
		}
		tw.Flush()
	}
	if plotPath != "" && len(points) > 0 {
		if err := plotScaling(points, plotPath); err != nil {
			return exitUsage, err
		}
		fmt.Fprintf(e.stderr, "bench --scaling: wrote %s\n", plotPath)
	}
	if stopped {
		return exitIncomplete, nil
	}
	return exitOK, nil
}

// plotScaling draws states/s against states, one line per worker count,
// and writes it atomically (a temporary file renamed into place).
func plotScaling(points []scalingPoint, path string) error {
	p := plot.New()
	p.Title.Text = "rcucheck: states per second against instance size"
	p.X.Label.Text = "states (log scale)"
	p.Y.Label.Text = "states per second"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	byW := map[int]plotter.XYs{}
	var ws []int
	for _, pt := range points {
		if _, ok := byW[pt.Workers]; !ok {
			ws = append(ws, pt.Workers)
		}
		byW[pt.Workers] = append(byW[pt.Workers], plotter.XY{X: float64(pt.Median.States), Y: pt.Median.StatesPerSec})
	}
	for i, w := range ws {
		line, pts, err := plotter.NewLinePoints(byW[w])
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		line.Color = plotutil.Color(i)
		pts.Color = plotutil.Color(i)
		pts.Shape = plotutil.Shape(i)
		p.Add(line, pts)
		p.Legend.Add(fmt.Sprintf("%d worker(s)", w), line, pts)
	}
	p.Add(plotter.NewGrid())
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".scaling-*"+filepath.Ext(path))
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := p.Save(6*vg.Inch, 4*vg.Inch, tmp.Name()); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
