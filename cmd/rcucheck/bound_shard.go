package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/internal/shard"
	"github.com/rcucheck/rcucheck/model"
)

// boundShard is the bound.json of a shard (bound --shard I/N --out DIR):
// its head (the items are the sweep's points of every design, design
// after design) and its points in order.
type boundShard struct {
	shardHead
	Points []shardPoint `json:"points"`
}

// shardPoint is one point of a sweep run by a shard: the point, or the
// error that stopped its run (a limit or an interruption).
type shardPoint struct {
	Design string       `json:"design"`
	Value  int          `json:"value"`
	Point  *bound.Point `json:"point,omitempty"`
	Error  string       `json:"error,omitempty"`
}

func (c *boundShard) items() (int, error) {
	for i, p := range c.Points {
		if (p.Point == nil) == (p.Error == "") {
			return 0, fmt.Errorf("point %d has neither a point nor an error, or both", i+1)
		}
	}
	return len(c.Points), nil
}

// stoppedError is the error that stopped a point's run in a shard, as the
// shard recorded it: incomplete (bound.ErrIncomplete), with its message.
type stoppedError string

func (e stoppedError) Error() string        { return string(e) }
func (e stoppedError) Is(target error) bool { return target == bound.ErrIncomplete }

// runBoundShard computes the points of b's shard (bound.SweepPoint), prints
// them (the shard's document with --json) and writes the document to
// --out. A point stopped by a limit is recorded with its error and makes
// the exit code 3; the merge stops the sweep there, as an unsharded run
// does.
func runBoundShard(ctx context.Context, e *env, b *boundRun) (int, error) {
	nv := len(b.sw.Values)
	costs := make([]float64, len(b.ds)*nv)
	for i := range costs {
		p := b.sw.Set(b.mf.params, b.sw.Values[i%nv])
		costs[i] = shard.EstimateStates(p.CPUs, p.Calls)
	}
	picked := b.sf.pick(costs)
	doc := &boundShard{Points: []shardPoint{}}
	code := exitOK
	for _, p := range picked {
		d, v := b.ds[p/nv], p%nv
		sp := shardPoint{Design: d.Name(), Value: b.sw.Values[v]}
		pt, err := bound.SweepPoint(ctx, d, b.mf.params, b.sw, v, b.options(e, d))
		switch {
		case err == nil:
			sp.Point = &pt
		case ctx.Err() == nil && !errors.Is(err, bound.ErrIncomplete):
			return exitUsage, err
		default:
			sp.Error, code = err.Error(), exitIncomplete
			fmt.Fprintf(e.stderr, "rcucheck bound: %s: %v\n", d.Name(), err)
		}
		doc.Points = append(doc.Points, sp)
	}
	doc.shardHead = b.sf.head(picked, len(costs), nil, ctx.Err() != nil)
	if b.asJSON {
		if err := writeJSON(e.stdout, []any{doc}, false); err != nil {
			return exitUsage, err
		}
	} else {
		printShardPoints(e.stdout, b, doc)
	}
	if err := b.sf.write(doc); err != nil {
		return exitUsage, err
	}
	return code, nil
}

// printShardPoints writes a shard's points, one a line.
func printShardPoints(w io.Writer, b *boundRun, doc *boundShard) {
	fmt.Fprintf(w, "rcucheck bound: shard %s: %d of the %d points of sweep %s over %d design(s); rcucheck merge concludes\n",
		doc.Shard.Shard, len(doc.Points), doc.Shard.Total, b.sw, len(b.ds))
	for _, sp := range doc.Points {
		if pt := sp.Point; pt != nil {
			fmt.Fprintf(w, "  %s %s=%d: least R %d, max pages %d pending %d reserve_used %d, %d states, %d runs\n",
				sp.Design, b.sw.Param, sp.Value, pt.LeastReserve, pt.Max.Pages, pt.Max.Pending, pt.Max.ReserveUsed, pt.States, pt.Runs)
		} else {
			fmt.Fprintf(w, "  %s %s=%d: INCOMPLETE: %s\n", sp.Design, b.sw.Param, sp.Value, sp.Error)
		}
	}
}

// mergeBound puts the bound.json of the shards in dirs together and
// concludes every design's sweep from its points (bound.Conclude, as the
// unsharded run does after its sweep): out/bound.json is what the
// unsharded bound --json prints, stdout its text (unless quiet), and the
// exit code the unsharded run's.
func mergeBound(ctx context.Context, e *env, out string, dirs []string, quiet bool) (int, error) {
	docs, err := readShards[boundShard](out, dirs, "bound.json")
	if err != nil {
		return exitUsage, usageError{err}
	}
	b, err := parseBound(e, docs[0].Args)
	if err != nil {
		return exitUsage, usagef("%s: the run's flags: %v", dirs[0], err)
	}
	all := atPositions(docs, docs[0].Shard.Total, func(d *boundShard, j int) shardPoint { return d.Points[j] })
	nv := len(b.sw.Values)
	if len(all) != len(b.ds)*nv {
		return exitUsage, usagef("%s: %d points, but the run's flags give %d", dirs[0], len(all), len(b.ds)*nv)
	}
	for p, sp := range all {
		if err := b.checkPoint(p, sp); err != nil {
			return exitUsage, usageError{err}
		}
	}
	b.lf.quiet, b.asJSON = quiet, false
	b.sf = shardFlags{out: out, file: "bound.json"}
	results, incomplete, err := b.analyze(ctx, e, func(i int) ([]bound.Point, error) {
		var pts []bound.Point
		for _, sp := range all[i*nv : (i+1)*nv] {
			if sp.Point == nil {
				return pts, stoppedError(sp.Error)
			}
			pts = append(pts, *sp.Point)
		}
		return pts, nil
	})
	if err != nil {
		return exitUsage, err
	}
	pe := *e
	if quiet {
		pe.stdout = io.Discard
	}
	for _, d := range docs {
		incomplete = incomplete || d.Interrupted
	}
	return b.report(&pe, results, incomplete)
}

// checkPoint refuses the p-th point of the merged sweep when it is not the
// point of the run's design and value, or its figures are out of range
// (the merge would explore at its parameters).
func (b *boundRun) checkPoint(p int, sp shardPoint) error {
	nv := len(b.sw.Values)
	d, v := b.ds[p/nv], b.sw.Values[p%nv]
	if sp.Design != d.Name() || sp.Value != v {
		return fmt.Errorf("point %d is %s %s=%d in its shard, but %s %s=%d in the run", p+1, sp.Design, b.sw.Param, sp.Value, d.Name(), b.sw.Param, v)
	}
	pt := sp.Point
	if pt == nil {
		return nil
	}
	want := model.Normalize(d, b.sw.Set(b.mf.params, v))
	got := pt.Params
	got.Reserve = want.Reserve
	last := want.CPUs * want.Calls
	if got != want || pt.Value != v || pt.LeastReserve < -1 || pt.LeastReserve > last || pt.Params.Reserve < 0 || pt.Params.Reserve > max(last, want.Reserve) {
		return fmt.Errorf("point %d (%s %s=%d): its parameters %s or least reserve %d are not the run's", p+1, sp.Design, b.sw.Param, v, pt.Params, pt.LeastReserve)
	}
	return nil
}
