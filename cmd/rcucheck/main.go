// Command rcucheck proves or refutes memory bounds of RCU memory-reclaim
// designs on the reference model of kvfree_rcu().
//
// Usage:
//
//	rcucheck [command] [flags] [arguments]
//
// With no command it runs "rcucheck claims": every technical claim of the
// kernel thread with the verdict and evidence computed by the run. "rcucheck
// check" gives the verdict table. Run "rcucheck help" for the commands,
// "rcucheck help COMMAND" for a command's flags, which may stand before or
// after its arguments. "rcucheck completion bash|zsh|fish|powershell"
// prints a shell completion script; "rcucheck --version" the version.
//
// Exit codes: 0 every property holds, 1 a property is violated, 2 bad usage
// or input, 3 the run was incomplete (a limit was hit or it was interrupted).
package main

import (
	"context"
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
