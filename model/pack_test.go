package model

import "testing"

// BenchmarkPackUnpack measures one pack and one unpack of a state of the
// defaults with every field busy.
func BenchmarkPackUnpack(b *testing.B) {
	d, err := LookupDesign("head")
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(d, DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	s := m.Initial()
	for c := range s.CPUs {
		u := &s.CPUs[c]
		u.Calls, u.Rd, u.Pages, u.Objs, u.Heads, u.Blk, u.Pin = 3, true, 1, 1, 1, PhaseCur, 3
		u.Slot[1] = Slot{Phase: PhaseNext, Pages: 1, Objs: 1, Heads: 1, Pin: 2}
	}
	buf := make([]uint64, m.layout.words)
	t := m.Initial()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.layout.pack(s, buf)
		m.layout.unpack(buf, t)
	}
	if !t.Equal(s) {
		b.Fatalf("round trip: %v != %v", t, s)
	}
}
