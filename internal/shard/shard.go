// Package shard splits a run's work into N fixed, deterministic parts, one
// per CI job, matrix entry or Kubernetes Indexed Job pod: shard I of N
// (1-based) runs the items Assign gives it, so that the union of the N
// shards is exactly the unsharded work and no item runs twice.
//
// The shard comes from the --shard flag ("2/3"), else from the environment:
// RCUCHECK_SHARD ("2/3"), or JOB_COMPLETION_INDEX (0-based, as a Kubernetes
// Indexed Job sets it) with RCUCHECK_SHARDS (the number of shards).
//
// Items are balanced by expected cost with the longest-processing-time
// rule: the most expensive item first, each to the shard with the least
// cost so far, ties broken by the item's position and the lower shard.
// Every shard computes the same assignment from the same items and costs,
// so no coordination is needed.
package shard

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MaxCount is the largest number of shards (a CI matrix or Indexed Job of
// more is a typo, not a plan).
const MaxCount = 10000

// The environment variables a shard is read from.
const (
	EnvShard    = "RCUCHECK_SHARD"       // "I/N", 1-based
	EnvShards   = "RCUCHECK_SHARDS"      // N, with EnvJobIndex
	EnvJobIndex = "JOB_COMPLETION_INDEX" // 0-based, set by a Kubernetes Indexed Job
)

// Shard is shard Index of Count, 1-based. The zero Shard is the whole work
// (unsharded).
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Whole reports whether s is the whole work: no shard given.
func (s Shard) Whole() bool { return s.Count == 0 }

// String is "I/N", or "" for the whole work.
func (s Shard) String() string {
	if s.Whole() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Parse reads "I/N": 1 <= I <= N <= MaxCount. Errors are one line naming
// the text.
func Parse(text string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(text), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want I/N, e.g. 2/3 (shard 2 of 3, from 1)", clip(text))
	}
	idx, err1 := atoi(i)
	cnt, err2 := atoi(n)
	switch {
	case err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("shard %q: want I/N with whole numbers, e.g. 2/3", clip(text))
	case cnt < 1 || cnt > MaxCount:
		return Shard{}, fmt.Errorf("shard %q: the number of shards must be from 1 to %d", clip(text), MaxCount)
	case idx < 1 || idx > cnt:
		return Shard{}, fmt.Errorf("shard %q: the index must be from 1 to %d (shards count from 1)", clip(text), cnt)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

// atoi reads a whole number of decimal digits only (no sign, no spaces).
func atoi(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 9 {
		return 0, errors.New("not a whole number")
	}
	return strconv.Atoi(s)
}

// clip quotes at most 40 bytes of s, so that an error stays one short line
// (%q escapes line breaks).
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Resolve returns the shard of a run: flag when set (the --shard value),
// else the environment's (see FromEnv), else the whole work.
func Resolve(flag string, getenv func(string) string) (Shard, error) {
	if flag != "" {
		s, err := Parse(flag)
		if err != nil {
			return Shard{}, fmt.Errorf("--shard: %w", err)
		}
		return s, nil
	}
	return FromEnv(getenv)
}

// FromEnv reads the shard from the environment: RCUCHECK_SHARD ("I/N"),
// else JOB_COMPLETION_INDEX (0-based) with RCUCHECK_SHARDS; the whole work
// when neither is set. RCUCHECK_SHARDS without an index is an error (a Job
// that is not Indexed), JOB_COMPLETION_INDEX alone is not (an Indexed Job
// that does not shard rcucheck).
func FromEnv(getenv func(string) string) (Shard, error) {
	if v := getenv(EnvShard); v != "" {
		s, err := Parse(v)
		if err != nil {
			return Shard{}, fmt.Errorf("%s: %w", EnvShard, err)
		}
		return s, nil
	}
	n, idx := getenv(EnvShards), getenv(EnvJobIndex)
	switch {
	case n == "":
		return Shard{}, nil
	case idx == "":
		return Shard{}, fmt.Errorf("%s=%s is set but %s is not (run as a Kubernetes Indexed Job, or set %s=I/N)", EnvShards, clip(n), EnvJobIndex, EnvShard)
	}
	cnt, err := atoi(n)
	if err != nil || cnt < 1 || cnt > MaxCount {
		return Shard{}, fmt.Errorf("%s=%q: want a number of shards from 1 to %d", EnvShards, clip(n), MaxCount)
	}
	i, err := atoi(idx)
	if err != nil || i >= cnt {
		return Shard{}, fmt.Errorf("%s=%q: want an index from 0 to %d (RCUCHECK_SHARDS=%d, counted from 0)", EnvJobIndex, clip(idx), cnt-1, cnt)
	}
	return Shard{Index: i + 1, Count: cnt}, nil
}

// Assign gives each item, by its expected cost (any unit; negative, NaN or
// infinite costs count as the largest finite cost), a shard from 0 to n-1:
// longest processing time first, each item to the least loaded shard; ties
// go to the earlier item and the lower shard. The result depends only on
// costs and n.
func Assign(costs []float64, n int) []int {
	out := make([]int, len(costs))
	if n <= 1 {
		return out
	}
	order := make([]int, len(costs))
	for i := range order {
		order[i] = i
	}
	c := func(i int) float64 {
		x := costs[i]
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return math.MaxFloat64
		}
		return x
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(c(b), c(a)) })
	load := make([]float64, n)
	for _, i := range order {
		best := 0
		for s := 1; s < n; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		out[i] = best
		load[best] = math.Min(load[best]+c(i), math.MaxFloat64)
	}
	return out
}

// Select returns the positions (ascending) of the items of costs that
// shard s runs; every position for the whole work.
func (s Shard) Select(costs []float64) []int {
	var out []int
	if s.Whole() {
		for i := range costs {
			out = append(out, i)
		}
		return out
	}
	for i, sh := range Assign(costs, s.Count) {
		if sh == s.Index-1 {
			out = append(out, i)
		}
	}
	return out
}

// EstimateStates is a rough estimate of the states of the reference model
// at N cpus and K calls, enough to tell an instance of 50 states from one
// of 10^6: exp(N*(1.8*K + 3.25)), fitted on head at N <= 2, K <= 3 (56,
// 512, 7200, 891464, 31395028 states, within a factor of 3).
func EstimateStates(cpus, calls int) float64 {
	return math.Exp(float64(cpus) * (1.8*float64(calls) + 3.25))
}
