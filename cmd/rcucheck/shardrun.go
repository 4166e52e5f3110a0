package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rcucheck/rcucheck/internal/fileout"
	"github.com/rcucheck/rcucheck/internal/shard"
	"github.com/spf13/pflag"
)

// shardFlags are --shard and --out of a command that runs in shards
// (check, bound, fuzz): shard I of N writes its part of the work, with its
// shard.Record, to OUT/file, and rcucheck merge puts the parts together.
type shardFlags struct {
	text, out, file string
	fs              *pflag.FlagSet
	sh              shard.Shard
}

// register defines --shard and --out on fs; file is the name of the
// output a shard writes into --out ("check.json"), what names its items.
func (f *shardFlags) register(fs *pflag.FlagSet, file, what string) {
	f.fs, f.file = fs, file
	fs.StringVar(&f.text, "shard", "", "run shard `I/N` (1-based) of the "+what+", balanced by expected cost, and write it to --out; default from RCUCHECK_SHARD=I/N, or JOB_COMPLETION_INDEX (0-based) with RCUCHECK_SHARDS=N; rcucheck merge OUT_DIR SHARD_DIR... puts the shards together")
	fs.StringVar(&f.out, "out", "", "directory for "+file+": the shard's part with --shard (required then), else the same as --json prints; its parent must exist")
}

// resolve reads the shard (flag, else environment) and checks, before any
// work, that --out can be written and that the flags in refused (output
// files of the whole run, which a shard cannot write) are not set with a
// shard.
func (f *shardFlags) resolve(refused ...string) error {
	var err error
	if f.sh, err = shard.Resolve(f.text, os.Getenv); err != nil {
		return usageError{err}
	}
	if !f.sh.Whole() {
		if f.out == "" {
			return usagef("--shard %s: --out DIR is required (the directory for the shard's %s, for rcucheck merge)", f.sh, f.file)
		}
		for _, name := range refused {
			if fl := f.fs.Lookup(name); fl != nil && fl.Changed {
				return usagef("--%s cannot be used with --shard %s: a shard has part of the run; rcucheck merge writes the whole run's outputs", name, f.sh)
			}
		}
	}
	if f.out != "" {
		if err := fileout.CheckDir(f.out); err != nil {
			return usageError{fmt.Errorf("--out %w", err)}
		}
	}
	return nil
}

// outputOnly lists the flags that change how a run's results are printed
// or where they go, not the results: shards of one run may differ in them.
func outputOnly() []string {
	return []string{"help", "shard", "out", "quiet", "workers", "json", "trace", "plot", "witness-out", "timings"}
}

// runArgs lists the flags of fs that decide the results, as --name=value
// sorted by name (pflag's order; a list flag once a value): what identifies a run, so that a merge
// refuses shards of different runs and can parse the run's flags again.
func runArgs(fs *pflag.FlagSet) []string {
	var out []string
	fs.VisitAll(func(fl *pflag.Flag) {
		switch v := fl.Value.(type) {
		case pflag.SliceValue: // one --name=v a value (--bound), none when empty
			for _, x := range v.GetSlice() {
				out = append(out, "--"+fl.Name+"="+x)
			}
		default:
			if !slices.Contains(outputOnly(), fl.Name) {
				out = append(out, "--"+fl.Name+"="+fl.Value.String())
			}
		}
	})
	return out
}

// shardHead is what every shard's output starts with: its record, the
// flags of its run (runArgs: the merge parses them again where it needs
// to compute), and whether it was interrupted.
type shardHead struct {
	Shard       *shard.Record `json:"shard"`
	Args        []string      `json:"args"`
	Interrupted bool          `json:"interrupted"`
}

func (h *shardHead) record() *shard.Record { return h.Shard }

// head is the head of shard f.sh's output, which ran the positions picked
// of total items (the seed: a random campaign's).
func (f *shardFlags) head(picked []int, total int, seed *int64, interrupted bool) shardHead {
	args := runArgs(f.fs)
	input := slices.DeleteFunc(slices.Clone(args), func(a string) bool { return strings.HasPrefix(a, "--seed=") }) // the record has the seed
	rec := shard.NewRecord(f.sh, picked, total, []byte(strings.Join(input, "\n")), seed)
	return shardHead{Shard: rec, Args: args, Interrupted: interrupted}
}

// pick returns the positions (ascending) of the items the shard runs,
// every position for the whole work.
func (f *shardFlags) pick(costs []float64) []int { return f.sh.Select(costs) }

// write writes doc as indented JSON into --out/file (nothing when --out is
// empty), whole or not at all.
func (f *shardFlags) write(doc any) error {
	if f.out == "" {
		return nil
	}
	var st fileout.Staged
	err := st.Add(filepath.Join(f.out, f.file), func(w io.Writer) error { return writeJSON(w, []any{doc}, false) })
	if err != nil {
		st.Abort()
		return err
	}
	return st.Commit()
}

// shardDoc is what every shard's output has: its record and the flags of
// its run.
type shardDoc interface {
	record() *shard.Record
	// items is the number of items the document holds, or why they
	// cannot be read (a null entry).
	items() (int, error)
}

// readShards checks that merge can write into out, then reads file from
// every directory of dirs into a new T each,
// and checks that they are the shards of one run, each once
// (shard.Check); it returns them and, for each position of the whole work,
// which document holds it.
func readShards[T any, P interface {
	*T
	shardDoc
}](out string, dirs []string, file string) ([]P, error) {
	if err := fileout.CheckDir(out); err != nil {
		return nil, fmt.Errorf("OUT_DIR %w", err)
	}
	docs := make([]P, len(dirs))
	recs := make([]*shard.Record, len(dirs))
	for i, d := range dirs {
		path := filepath.Join(d, file)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", path, fileout.PathErr(err))
		}
		doc := P(new(T))
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(doc); err != nil {
			return nil, fmt.Errorf("%s: not a shard's output (an unsharded run's?): %v", path, err)
		}
		recs[i], docs[i] = doc.record(), doc
		n, err := doc.items()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if r := recs[i]; r != nil && len(r.Items) != n {
			return nil, fmt.Errorf("%s: %d items, but its shard record lists %d", path, n, len(r.Items))
		}
	}
	if _, err := shard.Check(recs, dirs); err != nil {
		return nil, err
	}
	return docs, nil
}

// atPositions returns the items of the whole work in order, from the
// documents of its shards (checked by readShards): get(doc, j) is the j-th
// item of a document, the one at position doc.record().Items[j].
func atPositions[D shardDoc, T any](docs []D, total int, get func(D, int) T) []T {
	out := make([]T, total)
	for _, d := range docs {
		for j, it := range d.record().Items {
			out[it-1] = get(d, j)
		}
	}
	return out
}
