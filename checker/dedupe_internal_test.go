package checker

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// TestDedupeAgainstMap checks dedupe against a map from state to its first
// position, on chunks whose states repeat and whose hashes collide (a
// state's hash is its half: two states share each), with both tables:
// entries of 16 bits, and of 32 from 65535 successors on. In fingerprint
// mode equal hashes are equal states.
func TestDedupeAgainstMap(t *testing.T) {
	for _, tc := range []struct {
		n, distinct, words int
		fp                 bool
	}{
		{0, 1, 2, false}, {1, 1, 2, false}, {700, 300, 2, false}, {700, 300, 2, true},
		{700, 300, 1, false}, {700, 300, 3, false},
		{65534, 20000, 2, false}, {65535, 20000, 2, false}, {70000, 70000, 2, false}, {70000, 30000, 2, true},
	} {
		t.Run(fmt.Sprintf("n=%d/distinct=%d/words=%d/fp=%v", tc.n, tc.distinct, tc.words, tc.fp), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(tc.n)))
			c := &chunk{}
			for range tc.n {
				v := uint64(rng.Intn(tc.distinct))
				for range tc.words - 1 {
					c.cw = append(c.cw, v>>1) // as the hash: only the last word tells
				}
				c.cw = append(c.cw, v)
				h := v >> 1
				if tc.fp {
					h = v
				}
				c.ch = append(c.ch, h)
			}
			w := &worker{e: &explorer{words: tc.words, st: &store{fp: tc.fp}}}
			first, uniq := w.dedupe(c)
			seen := map[string]int32{}
			var want []int32
			for j := range tc.n {
				k := fmt.Sprint(c.cw[j*tc.words : (j+1)*tc.words])
				f, ok := seen[k]
				if !ok {
					seen[k], f = int32(j), -1
					want = append(want, int32(j))
				}
				if first[j] != f {
					t.Fatalf("first[%d] = %d, want %d", j, first[j], f)
				}
			}
			if !slices.Equal(uniq, want) {
				t.Fatalf("uniq has %d successors, want %d", len(uniq), len(want))
			}
		})
	}
}
