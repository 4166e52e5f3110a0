package main

import (
	"context"
	"fmt"

	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
	"github.com/spf13/pflag"
)

// fuzzShard is the fuzz.json of a shard (fuzz --shard I/N --seed S --out
// DIR): its head (its item is its block of runs: shard I of N runs the
// runs from R*(I-1)/N to R*I/N - 1 of every design) and, per design in
// order, the log of its block (properties.RunLog) and, on shard 1, the
// allocation figures. A design an interruption kept from running has no
// entry.
type fuzzShard struct {
	shardHead
	Designs []fuzzShardDesign `json:"designs"`
}

// fuzzShardDesign is one design of a fuzz shard.
type fuzzShardDesign struct {
	Design      string                  `json:"design"`
	Log         *properties.RunLog      `json:"log"`
	Allocations *properties.AllocReport `json:"allocations,omitempty"`
}

func (f *fuzzShard) items() (int, error) {
	for i, d := range f.Designs {
		if d.Log == nil {
			return 0, fmt.Errorf("design %d has no log", i+1)
		}
	}
	return 1, nil
}

// runBlock is the block of runs of shard index of count among runs runs
// (all of them when count is 0): its first run and its number of runs.
func runBlock(runs int, index, count int) (start, n int) {
	if count == 0 {
		return 0, runs
	}
	lo := int(int64(runs) * int64(index-1) / int64(count))
	hi := int(int64(runs) * int64(index) / int64(count))
	return lo, hi - lo
}

// startShard checks the flags of a sharded campaign, before any run: a
// seed given, a number of runs and no time limit, no single run, no hunt
// and no trace file.
func (o *fuzzOpts) startShard() error {
	if err := o.sf.resolve("trace", "run", "time", "hunt"); err != nil {
		return err
	}
	switch {
	case o.sf.sh.Whole():
		return nil
	case !o.seedSet():
		return usagef("--shard %s needs --seed: every shard must run the same campaign", o.sf.sh)
	case o.runs < o.sf.sh.Count:
		return usagef("--shard %s needs --runs of at least %d (a block of runs per shard; a time limit makes the runs depend on the machine)", o.sf.sh, o.sf.sh.Count)
	}
	return nil
}

// shardConfig narrows cfg to the shard's block of runs, keeping its log
// (the exhaustive shortest length is the merge's to compute).
func (o *fuzzOpts) shardConfig(cfg *properties.Config) {
	if o.sf.sh.Whole() {
		return
	}
	cfg.Start, cfg.Runs = runBlock(o.runs, o.sf.sh.Index, o.sf.sh.Count)
	cfg.ShortestStates = 0
	cfg.Log = &properties.RunLog{}
	o.logs = append(o.logs, cfg.Log)
}

// measuresAlloc reports whether this run measures allocations: a whole
// campaign, or shard 1.
func (o *fuzzOpts) measuresAlloc() bool { return o.sf.sh.Whole() || o.sf.sh.Index == 1 }

// writeOut writes --out/fuzz.json: the shard's document, or, for the
// whole campaign, what --json prints.
func (o *fuzzOpts) writeOut(ms []*model.Model, reports []*properties.Report, interrupted bool) error {
	if o.sf.sh.Whole() {
		if len(reports) == 0 {
			return nil
		}
		return o.sf.write(fuzzJSON(reports, len(ms) > 1))
	}
	seed := o.seed
	doc := &fuzzShard{shardHead: o.sf.head([]int{o.sf.sh.Index - 1}, o.sf.sh.Count, &seed, interrupted)}
	for i, rep := range reports {
		doc.Designs = append(doc.Designs, fuzzShardDesign{Design: rep.Design, Log: o.logs[i], Allocations: rep.Allocations})
	}
	return o.sf.write(doc)
}

// fuzzJSON is what fuzz --json prints of reports.
func fuzzJSON(reports []*properties.Report, list bool) any {
	if list {
		return reports
	}
	return reports[0]
}

// parseFuzz reads fuzz's flags in args (a shard's recorded flags).
func parseFuzz(args []string) (*fuzzOpts, error) {
	fs := pflag.NewFlagSet("fuzz", pflag.ContinueOnError)
	o := registerFuzz(fs)
	if err := parseFlagSet(fs, args); err != nil {
		return nil, err
	}
	return o, nil
}

// mergeFuzz puts the fuzz.json of the shards in dirs together: per design,
// the campaign's Result from the shards' logs (properties.MergeLogs: the
// same runs, steps, violating runs and shrunk witnesses as the unsharded
// campaign), out/fuzz.json what the unsharded fuzz --json prints, stdout
// its text (unless quiet), and its exit code.
func mergeFuzz(ctx context.Context, e *env, out string, dirs []string, quiet bool) (int, error) {
	docs, err := readShards[fuzzShard](out, dirs, "fuzz.json")
	if err != nil {
		return exitUsage, usageError{err}
	}
	docs = atPositions(docs, docs[0].Shard.Total, func(d *fuzzShard, _ int) *fuzzShard { return d })
	o, err := parseFuzz(docs[0].Args)
	if err != nil {
		return exitUsage, usagef("%s: the campaign's flags: %v", dirs[0], err)
	}
	props, ms, err := o.validate()
	if err != nil {
		return exitUsage, err
	}
	var reports []*properties.Report
	var results []*properties.Result
	for i, m := range ms {
		res, rep, err := mergeFuzzDesign(ctx, o, docs, i, m, props)
		if err != nil {
			return exitUsage, err
		}
		if res == nil {
			break // an interruption kept the design from running
		}
		reports, results = append(reports, rep), append(results, res)
		if !res.Complete {
			break
		}
	}
	o.sf = shardFlags{out: out, file: "fuzz.json"}
	if len(reports) > 0 {
		if err := o.sf.write(fuzzJSON(reports, len(ms) > 1)); err != nil {
			return exitUsage, err
		}
	}
	if !quiet {
		printFuzz(e.stdout, reports, results)
	}
	return fuzzExitCode(ctx, results, len(results) < len(ms) || !results[len(results)-1].Complete), nil
}

// mergeFuzzDesign merges the logs of the i-th design, m, of the shards
// docs (in shard order): its Result and report, nil when a shard has no
// log of it.
func mergeFuzzDesign(ctx context.Context, o *fuzzOpts, docs []*fuzzShard, i int, m *model.Model, props []properties.Property) (*properties.Result, *properties.Report, error) {
	var logs []*properties.RunLog
	for k, d := range docs {
		if i >= len(d.Designs) {
			return nil, nil, nil
		}
		if dd := d.Designs[i]; dd.Design != m.Design().Name() {
			return nil, nil, usagef("shard %d/%d: design %d is %s, not %s", k+1, len(docs), i+1, dd.Design, m.Design().Name())
		}
		logs = append(logs, d.Designs[i].Log)
	}
	cfg := o.config(m, props)
	res, err := properties.MergeLogs(ctx, cfg, logs)
	if err != nil {
		return nil, nil, usagef("design %s: %v", m.Design().Name(), err)
	}
	rep, err := res.Report(nil, o.states)
	if err != nil {
		return nil, nil, fmt.Errorf("design %s: %w", m.Design().Name(), err)
	}
	rep.Allocations = docs[0].Designs[i].Allocations
	return res, rep, nil
}
