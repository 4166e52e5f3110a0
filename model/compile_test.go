package model

import (
	"slices"
	"testing"
)

// TestEffectMasks checks wordEffect.has, which the generated walks rely on
// to leave masks out: every mask of a compiled branch that is not 0 is one
// has lists, for every design (the built-in ones and fastDesigns) at the
// test instances.
func TestEffectMasks(t *testing.T) {
	for _, d := range append(AllDesigns(), fastDesigns()...) {
		for _, p := range append([]Params{DefaultParams()}, append(fastInstances, fastCacheInstance)...) {
			m, err := New(d, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range newCompiler(m).compile() {
				for j := range r.branches {
					for _, b := range r.branches[j] {
						e := &b.effect
						for i, x := range [...]uint64{e.add, e.clr, e.set, e.hadd, e.hclr, e.hset} {
							if x != 0 && e.has&(1<<i) == 0 {
								t.Errorf("%s %v: %v slot %d: mask %d is %#x, not in has %06b", d.Name(), p, r.kind, j, i, x, e.has)
							}
						}
					}
				}
			}
		}
	}
}

// TestAddMove checks that addMove joins the moves of consecutive fields
// to consecutive fields, and only those.
func TestAddMove(t *testing.T) {
	f := func(o, w uint) field { return field{o, lowBits(w)} }
	for _, tc := range []struct {
		name     string
		dst, src []field
		want     []move
	}{
		{"one", []field{f(20, 3)}, []field{f(2, 3)}, []move{{2, 20, 7}}},
		{"consecutive", []field{f(20, 3), f(23, 2)}, []field{f(2, 3), f(5, 2)}, []move{{2, 20, 31}}},
		{"gap in the source", []field{f(20, 3), f(23, 2)}, []field{f(2, 3), f(6, 2)}, []move{{2, 20, 7}, {6, 23, 3}}},
		{"gap in the slot", []field{f(20, 3), f(24, 2)}, []field{f(2, 3), f(5, 2)}, []move{{2, 20, 7}, {5, 24, 3}}},
		{"after a gap, consecutive again", []field{f(20, 1), f(30, 1), f(31, 2)}, []field{f(0, 1), f(8, 1), f(9, 2)},
			[]move{{0, 20, 1}, {8, 30, 7}}},
		{"width 0", []field{f(20, 3), f(23, 0), f(23, 1)}, []field{f(2, 3), f(5, 0), f(5, 1)}, []move{{2, 20, 15}}},
	} {
		var got []move
		for i := range tc.dst {
			got = addMove(got, tc.dst[i], tc.src[i])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: addMove gives %v, want %v", tc.name, got, tc.want)
		}
		// The moves move what the fields one by one move.
		for _, v := range []uint64{0, ^uint64(0), 0x5555555555555555, 0x0123456789abcdef} {
			var one, runs uint64
			for i := range tc.dst {
				one |= tc.src[i].get(v) << tc.dst[i].o
			}
			for _, mv := range got {
				runs |= v >> mv.from & mv.m << mv.to
			}
			if one != runs {
				t.Errorf("%s: on %#x the runs give %#x, the fields %#x", tc.name, v, runs, one)
			}
		}
	}
}
