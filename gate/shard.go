package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"

	"github.com/rcucheck/rcucheck/internal/fileout"
	"github.com/rcucheck/rcucheck/internal/shard"
)

// SelectRows returns the positions (0-based, ascending) in rows (a Plan)
// of the rows that shard s runs, balanced by each row's expected cost:
// its seconds in timings (keyed by Row.ID) when there, else its estimate
// (EstimateStates) scaled into seconds by the rows that have both. Every
// shard of a gate file picks with the same rows and timings, so the shards
// together run every row once.
func SelectRows(rows []*Row, s shard.Shard, timings map[string]float64) []int {
	keys := make([]string, len(rows))
	est := make([]float64, len(rows))
	for i, r := range rows {
		keys[i] = r.ID()
		est[i] = EstimateStates(r)
	}
	return s.Select(shard.Costs(keys, est, timings))
}

// EstimateStates is a rough estimate of the states a row explores
// (shard.EstimateStates), at most the row's max_states. An every-K row is
// costed as K = 3 (its counter abstraction and witness search).
func EstimateStates(r *Row) float64 {
	k := r.Params.Calls
	if r.everyK || k == 0 {
		k = 3
	}
	est := shard.EstimateStates(r.Params.CPUs, k)
	if r.spec != nil && r.spec.MaxStates > 0 {
		est = math.Min(est, float64(r.spec.MaxStates))
	}
	return est
}

// ReadTimings reads the seconds of each row (by Row.ID) from a gate.json
// that an earlier run wrote (whole or merged), for SelectRows. Rows that
// did not run are left out.
func ReadTimings(path string) (map[string]float64, error) {
	res, err := ReadResult(path)
	if err != nil {
		return nil, err
	}
	t := make(map[string]float64, len(res.Rows))
	for _, r := range res.Rows {
		if r.Status != StatusNotRun && r.ElapsedSec >= 0 && !math.IsInf(r.ElapsedSec, 0) {
			t[r.ID()] = r.ElapsedSec
		}
	}
	return t, nil
}

// ReadResult reads a gate.json.
func ReadResult(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, fileout.PathErr(err))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var res Result
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("%s: not a gate.json: %v", path, err)
	}
	for i, r := range res.Rows {
		if r == nil {
			return nil, fmt.Errorf("%s: row %d is null", path, i+1)
		}
	}
	return &res, nil
}

// Merge puts the results of the shards of one gate file back together
// (where names each shard's place, for errors): the rows in the whole
// gate's order, counted as Run counts them, so that WriteOutputs writes
// what the unsharded run writes apart from timings (ElapsedSec is the
// longest shard's). It refuses results that are not shards, shards of
// different gate files or versions, a shard missing or given twice.
func Merge(results []*Result, where []string) (*Result, error) {
	recs := make([]*shard.Record, len(results))
	for i, r := range results {
		recs[i] = r.Shard
		if r.Shard != nil && len(r.Shard.Items) != len(r.Rows) {
			return nil, fmt.Errorf("%s: %d rows, but its shard record lists %d", where[i], len(r.Rows), len(r.Shard.Items))
		}
	}
	own, err := shard.Check(recs, where)
	if err != nil {
		return nil, err
	}
	rowAt := make([]map[int]*Row, len(results))
	for i, r := range results {
		rowAt[i] = make(map[int]*Row, len(r.Rows))
		for j, it := range r.Shard.Items {
			rowAt[i][it] = r.Rows[j]
		}
	}
	first := results[0]
	out := &Result{File: first.File, Title: first.Title, Rows: make([]*Row, len(own))}
	for p, i := range own {
		out.Rows[p] = rowAt[i][p+1]
	}
	out.count()
	for _, r := range results {
		out.Interrupted = out.Interrupted || r.Interrupted
		out.ElapsedSec = math.Max(out.ElapsedSec, r.ElapsedSec)
	}
	out.Passed = out.Failed == 0 && !out.Interrupted
	return out, nil
}

// MergeDirs reads DIR/gate.json of every shard directory, merges them
// (Merge) and writes the whole gate's gate.json, junit.xml and traces to
// out (WriteOutputs).
func MergeDirs(out string, dirs []string) (*Result, error) {
	if err := checkOutDir("OUT_DIR", out); err != nil {
		return nil, err
	}
	var results []*Result
	for _, d := range dirs {
		r, err := ReadResult(filepath.Join(d, "gate.json"))
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	res, err := Merge(results, dirs)
	if err != nil {
		return nil, err
	}
	return res, WriteOutputs(out, res)
}

// junitTime matches the time attributes of junit.xml.
var junitTime = regexp.MustCompile(` time="[^"]*"`)

// DiffOutputs compares two --out directories (an unsharded gate's and a
// merge's) apart from timings: gate.json with every elapsed_sec zeroed,
// junit.xml without its time attributes, and the trace files byte for
// byte. It returns nil when they are the same, else what differs first.
func DiffOutputs(a, b string) error {
	var docs [2][2][]byte
	for i, dir := range []string{a, b} {
		res, err := ReadResult(filepath.Join(dir, "gate.json"))
		if err != nil {
			return err
		}
		res.ElapsedSec = 0
		for _, r := range res.Rows {
			r.ElapsedSec = 0
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, res); err != nil {
			return err
		}
		ju, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", filepath.Join(dir, "junit.xml"), fileout.PathErr(err))
		}
		docs[i] = [2][]byte{buf.Bytes(), junitTime.ReplaceAll(ju, nil)}
	}
	for k, name := range []string{"gate.json", "junit.xml"} {
		if !bytes.Equal(docs[0][k], docs[1][k]) {
			return fmt.Errorf("%s differs apart from timings: %s and %s", name, a, b)
		}
	}
	return sameTraces(a, b)
}

// sameTraces compares the trace files of two --out directories.
func sameTraces(a, b string) error {
	ta, _ := filepath.Glob(filepath.Join(a, "traces", "row*.txt"))
	tb, _ := filepath.Glob(filepath.Join(b, "traces", "row*.txt"))
	if len(ta) != len(tb) {
		return fmt.Errorf("traces: %d files in %s, %d in %s", len(ta), a, len(tb), b)
	}
	for i := range ta {
		if filepath.Base(ta[i]) != filepath.Base(tb[i]) {
			return fmt.Errorf("traces: %s in %s, %s in %s", filepath.Base(ta[i]), a, filepath.Base(tb[i]), b)
		}
		x, err1 := os.ReadFile(ta[i])
		y, err2 := os.ReadFile(tb[i])
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("traces: %w", err)
		}
		if !bytes.Equal(x, y) {
			return fmt.Errorf("traces: %s differs", filepath.Base(ta[i]))
		}
	}
	return nil
}
