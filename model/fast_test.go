package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

// successor is one transition as an expander emits it.
type successor struct {
	act  checker.Action
	next []uint64
}

// collect returns the successors exp emits from s, in order.
func collect(exp checker.Expander, s []uint64) []successor {
	var out []successor
	exp.Successors(s, func(a checker.Action, next []uint64) {
		out = append(out, successor{a, slices.Clone(next)})
	})
	return out
}

// appendedOK reports whether AppendSuccessors appends to a slice already
// holding words the successors want, in order.
func appendedOK(x *fastExpander, s []uint64, want []successor) bool {
	prefix := []uint64{7, 8, 9}
	exp := slices.Clone(prefix)
	for _, sc := range want {
		exp = append(exp, sc.next...)
	}
	return slices.Equal(x.AppendSuccessors(s, slices.Clone(prefix)), exp)
}

// straightSuccessors is the straightforward path, written out here so that
// the test does not depend on either expander: unpack, Enabled, then for
// every action copy, Apply and pack.
func straightSuccessors(m *Model, s []uint64) []successor {
	cur := m.Unpack(s)
	var out []successor
	for _, a := range m.Enabled(cur, nil) {
		next := cur.Clone()
		m.Apply(next, a)
		buf := make([]uint64, m.layout.words)
		m.Pack(next, buf)
		out = append(out, successor{checker.Action(a.Code()), buf})
	}
	return out
}

// fastInstances are small instances on which the fast expander is compared
// with the straightforward path on every reachable state: one, two and
// three CPUs (the last in two words), with and without a cache, a reserve
// and several objects per page.
var fastInstances = []Params{
	{CPUs: 1, Bulk: 1, Cache: 1, Reserve: 1, Calls: 3, Limit: 2},
	{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 1, Calls: 1, Limit: 1},
	{CPUs: 2, Bulk: 1, Cache: 0, Reserve: 2, Calls: 1, Limit: 1},
	{CPUs: 3, Bulk: 1, Cache: 0, Reserve: 0, Calls: 1, Limit: 1},
}

// hookDesign is a design that is not a Policies value, so that the fast
// expander asks its hooks: its admission, miss plan and hand-over depend on
// the state, and a batch handed over joins the running grace period.
type hookDesign struct{ Policies }

// Admit implements Design: below the limit, or while c is reading.
func (d hookDesign) Admit(v View, c int) bool {
	return v.Inflight(c) < v.Params().Limit || v.Readers().Has(c)
}

// Miss implements Design: a plan that depends on the grace period, the
// pages c holds and the pool.
func (d hookDesign) Miss(v View, c int) MissPlan {
	switch {
	case v.GPRunning():
		return Plan(FallbackSync, SourceLockless, SourceAllocator)
	case v.Held(c) < v.Params().Limit:
		return Plan(FallbackHead, SourceAllocator, SourceReserve)
	case v.Reserve() > 0:
		return Plan(FallbackStuck, SourceReserve, SourceAllocator)
	}
	return Plan(FallbackHead)
}

// HandOver implements Design: with a queued head, a full page, or no grace
// period running.
func (d hookDesign) HandOver(v View, c int) bool {
	u := v.CPU(c)
	return u.Heads > 0 || int(u.Objs) >= v.Params().Bulk || !v.GPRunning()
}

// fastDesigns are designs beyond the built-in ones for the fast expander's
// cross-check: the policies no built-in design has (reclaim cache first or
// to the allocator, no refill worker, plans with repeated, unknown or
// SourceNone entries) and a design answered by its hooks.
func fastDesigns() []Design {
	return []Design{
		Policies{
			DesignName:    "cache-first",
			Uses:          Resources{Reserve: true},
			Plan:          Plan(FallbackSync, SourceLockless, SourceLockless, SourceReserve),
			ReclaimPolicy: ReclaimCacheFirst,
			RefillPolicy:  RefillNever,
			JoinPolicy:    JoinRunning,
		},
		Policies{
			DesignName:    "to-allocator",
			Uses:          Resources{Reserve: true, Limit: true},
			LimitInflight: true,
			Plan:          Plan(FallbackHead, SourceAllocator, SourceNone, SourceReserve),
			ReclaimPolicy: ReclaimAllocator,
			RefillPolicy:  RefillBackoff,
		},
		Policies{
			DesignName:    "odd-plan",
			Uses:          Resources{Reserve: true},
			Plan:          Plan(Fallback(9), SourceReserve, Source(7), SourceAllocator),
			ReclaimPolicy: ReclaimPolicy(9),
			RefillPolicy:  RefillBackoff,
		},
		hookDesign{Policies{
			DesignName:    "hooks",
			Uses:          Resources{Reserve: true, Limit: true},
			JoinPolicy:    JoinRunning,
			ReclaimPolicy: ReclaimCacheFirst,
			RefillPolicy:  RefillBackoff,
		}},
	}
}

// fastCacheInstance has a cache of two pages (refill(c) one, several
// pages per CPU) and three objects in two pages.
var fastCacheInstance = Params{CPUs: 1, Bulk: 2, Cache: 2, Reserve: 2, Calls: 3, Limit: 2}

// TestFastExpanderMatchesStraightforward checks, on every reachable state of
// small instances of every design, that the fast expander emits the same
// actions and packed successors, in the same order, as the straightforward
// path and as the reference expander, and that Evaluate agrees. The
// built-in designs run on fastInstances, the designs of fastDesigns on the
// instances with one word of state, and all on fastCacheInstance.
func TestFastExpanderMatchesStraightforward(t *testing.T) {
	for _, d := range AllDesigns() {
		for _, p := range append(fastInstances, fastCacheInstance) {
			checkFastExpander(t, d, p)
		}
	}
	for _, d := range fastDesigns() {
		for _, p := range append(fastInstances[:3], fastCacheInstance) {
			checkFastExpander(t, d, p)
		}
	}
}

// checkFastExpander runs TestFastExpanderMatchesStraightforward's check on
// design d with parameters p.
func checkFastExpander(t *testing.T, d Design, p Params) {
	name := fmt.Sprintf("%s/N=%d,B=%d,C=%d,R=%d,K=%d,L=%d", d.Name(), p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Calls, p.Limit)
	t.Run(name, func(t *testing.T) {
		m, err := New(d, p)
		if err != nil {
			t.Fatal(err)
		}
		if cb := m.layout.cpuBits(); cb > 63 {
			t.Fatalf("instance has %d bits per CPU: the fast expander does not apply", cb)
		}
		c := m.Checkable()
		fast, ok := c.NewExpander().(*fastExpander)
		if !ok {
			t.Fatalf("NewExpander returned %T, want *fastExpander", c.NewExpander())
		}
		ref := newExpander(m)
		words := c.StateWords()
		init := make([]uint64, words)
		c.Initial(init)
		seen := map[string]bool{fmt.Sprint(init): true}
		queue := [][]uint64{init}
		inv1, inv2 := make([]bool, 2), make([]bool, 2)
		goal1, goal2 := make([]bool, 1), make([]bool, 1)
		met1, met2 := make([]int64, 3), make([]int64, 3)
		transitions, stuck := 0, 0
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			want := straightSuccessors(m, s)
			got := collect(fast, s)
			if !slices.EqualFunc(got, want, func(a, b successor) bool {
				return a.act == b.act && slices.Equal(a.next, b.next)
			}) {
				t.Fatalf("state %v (%s): fast successors\n%v\nwant\n%v", s, m.Unpack(s), got, want)
			}
			if !appendedOK(fast, s, want) {
				t.Fatalf("state %v (%s): AppendSuccessors differs from the successors\n%v", s, m.Unpack(s), want)
			}
			if r := collect(ref, s); !slices.EqualFunc(r, want, func(a, b successor) bool {
				return a.act == b.act && slices.Equal(a.next, b.next)
			}) {
				t.Fatalf("state %v (%s): reference expander's successors differ from the straightforward path", s, m.Unpack(s))
			}
			fast.Evaluate(s, inv1, goal1, met1)
			ref.Evaluate(s, inv2, goal2, met2)
			if !slices.Equal(inv1, inv2) || !slices.Equal(goal1, goal2) || !slices.Equal(met1, met2) {
				t.Fatalf("state %s: Evaluate %v %v %v, reference %v %v %v", m.Unpack(s), inv1, goal1, met1, inv2, goal2, met2)
			}
			if !inv1[0] {
				stuck++
			}
			transitions += len(want)
			for _, sc := range want {
				if k := fmt.Sprint(sc.next); !seen[k] {
					seen[k] = true
					queue = append(queue, sc.next)
				}
			}
		}
		if len(seen) < 10 {
			t.Fatalf("only %d reachable states: the instance exercises too little", len(seen))
		}
		t.Logf("%d states, %d transitions, %d stuck, %d words", len(seen), transitions, stuck, words)
	})
}

// TestFastExpanderWideFallback checks that NewExpander falls back to the
// reference expander when a CPU's fields do not fit in a register.
func TestFastExpanderWideFallback(t *testing.T) {
	d, err := LookupDesign("head")
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.CPUs = 12
	m, err := New(d, p)
	if err != nil {
		t.Fatal(err)
	}
	if cb := m.layout.cpuBits(); cb <= 63 {
		t.Fatalf("%d bits per CPU: pick a wider instance", cb)
	}
	if _, ok := m.Checkable().NewExpander().(*expander); !ok {
		t.Fatalf("NewExpander returned %T, want the reference *expander", m.Checkable().NewExpander())
	}
}

// BenchmarkSuccessors expands every state reachable in head at N=2 K=2
// (the states are collected first, outside the timer) with the reference
// expander and with the fast one; ns/op is per state expanded.
func BenchmarkSuccessors(b *testing.B) {
	d, err := LookupDesign("head")
	if err != nil {
		b.Fatal(err)
	}
	p := DefaultParams()
	p.Calls = 2
	m, err := New(d, p)
	if err != nil {
		b.Fatal(err)
	}
	c := m.Checkable()
	words := c.StateWords()
	init := make([]uint64, words)
	c.Initial(init)
	ref := newExpander(m)
	seen := map[string]bool{fmt.Sprint(init): true}
	var states []uint64
	for q := [][]uint64{init}; len(q) > 0 && len(states) < 200_000*words; q = q[1:] {
		states = append(states, q[0]...)
		ref.Successors(q[0], func(_ checker.Action, next []uint64) {
			if k := fmt.Sprint(next); !seen[k] {
				seen[k] = true
				q = append(q, slices.Clone(next))
			}
		})
	}
	n := len(states) / words
	for _, e := range []struct {
		name string
		exp  checker.Expander
	}{{"reference", ref}, {"fast", newFastExpander(m)}} {
		b.Run(e.name, func(b *testing.B) {
			var sink uint64
			emit := func(a checker.Action, next []uint64) { sink += uint64(a) ^ next[0] }
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % n
				e.exp.Successors(states[k*words:(k+1)*words], emit)
			}
			if sink == 0 {
				b.Log(sink)
			}
		})
	}
}

// FuzzFastExpander compares the fast expander with the straightforward path
// (unpack, Enabled, Apply, pack) and with the reference expander, successor
// by successor and in order, on the states of a random walk, over random
// parameters (up to N=8, B=600, C=8, R=8, K=2000, L=K+2) and every design
// (the built-in ones and those of fastDesigns). Instances where a CPU's
// fields do not fit in a register, which the fast expander does not serve,
// are skipped.
func FuzzFastExpander(f *testing.F) {
	f.Add(uint8(0), uint8(2), uint16(2), uint8(1), uint8(1), uint16(3), uint16(2), uint64(1), uint16(60))
	f.Add(uint8(2), uint8(1), uint16(1), uint8(0), uint8(0), uint16(1), uint16(1), uint64(7), uint16(30))
	f.Add(uint8(3), uint8(3), uint16(1), uint8(0), uint8(1), uint16(2), uint16(1), uint64(3), uint16(100))
	f.Add(uint8(1), uint8(4), uint16(508), uint8(5), uint8(2), uint16(1000), uint16(600), uint64(99), uint16(400))
	f.Add(uint8(6), uint8(2), uint16(3), uint8(2), uint8(2), uint16(5), uint16(2), uint64(5), uint16(200))
	f.Add(uint8(8), uint8(1), uint16(2), uint8(2), uint8(2), uint16(4), uint16(1), uint64(11), uint16(200))
	designs := append(AllDesigns(), fastDesigns()...)
	f.Fuzz(func(t *testing.T, di, n uint8, b uint16, c, r uint8, k, l uint16, seed uint64, steps uint16) {
		p := Params{CPUs: 1 + int(n)%8, Bulk: 1 + int(b)%600, Cache: int(c) % 9, Reserve: int(r) % 9, Calls: int(k) % 2001}
		p.Limit = 1 + int(l)%(p.Calls+2)
		d := designs[int(di)%len(designs)]
		m, err := New(d, p)
		if err != nil {
			t.Skipf("%s %s: %v", d.Name(), p, err)
		}
		fast, ok := m.Checkable().NewExpander().(*fastExpander)
		if !ok {
			t.Skipf("%s: %d bits per CPU, no fast expander", p, m.layout.cpuBits())
		}
		ref := newExpander(m)
		rng := rand.New(rand.NewPCG(seed, uint64(steps)))
		s := make([]uint64, m.Checkable().StateWords())
		m.Checkable().Initial(s)
		same := func(a, b successor) bool { return a.act == b.act && slices.Equal(a.next, b.next) }
		for i := 0; i <= int(steps)%512; i++ {
			want := straightSuccessors(m, s)
			if got := collect(fast, s); !slices.EqualFunc(got, want, same) {
				t.Fatalf("%s %s, step %d, state %s: fast successors\n%v\nwant\n%v", d.Name(), p, i, m.Unpack(s), got, want)
			}
			if !appendedOK(fast, s, want) {
				t.Fatalf("%s %s, step %d, state %s: AppendSuccessors differs from the successors", d.Name(), p, i, m.Unpack(s))
			}
			if got := collect(ref, s); !slices.EqualFunc(got, want, same) {
				t.Fatalf("%s %s, step %d, state %s: reference expander's successors differ", d.Name(), p, i, m.Unpack(s))
			}
			if len(want) == 0 {
				return
			}
			s = want[rng.IntN(len(want))].next
		}
	})
}
