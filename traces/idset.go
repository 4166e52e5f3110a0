package traces

import "sort"

// idRun is a run of record ids id0, id0+1, ... on lines line0, line0+1, ...
type idRun struct {
	id0, n int64
	line0  int
}

// idSet is the record ids of a history seen so far, each with its line.
// Ids that come in increasing order on consecutive lines, as every writer
// of traces numbers them, take a few bytes a run rather than a map entry
// each: a streaming check of any length holds them in constant memory.
type idSet struct {
	runs  []idRun       // sorted by id0, disjoint
	other map[int64]int // ids that extend no run
}

// add records id at line, or returns the line it was already seen at.
func (s *idSet) add(id int64, line int) (prev int, dup bool) {
	if prev, dup = s.line(id); dup {
		return prev, true
	}
	if k := len(s.runs) - 1; k >= 0 && id == s.runs[k].id0+s.runs[k].n && line == s.runs[k].line0+int(s.runs[k].n) {
		s.runs[k].n++
		return 0, false
	}
	if k := len(s.runs) - 1; k < 0 || id > s.runs[k].id0+s.runs[k].n-1 {
		s.runs = append(s.runs, idRun{id0: id, n: 1, line0: line})
		return 0, false
	}
	if s.other == nil {
		s.other = map[int64]int{}
	}
	s.other[id] = line
	return 0, false
}

// line returns the line id was seen at.
func (s *idSet) line(id int64) (int, bool) {
	if l, ok := s.other[id]; ok {
		return l, true
	}
	k := sort.Search(len(s.runs), func(k int) bool { return s.runs[k].id0+s.runs[k].n > id })
	if k < len(s.runs) && s.runs[k].id0 <= id {
		return s.runs[k].line0 + int(id-s.runs[k].id0), true
	}
	return 0, false
}
