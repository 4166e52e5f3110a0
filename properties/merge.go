package properties

import (
	"context"
	"fmt"
	"slices"

	"github.com/rcucheck/rcucheck/model"
)

// A campaign split by run index: campaigns over consecutive ranges of runs
// (Config.Start, Config.Runs), each keeping a RunLog (Config.Log), are put
// together by MergeLogs into the Result of the one campaign over their
// union. A run depends on the seed and its index alone, but what the whole
// campaign does with it depends on the runs before it: once a property has
// its Candidates witnesses it is no longer looked for (its later
// violations are not counted, and a walk stops once the properties still
// looked for are violated), and once every property has them the campaign
// stops. A range looks for at least what the whole campaign looks for at
// the same run (it has seen fewer witnesses), so its log holds what the
// merge needs: the step of each first violation in the runs that violated
// a property, the steps of the other runs, and the shrunk witnesses of the
// first Candidates violating runs of each property in the range, among
// which are those of the whole campaign.

// RunLog is what a campaign over a range of runs keeps for MergeLogs.
type RunLog struct {
	Start      int    `json:"start"`       // the range's first run
	Range      int    `json:"range"`       // the runs of the range
	Runs       int    `json:"runs"`        // the runs done (the range's first)
	MaxSteps   int    `json:"max_steps"`   // the Result's
	Complete   bool   `json:"complete"`    // the Result's
	StopReason string `json:"stop_reason"` // the Result's
	// Violating are the runs that violated a property looked for, in
	// order; TailSteps the steps of the runs after the last of them.
	Violating []RunRecord `json:"violating"`
	TailSteps uint64      `json:"tail_steps"`
	// Found are, per property, the witnesses shrunk in the range.
	Found [][]WitnessRecord `json:"found"`
}

// RunRecord is a run that violated a property looked for.
type RunRecord struct {
	Run int `json:"run"`
	// StepsBefore are the steps of the runs since the previous record (or
	// the range's start); Steps this run's.
	StepsBefore uint64 `json:"steps_before"`
	Steps       int    `json:"steps"`
	// First is, per property, the step of its first violation (-1: none,
	// or not looked for).
	First []int `json:"first"`
}

// WitnessRecord is a Witness without what the campaign's Config says
// (design, seed, campaign profile, step bound), and its Shortest, which
// MergeLogs computes for the witness it reports.
type WitnessRecord struct {
	Run            int            `json:"run"`
	RunSeed        uint64         `json:"run_seed"`
	Profile        string         `json:"profile"`
	Params         model.Params   `json:"params"`
	Actions        []model.Action `json:"actions"`
	UnshrunkLength int            `json:"unshrunk_length"`
	ShrinkReplays  int            `json:"shrink_replays"`
	Shrinks        int            `json:"shrinks"`
}

// logRun records a run's first evaluation in the log (when kept).
func (c *campaign) logRun(steps int, first []int) {
	l := c.cfg.Log
	if l == nil {
		return
	}
	if slices.ContainsFunc(first, func(n int) bool { return n >= 0 }) {
		l.Violating = append(l.Violating, RunRecord{Run: c.run, StepsBefore: l.TailSteps, Steps: steps, First: slices.Clone(first)})
		l.TailSteps = 0
		return
	}
	l.TailSteps += uint64(steps)
}

// keepLog completes the log (when kept) at the end of Run.
func (c *campaign) keepLog() {
	l := c.cfg.Log
	if l == nil {
		return
	}
	l.Start, l.Range, l.Runs = c.cfg.Start, c.cfg.Runs, c.res.Runs
	l.MaxSteps, l.Complete, l.StopReason = c.res.MaxSteps, c.res.Complete, c.res.StopReason
	l.Found = make([][]WitnessRecord, len(c.found))
	for j, ws := range c.found {
		l.Found[j] = []WitnessRecord{}
		for _, w := range ws {
			l.Found[j] = append(l.Found[j], WitnessRecord{Run: w.Run, RunSeed: w.RunSeed, Profile: w.Profile, Params: w.Params,
				Actions: w.Actions, UnshrunkLength: w.UnshrunkLength, ShrinkReplays: w.ShrinkReplays, Shrinks: w.Shrinks})
		}
	}
}

// MergeLogs returns the Result of the campaign cfg (Start, Runs: the
// whole campaign; Time must be 0) from the logs of campaigns over
// consecutive ranges that cover it (in any order): the same runs, steps,
// violating runs, first runs and witnesses, each the shortest of the first
// Candidates, with its exhaustive shortest length when cfg asks. Search
// and Elapsed are the merge's. An interrupted range ends the campaign
// there (Complete false).
func MergeLogs(ctx context.Context, cfg Config, logs []*RunLog) (*Result, error) {
	if cfg.Time != 0 || cfg.Runs == 0 {
		return nil, fmt.Errorf("a merged campaign has a number of runs and no time limit")
	}
	props, fixed, err := cfg.prepare()
	if err != nil {
		return nil, err
	}
	logs = slices.Clone(logs)
	slices.SortFunc(logs, func(a, b *RunLog) int { return a.Start - b.Start })
	if err := checkLogs(cfg, len(props), logs); err != nil {
		return nil, err
	}
	c := newCampaign(ctx, cfg, props, fixed)
	if err := c.replayLogs(logs); err != nil {
		return nil, err
	}
	c.res.Search = c.res.Elapsed
	for j := range props {
		c.res.Props[j].Witness = c.best(ctx, j)
	}
	return c.res, nil
}

// checkLogs refuses logs that do not cover cfg's runs in consecutive
// ranges, or whose records do not fit.
func checkLogs(cfg Config, nprops int, logs []*RunLog) error {
	next := cfg.Start
	for _, l := range logs {
		switch {
		case l == nil:
			return fmt.Errorf("a log is null")
		case l.Start != next:
			return fmt.Errorf("the logs' ranges leave runs %d.. to none or two (a range starts at %d)", next, l.Start)
		case l.Range < 0 || l.Runs < 0 || l.Runs > l.Range || len(l.Found) != nprops:
			return fmt.Errorf("the log of runs %d..: %d runs done of %d, witnesses of %d properties (want %d)", l.Start, l.Runs, l.Range, len(l.Found), nprops)
		}
		last := l.Start - 1
		for _, r := range l.Violating {
			if r.Run <= last || r.Run >= l.Start+l.Runs || len(r.First) != nprops || r.Steps < 0 {
				return fmt.Errorf("the log of runs %d..: a record of run %d is out of order or shape", l.Start, r.Run)
			}
			last = r.Run
		}
		next = l.Start + l.Range
	}
	if next != cfg.Start+cfg.Runs {
		return fmt.Errorf("the logs cover runs %d to %d, the campaign %d to %d", cfg.Start, next-1, cfg.Start, cfg.Start+cfg.Runs-1)
	}
	return nil
}

// replayLogs runs the campaign's bookkeeping over the logs' records in
// order, as search and seen do over the runs themselves.
func (c *campaign) replayLogs(logs []*RunLog) error {
	res, end := c.res, c.cfg.Start+c.cfg.Runs
	for _, l := range logs {
		if res.MaxSteps == 0 && l.Runs > 0 {
			res.MaxSteps = l.MaxSteps // with GenParams: the first run's
		}
		next := l.Start
		for _, r := range l.Violating {
			res.Runs += r.Run - next
			res.Steps += r.StepsBefore
			if err := c.replayRun(l, r); err != nil {
				return err
			}
			next = r.Run + 1
			if c.nFound == len(c.props) && !c.cfg.KeepGoing && next < end {
				res.StopReason = "all violated"
				return nil
			}
		}
		res.Runs += l.Start + l.Runs - next
		res.Steps += l.TailSteps
		if !l.Complete {
			res.Complete, res.StopReason = false, "interrupted"
			return nil
		}
		if l.Runs < l.Range {
			return fmt.Errorf("the log of runs %d.. stopped after %d runs (%s) where the campaign goes on", l.Start, l.Runs, l.StopReason)
		}
	}
	res.StopReason = "runs"
	return nil
}

// replayRun counts run r of log l as seen counts a run, with the
// properties the campaign still looks for, and keeps its witnesses as
// record does.
func (c *campaign) replayRun(l *RunLog, r RunRecord) error {
	want := func(j int) bool { return c.cfg.KeepGoing || len(c.found[j]) < c.cands }
	steps, all := 0, true
	for j, n := range r.First {
		if want(j) {
			all = all && n >= 0
			steps = max(steps, n)
		}
	}
	if !all {
		steps = r.Steps // a walk that ended with a property looked for unviolated
	}
	c.res.Runs++
	c.res.Steps += uint64(steps)
	first := slices.Clone(r.First) // as the walk saw them: -1 for what it did not look for
	var keep []int
	for j, n := range first {
		switch {
		case !want(j):
			first[j] = -1
		case n >= 0 && len(c.found[j]) < c.cands:
			keep = append(keep, j)
		}
	}
	c.res.countViolations(r.Run, first)
	for _, j := range keep {
		i := slices.IndexFunc(l.Found[j], func(w WitnessRecord) bool { return w.Run == r.Run })
		if i < 0 {
			return fmt.Errorf("the log of runs %d.. has no witness of %s from run %d", l.Start, c.props[j].Name, r.Run)
		}
		c.found[j] = append(c.found[j], c.witness(j, l.Found[j][i]))
		if len(c.found[j]) == c.cands {
			c.nFound++
		}
	}
	return nil
}

// witness is the Witness of property j that w records.
func (c *campaign) witness(j int, w WitnessRecord) *Witness {
	return &Witness{
		Design: c.cfg.Design, Params: w.Params, Property: c.props[j].Name,
		Seed: c.cfg.Seed, Run: w.Run, RunSeed: w.RunSeed, Profile: w.Profile,
		Actions: w.Actions, UnshrunkLength: w.UnshrunkLength, Shortest: -1,
		ShrinkReplays: w.ShrinkReplays, Shrinks: w.Shrinks,
		CampaignProfile: c.cfg.Profile, GenParams: c.cfg.GenParams, MaxSteps: c.cfg.MaxSteps,
	}
}

// countViolations counts run's violations: first is, per property, the
// step of its first violation in the run (-1: none, or not looked for).
func (r *Result) countViolations(run int, first []int) {
	for j, n := range first {
		if n < 0 {
			continue
		}
		pr := &r.Props[j]
		if pr.Holds {
			pr.FirstRun = run
		}
		pr.Holds = false
		pr.ViolatingRuns++
	}
}
