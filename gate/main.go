package gate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/internal/shard"
	"github.com/rcucheck/rcucheck/model"
)

// Exit codes of Main, rcucheck's.
const (
	ExitPass        = 0 // every row passed
	ExitFail        = 1 // a row failed or was undecided
	ExitUsage       = 2 // bad flags, a bad gate file or an --out that cannot be written
	ExitInterrupted = 3 // Ctrl-C: the rows done so far are reported, the others listed as not run
)

// Main is "rcucheck gate": it parses args (flags, then the gate file),
// checks that --out can be written, runs the file with the designs of reg,
// prints the summary table on stdout, writes gate.json, junit.xml and
// counterexample traces to --out, and returns the exit code. Errors go to
// stderr on one line; progress lines too, unless --quiet. A user's own
// binary calls it with a registry holding their designs.
func Main(ctx context.Context, stdout, stderr io.Writer, args []string, reg *model.Registry) int {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "gate-out", "directory for gate.json, junit.xml and traces/ (empty: write nothing); its parent must exist")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	shardText := fs.String("shard", "", shardUsage)
	timings := fs.String("timings", "", timingsUsage)
	disk := fs.String("disk", "", "keep each run's visited set, levels and parent links in files under this directory instead of memory (rows with fingerprints excepted)")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "rcucheck gate: "+format+"\n", a...)
		return ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: rcucheck gate [--out DIR] [--quiet] [--shard I/N [--timings GATE.json]] [--disk DIR] FILE.toml")
			fmt.Fprintln(stdout, "\nexit codes: 0 every row passed, 1 a row failed or was undecided, 2 bad flags, gate file or --out, 3 interrupted")
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
	sh, err := shard.Resolve(*shardText, os.Getenv)
	if err != nil {
		return fail("%v", err)
	}
	var tm map[string]float64
	if *timings != "" {
		if tm, err = ReadTimings(*timings); err != nil {
			return fail("--timings: %v", err)
		}
	}
	f, err := Load(fs.Arg(0), reg)
	if err != nil {
		return fail("%v", err)
	}
	if *out != "" {
		if err := CheckOutDir(*out); err != nil {
			return fail("%v", err)
		}
	}
	opt := Options{}
	if !*quiet {
		pr := newProgress(stderr, time.Second, 2*time.Second)
		defer pr.stop()
		opt = pr.options()
	}
	opt.Shard, opt.Timings, opt.DiskDir = sh, tm, *disk

	res, err := Run(ctx, f, opt)
	if err != nil {
		return fail("%v", err)
	}
	WriteTable(stdout, res)
	if *out != "" {
		if err := WriteOutputs(*out, res); err != nil {
			return fail("%v", err)
		}
	}
	return ExitCode(res)
}

// The help of the shard flags, the same in gate.Main and rcucheck gate.
const (
	shardUsage   = "run shard I of N (1-based) of the rows, balanced by expected cost; default from RCUCHECK_SHARD=I/N, or JOB_COMPLETION_INDEX (0-based) with RCUCHECK_SHARDS=N; rcucheck merge puts the shards' --out directories together"
	timingsUsage = "with --shard: balance the shards by the rows' seconds in this gate.json of an earlier run (the same file for every shard)"
)

// ShardUsage and TimingsUsage are the help texts of --shard and --timings.
func ShardUsage() (shard, timings string) { return shardUsage, timingsUsage }

// ExitCode is the exit code of a result: 3 when the gate was interrupted,
// whatever the moment (rows that failed before it are still reported as
// failed, in the table and the outputs), else 1 when a row failed or was
// undecided, else 0.
func ExitCode(res *Result) int {
	switch {
	case res.Interrupted:
		return ExitInterrupted
	case res.Failed > 0:
		return ExitFail
	}
	return ExitPass
}

// progress prints the gate's progress on stderr: the checker's snapshots
// of the row being run at most every `every`, a line naming the row when
// nothing was said for `quiet` (a witness search, a replay), and a line per
// row done.
type progress struct {
	w            io.Writer
	every, quiet time.Duration
	mu           sync.Mutex
	row          string    // "row i/n ID" of the row being run ("" between rows)
	started      time.Time // when the row started
	last         time.Time // the last line printed
	done         chan struct{}
	wg           sync.WaitGroup
}

func newProgress(w io.Writer, every, quiet time.Duration) *progress {
	p := &progress{w: w, every: every, quiet: quiet, done: make(chan struct{}), last: time.Now()}
	p.wg.Add(1)
	go p.tick()
	return p
}

// tick prints a line when a row has run for `quiet` without one.
func (p *progress) tick() {
	defer p.wg.Done()
	t := time.NewTicker(p.quiet / 4)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case now := <-t.C:
			p.mu.Lock()
			if p.row != "" && now.Sub(p.last) >= p.quiet {
				fmt.Fprintf(p.w, "gate: %s: running, %s\n", p.row, now.Sub(p.started).Round(time.Second))
				p.last = now
			}
			p.mu.Unlock()
		}
	}
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}

// options returns the Options that report to p.
func (p *progress) options() Options {
	return Options{
		RowStart: func(i, n int, r *Row) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.row, p.started = fmt.Sprintf("row %d/%d %s", i+1, n, r.ID()), time.Now()
		},
		Progress: func(_ string, s checker.Progress) {
			p.mu.Lock()
			defer p.mu.Unlock()
			if time.Since(p.last) >= p.every {
				fmt.Fprintf(p.w, "gate: %s: %d states, %.0f states/s, depth %d, %d MiB, %s\n",
					p.row, s.States, s.StatesPerSec, s.Depth, s.MemoryBytes>>20, s.Elapsed.Round(time.Second))
				p.last = time.Now()
			}
		},
		RowDone: func(r *Row) {
			p.mu.Lock()
			defer p.mu.Unlock()
			fmt.Fprintf(p.w, "gate: %-9s %s (%d states, %.1fs)\n", statusText(r), r.ID(), r.States, r.ElapsedSec)
			p.row, p.last = "", time.Now()
		},
	}
}
