package bound

import (
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

func TestFill(t *testing.T) {
	// By hand: x objects, one per container first (channel and two
	// batches), then B more per extra page.
	tests := []struct{ x, b, want int64 }{
		{0, 2, 0}, {1, 2, 1}, {3, 2, 3}, {4, 2, 3}, {5, 2, 4}, {4, 1, 4}, {9, 3, 5},
	}
	for _, tc := range tests {
		if got := fill(tc.x, tc.b); got != tc.want {
			t.Errorf("fill(%d, B=%d) = %d, want %d", tc.x, tc.b, got, tc.want)
		}
	}
}

func TestFit(t *testing.T) {
	grid := func(f func(p model.Params) int64) []Sample {
		var s []Sample
		for n := 1; n <= 3; n++ {
			for b := 1; b <= 3; b++ {
				for l := 1; l <= 5; l++ {
					p := model.Params{CPUs: n, Bulk: b, Limit: l}
					s = append(s, Sample{Params: p, Y: f(p)})
				}
			}
		}
		return s
	}
	kSweep := func(f func(k int64) int64) []Sample {
		var s []Sample
		for k := 1; k <= 8; k++ {
			p := model.Params{CPUs: 1, Bulk: 2, Calls: k, Limit: 2}
			s = append(s, Sample{Params: p, Y: f(int64(k))})
		}
		return s
	}
	tests := []struct {
		name    string
		samples []Sample
		want    string // "" for no fit
	}{
		{"constant", kSweep(func(int64) int64 { return 3 }), "3"},
		{"N*fill(L)", grid(func(p model.Params) int64 { return int64(p.CPUs) * fill(int64(p.Limit), int64(p.Bulk)) }), "N*fill(L)"},
		{"2*N*L + 1", grid(func(p model.Params) int64 { return 2*int64(p.CPUs*p.Limit) + 1 }), "2*N*L + 1"},
		{"ceil(K/B) - 1", kSweep(func(k int64) int64 { return (k+1)/2 - 1 }), "ceil(K/B) - 1"},
		{"min(K,L)", kSweep(func(k int64) int64 { return min(k, 2) }), "min(K,L)"},
		{"K squared fits nothing", kSweep(func(k int64) int64 { return k * k }), ""},
		{"two points fit too much", kSweep(func(k int64) int64 { return k })[:2], ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Fit(tc.samples)
			if tc.want == "" {
				if f != nil {
					t.Fatalf("Fit = %q, want none", f.Text)
				}
				return
			}
			if f == nil {
				t.Fatalf("Fit = none, want %q", tc.want)
			}
			if f.Text != tc.want {
				t.Fatalf("Fit = %q (also %v), want %q", f.Text, f.Also, tc.want)
			}
			for _, s := range tc.samples {
				if v, ok := f.Eval(s.Params); !ok || v != s.Y {
					t.Fatalf("%s at %s = %d (%v), sample says %d", f.Text, s.Params, v, ok, s.Y)
				}
			}
		})
	}
}
