package model

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

// TestFastExpanderEveryState compares the fast expander with the reference
// expander (Enabled, Apply, pack) successor by successor, in order, on
// every reachable state of every built-in design at N=2 K=2 and N=3 K=1
// (the other parameters at the spec's defaults B=2 C=1 R=1 L=2), through
// the verifying model that rcucheck check --verify runs (whose figures are
// the plain run's: TestCheckVerify in cmd/rcucheck). The reference
// expander itself is compared with the straightforward path, written out
// in the test, by TestFastExpanderMatchesStraightforward.
func TestFastExpanderEveryState(t *testing.T) {
	if testing.Short() {
		t.Skip("about a minute of exploration")
	}
	var ps []Params
	for _, nk := range [][2]int{{2, 2}, {3, 1}} {
		p := DefaultParams()
		p.CPUs, p.Calls = nk[0], nk[1]
		ps = append(ps, p)
	}
	for _, d := range AllDesigns() {
		for _, p := range ps {
			t.Run(d.Name()+"/"+p.String(), func(t *testing.T) {
				m, err := New(d, p)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := m.Checkable().NewExpander().(*fastExpander); !ok {
					t.Fatalf("the fast expander does not apply to %s", p)
				}
				got, err := CheckVerified(context.Background(), d, p, checker.Options{SkipGoals: true, Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				if !got.Complete {
					t.Fatalf("verified run incomplete: %s", got.StopReason)
				}
				t.Logf("%d states, %d transitions: every successor agrees", got.States, got.Transitions)
			})
		}
	}
}

// mutant is an expander under test that is deliberately wrong.
type mutant struct {
	name string
	// design the mutant is built for.
	design string
	build  func(m *Model) checker.Expander
}

// dropLast is an expander that forgets the last successor of states with
// more than want of them.
type dropLast struct {
	checker.Expander
	want int
}

func (d dropLast) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	var acts []checker.Action
	var nexts [][]uint64
	d.Expander.Successors(s, func(a checker.Action, next []uint64) {
		acts, nexts = append(acts, a), append(nexts, append([]uint64(nil), next...))
	})
	if len(acts) > d.want {
		acts = acts[:len(acts)-1]
	}
	for i := range acts {
		emit(acts[i], nexts[i])
	}
}

// mutate applies f to the compiled effects of every branch of x's rules.
func (x *fastExpander) mutate(f func(e *wordEffect)) {
	for i := range x.rules {
		for j := range x.rules[i].branches {
			for k := range x.rules[i].branches[j] {
				f(&x.rules[i].branches[j][k].effect)
			}
		}
	}
}

// mutants are the broken expanders TestVerifyCatchesMutants runs: each
// a plausible bug of the fast expander.
func mutants() []mutant {
	return []mutant{
		{"early joins NEXT", "early", func(m *Model) checker.Expander {
			x := newFastExpander(m)
			x.mutate(func(e *wordEffect) { e.join = JoinNext }) // early's batches wait for the next grace period
			return x
		}},
		{"head without fallback", "head", func(m *Model) checker.Expander {
			x := newFastExpander(m)
			x.missNone, x.missLeft = missBranches(Plan(FallbackStuck, SourceAllocator), false), missBranches(Plan(FallbackStuck, SourceAllocator), true)
			return x
		}},
		{"reserve reclaims to the cache first", "reserve", func(m *Model) checker.Expander {
			x := newFastExpander(m)
			x.mutate(func(e *wordEffect) { e.policy = ReclaimCacheFirst })
			return x
		}},
		{"a successor dropped", "sync", func(m *Model) checker.Expander {
			return dropLast{newFastExpander(m), 6}
		}},
	}
}

// TestVerifyCatchesMutants: a verifying run (the one of rcucheck check
// --verify) with a broken fast expander reports the mismatch as an error,
// naming the state and both successors, and no report; each mutant is
// first shown to change what an unverified run would say or count.
func TestVerifyCatchesMutants(t *testing.T) {
	for _, mu := range mutants() {
		t.Run(mu.name, func(t *testing.T) {
			p := DefaultParams()
			p.Calls = 1
			d, err := LookupDesign(mu.design)
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(d, p)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			v := m.Checkable().Verify(cancel)
			v.newUnder = func() checker.Expander { return mu.build(m) }
			res, err := checker.Explore(ctx, v, checker.Options{Workers: 2})
			verr := v.Err()
			if verr == nil {
				t.Fatalf("the verifying run found no mismatch (explore: %v, %d states)", err, res.States)
			}
			if msg := verr.Error(); !strings.Contains(msg, "disagrees with the reference expander") || !strings.Contains(msg, "fast ") || strings.Contains(msg, "\n") {
				t.Fatalf("mismatch message %q", msg)
			}
			if res.Complete {
				t.Fatalf("the run went on to completion after the mismatch")
			}
			t.Log(verr)
		})
	}
}

// TestVerifyCleanRun: a verified run of a correct expander reports no
// mismatch, on a design that is not a Policies value too (the hooks).
func TestVerifyCleanRun(t *testing.T) {
	for _, d := range append(Designs(), fastDesigns()...) {
		p := Params{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 1, Calls: 1, Limit: 1}
		t.Run(fmt.Sprint(d.Name()), func(t *testing.T) {
			r, err := CheckVerified(context.Background(), d, p, checker.Options{Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Complete || r.States == 0 {
				t.Fatalf("verified run: %+v", r)
			}
		})
	}
}
