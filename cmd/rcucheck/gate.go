package main

import (
	"context"
	"fmt"

	"github.com/rcucheck/rcucheck/gate"
	"github.com/rcucheck/rcucheck/model"
	"github.com/spf13/pflag"
)

// gateFlags defines gate's flags on fs and returns gate's run: "rcucheck
// gate FILE" runs a gate file over the built-in designs (package gate;
// exit 0 pass, 1 a row failed, 2 bad file or flags, 3 interrupted). Errors
// are printed by gate.Main, given the flags parsed here in its own form.
func gateFlags(fs *pflag.FlagSet) runFunc {
	out := fs.String("out", "gate-out", "directory for gate.json, junit.xml and traces/ (empty: write nothing); its parent must exist")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	shardHelp, timingsHelp := gate.ShardUsage()
	shardText := fs.String("shard", "", shardHelp)
	timings := fs.String("timings", "", timingsHelp)
	disk := fs.String("disk", "", "keep each run's visited set, levels and parent links in files in a new directory under `DIR` (removed at the end) instead of memory (rows with fingerprints excepted)")
	return func(ctx context.Context, e *env, args []string) (int, error) {
		gargs := []string{"--out=" + *out, fmt.Sprintf("--quiet=%v", *quiet), "--shard=" + *shardText, "--timings=" + *timings, "--disk=" + *disk, "--", args[0]}
		return gate.Main(ctx, e.stdout, e.stderr, gargs, model.BuiltinRegistry()), nil
	}
}
