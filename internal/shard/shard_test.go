package shard

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"1/3", Shard{1, 3}, ""},
		{"3/3", Shard{3, 3}, ""},
		{" 2/5 ", Shard{2, 5}, ""},
		{"1/1", Shard{1, 1}, ""},
		{"0/3", Shard{}, "index must be from 1 to 3"},
		{"4/3", Shard{}, "index must be from 1 to 3"},
		{"1/0", Shard{}, "number of shards must be from 1"},
		{"1/10001", Shard{}, "number of shards must be from 1"},
		{"-1/3", Shard{}, "whole numbers"},
		{"+1/3", Shard{}, "whole numbers"},
		{"1 / 3", Shard{}, "whole numbers"},
		{"2", Shard{}, "want I/N"},
		{"", Shard{}, "want I/N"},
		{"1/3/4", Shard{}, "whole numbers"},
		{"99999999999999999999/3", Shard{}, "whole numbers"},
		{"a\nb", Shard{}, `"a\nb"`},
	} {
		got, err := Parse(c.in)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) error %v; want one line containing %q", c.in, err, c.err)
		}
	}
}

func TestResolve(t *testing.T) {
	for _, c := range []struct {
		flag string
		env  map[string]string
		want Shard
		err  string
	}{
		{"", nil, Shard{}, ""},
		{"2/3", map[string]string{EnvShard: "1/2"}, Shard{2, 3}, ""},
		{"", map[string]string{EnvShard: "1/2", EnvJobIndex: "4", EnvShards: "5"}, Shard{1, 2}, ""},
		{"", map[string]string{EnvJobIndex: "0", EnvShards: "4"}, Shard{1, 4}, ""},
		{"", map[string]string{EnvJobIndex: "3", EnvShards: "4"}, Shard{4, 4}, ""},
		{"", map[string]string{EnvJobIndex: "3"}, Shard{}, ""},
		{"", map[string]string{EnvJobIndex: "4", EnvShards: "4"}, Shard{}, "want an index from 0 to 3"},
		{"", map[string]string{EnvJobIndex: "-1", EnvShards: "4"}, Shard{}, "want an index from 0 to 3"},
		{"", map[string]string{EnvShards: "4"}, Shard{}, "JOB_COMPLETION_INDEX is not"},
		{"", map[string]string{EnvJobIndex: "0", EnvShards: "0"}, Shard{}, "number of shards from 1"},
		{"", map[string]string{EnvShard: "3"}, Shard{}, "RCUCHECK_SHARD: shard"},
		{"x", nil, Shard{}, "--shard: shard"},
	} {
		got, err := Resolve(c.flag, func(k string) string { return c.env[k] })
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("Resolve(%q, %v) = %v, %v; want %v", c.flag, c.env, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Resolve(%q, %v) error %v; want %q", c.flag, c.env, err, c.err)
		}
	}
}

func TestAssign(t *testing.T) {
	for _, c := range []struct {
		costs []float64
		n     int
		want  []int
	}{
		{[]float64{1, 1, 1, 1}, 2, []int{0, 1, 0, 1}},
		{[]float64{100, 1, 1, 1, 1}, 2, []int{0, 1, 1, 1, 1}},
		{[]float64{5, 4, 3, 3, 3}, 2, []int{0, 1, 1, 0, 1}}, // 5 to 0, 4 to 1, 3 to 1 (7), 3 to 0 (8), 3 to 1 (10)
		{[]float64{1, 2}, 5, []int{1, 0}},
		{[]float64{}, 3, []int{}},
		{[]float64{3, 3}, 1, []int{0, 0}},
	} {
		got := Assign(c.costs, c.n)
		if !slices.Equal(got, c.want) {
			t.Errorf("Assign(%v, %d) = %v; want %v", c.costs, c.n, got, c.want)
		}
	}
}

// TestSelectPartition checks that the shards of any count partition the
// items: every item in exactly one shard, and the loads balanced within the
// largest item's cost.
func TestSelectPartition(t *testing.T) {
	costs := []float64{1e6, 3, 2e4, 7, 7, 7, 5e5, 1, 0, 90, 2e4, 1e3}
	for n := 1; n <= len(costs)+2; n++ {
		seen := make([]int, len(costs))
		var loads []float64
		for i := 1; i <= n; i++ {
			load := 0.0
			for _, p := range (Shard{i, n}).Select(costs) {
				seen[p]++
				load += costs[p]
			}
			loads = append(loads, load)
		}
		for p, k := range seen {
			if k != 1 {
				t.Fatalf("n=%d: item %d in %d shards", n, p, k)
			}
		}
		if hi, lo := slices.Max(loads), slices.Min(loads); hi-lo > slices.Max(costs) {
			t.Errorf("n=%d: loads %v unbalanced", n, loads)
		}
	}
	if got := (Shard{}).Select(costs); len(got) != len(costs) {
		t.Errorf("whole work selects %d of %d", len(got), len(costs))
	}
}

func TestCosts(t *testing.T) {
	keys := []string{"a", "b", "c"}
	est := []float64{10, 20, 40}
	if got := Costs(keys, est, nil); !slices.Equal(got, est) {
		t.Errorf("no timings: %v", got)
	}
	// a measured 2 s for an estimate of 10: the others scale by 0.2.
	if got := Costs(keys, est, map[string]float64{"a": 2, "zz": 9}); !slices.Equal(got, []float64{2, 4, 8}) {
		t.Errorf("scaled: %v", got)
	}
}

func seed(v int64) *int64 { return &v }

func TestCheck(t *testing.T) {
	rec := func(i, n int, items []int) *Record {
		return &Record{Shard: Shard{i, n}, Items: items, Total: 4, Input: "h", Seed: seed(7), Version: "v"}
	}
	where := []string{"d1", "d2", "d3"}
	ok := []*Record{rec(2, 2, []int{2, 3}), rec(1, 2, []int{1, 4})}
	own, err := Check(ok, where)
	if err != nil || !slices.Equal(own, []int{1, 0, 0, 1}) {
		t.Fatalf("Check = %v, %v", own, err)
	}
	mod := func(f func(r *Record)) []*Record {
		r := *ok[1]
		f(&r)
		return []*Record{ok[0], &r}
	}
	for _, c := range []struct {
		recs []*Record
		err  string
	}{
		{mod(func(r *Record) { r.Input = "other" }), "input files"},
		{mod(func(r *Record) { r.Seed = seed(8) }), "seeds 7 and 8"},
		{mod(func(r *Record) { r.Seed = nil }), "seeds 7 and none"},
		{mod(func(r *Record) { r.Version = "w" }), "versions"},
		{mod(func(r *Record) { r.Count = 3 }), "shard counts"},
		{mod(func(r *Record) { r.Index = 2 }), "shard 2/2 given twice: d1 and d2"},
		{mod(func(r *Record) { r.Items = []int{1, 3} }), "item 3 was run by two shards"},
		{mod(func(r *Record) { r.Items = []int{1} }), "item 4 of 4 was run by no shard"},
		{mod(func(r *Record) { r.Items = []int{1, 4, 5} }), "outside the whole work"},
		{[]*Record{rec(1, 3, []int{1}), rec(3, 3, []int{2, 3, 4})}, "missing shard(s) 2/3: 2 of 3 given"},
		{[]*Record{{}}, "not a shard's output"},
		{nil, "no shard given"},
	} {
		if _, err := Check(c.recs, where); err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("want %q, got %v", c.err, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1/3", "3/3", "0/1", "1/10000", "x", "/", "1/", "2/1", " 4/7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := Parse(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of two lines: %q", err)
			}
			return
		}
		if sh.Index < 1 || sh.Index > sh.Count || sh.Count > MaxCount {
			t.Fatalf("Parse(%q) = %v out of range", s, sh)
		}
		if back, err := Parse(sh.String()); err != nil || back != sh {
			t.Fatalf("Parse(%q) = %v does not round-trip: %v, %v", s, sh, back, err)
		}
	})
}
