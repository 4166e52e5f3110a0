package shard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strings"
)

// Record says what a shard's output is, so that a merge can refuse shards
// of different runs: the shard, the positions (1-based) of the items it ran
// in the whole work, the number of items of the whole work, the hash of
// the input it read (a gate file), the campaign's seed, and the version of
// the program that wrote it.
type Record struct {
	Shard
	Items   []int  `json:"items"`
	Total   int    `json:"total"`
	Input   string `json:"input_sha256,omitempty"`
	Seed    *int64 `json:"seed,omitempty"`
	Version string `json:"version"`
}

// NewRecord is the record of shard s over the whole work of total items,
// of which it runs the positions picked (0-based, ascending), with the
// hash of input (nil: none) and this program's version.
func NewRecord(s Shard, picked []int, total int, input []byte, seed *int64) *Record {
	r := &Record{Shard: s, Items: make([]int, len(picked)), Total: total, Seed: seed, Version: Version()}
	for i, p := range picked {
		r.Items[i] = p + 1
	}
	if input != nil {
		sum := sha256.Sum256(input)
		r.Input = hex.EncodeToString(sum[:])
	}
	return r
}

// Version identifies the program that runs: its module, version, VCS
// revision (with "+modified" for local changes) when the build recorded
// it, and Go's version. Shards of different versions are not merged.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	parts := []string{bi.Main.Path + "@" + bi.Main.Version}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			parts = append(parts, s.Value)
		case s.Key == "vcs.modified" && s.Value == "true":
			parts = append(parts, "+modified")
		}
	}
	return strings.Join(append(parts, bi.GoVersion), " ")
}

// Check verifies that recs (read from the places named by where, for the
// errors) are the shards of one run, every shard once: the same count,
// input, seed, version and total, no shard index missing or given twice,
// and items that cover every position of the whole work exactly once.
// It returns, for each position (0-based), which record holds it.
func Check(recs []*Record, where []string) ([]int, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("no shard given")
	}
	first := recs[0]
	seen := make(map[int]int, len(recs))
	for i, r := range recs {
		if r == nil || r.Count < 1 || r.Index < 1 || r.Index > r.Count {
			return nil, fmt.Errorf("%s: not a shard's output (no shard I/N recorded)", where[i])
		}
		if err := sameRun(first, r, where[0], where[i]); err != nil {
			return nil, err
		}
		if j, dup := seen[r.Index]; dup {
			return nil, fmt.Errorf("shard %s given twice: %s and %s", r.Shard, where[j], where[i])
		}
		seen[r.Index] = i
	}
	var missing []string
	for k := 1; k <= first.Count; k++ {
		if _, ok := seen[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, first.Count))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing shard(s) %s: %d of %d given", strings.Join(missing, ", "), len(recs), first.Count)
	}
	return owners(recs, where)
}

// sameRun refuses b when it is not a shard of a's run.
func sameRun(a, b *Record, wa, wb string) error {
	seed := func(r *Record) string {
		if r.Seed == nil {
			return "none"
		}
		return fmt.Sprint(*r.Seed)
	}
	diff := func(what, x, y string) error {
		return fmt.Errorf("%s and %s are not shards of one run: %s %s and %s", wa, wb, what, x, y)
	}
	switch {
	case a.Count != b.Count:
		return diff("shard counts", fmt.Sprint(a.Count), fmt.Sprint(b.Count))
	case a.Input != b.Input:
		return diff("input files (sha256)", a.Input, b.Input)
	case seed(a) != seed(b):
		return diff("seeds", seed(a), seed(b))
	case a.Version != b.Version:
		return diff("versions", fmt.Sprintf("%q", a.Version), fmt.Sprintf("%q", b.Version))
	case a.Total != b.Total:
		return diff("sizes of the whole work", fmt.Sprint(a.Total), fmt.Sprint(b.Total))
	}
	return nil
}

// owners maps each position of the whole work to the record that ran it,
// refusing a position run twice or never.
func owners(recs []*Record, where []string) ([]int, error) {
	total := recs[0].Total
	own := make([]int, total)
	for i := range own {
		own[i] = -1
	}
	for i, r := range recs {
		for _, it := range r.Items {
			switch {
			case it < 1 || it > total:
				return nil, fmt.Errorf("%s: item %d is outside the whole work (1..%d)", where[i], it, total)
			case own[it-1] >= 0:
				return nil, fmt.Errorf("item %d was run by two shards: %s and %s (were they given different timings or costs?)", it, where[own[it-1]], where[i])
			}
			own[it-1] = i
		}
	}
	for it, o := range own {
		if o < 0 {
			return nil, fmt.Errorf("item %d of %d was run by no shard (were the shards given different timings or costs?)", it+1, total)
		}
	}
	return own, nil
}

// Costs returns the expected cost of each item in seconds where it can:
// the measured seconds of the item's key in timings (a previous run's),
// else its estimate scaled by the ratio of measured seconds to estimates
// over the items that have both; the estimates alone when no item has a
// timing.
func Costs(keys []string, estimates []float64, timings map[string]float64) []float64 {
	out := make([]float64, len(estimates))
	var sec, est float64
	for i, k := range keys {
		if t, ok := timings[k]; ok && t >= 0 {
			sec += t
			est += estimates[i]
		}
	}
	scale := 1.0
	if sec > 0 && est > 0 {
		scale = sec / est
	}
	for i, k := range keys {
		if t, ok := timings[k]; ok && t >= 0 {
			out[i] = t
		} else {
			out[i] = estimates[i] * scale
		}
	}
	return out
}
