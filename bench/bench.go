package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/spin"
)

// Config is what the bench times and how.
type Config struct {
	Model *model.Model
	// Self is the rcucheck binary: every rcucheck sample is a child
	// process "Self bench --engine-only ..." (see EngineArgs).
	Self    string
	Runs    int  // timed runs of every setting (at least 1)
	Workers int  // rcucheck's workers for its main settings (0: one per core)
	Exact   bool // also time rcucheck's exact store
	// Check times what a user runs instead of the engine alone: "rcucheck
	// check" at its defaults (exact store, every property, Drainable
	// included, shortest traces) with Workers and with 1 worker.
	Check     bool
	SpinModes []spin.Mode
	// Install installs SPIN with apt-get when it is missing.
	Install bool
	Quiet   bool      // no progress lines
	Log     io.Writer // the bench's steps and progress (stderr)
	// Heartbeat, when set, writes line(elapsed) periodically until stop is
	// called, for the steps that report no progress of their own.
	Heartbeat func(line func(elapsed time.Duration) string) (stop func())
}

// heartbeat starts cfg.Heartbeat unless quiet or unset.
func (cfg *Config) heartbeat(line func(time.Duration) string) (stop func()) {
	if cfg.Quiet || cfg.Heartbeat == nil {
		return func() {}
	}
	return cfg.Heartbeat(line)
}

// SetupError is an error found before anything was timed (SPIN's model of
// the instance, SPIN's tools, the work directory): Run then returns no
// report.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// Run times rcucheck and SPIN on cfg.Model. The report holds what was
// measured even when an error or an interruption stopped the bench
// (Complete false); it is nil only with a *SetupError. The
// report is summarised.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	promela, dir, err := setup(ctx, cfg)
	if err != nil {
		return nil, &SetupError{err}
	}
	defer os.RemoveAll(dir)
	m := cfg.Model
	rep := &Report{Design: m.Design().Name(), Params: m.Params(), Runs: cfg.Runs}
	rep.Settings = engineSettings(ctx, cfg)
	err = measure(ctx, cfg, rep, promela, dir)
	rep.Complete = err == nil && ctx.Err() == nil
	rep.Summarise()
	return rep, err
}

// setup writes SPIN's model of the instance, installs SPIN when asked and
// missing, and makes the work directory.
func setup(ctx context.Context, cfg Config) (promela, dir string, err error) {
	m := cfg.Model
	if promela, err = spin.Promela(m.Design(), m.Params()); err != nil {
		return "", "", err
	}
	if err := spin.Tools(); err != nil {
		if !cfg.Install {
			return "", "", err
		}
		fmt.Fprintf(cfg.Log, "bench: %v; installing SPIN with apt-get\n", err)
		if err := spin.Install(ctx, os.Stderr); err != nil { // apt-get writes to the terminal
			return "", "", err
		}
	}
	if dir, err = os.MkdirTemp("", "rcucheck-bench-"); err != nil {
		return "", "", fmt.Errorf("bench work dir: %w", err)
	}
	return promela, dir, nil
}

// measure runs the stages: a first rcucheck run (which sizes SPIN's hash
// table and is the first timed sample), SPIN's verifier compiled in every
// mode, then the timed rounds.
func measure(ctx context.Context, cfg Config, rep *Report, promela, dir string) error {
	first, err := rep.Settings[0].run()
	if err != nil {
		return err
	}
	rep.Settings[0].Samples = append(rep.Settings[0].Samples, first)
	for _, md := range cfg.SpinModes {
		s, err := spinSetting(ctx, cfg, md, promela, dir, first.States)
		if err != nil {
			return err
		}
		rep.Settings = append(rep.Settings, s)
	}
	return rounds(cfg, rep)
}

// rounds times every setting cfg.Runs times, alternating the tools: odd
// rounds run SPIN first. The first setting's first sample is the sizing run.
func rounds(cfg Config, rep *Report) error {
	for round := 0; round < cfg.Runs; round++ {
		order := append([]*Setting(nil), rep.Settings...)
		if round%2 == 1 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, s := range order {
			if round == 0 && s == rep.Settings[0] {
				continue // the sizing run
			}
			fmt.Fprintf(cfg.Log, "bench: round %d/%d: %s %s\n", round+1, cfg.Runs, s.Tool, s.Setting)
			smp, err := s.run()
			if err != nil {
				return err
			}
			s.Samples = append(s.Samples, smp)
		}
	}
	return nil
}

// EngineArgs is the command line of one rcucheck sample, after the binary:
// "bench --engine-only" with the store, the workers and the instance.
func EngineArgs(design string, p model.Params, workers int, fingerprint, quiet bool) []string {
	return append([]string{"bench", "--engine-only", "--workers", fmt.Sprint(workers), fmt.Sprintf("--fingerprint=%v", fingerprint),
		fmt.Sprintf("--quiet=%v", quiet)}, instanceArgs(design, p)...)
}

// CheckArgs is the command line of one sample of the user-facing check,
// after the binary: "check --json" at its defaults with the workers and the
// instance.
func CheckArgs(design string, p model.Params, workers int, quiet bool) []string {
	return append([]string{"check", "--json", "--workers", fmt.Sprint(workers), fmt.Sprintf("--quiet=%v", quiet)},
		instanceArgs(design, p)...)
}

// instanceArgs are the flags of an instance: the design and its parameters.
func instanceArgs(design string, p model.Params) []string {
	return []string{"--design", design, "--cpus", fmt.Sprint(p.CPUs), "--bulk", fmt.Sprint(p.Bulk),
		"--cache", fmt.Sprint(p.Cache), "--reserve", fmt.Sprint(p.Reserve), "--calls", fmt.Sprint(p.Calls), "--limit", fmt.Sprint(p.Limit)}
}

// engineSettings are rcucheck's settings: the fingerprint store and (with
// cfg.Exact) the exact one with cfg.Workers, and the fingerprint store
// with 1 worker; with cfg.Check, the user-facing check instead.
func engineSettings(ctx context.Context, cfg Config) []*Setting {
	wname := fmt.Sprintf("%d workers", cfg.Workers)
	if cfg.Workers == 0 {
		wname = "all cores"
	}
	if cfg.Check {
		return checkSettings(ctx, cfg, wname)
	}
	var ss []*Setting
	add := func(fp bool, w int, label string) {
		args := EngineArgs(cfg.Model.Design().Name(), cfg.Model.Params(), w, fp, cfg.Quiet)
		ss = append(ss, &Setting{
			Tool: "rcucheck", Setting: label, Exact: !fp,
			Command: "rcucheck " + strings.Join(args, " "),
			run:     func() (Sample, error) { return child(ctx, cfg.Self, args, false) },
		})
	}
	add(true, cfg.Workers, "fingerprint, "+wname)
	if cfg.Exact {
		add(false, cfg.Workers, "exact, "+wname)
	}
	add(true, 1, "fingerprint, 1 worker")
	return ss
}

// spinSetting compiles SPIN's verifier in mode md, its hash table sized
// for states, and returns its setting.
func spinSetting(ctx context.Context, cfg Config, md spin.Mode, promela, dir string, states uint64) (*Setting, error) {
	fmt.Fprintf(cfg.Log, "bench: compiling SPIN's verifier (%s)\n", md.Name)
	stop := cfg.heartbeat(func(el time.Duration) string {
		return fmt.Sprintf("bench: compiling SPIN's verifier (%s), %s", md.Name, el)
	})
	b, err := spin.Compile(ctx, dir+"/"+md.Name, promela, md)
	stop()
	if err != nil {
		return nil, err
	}
	runArgs := spin.RunArgs(states)
	return &Setting{
		Tool: "spin", Setting: md.Name, Exact: md.Exact,
		Command: strings.Join(b.Command, " && ") + " && ./pan " + strings.Join(runArgs, " "),
		run: func() (Sample, error) {
			stop := cfg.heartbeat(func(el time.Duration) string { return fmt.Sprintf("bench: spin %s running, %s", md.Name, el) })
			r, err := b.Run(ctx, runArgs)
			stop()
			if err != nil {
				return Sample{}, err
			}
			if r.Truncated {
				return Sample{}, fmt.Errorf("SPIN (%s) stopped early: %s", md.Name, r.TruncateReason)
			}
			smp := NewSample(r.StatesStored, r.SpecTransitions(), r.Depth, r.Wall.Seconds(), r.PeakRSS, 0)
			smp.Rounded = r.Rounded
			return smp, nil
		},
	}, nil
}

// child runs rcucheck in a child process: self with args (EngineArgs, or
// CheckArgs, whose JSON has the same names for the figures read here), its
// stderr passed through. With violationOK, exit status 1 (a property
// violated, as "check" reports it) is a finished run.
func child(ctx context.Context, self string, args []string, violationOK bool) (Sample, error) {
	var r EngineRun
	wall, rss, err := runChild(ctx, self, args, &r, violationOK)
	if err != nil {
		return Sample{}, err
	}
	if !r.Complete {
		return Sample{}, fmt.Errorf("rcucheck %s did not finish", strings.Join(args, " "))
	}
	// The wall time of the whole process, as for SPIN's pan.
	return NewSample(r.States, r.Transitions, r.Depth, wall.Seconds(), rss, r.OmissionBound), nil
}

// runChild runs self with args, its stderr passed through, and reads the
// JSON it prints into v; it returns the wall time of the whole process and
// its peak resident size. With violationOK, exit status 1 (a property
// violated) is a finished run.
func runChild(ctx context.Context, self string, args []string, v any, violationOK bool) (time.Duration, uint64, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !(violationOK && errors.As(err, &exit) && exit.ExitCode() == 1) {
		return 0, 0, fmt.Errorf("rcucheck %s: %w", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		return 0, 0, fmt.Errorf("reading the figures of rcucheck %s: %w", args[0], err)
	}
	return wall, spin.PeakRSS(cmd.ProcessState), nil
}

// EngineRun is what one rcucheck exploration reports to the bench: the
// JSON that "rcucheck bench --engine-only" prints.
type EngineRun struct {
	States        uint64  `json:"states"`
	Transitions   uint64  `json:"transitions"`
	Depth         int     `json:"depth"`
	Complete      bool    `json:"complete"`
	Seconds       float64 `json:"seconds"`
	TableBytes    uint64  `json:"table_bytes"`
	OmissionBound float64 `json:"omission_bound"`
	// With symmetry: the states stored are orbit representatives, and
	// these are the full model's counts computed from orbit sizes.
	Symmetry        bool              `json:"symmetry,omitempty"`
	FullStates      uint64            `json:"full_states"`
	FullTransitions uint64            `json:"full_transitions"`
	Verdicts        map[string]string `json:"verdicts"`
	Max             map[string]int64  `json:"max"`
}

// Engine is the child's work: one exploration of the safety properties
// (the same work as SPIN's safety search: every state, its transitions,
// the invariants and the metric maxima; Drainable's graph is not kept).
// It lowers the GC target of the process.
func Engine(ctx context.Context, m *model.Model, opt checker.Options) (*EngineRun, error) {
	// The tables hold no pointers: a low GC target costs little time and
	// keeps the peak close to the live tables.
	debug.SetGCPercent(20)
	start := time.Now()
	res, err := checker.Explore(ctx, m.Checkable(), opt)
	if err != nil {
		return nil, err
	}
	r := &EngineRun{
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
	return r, nil
}
