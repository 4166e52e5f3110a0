package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rcucheck/rcucheck/gate"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// mergeCommand is "rcucheck merge OUT_DIR SHARD_DIR...".
func mergeCommand(e *env, code *exitCode) *cobra.Command {
	c := newCommand(e, spec{"merge OUT_DIR SHARD_DIR...", "put the outputs of the shards of one run (--shard I/N) together, as the unsharded run writes them", 0, mergeFlags}, code)
	c.Args = func(_ *cobra.Command, args []string) error {
		if len(args) < 2 {
			return usagef("want OUT_DIR and at least one SHARD_DIR, got %d arguments", len(args))
		}
		return nil
	}
	c.ValidArgsFunction = nil // directories
	return c
}

// mergeFlags defines merge's flags on fs and returns merge's run:
// "rcucheck merge OUT_DIR SHARD_DIR..." puts the outputs of the shards of
// one run (--shard I/N) back together into OUT_DIR, as the unsharded run
// writes them apart from timings. It refuses (exit 2, one line) shards of
// different runs and names a shard missing or given twice.
func mergeFlags(fs *pflag.FlagSet) runFunc {
	quiet := fs.Bool("quiet", false, "print nothing but errors (the gate's, check's, bound's or fuzz's report is printed otherwise, and bound's progress)")
	return func(ctx context.Context, e *env, args []string) (int, error) {
		out, dirs := args[0], args[1:]
		kind, err := shardKind(dirs)
		if err != nil {
			return exitUsage, err
		}
		switch kind {
		case "gate.json":
			res, err := gate.MergeDirs(out, dirs)
			if err != nil {
				return exitUsage, usageError{err}
			}
			if !*quiet {
				gate.WriteTable(e.stdout, res)
			}
			return gate.ExitCode(res), nil
		case "check.json":
			return mergeCheck(e, out, dirs, *quiet)
		case "bound.json":
			return mergeBound(ctx, e, out, dirs, *quiet)
		case "fuzz.json":
			return mergeFuzz(ctx, e, out, dirs, *quiet)
		}
		return exitUsage, usagef("%s: nothing to merge", dirs[0])
	}
}

// mergeKinds are the outputs merge knows, by file name in a shard's
// directory.
var mergeKinds = [...]string{"gate.json", "check.json", "bound.json", "fuzz.json"}

// shardKind returns the kind of output every directory of dirs holds (the
// name of its file), refusing directories of different kinds or none.
func shardKind(dirs []string) (string, error) {
	kind := ""
	for _, d := range dirs {
		k := ""
		for _, name := range mergeKinds {
			_, err := os.Stat(filepath.Join(d, name))
			if err == nil {
				k = name
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", usagef("%s: %v", d, err)
			}
		}
		switch {
		case k == "":
			return "", usagef("%s: no shard output in it (want one of: %v)", d, mergeKinds)
		case kind != "" && k != kind:
			return "", usagef("%s holds %s but %s holds %s: not shards of one run", dirs[0], kind, d, k)
		}
		kind = k
	}
	return kind, nil
}
