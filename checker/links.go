package checker

import "fmt"

// This file keeps the parent link of every state (the position of its
// parent in the level before, and the ordinal of the transition that first
// reached it) in a compressed log, about 1.2 bytes a state instead of 4.
//
// States are numbered breadth first and, within a level, in the order of
// their parents (phase 3 walks the chunks in frontier order and each
// chunk's candidates in the order they were generated), so the parent
// position never decreases within a level: each link is kept as the delta
// from the previous link's position, and most take one byte.
//
// An entry is a tag byte, tag<<5 | ordinal, then up to two uvarints:
//
//	tag 0..5  the position is the previous one plus tag
//	tag 6     the position is the previous one plus the uvarint that follows
//	tag 7     the position is the uvarint that follows (absolute)
//	ordinal 31: the ordinal is 31 plus the (last) uvarint that follows
//
// Entry i is absolute when i is a multiple of linkGroup, and so is the
// first entry of every segment (what one chunk records in a batch, and with
// it the first entry of every level): a segment is encoded alone, in the
// order of the chunk, by the worker that records the chunk. The log keeps
// the offset of every linkGroup-th entry (a mark), and reading entry i
// decodes at most linkGroup-1 entries before it. A mark takes 2 bytes: the
// distance from the offset of the first mark of its run of linkGroup marks
// (a base, 8 bytes), which is less than 2^16 since linkGroup-1 groups of
// linkGroup entries of at most 16 bytes (a position of 64 bits) take less.

const (
	linkGroup    = 64 // entries between offsets kept
	linkTagShift = 5
	linkOrdEsc   = 1<<linkTagShift - 1 // ordinal escape: the ordinal follows
	linkTagDelta = 6                   // the delta follows
	linkTagAbs   = 7                   // the position follows
	linkMaxEntry = 1 + 2*maxVarint32   // bytes of an entry at most, for a position below 2^32
	maxVarint32  = 5                   // bytes of a uvarint of 32 bits at most
	maxShortStep = linkTagDelta - 1    // the largest delta held in the tag
)

// linkSeg is the encoded links of a run of consecutive states.
type linkSeg struct {
	buf   []byte
	marks []uint64 // offsets in buf of the entries whose number is a multiple of linkGroup
	first uint64   // number of the first entry
	n     uint64   // entries
	last  uint64   // position of the last entry
	left  uint64   // entries that may still be relative before the next absolute one
}

// reset empties the segment, whose first entry will be entry first.
func (s *linkSeg) reset(first uint64) {
	s.buf, s.marks = s.buf[:0], s.marks[:0]
	s.first, s.n, s.last, s.left = first, 0, 0, 0
}

// add appends the link of parent position pos and ordinal o. A position
// below the last one makes pos-s.last wrap past maxShortStep.
func (s *linkSeg) add(pos uint64, o uint32) {
	if d := pos - s.last; s.left != 0 && d <= maxShortStep && o < linkOrdEsc {
		s.buf = append(s.buf, byte(d<<linkTagShift)|byte(o))
		s.last = pos
		s.left--
		s.n++
		return
	}
	s.addLong(pos, o)
}

// addLong appends an entry that takes more than its tag byte, or is
// absolute: the first of the segment, one whose number is a multiple of
// linkGroup, or one whose position is below the last.
func (s *linkSeg) addLong(pos uint64, o uint32) {
	idx := s.first + s.n
	s.n++
	tag, arg := uint64(linkTagAbs), pos
	switch d := pos - s.last; {
	case s.left == 0 || pos < s.last:
		if idx%linkGroup == 0 {
			s.marks = append(s.marks, uint64(len(s.buf)))
		}
		s.left = linkGroup - 1 - idx%linkGroup
	case d <= maxShortStep:
		tag, arg = d, 0
		s.left--
	default:
		tag, arg = linkTagDelta, d
		s.left--
	}
	ord := min(o, linkOrdEsc)
	s.buf = append(s.buf, byte(tag<<linkTagShift)|byte(ord))
	if tag >= linkTagDelta {
		s.buf = appendUvarint(s.buf, arg)
	}
	if ord == linkOrdEsc {
		s.buf = appendUvarint(s.buf, uint64(o-linkOrdEsc))
	}
	s.last = pos
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// bytes is the memory of the segment's buffers.
func (s *linkSeg) bytes() int64 {
	return int64(cap(s.buf)) + int64(cap(s.marks))*8
}

// linkLog is the links of every state, appended segment by segment.
type linkLog struct {
	data  bigArray[byte]
	bases []uint64 // bases[k]: the offset in data of entry k*linkGroup*linkGroup
	marks []uint16 // marks[k]: the offset of entry k*linkGroup, from bases[k/linkGroup]
	n     uint64   // entries
}

// append appends a segment, which must start at entry l.n.
func (l *linkLog) append(s *linkSeg) {
	if s.n == 0 {
		return
	}
	if s.first != l.n {
		panic(fmt.Sprintf("checker: link segment of states %d.. appended after %d states", s.first, l.n))
	}
	base := l.data.n
	l.data.resize(base + uint64(len(s.buf)))
	for b, at := s.buf, base; len(b) > 0; {
		k := copy(l.data.tail(at), b)
		b, at = b[k:], at+uint64(k)
	}
	for _, m := range s.marks {
		k := len(l.marks)
		if k%linkGroup == 0 {
			l.bases = append(l.bases, base+m)
		}
		l.marks = append(l.marks, uint16(base+m-l.bases[k/linkGroup]))
	}
	l.n += s.n
}

// at returns the parent position and the ordinal of entry i.
func (l *linkLog) at(i uint64) (uint64, uint32) {
	if i >= l.n {
		panic(fmt.Sprintf("checker: link of state %d asked, %d recorded", i, l.n))
	}
	k := i / linkGroup
	off := l.bases[k/linkGroup] + uint64(l.marks[k])
	var pos uint64
	for j := i - i%linkGroup; ; j++ {
		b := l.data.at(off)
		off++
		var arg uint64
		if tag := uint64(b >> linkTagShift); tag >= linkTagDelta {
			arg, off = l.uvarint(off)
			if tag == linkTagAbs {
				pos = 0
			}
		} else {
			arg = tag
		}
		pos += arg
		o := uint64(b & linkOrdEsc)
		if o == linkOrdEsc {
			var more uint64
			more, off = l.uvarint(off)
			o += more
		}
		if j == i {
			return pos, uint32(o)
		}
	}
}

// uvarint decodes the uvarint at offset off; it returns it and the offset
// after it.
func (l *linkLog) uvarint(off uint64) (uint64, uint64) {
	var v uint64
	for s := uint(0); ; s += 7 {
		b := l.data.at(off)
		off++
		v |= uint64(b&0x7f) << s
		if b < 0x80 {
			return v, off
		}
	}
}

// bytes is the memory the log holds.
func (l *linkLog) bytes() uint64 {
	return l.data.bytes(1) + uint64(cap(l.marks))*2 + uint64(cap(l.bases))*8
}

// used is the memory the log's entries and marks take.
func (l *linkLog) used() uint64 {
	return l.data.n + uint64(len(l.marks))*2 + uint64(len(l.bases))*8
}

// extraBytes bounds the memory that recording cands more links, of
// positions below 2^32, in at most maxChunks segments may add: the log
// grown, and the segments (counted whole, as if none had room yet).
func (l *linkLog) extraBytes(cands uint64) uint64 {
	segs := cands*linkMaxEntry + (cands/linkGroup+maxChunks)*8
	marks := cands/linkGroup + 1
	return l.data.extraBytes(l.data.n+cands*linkMaxEntry, 1) + segs +
		appendBytes(len(l.marks), cap(l.marks), marks, 2) +
		appendBytes(len(l.bases), cap(l.bases), marks/linkGroup+1, 8)
}

// appendBytes bounds the memory that appending add elements of elem bytes
// to a slice of length n and capacity c allocates: a new array of up to
// twice the larger of the length needed and the capacity, rounded up to
// the allocator's pages.
func appendBytes(n, c int, add, elem uint64) uint64 {
	need := uint64(n) + add
	if need <= uint64(c) {
		return 0
	}
	return 2*max(need, uint64(c))*elem + 8<<10
}

// free returns the log's memory; the log is empty afterwards.
func (l *linkLog) free() {
	l.data.free()
	l.bases, l.marks, l.n = nil, nil, 0
}

// A link of the disk engine's links file is position<<ordBits | ordinal; one
// that does not fit is linkBig, the pair being kept in a map.
const (
	ordBits = 5
	linkBig = 1<<32 - 1
)

// packLink returns the disk engine's link of parent position pos and
// ordinal o, and whether it fits.
func packLink(pos uint64, o uint32) (uint32, bool) {
	v := pos<<ordBits | uint64(o)
	if o >= 1<<ordBits || pos >= 1<<(32-ordBits) || v == linkBig {
		return linkBig, false
	}
	return uint32(v), true
}
