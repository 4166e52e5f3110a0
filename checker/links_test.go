package checker

import (
	"math/rand"
	"testing"
)

// link is a parent position and an ordinal, as the plain reference keeps
// them.
type link struct {
	pos uint64
	o   uint32
}

// linkCase draws the links of a case and how they are cut into segments.
type linkCase struct {
	name  string
	n     int
	step  func(r *rand.Rand) uint64 // the delta from the previous position
	ord   func(r *rand.Rand) uint32
	start uint64 // the first position of every level
	level int    // a new level (the position starts again) every that many links at most; 0: one level
	seg   int    // segments of 1 to seg links
	back  bool   // positions may also decrease inside a segment
	wide  bool   // positions pass 2^32, past what extraBytes bounds
}

func upTo(k int) func(r *rand.Rand) uint64 {
	return func(r *rand.Rand) uint64 { return uint64(r.Intn(k + 1)) }
}
func ordsUpTo(k int) func(r *rand.Rand) uint32 {
	return func(r *rand.Rand) uint32 { return uint32(r.Intn(k + 1)) }
}

// pick returns one of vs at random.
func pick[T any](vs ...T) func(r *rand.Rand) T {
	return func(r *rand.Rand) T { return vs[r.Intn(len(vs))] }
}

var linkCases = []linkCase{
	{name: "one byte", n: 20000, step: upTo(5), ord: ordsUpTo(30), seg: 300},
	{name: "widest entries", n: 9000, step: upTo(1), ord: pick[uint32](1<<32 - 1), start: 1 << 63, level: 1, seg: 1, wide: true},
	{name: "tag boundaries", n: 5000, step: pick[uint64](0, 4, 5, 6, 7, 127, 128, 16383, 16384),
		ord: pick[uint32](0, 29, 30, 31, 32, 157, 158, 159, 160, 1<<20), seg: 100},
	{name: "big ordinals", n: 3000, step: upTo(3), ord: pick[uint32](31, 63, 200, 1<<31, 1<<32-1), seg: 50},
	{name: "positions past 2^27", n: 4000, step: upTo(9), ord: ordsUpTo(40), start: 1<<27 - 100, level: 700, seg: 130},
	{name: "positions near 2^32", n: 2000, step: upTo(2), ord: ordsUpTo(31), start: 1<<32 - 3000, seg: 64},
	{name: "big deltas", n: 3000, step: pick[uint64](0, 1, 2, 1<<14, 1<<21), ord: ordsUpTo(35), seg: 17},
	{name: "many levels, short segments", n: 6000, step: upTo(6), ord: ordsUpTo(33), level: 90, seg: 5},
	{name: "one segment", n: 1000, step: upTo(7), ord: ordsUpTo(31), level: 300, seg: 1000},
	{name: "single links", n: 300, step: upTo(200), ord: ordsUpTo(40), seg: 1},
	{name: "positions going back", n: 3000, step: upTo(5), ord: ordsUpTo(31), seg: 200, back: true},
}

// draw returns the links of a case and the lengths of its segments; a new
// level always starts a segment, as it does in a run.
func (c linkCase) draw(r *rand.Rand) ([]link, []int) {
	links := make([]link, c.n)
	var segs []int
	pos, segLeft, levelLeft := c.start, 0, c.n+1
	if c.level > 0 {
		levelLeft = 1 + r.Intn(c.level)
	}
	for i := range links {
		levelLeft--
		if levelLeft == 0 && c.level > 0 {
			levelLeft, segLeft = 1+r.Intn(c.level), 0
			pos = c.start + uint64(r.Intn(3))
		}
		if segLeft == 0 {
			segLeft = 1 + r.Intn(c.seg)
			segs = append(segs, 0)
		}
		segLeft--
		segs[len(segs)-1]++
		if i > 0 {
			pos += c.step(r)
			if c.back && r.Intn(10) == 0 {
				pos -= min(pos, uint64(r.Intn(50)))
			}
		}
		links[i] = link{pos, c.ord(r)}
	}
	return links, segs
}

// TestLinkLog: the compressed log gives back every link of a plain slice, on
// random non-decreasing positions with level starts, deltas and ordinals on
// both sides of every tag and uvarint boundary, positions past 2^27 and
// 2^32, and segments starting anywhere against the offsets kept every 64
// links. Its memory stays within what extraBytes promised.
func TestLinkLog(t *testing.T) {
	for ci, c := range linkCases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(int64(ci) + 1))
			want, segs := c.draw(r)
			var l linkLog
			defer l.free()
			var s linkSeg
			i := 0
			for _, k := range segs {
				s.reset(uint64(i))
				for _, x := range want[i : i+k] {
					s.add(x.pos, x.o)
				}
				if c.wide {
					l.append(&s)
				} else {
					checkSegBytes(t, &s, &l, uint64(k))
				}
				i += k
			}
			if l.n != uint64(len(want)) {
				t.Fatalf("%d links recorded, want %d", l.n, len(want))
			}
			for _, i := range r.Perm(len(want)) {
				if p, o := l.at(uint64(i)); p != want[i].pos || o != want[i].o {
					t.Fatalf("link %d (segments %v...) = %d, %d; want %d, %d", i, segs[:min(len(segs), 8)], p, o, want[i].pos, want[i].o)
				}
			}
		})
	}
}

// checkSegBytes appends s to l and checks that the memory they take stays
// within what extraBytes promised for k links.
func checkSegBytes(t *testing.T, s *linkSeg, l *linkLog, k uint64) {
	t.Helper()
	promised := l.extraBytes(k)
	before := l.bytes()
	l.append(s)
	if grown := l.bytes() - before + uint64(len(s.buf)) + uint64(len(s.marks))*8; grown > promised {
		t.Fatalf("%d links took %d bytes, extraBytes promised %d", k, grown, promised)
	}
}

// TestLinkLogBytes: links of one byte, with the offsets kept and the
// absolute links of the segments' starts, take about 1.2 bytes a link.
func TestLinkLogBytes(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	var l linkLog
	defer l.free()
	var s linkSeg
	pos := uint64(0)
	const n = 1 << 20
	for i := uint64(0); i < n; i += 256 {
		s.reset(i)
		for j := 0; j < 256; j++ {
			pos += uint64(r.Intn(3))
			s.add(pos, uint32(r.Intn(8)))
		}
		l.append(&s)
	}
	if b := float64(l.used()) / n; b > 1.2 {
		t.Fatalf("%.3f bytes a link, want at most 1.2", b)
	}
}

// TestLinkLogRefuses: a segment that does not start where the log ends is
// a bug of the caller, and so is asking for a link not recorded.
func TestLinkLogRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		do   func(l *linkLog)
	}{
		{"gap", func(l *linkLog) {
			var s linkSeg
			s.reset(l.n + 1)
			s.add(0, 0)
			l.append(&s)
		}},
		{"past the end", func(l *linkLog) { l.at(l.n) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var l linkLog
			var s linkSeg
			s.reset(0)
			s.add(7, 1)
			l.append(&s)
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.do(&l)
		})
	}
}

// BenchmarkLinkRecord times recording a link as phase 3 does, per link: in
// a chunk's segment then appended to the log ("log"), against the
// uint32 array of packed links that came before it ("packed").
func BenchmarkLinkRecord(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	const n = 1 << 16
	pos, ord := make([]uint64, n), make([]uint32, n)
	for i := 1; i < n; i++ {
		pos[i] = pos[i-1] + uint64(r.Intn(3))
		ord[i] = uint32(r.Intn(8))
	}
	b.Run("log", func(b *testing.B) {
		var l linkLog
		defer l.free()
		var s linkSeg
		for i := 0; i < b.N; i++ {
			j := i % n
			if j%256 == 0 {
				l.append(&s)
				s.reset(uint64(i))
			}
			s.add(pos[j], ord[j])
		}
	})
	b.Run("packed", func(b *testing.B) {
		var a bigArray[uint32]
		defer a.free()
		for i := 0; i < b.N; i++ {
			j := i % n
			if j%256 == 0 {
				a.resize(uint64(i + 256))
			}
			v, _ := packLink(pos[j], ord[j])
			a.set(uint64(i), v)
		}
	})
}
