package main

import (
	"fmt"
	"slices"

	"github.com/rcucheck/rcucheck/model"
)

// checkShard is the check.json of a shard (check --shard I/N --out DIR):
// its head (its designs are the items, by position in --design), whether
// the whole run prints a list, and the reports of its designs in order
// (one that never ran has stop_reason "not run (interrupted)").
type checkShard struct {
	shardHead
	List    bool            `json:"list"`
	Reports []*model.Report `json:"reports"`
}

func (c *checkShard) items() (int, error) {
	for i, r := range c.Reports {
		if r == nil || r.Properties == nil {
			return 0, fmt.Errorf("report %d is null or has no properties", i+1)
		}
	}
	return len(c.Reports), nil
}

// pickModels returns the models of ms at the positions picked.
func pickModels(ms []*model.Model, picked []int) []*model.Model {
	out := make([]*model.Model, len(picked))
	for i, p := range picked {
		out[i] = ms[p]
	}
	return out
}

// equalCosts are n costs of 1: the designs of check are balanced by count
// (Assign's longest-first rule over equal costs is a round robin).
func equalCosts(n int) []float64 {
	c := make([]float64, n)
	for i := range c {
		c[i] = 1
	}
	return c
}

// writeOut writes --out/check.json: a shard's document, or, for the whole
// run, what --json prints (all: every design's report, list: as a list).
func (o *checkOpts) writeOut(all []*model.Report, picked []int, total int, list, interrupted bool) error {
	if o.sf.sh.Whole() {
		if len(all) == 0 {
			return nil
		}
		if list {
			return o.sf.write(all)
		}
		return o.sf.write(all[0])
	}
	return o.sf.write(&checkShard{shardHead: o.sf.head(picked, total, nil, interrupted), List: list, Reports: all})
}

// mergeCheck puts the check.json of the shards in dirs together: out/check.json
// is what the unsharded check --json prints apart from timings
// (elapsed_sec, states_per_sec), stdout its table (unless quiet), and the
// exit code the unsharded run's (3 when a shard was interrupted).
func mergeCheck(e *env, out string, dirs []string, quiet bool) (int, error) {
	docs, err := readShards[checkShard](out, dirs, "check.json")
	if err != nil {
		return exitUsage, usageError{err}
	}
	reports := atPositions(docs, docs[0].Shard.Total, func(d *checkShard, j int) *model.Report { return d.Reports[j] })
	if len(reports) == 0 {
		return exitUsage, usagef("%s: no design in the run", dirs[0])
	}
	w := shardFlags{out: out, file: "check.json"}
	if docs[0].List {
		err = w.write(reports)
	} else {
		err = w.write(reports[0])
	}
	if err != nil {
		return exitUsage, err
	}
	var ran []*model.Report
	var notRun []string
	interrupted := false
	for _, r := range reports {
		if r.StopReason == notRunStop && r.States == 0 {
			notRun = append(notRun, r.Design)
		} else {
			ran = append(ran, r)
		}
	}
	for _, d := range docs {
		interrupted = interrupted || d.Interrupted
	}
	if !quiet {
		printReports(e.stdout, ran, slices.Contains(docs[0].Args, "--states=true"))
		printNotRun(e.stdout, notRun)
	}
	if interrupted {
		return exitIncomplete, nil
	}
	return checkExitCode(ran, len(notRun) > 0), nil
}
