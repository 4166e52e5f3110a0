package checker_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

// graphSpec is g as a Spec: a state is a vertex, an action the number of an
// edge out of it; the properties are listed out of kind order.
func graphSpec(g *graphModel) checker.Spec[int, int] {
	return checker.Spec[int, int]{
		Init: func() int { return 0 },
		Actions: func(s int, emit func(int)) {
			for k := range g.succ[s] {
				emit(k)
			}
		},
		Next: func(s, k int) (int, bool) { return g.succ[s][k], true },
		Codec: checker.Codec[int]{Words: 1,
			Encode: func(s int, dst []uint64) { dst[0] = uint64(s) },
			Decode: func(src []uint64) int { return int(src[0]) }},
		Properties: []checker.Property[int]{
			checker.Metric("m", func(s int) int64 { return g.metric[s] }),
			checker.Goal("goal", func(s int) bool { return g.goal[s] }),
			checker.Invariant("ok", func(s int) bool { return !g.bad[s] }),
		},
		ActionName: func(k int) string { return fmt.Sprintf("e%d", k) },
	}
}

// withoutActions clears the actions' numbers of every trace of r (a
// Spec's model numbers them in the order it meets them).
func withoutActions(r *checker.Result) *checker.Result {
	clean := func(tr *checker.Trace) {
		for i := range tr.Len() {
			tr.Steps[i].Action = 0
		}
	}
	for _, ps := range [][]checker.PropertyResult{r.Invariants, r.Goals} {
		for _, p := range ps {
			clean(p.Trace)
		}
	}
	for _, m := range r.Metrics {
		clean(m.Trace)
	}
	clean(r.Deadlock)
	return r
}

// TestSpecMatchesModel: a graph explored as a Spec gives the figures and
// traces (states and action names) of the same graph written as a Model,
// for 1 and 3 workers.
func TestSpecMatchesModel(t *testing.T) {
	for seed := int64(0); seed < 40; seed++ {
		g := randomGraph(rand.New(rand.NewSource(seed)), 2+int(seed)*50, 4)
		ref := withoutActions(explore(t, g, checker.Options{Workers: 1}))
		for _, workers := range []int{1, 3} {
			r, err := checker.ExploreSpec(context.Background(), graphSpec(g), checker.Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			sameResult(t, fmt.Sprintf("seed %d workers %d", seed, workers), ref, withoutActions(r))
		}
	}
}

// TestSpecNamesByKind: properties given in any order are reported by kind,
// in their order within it, and found by name.
func TestSpecNamesByKind(t *testing.T) {
	g := &graphModel{succ: [][]int{{1}, {0}}, bad: []bool{false, true}, goal: []bool{true, false}, metric: []int64{3, 5}}
	spec := graphSpec(g)
	spec.Properties = append(spec.Properties,
		checker.Metric("zero", func(int) int64 { return 0 }),
		checker.Invariant("always", func(int) bool { return true }))
	r, err := checker.ExploreSpec(context.Background(), spec, checker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range append(append([]checker.PropertyResult(nil), r.Invariants...), r.Goals...) {
		got = append(got, p.Name+"="+p.Verdict.String())
	}
	for _, m := range r.Metrics {
		got = append(got, fmt.Sprintf("%s=%d", m.Name, m.Max))
	}
	if s := strings.Join(got, " "); s != "ok=VIOLATED always=holds goal=holds m=5 zero=0" {
		t.Errorf("got %s", s)
	}
	if r.Property("ok").Trace.Len() != 1 || r.Property("m") != nil || r.Metric("zero").Max != 0 || r.Metric("ok") != nil {
		t.Errorf("lookups by name: %+v %+v", r.Property("ok"), r.Metric("zero"))
	}
}

// TestSpecRefused: a spec that cannot be explored is an error naming the
// problem, never a panic.
func TestSpecRefused(t *testing.T) {
	g := &graphModel{succ: [][]int{{0}}, bad: []bool{false}, goal: []bool{true}, metric: []int64{0}}
	tests := []struct {
		name  string
		spoil func(*checker.Spec[int, int])
		want  string
	}{
		{"no Next", func(s *checker.Spec[int, int]) { s.Next = nil }, "Init, Actions and Next are required"},
		{"no Decode", func(s *checker.Spec[int, int]) { s.Codec.Decode = nil }, "Encode and Decode are required"},
		{"no words", func(s *checker.Spec[int, int]) { s.Codec.Words = 0 }, "0 words per state"},
		{"unnamed", func(s *checker.Spec[int, int]) { s.Properties[0].Name = "" }, `property 0: name ""`},
		{"twice", func(s *checker.Spec[int, int]) { s.Properties[1].Name = "m" }, `property 1: name "m" empty or used twice`},
		{"kind", func(s *checker.Spec[int, int]) { s.Properties[2].Kind = 0 }, "property ok: unknown kind(0)"},
		{"no predicate", func(s *checker.Spec[int, int]) { s.Properties[1].Holds = nil }, "property goal: a goal needs its function"},
		{"no value", func(s *checker.Spec[int, int]) { s.Properties[0].Value = nil }, "property m: a metric needs its function"},
		{"codec", func(s *checker.Spec[int, int]) {
			s.Init = func() int { return 7 }
			s.Codec.Decode = func([]uint64) int { return 0 }
		}, "does not give back the initial state"},
	}
	for _, tc := range tests {
		spec := graphSpec(g)
		tc.spoil(&spec)
		_, err := checker.ExploreSpec(context.Background(), spec, checker.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "spec: ") {
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.want)
		}
	}
}

// TestBinaryCodec: fixed-size states round-trip; other types are refused.
func TestBinaryCodec(t *testing.T) {
	type state struct {
		A uint8
		B [3]bool
		C int64
		D [2]uint16
	}
	c, err := checker.BinaryCodec[state]()
	if err != nil || c.Words != 2 { // 16 bytes
		t.Fatalf("words %d, err %v", c.Words, err)
	}
	for _, s := range []state{{}, {A: 255, B: [3]bool{true, false, true}, C: -2, D: [2]uint16{1, 65535}}} {
		w := make([]uint64, c.Words)
		c.Encode(s, w)
		if back := c.Decode(w); back != s {
			t.Errorf("%+v came back as %+v", s, back)
		}
	}
	if _, err := checker.BinaryCodec[[]int](); err == nil || !strings.Contains(err.Error(), "no fixed binary size") {
		t.Errorf("slice: %v", err)
	}
	type hidden struct{ a uint8 }
	_ = hidden{a: 1}.a
	if _, err := checker.BinaryCodec[hidden](); err == nil || !strings.Contains(err.Error(), "must be exported") {
		t.Errorf("unexported field: %v", err)
	}
}
