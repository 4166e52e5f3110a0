package spin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SpinFlags are the options of spin -a: -o1 -o2 -o3 turn off its
// dataflow optimisation, dead-variable elimination and statement merging.
// Dead-variable elimination resets variables SPIN finds dead (a slot's
// fields while it is FREE, say) and so merges states the spec tells apart;
// with it SPIN stores fewer states than the spec has (238 instead of 256 on
// head N=1 K=2 B=1 C=0), and the counts could not be compared.
var SpinFlags = []string{"-o1", "-o2", "-o3"}

// Mode is a storage setting of SPIN's exhaustive search.
type Mode struct {
	// Name is how reports call it.
	Name string
	// CFlags are the compile-time flags that select it.
	CFlags []string
	// Exact is false when the mode may lose states silently.
	Exact bool
}

// BaseCFlags are the compile-time flags of every build: an exhaustive safety
// search (no cycle detection, no fairness), no array bound checks, -O2,
// and a memory cap of 16 GiB instead of pan's default.
var BaseCFlags = []string{"-O2", "-DSAFETY", "-DNOFAIR", "-DNOBOUNDCHECK", "-DNOCLAIM", "-DMEMLIM=16384"}

// Modes returns SPIN's storage settings the bench compares: the plain
// search (the full state vector in a hash table), -DCOLLAPSE (state-vector
// compression, exact) and -DHC4 (hash compaction to 4 bytes: smaller, but it
// may lose states without telling).
func Modes() []Mode {
	return []Mode{
		{Name: "plain", Exact: true},
		{Name: "collapse", CFlags: []string{"-DCOLLAPSE"}, Exact: true},
		{Name: "hc4", CFlags: []string{"-DHC4"}, Exact: false},
	}
}

// BFSMode is the breadth-first search of the differential test (not one of
// the bench's Modes): pan's "depth reached" is then the largest shortest
// distance from the initial state, as rcucheck's depth, and the first error
// it reports is one of least depth. Its pan is compiled at -O0 (later flags
// override BaseCFlags' -O2): the test's instances are small, and compiling
// at -O0 takes a fraction of -O2's time.
func BFSMode() Mode {
	return Mode{Name: "bfs", CFlags: []string{"-DBFS", "-O0"}, Exact: true}
}

// LookupMode returns the mode called name.
func LookupMode(name string) (Mode, error) {
	var names []string
	for _, m := range Modes() {
		if m.Name == name {
			return m, nil
		}
		names = append(names, m.Name)
	}
	return Mode{}, fmt.Errorf("unknown SPIN mode %q (want one of %s)", name, strings.Join(names, ", "))
}

// Stats are SPIN's figures for one search.
type Stats struct {
	StatesStored  uint64  // "states, stored"
	StatesMatched uint64  // "states, matched"
	Transitions   uint64  // "transitions (= stored+matched)": one more than the spec's count (SPIN counts the initial state)
	Depth         int     // "depth reached"
	Errors        int     // "errors:"
	StateVector   int     // bytes of the state vector
	MemoryMB      float64 // "total actual memory usage" in MB
	ElapsedSec    float64 // SPIN's own "elapsed time"
	HashFactor    float64 // "hash factor", when reported
	// Rounded: pan prints counts with 8 significant digits ("%9.8g"), so
	// counts of 10^8 or more come rounded (1.8719174e+08); compare them
	// with RoundCount.
	Rounded        bool
	Truncated      bool // the search was cut short (out of memory, depth limit)
	TruncateReason string
	// FirstError is pan's message for the first error it found ("" when
	// none), e.g. "assertion violated  !(stuck)", and FirstErrorDepth the
	// depth of the state the erring transition left: in a breadth-first
	// search, one less than the length of a shortest trace to the error.
	FirstError      string
	FirstErrorDepth int
}

// RoundCount rounds n to the 8 significant digits pan prints.
func RoundCount(n uint64) uint64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(n), 'g', 8, 64), 64)
	return uint64(f)
}

// SpecTransitions returns the transition count as the spec counts it: SPIN
// counts one extra transition into the initial state.
func (s Stats) SpecTransitions() uint64 {
	if s.Transitions == 0 {
		return 0
	}
	return s.Transitions - 1
}

var (
	reStored   = regexp.MustCompile(`(?m)^\s*([0-9.e+]+) states, stored`)
	reMatched  = regexp.MustCompile(`(?m)^\s*([0-9.e+]+) states, matched`)
	reTrans    = regexp.MustCompile(`(?m)^\s*([0-9.e+]+) transitions \(= stored\+matched\)`)
	reDepth    = regexp.MustCompile(`depth reached (\d+), errors: (\d+)`)
	reVector   = regexp.MustCompile(`State-vector (\d+) byte`)
	reMemory   = regexp.MustCompile(`(?m)^\s*([0-9.]+)\s+total actual memory usage`)
	reElapsed  = regexp.MustCompile(`pan: elapsed time ([0-9.e+]+) seconds`)
	reHash     = regexp.MustCompile(`hash factor: ([0-9.e+]+)`)
	reError    = regexp.MustCompile(`(?m)^pan:1: (.*) \(at depth (\d+)\)`)
	reTruncate = regexp.MustCompile(`(?m)^(pan: out of memory.*|error: max search depth too small.*|pan: reached -DMEMLIM bound.*)$`)
)

// Parse reads the figures out of the output of a pan run.
func Parse(out string) (Stats, error) {
	var s Stats
	num := func(re *regexp.Regexp, what string, required bool) (string, error) {
		m := re.FindStringSubmatch(out)
		if m == nil {
			if required {
				return "", fmt.Errorf("SPIN output has no %s line", what)
			}
			return "", nil
		}
		return m[1], nil
	}
	var err error
	parseU := func(re *regexp.Regexp, what string, dst *uint64) {
		if err != nil {
			return
		}
		var t string
		if t, err = num(re, what, true); err == nil {
			if strings.ContainsAny(t, ".e") {
				f, perr := strconv.ParseFloat(t, 64)
				if perr != nil || f < 0 || f >= 1<<63 {
					err = fmt.Errorf("SPIN output: bad %s %q", what, t)
					return
				}
				*dst, s.Rounded = uint64(f), true
				return
			}
			if *dst, err = strconv.ParseUint(t, 10, 64); err != nil {
				err = fmt.Errorf("SPIN output: bad %s %q", what, t)
			}
		}
	}
	parseU(reStored, "states stored", &s.StatesStored)
	parseU(reMatched, "states matched", &s.StatesMatched)
	parseU(reTrans, "transitions", &s.Transitions)
	if err != nil {
		return s, err
	}
	m := reDepth.FindStringSubmatch(out)
	if m == nil {
		return s, errors.New("SPIN output has no depth reached line")
	}
	s.Depth, _ = strconv.Atoi(m[1])
	s.Errors, _ = strconv.Atoi(m[2])
	if m := reVector.FindStringSubmatch(out); m != nil {
		s.StateVector, _ = strconv.Atoi(m[1])
	}
	for _, f := range []struct {
		re  *regexp.Regexp
		dst *float64
	}{{reMemory, &s.MemoryMB}, {reElapsed, &s.ElapsedSec}, {reHash, &s.HashFactor}} {
		if m := f.re.FindStringSubmatch(out); m != nil {
			v, perr := strconv.ParseFloat(m[1], 64)
			if perr != nil {
				return s, fmt.Errorf("SPIN output: bad number %q", m[1])
			}
			*f.dst = v
		}
	}
	if m := reError.FindStringSubmatch(out); m != nil {
		d, perr := strconv.Atoi(m[2])
		if perr != nil {
			return s, fmt.Errorf("SPIN output: bad error depth %q", m[2])
		}
		s.FirstError, s.FirstErrorDepth = strings.TrimSpace(m[1]), d
	}
	if m := reTruncate.FindStringSubmatch(out); m != nil {
		s.Truncated, s.TruncateReason = true, strings.TrimSpace(m[1])
	}
	return s, nil
}

// Tools reports whether spin and a C compiler are on the PATH, and if not
// which is missing.
func Tools() error {
	var missing []string
	for _, t := range []string{"spin", "gcc"} {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s not found on the PATH (Debian: apt-get update && apt-get install -y spin gcc)", strings.Join(missing, " and "))
	}
	return nil
}

// Install installs SPIN and gcc from Debian's packages when they are missing.
// It needs root; log gets apt-get's output.
func Install(ctx context.Context, log *os.File) error {
	if Tools() == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("installing SPIN needs root: %w", Tools())
	}
	for _, args := range [][]string{{"update"}, {"install", "-y", "spin", "gcc"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w", strings.Join(args, " "), err)
		}
	}
	return Tools()
}

// Build is a compiled SPIN verifier for one model and one mode.
type Build struct {
	Dir     string // holds model.pml, pan.c and pan
	Mode    Mode
	Command []string // the commands that built it, for reports
}

// Compile writes promela into dir, runs spin -a and compiles pan with the
// mode's flags.
func Compile(ctx context.Context, dir, promela string, mode Mode) (*Build, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spin build dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.pml"), []byte(promela), 0o644); err != nil {
		return nil, fmt.Errorf("writing model.pml: %w", err)
	}
	b := &Build{Dir: dir, Mode: mode}
	cflags := append(append([]string(nil), BaseCFlags...), mode.CFlags...)
	steps := [][]string{
		append(append([]string{"spin"}, SpinFlags...), "-a", "model.pml"),
		append(append([]string{"gcc"}, cflags...), "-o", "pan", "pan.c"),
	}
	for _, st := range steps {
		cmd := exec.CommandContext(ctx, st[0], st[1:]...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %s", strings.Join(st, " "), err, firstLines(string(out), 5))
		}
		b.Command = append(b.Command, strings.Join(st, " "))
	}
	return b, nil
}

// RunArgs returns pan's run-time arguments for a search expected to store
// about states states: a hash table of at least that many slots (-w), a
// depth bound far beyond the model's (-m), no unreached-code report (-n).
func RunArgs(states uint64) []string {
	w := max(bits.Len64(states), 10)
	return []string{"-m100000", fmt.Sprintf("-w%d", w), "-n"}
}

// Run is the outcome of one pan run.
type Run struct {
	Stats
	Wall      time.Duration // wall-clock time of the pan process
	PeakRSS   uint64        // peak resident memory of the pan process, bytes
	Args      []string
	RawOutput string
}

// Run runs the verifier with args and parses its output.
func (b *Build) Run(ctx context.Context, args []string) (*Run, error) {
	cmd := exec.CommandContext(ctx, "./pan", args...)
	cmd.Dir = b.Dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("pan %s: %w: %s", strings.Join(args, " "), err, firstLines(string(out), 5))
	}
	st, err := Parse(string(out))
	if err != nil {
		return nil, err
	}
	r := &Run{Stats: st, Wall: wall, Args: args, RawOutput: string(out)}
	r.PeakRSS = PeakRSS(cmd.ProcessState)
	return r, nil
}

func firstLines(s string, n int) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var lines []string
	for sc.Scan() && len(lines) < n {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines, " | ")
}
