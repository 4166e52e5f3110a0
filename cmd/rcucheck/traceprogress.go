package main

import (
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rcucheck/rcucheck/traces"
)

// importProgress returns the progress lines of reading an ftrace capture
// (lines, MB read and MB/s, then the replay), written on e.stderr under
// label; nil when quiet.
func importProgress(e *env, label string, quiet bool) func(traces.ImportProgress) {
	if quiet {
		return nil
	}
	return func(p traces.ImportProgress) {
		if p.Phase != "reading" {
			fmt.Fprintf(e.stderr, "%s: %s, %s\n", label, p.Phase, p.Elapsed.Round(time.Second))
			return
		}
		mb := float64(p.Bytes) / 1e6
		fmt.Fprintf(e.stderr, "%s: %d lines, %.1f MB read (%.1f MB/s), %s\n", label, p.Lines, mb, mb/max(p.Elapsed.Seconds(), 1e-9), p.Elapsed.Round(time.Second))
	}
}

// checkProgress returns the progress lines of a contract check (objects
// gone through, partitions checked), written on e.stderr under label; nil
// when quiet.
func checkProgress(e *env, label string, quiet bool) func(traces.CheckProgress) {
	if quiet {
		return nil
	}
	return func(p traces.CheckProgress) {
		fmt.Fprintf(e.stderr, "%s: %d/%d objects, %d partitions checked (%.0f/s), %s\n", label, p.Objects, p.Total, p.Partitions,
			float64(p.Partitions)/max(p.Elapsed.Seconds(), 1e-9), p.Elapsed.Round(time.Second))
	}
}

// follower prints what import ftrace --follow finds as it finds it: a line
// per violation and a summary every so often, on stdout.
type follower struct {
	e     *env
	mu    sync.Mutex
	start time.Time
}

func newFollower(e *env) *follower { return &follower{e: e, start: time.Now()} }

// failure prints a violation (called from the check's goroutine).
func (f *follower) failure(fl traces.Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(f.e.stdout, "VIOLATION: %s\n", fl.Reason)
}

// progress prints the summary so far.
func (f *follower) progress(p traces.ImportProgress) {
	if p.Phase != "reading" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(f.e.stdout, "follow: %s: %d lines, %.1f MB; %d frees, %d reclaimed; %d partitions checked, %d violations\n",
		time.Since(f.start).Round(time.Second), p.Lines, float64(p.Bytes)/1e6, p.Frees, p.Reclaimed, p.Partitions, p.Violations)
}

// Garbage collection of the streaming checks: their live heap is bounded
// (what is open at once, tens of MB), so the collector may let it grow
// gcPercent% between collections, a third of the CPU time it took at the
// default 100%, while a soft limit keeps the process well under the 400
// MiB a streaming run promises.
const (
	gcPercent = 400
	gcLimit   = 300 << 20
)

// exploreGCPercent is the collector's target while states are explored:
// the visited set, the levels and the links live outside Go's heap, so the
// heap holds little (the chunks' buffers, tens of MB) and collecting it
// often costs little, while at the default 100% its garbage and free pages
// added about 14 MB to the peak RSS of check --design head.
const exploreGCPercent = 20

// streamGC tunes the collector for a streaming check and returns what
// restores it. A GOGC or GOMEMLIMIT set by the user is kept.
func streamGC(getenv func(string) string) func() {
	return tuneGC(getenv, gcPercent, gcLimit)
}

// exploreGC tunes the collector for an exploration and returns what
// restores it. A GOGC set by the user is kept.
func exploreGC(getenv func(string) string) func() {
	return tuneGC(getenv, exploreGCPercent, -1)
}

// tuneGC sets the collector's target percent and, unless it is negative,
// its soft memory limit, except where the user set GOGC or GOMEMLIMIT; it
// returns what restores them.
func tuneGC(getenv func(string) string, percent int, softLimit int64) func() {
	pct, limit := -2, int64(-1)
	if getenv("GOGC") == "" {
		pct = debug.SetGCPercent(percent)
	}
	if getenv("GOMEMLIMIT") == "" && softLimit >= 0 {
		limit = debug.SetMemoryLimit(softLimit)
	}
	return func() {
		if pct != -2 {
			debug.SetGCPercent(pct)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}
