package traces

import (
	"math/rand/v2"
	"testing"
)

// TestIDSet: the id set answers as a map of id to line would, for ids in
// order on consecutive lines, with gaps, out of order, and lines that
// skip; ids in order on consecutive lines take one run.
func TestIDSet(t *testing.T) {
	type rec struct {
		id   int64
		line int
	}
	seq := func(id0 int64, line0, n int) []rec {
		var rs []rec
		for k := range n {
			rs = append(rs, rec{id0 + int64(k), line0 + k})
		}
		return rs
	}
	rng := rand.New(rand.NewPCG(7, 16))
	var random []rec
	for k := range 3000 {
		random = append(random, rec{rng.Int64N(2000) + 1, k + 2})
	}
	for _, tc := range []struct {
		name    string
		recs    []rec
		maxRuns int
	}{
		{"consecutive", seq(1, 2, 10000), 1},
		{"two histories' numbering", append(seq(1, 2, 500), seq(501, 600, 500)...), 2},
		{"gaps", append(seq(1, 2, 10), seq(20, 12, 10)...), 2},
		{"lines skip", []rec{{1, 2}, {2, 4}, {3, 5}, {4, 6}}, 2},
		{"out of order", []rec{{5, 2}, {1, 3}, {2, 4}, {6, 5}, {5, 6}, {1, 7}, {3, 8}}, 3},
		{"random", random, len(random)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s idSet
			want := map[int64]int{}
			for _, r := range tc.recs {
				prev, dup := s.add(r.id, r.line)
				wl, wdup := want[r.id]
				if dup != wdup || prev != wl {
					t.Fatalf("add(%d, line %d) = %d, %v; want %d, %v", r.id, r.line, prev, dup, wl, wdup)
				}
				if !wdup {
					want[r.id] = r.line
				}
			}
			for id := int64(0); id < 3000; id++ {
				l, ok := s.line(id)
				if wl, wok := want[id]; ok != wok || l != wl {
					t.Fatalf("line(%d) = %d, %v; want %d, %v", id, l, ok, wl, wok)
				}
			}
			if len(s.runs) > tc.maxRuns {
				t.Fatalf("%d runs, want at most %d", len(s.runs), tc.maxRuns)
			}
		})
	}
}
