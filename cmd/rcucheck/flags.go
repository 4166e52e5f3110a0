package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// modelFlags are the flags that choose designs and parameters.
type modelFlags struct {
	design string
	params model.Params
}

// register defines the model flags on fs, the same for every command that
// takes them.
func (f *modelFlags) register(fs *pflag.FlagSet, defaultDesign string) {
	f.params = model.DefaultParams()
	fs.StringVar(&f.design, "design", defaultDesign, "design: "+strings.Join(model.BuiltinRegistry().Names(), ", ")+", a comma-separated list, or all (the spec's five)")
	fs.IntVar(&f.params.CPUs, "cpus", f.params.CPUs, "N: CPUs (1..64)")
	fs.IntVar(&f.params.Bulk, "bulk", f.params.Bulk, "B: object pointers per bulk page")
	fs.IntVar(&f.params.Cache, "cache", f.params.Cache, "C: page-cache capacity per CPU")
	fs.IntVar(&f.params.Reserve, "reserve", f.params.Reserve, "R: emergency reserve pages (designs reserve, limit)")
	fs.IntVar(&f.params.Calls, "calls", f.params.Calls, "K: frees each CPU issues")
	fs.IntVar(&f.params.Limit, "limit", f.params.Limit, "L: in-flight objects per CPU (design limit)")
}

// designs resolves the --design flag.
func (f *modelFlags) designs() ([]model.Design, error) {
	if f.design == "all" {
		return model.Designs(), nil
	}
	var ds []model.Design
	for _, name := range strings.Split(f.design, ",") {
		d, err := model.LookupDesign(strings.TrimSpace(name))
		if err != nil {
			return nil, usageError{fmt.Errorf("--design: %w", err)}
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// models builds the model of every chosen design, so that bad parameters
// are reported before any work starts.
func (f *modelFlags) models() ([]*model.Model, error) {
	ds, err := f.designs()
	if err != nil {
		return nil, err
	}
	var ms []*model.Model
	for _, d := range ds {
		m, err := model.New(d, f.params)
		if err != nil {
			return nil, usageError{fmt.Errorf("design %s: %w", d.Name(), err)}
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// limitFlags bound an exhaustive run.
type limitFlags struct {
	maxStates uint64
	maxMemMiB uint64
	timeout   time.Duration
	quiet     bool
	workers   int
	symmetry  bool
	fprint    bool
	disk      string        // --disk: the directory of a disk run
	every     time.Duration // progress period (0: a second)
}

// maxMemoryMiB is the largest --max-memory: its bytes fit in 64 bits.
const maxMemoryMiB = 1<<44 - 1

// register defines every limit flag on fs, the same for every command
// that takes them.
func (f *limitFlags) register(fs *pflag.FlagSet) {
	f.maxMemMiB = 8192
	fs.Var(countFlag{&f.maxStates, math.MaxUint64}, "max-states", "stop after this many `N` distinct states (0: no limit); the run is then incomplete")
	fs.Var(countFlag{&f.maxMemMiB, maxMemoryMiB}, "max-memory", "stop before the checker's tables and buffers pass this many `MiB` (0: no limit); the run is then incomplete")
	fs.Var(durationFlag{&f.timeout}, "timeout", "stop after this `duration`, e.g. 30s (0: no limit)")
	fs.StringVar(&f.disk, "disk", "", "keep the visited set, the levels and the parent links in files in a new directory under `DIR` (removed at the end) instead of memory: the same figures and traces within --max-memory, slower; a full disk stops the run as incomplete")
	f.registerStore(fs)
}

// registerStore defines the flags of the store, the workers and the
// progress lines alone: the limit flags that a command timing whole runs
// (bench) takes.
func (f *limitFlags) registerStore(fs *pflag.FlagSet) {
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines on stderr")
	fs.Var(workersFlag{&f.workers}, "workers", fmt.Sprintf("`N` goroutines exploring (0: one per core; at most %d); the figures are the same for every value", checker.MaxWorkers))
	fs.BoolVar(&f.symmetry, "symmetry", false, "store one state per orbit of CPU permutations (same verdicts and maxima, fewer states)")
	fs.BoolVar(&f.fprint, "fingerprint", false, "store 60-bit hashes of states instead of states (7 bytes a slot; the omission probability is bounded by n^2/2^61)")
}

func (f *limitFlags) options(stderr io.Writer, label string) checker.Options {
	opt := checker.Options{MaxStates: f.maxStates, MaxMemory: f.maxMemMiB << 20, Timeout: f.timeout,
		Workers: f.workers, Symmetry: f.symmetry, Fingerprint: f.fprint, ProgressEvery: f.every, DiskDir: f.disk}
	if !f.quiet {
		opt.Progress = progressPrinter(stderr, label)
	}
	return opt
}

// progressPrinter returns a checker.Options.Progress that writes one line a
// call on w (stderr: never stdout).
func progressPrinter(w io.Writer, label string) func(checker.Progress) {
	return func(p checker.Progress) {
		phase := ""
		if p.DiskBytes > 0 {
			phase = fmt.Sprintf(", disk %d MiB", p.DiskBytes>>20)
		}
		if p.Phase != "" {
			phase += ", " + p.Phase
		}
		fmt.Fprintf(w, "%s: %d states, %.0f states/s, depth %d, %d MiB, %s%s\n",
			label, p.States, p.StatesPerSec, p.Depth, p.MemoryBytes>>20, p.Elapsed.Round(time.Second), phase)
	}
}

// countFlag is a pflag.Value for a whole number from 0 to max.
type countFlag struct {
	n   *uint64
	max uint64
}

func (f countFlag) String() string {
	if f.n == nil {
		return "0"
	}
	return strconv.FormatUint(*f.n, 10)
}

// Type names the value in the help.
func (countFlag) Type() string { return "uint" }

// Set parses v.
func (f countFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > f.max {
		return fmt.Errorf("want a whole number from 0 (no limit) to %d", f.max)
	}
	*f.n = n
	return nil
}

// durationFlag is a pflag.Value for a duration of at least 0.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return "0s"
	}
	return f.d.String()
}

// Type names the value in the help.
func (durationFlag) Type() string { return "duration" }

// Set parses v.
func (f durationFlag) Set(v string) error {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return fmt.Errorf("want a duration such as 30s or 5m")
	case d < 0:
		return fmt.Errorf("want a duration of at least 0 (0: no limit)")
	}
	*f.d = d
	return nil
}

// workersFlag is a pflag.Value for a number of workers, 0 to
// checker.MaxWorkers.
type workersFlag struct{ n *int }

func (f workersFlag) String() string {
	if f.n == nil {
		return "0"
	}
	return strconv.Itoa(*f.n)
}

// Type names the value in the help.
func (workersFlag) Type() string { return "int" }

// Set parses v.
func (f workersFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > checker.MaxWorkers {
		return fmt.Errorf("want a number of workers from 0 (one per core) to %d", checker.MaxWorkers)
	}
	*f.n = n
	return nil
}
