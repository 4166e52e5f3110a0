package main

import (
	"fmt"
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
