package model_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// The figures of the five designs at the defaults with K = 1 and K = 2,
// measured before the design API replaced the old per-design switches
// (go run ./cmd/rcucheck check --design all --calls K --json) and pinned
// after it: the API must not change a single state or transition.
func TestBuiltinFiguresPinned(t *testing.T) {
	type fig struct {
		states, transitions uint64
		depth               int
		noStuck, gp, drain  checker.Verdict
		pages, pending, res int64
	}
	tests := []struct {
		design string
		calls  int
		want   fig
	}{
		{"head", 1, fig{7200, 37152, 13, checker.Holds, checker.Holds, checker.Holds, 4, 2, 0}},
		{"sync", 1, fig{5292, 26860, 11, checker.Holds, checker.Holds, checker.Holds, 4, 2, 0}},
		{"reserve", 1, fig{4392, 21720, 14, checker.Violated, checker.Holds, checker.Violated, 4, 2, 1}},
		{"limit", 1, fig{4392, 22056, 14, checker.Violated, checker.Holds, checker.Violated, 4, 2, 1}},
		{"early", 1, fig{6352, 34032, 13, checker.Holds, checker.Violated, checker.Holds, 4, 2, 0}},
		{"head", 2, fig{891464, 5075792, 17, checker.Holds, checker.Holds, checker.Holds, 6, 4, 0}},
		{"sync", 2, fig{195612, 1078360, 17, checker.Holds, checker.Holds, checker.Holds, 6, 4, 0}},
		{"reserve", 2, fig{193447, 1033932, 18, checker.Violated, checker.Holds, checker.Violated, 6, 4, 1}},
		{"limit", 2, fig{193447, 1055584, 18, checker.Violated, checker.Holds, checker.Violated, 6, 4, 1}},
		{"early", 2, fig{697088, 4367236, 17, checker.Holds, checker.Violated, checker.Holds, 6, 4, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.design, func(t *testing.T) {
			d, err := model.LookupDesign(tc.design)
			if err != nil {
				t.Fatal(err)
			}
			p := model.DefaultParams()
			p.Calls = tc.calls
			r, err := model.Check(context.Background(), d, p, checker.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := fig{r.States, r.Transitions, r.Depth,
				r.Properties[model.PropNoStuck].Verdict, r.Properties[model.PropGracePeriod].Verdict, r.Properties[model.PropDrainable].Verdict,
				r.Max.Pages, r.Max.Pending, r.Max.ReserveUsed}
			if got != tc.want {
				t.Errorf("K=%d: got %+v, want %+v", tc.calls, got, tc.want)
			}
		})
	}
}

// The realistic designs at the defaults with K = 1 (figures of this
// implementation, pinned), and the decisions that tell them apart.
func TestRealisticDesigns(t *testing.T) {
	tests := []struct {
		design              string
		states, transitions uint64
		noStuck             checker.Verdict
		noStuckSteps        int
	}{
		{"linux-sleepable", 5292, 26860, checker.Holds, 0},
		{"linux-head", 7200, 36816, checker.Holds, 0},
		{"lockless", 12248, 62948, checker.Holds, 0},
		{"lockless-atomic", 4572, 21904, checker.Violated, 2},
	}
	for _, tc := range tests {
		t.Run(tc.design, func(t *testing.T) {
			d, err := model.LookupDesign(tc.design)
			if err != nil {
				t.Fatal(err)
			}
			p := model.DefaultParams()
			p.Calls = 1
			r, err := model.Check(context.Background(), d, p, checker.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ns := r.Properties[model.PropNoStuck]
			if r.States != tc.states || r.Transitions != tc.transitions || ns.Verdict != tc.noStuck || len(ns.Trace) != tc.noStuckSteps {
				t.Errorf("got %d states %d transitions NoStuck %s in %d steps; want %d %d %s %d",
					r.States, r.Transitions, ns.Verdict, len(ns.Trace), tc.states, tc.transitions, tc.noStuck, tc.noStuckSteps)
			}
			if r.Properties[model.PropGracePeriod].Verdict != checker.Holds {
				t.Errorf("GracePeriod %s", r.Properties[model.PropGracePeriod].Verdict)
			}
		})
	}
}

// enabledNames lists the labels of the transitions enabled in s.
func enabledNames(m *model.Model, s *model.State) map[string]bool {
	out := map[string]bool{}
	for _, a := range m.Enabled(s, nil) {
		out[a.String()] = true
	}
	return out
}

func TestDecisions(t *testing.T) {
	p := model.Params{CPUs: 1, Bulk: 1, Cache: 2, Reserve: 1, Calls: 3, Limit: 1}
	tests := []struct {
		design  string
		prepare func(s *model.State) // from the initial state
		want    []string             // labels that must be enabled
		absent  []string             // labels that must not be
	}{
		{"linux-sleepable", func(s *model.State) { s.CPUs[0].Cache = 0 },
			[]string{"free(0) alloc-ok", "free(0) alloc-fails synchronize_rcu", "refill(0)", "refill(0) one"}, nil},
		{"sync", func(s *model.State) { s.CPUs[0].Cache = 0 },
			[]string{"free(0) alloc-ok", "refill(0)"}, []string{"refill(0) one"}},
		{"linux-head", func(s *model.State) { s.CPUs[0].Cache = 0 },
			[]string{"free(0) alloc-fails rcu_head"}, []string{"free(0) alloc-ok"}},
		{"lockless", func(s *model.State) { s.CPUs[0].Cache = 0 },
			[]string{"free(0) lockless", "free(0) alloc-fails rcu_head"}, []string{"free(0) alloc-ok"}},
		{"lockless", func(s *model.State) { s.CPUs[0].Cache = 0; s.Reserve = 0 },
			[]string{"free(0) alloc-fails rcu_head"}, []string{"free(0) lockless"}},
		{"lockless-atomic", func(s *model.State) { s.CPUs[0].Cache = 0; s.Reserve = 0 },
			[]string{"free(0) stuck"}, nil},
		{"limit", func(s *model.State) { s.CPUs[0].Objs, s.CPUs[0].Pages = 1, 1 },
			nil, []string{"free(0)", "free(0) cache"}},
	}
	for _, tc := range tests {
		t.Run(tc.design, func(t *testing.T) {
			d, err := model.LookupDesign(tc.design)
			if err != nil {
				t.Fatal(err)
			}
			m, err := model.New(d, p)
			if err != nil {
				t.Fatal(err)
			}
			s := m.Initial()
			tc.prepare(s)
			got := enabledNames(m, s)
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("%s not enabled; enabled: %v", w, got)
				}
			}
			for _, w := range tc.absent {
				if got[w] {
					t.Errorf("%s enabled", w)
				}
			}
		})
	}
}

func TestRefillOneAndLocklessApply(t *testing.T) {
	d, _ := model.LookupDesign("linux-sleepable")
	m, err := model.New(d, model.Params{CPUs: 1, Bulk: 1, Cache: 3, Calls: 2})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Initial()
	s.CPUs[0].Cache = 0
	a, err := model.ParseAction("refill(0) one")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Step(s, a); err != nil {
		t.Fatal(err)
	}
	if s.CPUs[0].Cache != 1 {
		t.Fatalf("refill(0) one: cache %d, want 1", s.CPUs[0].Cache)
	}
	d, _ = model.LookupDesign("lockless")
	m, _ = model.New(d, model.Params{CPUs: 1, Bulk: 1, Cache: 0, Reserve: 2, Calls: 2})
	s = m.Initial()
	if err := m.Step(s, model.Action{Kind: model.KindFree, Free: model.FreeLockless}); err != nil {
		t.Fatal(err)
	}
	if s.Reserve != 1 || s.CPUs[0].Pages != 1 || s.CPUs[0].Objs != 1 {
		t.Fatalf("after free(0) lockless: %s", s)
	}
}

func TestActionRoundTripNewLabels(t *testing.T) {
	for _, text := range []string{"free(1) lockless", "refill(3) one", "refill(2)"} {
		a, err := model.ParseAction(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if a.String() != text || model.ActionFromCode(a.Code()) != a {
			t.Errorf("%s: round trip gives %q / %v", text, a.String(), model.ActionFromCode(a.Code()))
		}
	}
	if _, err := model.ParseAction("refill(0) two"); err == nil {
		t.Error("refill(0) two parsed")
	}
}

func TestBuiltinRegistry(t *testing.T) {
	if _, err := model.NewRegistry(model.AllDesigns()...); err != nil {
		t.Fatalf("built-in designs do not register: %v", err)
	}
	reg := model.BuiltinRegistry()
	if got, want := len(reg.Names()), 9; got != want {
		t.Errorf("%d built-in designs, want %d", got, want)
	}
	bad := []model.Design{
		model.Policies{DesignName: "head"},
		model.Policies{DesignName: ""},
		model.Policies{DesignName: "all"},
		model.Policies{DesignName: "a b"},
		nil,
	}
	for _, d := range bad {
		if err := reg.Add(d); err == nil {
			t.Errorf("Add(%v) accepted", d)
		}
	}
	if _, err := reg.Lookup("nope"); err == nil {
		t.Error("Lookup(nope) found something")
	}
}

// stingy admits a free only while no batch of its CPU is in flight: a user
// design with a state-dependent Admit, written against the API.
type stingy struct{ model.Policies }

func (stingy) Admit(v model.View, c int) bool {
	u := v.CPU(c)
	return u.Slot[0].Phase == model.PhaseFree && u.Slot[1].Phase == model.PhaseFree
}

func TestUserDesignAdmit(t *testing.T) {
	d := stingy{model.Policies{DesignName: "stingy", Plan: model.Plan(model.FallbackHead, model.SourceAllocator)}}
	p := model.Params{CPUs: 1, Bulk: 1, Cache: 1, Calls: 3}
	r, err := model.Check(context.Background(), d, p, checker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := model.LookupDesign("head")
	rh, err := model.Check(context.Background(), head, p, checker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !(r.States < rh.States) || r.Properties[model.PropDrainable].Verdict != checker.Holds {
		t.Errorf("stingy: %d states (head %d), Drainable %s", r.States, rh.States, r.Properties[model.PropDrainable].Verdict)
	}
	m, err := model.New(d, p)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Initial()
	s.CPUs[0].Slot[1] = model.Slot{Phase: model.PhaseNext, Pages: 1, Objs: 1}
	for name := range enabledNames(m, s) {
		if strings.HasPrefix(name, "free(") {
			t.Errorf("%s enabled with a batch in flight", name)
		}
	}
}
