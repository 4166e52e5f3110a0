// Command rcucheck proves or refutes memory bounds of RCU memory-reclaim
// designs on the reference model of kvfree_rcu().
//
// Usage:
//
//	rcucheck [command] [flags]
//
// With no command it runs "rcucheck claims": every technical claim of the
// kernel thread with the verdict and evidence computed by the run. "rcucheck
// check" gives the verdict table. Run "rcucheck help" for the commands.
//
// Exit codes: 0 every property holds, 1 a property is violated, 2 bad usage
// or input, 3 the run was incomplete (a limit was hit or it was interrupted).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"
)

// Exit codes.
const (
	exitOK         = 0
	exitViolated   = 1
	exitUsage      = 2
	exitIncomplete = 3
)

// usageError marks an error in the command line or an input file: exit 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// command is one subcommand of rcucheck.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) (int, error)
}

// env is what a command reads and writes.
type env struct {
	stdout, stderr io.Writer
	// progressEvery is the period of progress lines (0: a second).
	progressEvery time.Duration
}

// every is the period of progress lines.
func (e *env) every() time.Duration {
	if e.progressEvery > 0 {
		return e.progressEvery
	}
	return time.Second
}

// heartbeat writes line() on e.stderr every period until the returned
// function is called, for long steps that report no progress of their own.
// It writes nothing when quiet.
func (e *env) heartbeat(quiet bool, line func(elapsed time.Duration) string) (stop func()) {
	if quiet {
		return func() {}
	}
	start := time.Now()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(e.every())
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				fmt.Fprintln(e.stderr, line(time.Since(start).Round(time.Second)))
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

func commands() []command {
	return []command{
		{"check", "explore a design exhaustively: verdicts, figures, shortest counterexamples", runCheck},
		{"fuzz", "hunt violations with random schedules at any size: seeded, shrunk witnesses, allocations per free", runFuzz},
		{"claims", "the kernel thread's claims, each with the verdict and evidence computed now (the default)", runClaims},
		{"bound", "sweep a parameter: least reserve, maxima, plateau or growth, a verdict for every K, plots", runBound},
		{"gate", "run a gate file (designs, grids, required outcomes) for CI: table, JSON, JUnit XML", runGate},
		{"lin", "judge trace histories against the reclaim contract with Porcupine (HTML, JSON)", runLin},
		{"import", "import a kernel ftrace capture: figures, contract verdict, model replay", runImport},
		{"bench", "time rcucheck against SPIN on the same instance: counts, states/s, bytes/state", runBench},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes rcucheck with args and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	name := "claims"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		printHelp(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			code, err := c.run(ctx, e, args)
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "rcucheck %s: %v\n", name, err)
				var u usageError
				if errors.As(err, &u) {
					return exitUsage
				}
				if code == exitOK {
					code = exitUsage
				}
			}
			return code
		}
	}
	fmt.Fprintf(e.stderr, "rcucheck: unknown command %q (run 'rcucheck help')\n", name)
	return exitUsage
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "rcucheck: proves or refutes memory bounds of RCU reclaim designs")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "usage: rcucheck [command] [flags]   (no command: claims)")
	fmt.Fprintln(w, "")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "'rcucheck COMMAND -h' lists a command's flags.")
	fmt.Fprintln(w, "exit codes: 0 all properties hold, 1 a property is violated, 2 bad usage or input, 3 incomplete run")
}
