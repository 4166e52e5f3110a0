package traces

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/rcucheck/rcucheck/model"
)

// MaxLine is the longest line the reader accepts.
const MaxLine = 1 << 20

// FormatError is an error in a trace file: the line (1-based) and, when
// known, the field at fault.
type FormatError struct {
	Line  int
	Field string
	Msg   string
}

func (e *FormatError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: field %q: %s", e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

func ferr(line int, field, format string, args ...any) error {
	return &FormatError{Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ReadFile reads every history of the trace file at path, gzipped or not.
func ReadFile(path string) ([]*History, error) {
	in, err := openInput(path)
	if err != nil {
		return nil, fmt.Errorf("reading trace: %w", err)
	}
	defer in.Close()
	hs, err := Read(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return hs, nil
}

// Read reads every history of a trace. It is strict: an unknown field, a
// field given twice or as null, a missing or ill-typed field, a record
// before the first header, a history without its end line (a truncated
// file), inconsistent times, a client the header does not list or a read
// section or grace period used before it began is an error naming the line
// and the field.
func Read(r io.Reader) ([]*History, error) {
	var rd reading
	if err := rd.read(r); err != nil {
		return nil, err
	}
	return rd.hs, nil
}

// read reads every line of r.
func (rd *reading) read(r io.Reader) error {
	lr := newLineReader(r)
	for {
		text, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ferr(lr.line+1, "", "%v", err)
		}
		rd.line = lr.line
		if err := rd.add(text); err != nil {
			return err
		}
	}
	if rd.line == 0 {
		return errors.New("empty trace: no header line")
	}
	if !rd.closed() {
		return ferr(rd.line, "", "the history that starts at line %d has no end line: the file is truncated", rd.cur.Header.line)
	}
	return nil
}

// reading is the state of Read: the histories so far, the one being read.
// With stream set, records are handed to it instead of being kept.
type reading struct {
	hs     []*History
	cur    *History // nil once its end line is read
	nrec   int      // records of cur
	check  histCheck
	line   int
	stream historySink
	gens   [2]int // tests: histCheck.gens
}

// historySink receives a trace read as a stream: each header, each record
// (valid alone and with those before it), and each end line once the
// history is whole, with what the record check forgot of it (ended
// read sections and grace periods: histCheck.loss).
type historySink interface {
	header(h *Header) error
	record(r *Record) error
	end(forgotSecs, forgotGPs int) error
}

func (rd *reading) closed() bool { return rd.cur == nil }

// add reads one line.
func (rd *reading) add(text []byte) error {
	line := rd.line
	if len(bytes.TrimSpace(text)) == 0 {
		return ferr(line, "", "empty line")
	}
	var rec Record
	if fastRecord(text, &rec) && (rec.Type == "op" || rec.Type == "step") && !rd.closed() {
		return rd.record(rec, line)
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(text, &probe); err != nil {
		return jsonError(line, err)
	}
	switch probe.Type {
	case "header":
		if !rd.closed() {
			return ferr(line, "", "new header before the end line of the history at line %d (file truncated or concatenated badly)", rd.cur.Header.lineOr())
		}
		var h Header
		if err := strictDecode(text, &h, line); err != nil {
			return err
		}
		if err := h.validate(line); err != nil {
			return err
		}
		if len(h.Clients) == 0 {
			h.Clients = nil // "clients": [] is no list, as the writer omits it
		}
		h.line = line
		rd.cur, rd.nrec, rd.check = &History{Header: h}, 0, histCheck{gens: rd.gens}
		if rd.stream != nil {
			return rd.stream.header(&rd.cur.Header)
		}
		rd.hs = append(rd.hs, rd.cur)
	case "op", "step":
		if rd.closed() {
			return ferr(line, "type", "%q record outside a history (want a header line first)", probe.Type)
		}
		rec = Record{}
		if err := strictDecode(text, &rec, line); err != nil {
			return err
		}
		return rd.record(rec, line)
	case "end":
		if rd.closed() {
			return ferr(line, "type", "end line outside a history")
		}
		var e endRecord
		if err := strictDecode(text, &e, line); err != nil {
			return err
		}
		if e.Records != rd.nrec {
			return ferr(line, "records", "the end line counts %d records but the history has %d (file damaged)", e.Records, rd.nrec)
		}
		if err := rd.check.finish(); err != nil {
			return err
		}
		rd.cur = nil
		if rd.stream != nil {
			return rd.stream.end(rd.check.loss())
		}
	case "":
		return ferr(line, "type", "missing (want header, op, step or end)")
	default:
		return ferr(line, "type", "unknown record type %q (want header, op, step or end)", probe.Type)
	}
	return nil
}

func (h *Header) lineOr() int { return h.line }

// record takes a decoded record of line.
func (rd *reading) record(rec Record, line int) error {
	rec.Line = line
	if err := rec.validate(line, len(rd.cur.Header.Clients)); err != nil {
		return err
	}
	if err := rd.check.add(&rec); err != nil {
		return err
	}
	rd.nrec++
	if rd.stream != nil {
		return rd.stream.record(&rec)
	}
	rd.cur.Records = append(rd.cur.Records, rec)
	return nil
}

// strictDecode decodes the JSON object text of line into v, after
// checkKeys: exact field names, each once, no nulls; then every field that
// records of its kind need must be there.
func strictDecode(text []byte, v any, line int) error {
	keys, err := checkKeys(text, reflect.TypeOf(v).Elem())
	if err != nil {
		return jsonError(line, err)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(line, err)
	}
	if dec.More() {
		return ferr(line, "", "trailing data after the JSON object")
	}
	if _, ok := v.(*Record); ok && !keys["client"] {
		return ferr(line, "client", "missing")
	}
	return nil
}

// jsonError turns a decoding error into a FormatError naming the field and
// what was expected in JSON's words, not Go's.
func jsonError(line int, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var ke *keyError
	switch {
	case errors.As(err, &ke):
		return ferr(line, ke.field, "%s", ke.msg)
	case errors.As(err, &te):
		got := te.Value
		if got == "" {
			got = "another value"
		}
		return ferr(line, te.Field, "want %s, got JSON %s", goTypeInWords(te.Type), got)
	case errors.As(err, &se):
		return ferr(line, "", "malformed or truncated JSON at column %d: %v", se.Offset, se)
	case err == io.ErrUnexpectedEOF || errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		return ferr(line, "", "truncated JSON object")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return ferr(line, strings.Trim(f, `"`), "unknown field")
	}
	return ferr(line, "", "%s", strings.TrimPrefix(msg, "json: "))
}

func (h *Header) validate(line int) error {
	switch {
	case h.Format != FormatName:
		return ferr(line, "format", "want %q, got %q", FormatName, h.Format)
	case h.Version != FormatVersion:
		return ferr(line, "version", "unsupported version %d (this rcucheck reads version %d)", h.Version, FormatVersion)
	case h.Tool == "":
		return ferr(line, "tool", "missing")
	case h.TimeUnit != UnitStep && h.TimeUnit != UnitNS:
		return ferr(line, "time_unit", "want %q or %q, got %q", UnitStep, UnitNS, h.TimeUnit)
	case h.Window < 0:
		return ferr(line, "window", "must be >= 0, got %d", h.Window)
	case h.Expected != "" && h.Expected != "linearizable" && h.Expected != "not linearizable":
		return ferr(line, "expected", "want \"linearizable\" or \"not linearizable\", got %q", h.Expected)
	}
	switch h.Source {
	case SourceModel, SourceFtrace, SourceRecorder:
	default:
		return ferr(line, "source", "want %q, %q or %q, got %q", SourceModel, SourceFtrace, SourceRecorder, h.Source)
	}
	if h.Design != "" && h.Source == SourceModel {
		if _, err := model.LookupDesign(h.Design); err != nil {
			return ferr(line, "design", "%v", err)
		}
	}
	if h.Params != nil {
		if err := h.Params.Validate(); err != nil {
			return ferr(line, "params", "%v", err)
		}
	}
	return nil
}

// validate checks a record alone; clients is the number of clients the
// header lists (0: any client number is fine).
func (r *Record) validate(line, clients int) error {
	switch {
	case r.Client < 0:
		return ferr(line, "client", "must be >= 0, got %d", r.Client)
	case clients > 0 && r.Client >= clients:
		return ferr(line, "client", "%d is not a client of the header, which lists %d (0 to %d)", r.Client, clients, clients-1)
	}
	if r.Type == "step" {
		switch {
		case r.Time == nil:
			return ferr(line, "time", "missing")
		case *r.Time < 0 || *r.Time > MaxTime:
			return ferr(line, "time", "must be in [0, %d], got %d", MaxTime, *r.Time)
		case r.Action == "":
			return ferr(line, "action", "missing")
		case r.Op != "" || r.ID != 0 || r.Call != nil || r.Return != nil:
			return ferr(line, "", "a step record has only time, client and action")
		}
		if _, err := model.ParseAction(r.Action); err != nil {
			return ferr(line, "action", "%v", err)
		}
		return nil
	}
	switch {
	case r.ID < 1:
		return ferr(line, "id", "missing or < 1")
	case r.Op == "":
		return ferr(line, "op", "missing")
	case !r.Op.valid():
		return ferr(line, "op", "unknown operation %q", r.Op)
	case r.Call == nil:
		return ferr(line, "call", "missing")
	case *r.Call < 0 || *r.Call > MaxTime:
		return ferr(line, "call", "must be in [0, %d], got %d", MaxTime, *r.Call)
	case r.Pending && r.Return != nil:
		return ferr(line, "return", "a pending operation has no return time")
	case !r.Pending && r.Return == nil:
		return ferr(line, "return", "missing (or set \"pending\": true)")
	case r.Return != nil && *r.Return > MaxTime:
		return ferr(line, "return", "must be at most %d, got %d", MaxTime, *r.Return)
	case r.Return != nil && *r.Return < *r.Call:
		return ferr(line, "return", "%d is before the call time %d", *r.Return, *r.Call)
	case r.Result != "" && r.Result != "ok":
		return ferr(line, "result", "want \"ok\", got %q", r.Result)
	case r.Time != nil || r.Action != "":
		return ferr(line, "", "an op record has no time or action fields (those belong to step records)")
	}
	switch r.Op {
	case OpFree, OpReclaim:
		switch {
		case r.Obj == "":
			return ferr(line, "obj", "missing for %s", r.Op)
		case r.Section != "":
			return ferr(line, "section", "not allowed for %s", r.Op)
		case r.GP != nil:
			return ferr(line, "gp", "not allowed for %s", r.Op)
		}
	case OpReadLock, OpReadUnlock, OpSection:
		switch {
		case r.Section == "":
			return ferr(line, "section", "missing for %s", r.Op)
		case r.Obj != "":
			return ferr(line, "obj", "not allowed for %s", r.Op)
		case r.GP != nil:
			return ferr(line, "gp", "not allowed for %s", r.Op)
		}
	case OpGPStart, OpGPEnd:
		switch {
		case r.GP == nil:
			return ferr(line, "gp", "missing for %s", r.Op)
		case r.Obj != "" || r.Section != "":
			return ferr(line, "", "%s takes only gp", r.Op)
		}
	}
	return nil
}

// histCheck checks, record by record, what spans records: unique ids,
// read sections that begin once, end once and end after they begin, grace
// periods that start and end once each and do not end before they start.
// It keeps a few bytes per run of ids, the read sections begun and not
// ended, the grace periods of which one boundary was recorded, and the
// names of the last ended sections and numbers of the last whole grace
// periods (genMaps: what it forgot is counted, and a later record of a
// forgotten one is taken for a new one).
type histCheck struct {
	ids    idSet
	secs   map[string]*secRecs        // begun, not ended
	ended  genMap[[2]uint64, secDone] // ended, by the hash of their name
	gps    genMap[[2]int64, gpRec]    // {gp, 0 start or 1 end}: the other not recorded
	gpDone genMap[int64, [2]int]      // both recorded: their lines
	names  nameHasher
	bad    struct {
		gp         int64
		start, end gpRec
		found      bool
	} // the first to end before it starts
	gens [2]int // generations of ended and gpDone (secGen, gpGen when 0; tests)
}

// secRecs is what the check keeps of a read section begun.
type secRecs struct {
	lockLine    int   // line of the read_lock
	lockCall    int64 // the read_lock's call
	lockPending bool
}

// secDone is what the check keeps of an ended section: the lines of its
// read_lock (0: it was one section record) and of its end.
type secDone struct{ lockLine, endLine int }

// gpRec is what the check keeps of a gp_start or gp_end record.
type gpRec struct {
	line          int
	call, ret     int64
	hasRet, pends bool
}

// add checks op record r.
func (hc *histCheck) add(r *Record) error {
	if r.Type != "op" {
		return nil
	}
	if hc.secs == nil {
		hc.secs, hc.names = map[string]*secRecs{}, newNameHasher()
		hc.ended = newGenMap[[2]uint64, secDone](cmp.Or(hc.gens[0], secGen))
		hc.gpDone = newGenMap[int64, [2]int](cmp.Or(hc.gens[1], gpGen))
		hc.gps = newGenMap[[2]int64, gpRec](cmp.Or(hc.gens[1], gpGen))
	}
	if prev, dup := hc.ids.add(r.ID, r.Line); dup {
		return ferr(r.Line, "id", "%d already used at line %d", r.ID, prev)
	}
	switch r.Op {
	case OpReadLock, OpReadUnlock, OpSection:
		return hc.section(r)
	case OpGPStart, OpGPEnd:
		return hc.gp(r)
	}
	return nil
}

// section checks a record of a read section.
func (hc *histCheck) section(r *Record) error {
	key := hc.names.key(r.Section)
	if d, ok := hc.ended.get(key); ok {
		switch {
		case d.lockLine == 0 || r.Op == OpSection:
			return ferr(r.Line, "section", "section %q is already recorded", r.Section)
		case r.Op == OpReadLock:
			return ferr(r.Line, "section", "section %q already began at line %d", r.Section, d.lockLine)
		}
		return ferr(r.Line, "section", "section %q already ended at line %d", r.Section, d.endLine)
	}
	s := hc.secs[r.Section]
	switch {
	case s != nil && r.Op == OpSection:
		return ferr(r.Line, "section", "section %q is already recorded", r.Section)
	case s != nil && r.Op == OpReadLock:
		return ferr(r.Line, "section", "section %q already began at line %d", r.Section, s.lockLine)
	case r.Op == OpReadUnlock && s == nil:
		return ferr(r.Line, "section", "read_unlock of section %q, which has not begun", r.Section)
	case r.Op == OpReadUnlock && r.Return != nil && s.lockPending:
		return ferr(r.Line, "section", "section %q ends while its read_lock is still pending", r.Section)
	case r.Op == OpReadUnlock && r.Return != nil && *r.Return < s.lockCall:
		return ferr(r.Line, "return", "section %q ends before it begins", r.Section)
	}
	switch r.Op {
	case OpReadLock:
		s = &secRecs{lockLine: r.Line, lockPending: r.Pending}
		if r.Call != nil {
			s.lockCall = *r.Call
		}
		hc.secs[r.Section] = s
	case OpReadUnlock:
		delete(hc.secs, r.Section)
		hc.ended.put(key, secDone{s.lockLine, r.Line})
	default:
		hc.ended.put(key, secDone{0, r.Line})
	}
	return nil
}

// gp checks a gp_start or gp_end record; once both of a grace period are
// recorded, that it does not surely end before it starts.
func (hc *histCheck) gp(r *Record) error {
	g, kind := *r.GP, int64(0)
	if r.Op == OpGPEnd {
		kind = 1
	}
	if lines, ok := hc.gpDone.get(g); ok {
		return ferr(r.Line, "gp", "%s(%d) already recorded at line %d", r.Op, g, lines[kind])
	}
	if prev, ok := hc.gps.get([2]int64{g, kind}); ok {
		return ferr(r.Line, "gp", "%s(%d) already recorded at line %d", r.Op, g, prev.line)
	}
	rec := gpRec{line: r.Line, pends: r.Pending, hasRet: r.Return != nil}
	if r.Call != nil {
		rec.call = *r.Call
	}
	if r.Return != nil {
		rec.ret = *r.Return
	}
	other, ok := hc.gps.get([2]int64{g, 1 - kind})
	if !ok {
		hc.gps.put([2]int64{g, kind}, rec)
		return nil
	}
	hc.gps.del([2]int64{g, 1 - kind})
	start, end := other, rec
	if kind == 0 {
		start, end = rec, other
	}
	hc.gpDone.put(g, [2]int{start.line, end.line})
	if end.hasRet && (start.pends || end.ret < start.call) && (!hc.bad.found || end.line < hc.bad.end.line) {
		hc.bad.gp, hc.bad.start, hc.bad.end, hc.bad.found = g, start, end, true
	}
	return nil
}

// loss returns the ended sections and grace periods forgotten.
func (hc *histCheck) loss() (sections, gps int) {
	return hc.ended.forgotten, hc.gps.forgotten + hc.gpDone.forgotten
}

// validate checks what spans the records of h (histCheck).
func (h *History) validate() error {
	var hc histCheck
	for i := range h.Records {
		if err := hc.add(&h.Records[i]); err != nil {
			return err
		}
	}
	return hc.finish()
}

// finish reports, once the history is whole, the grace period that
// surely ends before it begins and whose gp_end comes first in the file:
// its gp_end returns before its gp_start is called, or returns while the
// gp_start is still pending.
func (hc *histCheck) finish() error {
	if !hc.bad.found {
		return nil
	}
	b := &hc.bad
	if b.start.pends {
		return ferr(b.end.line, "gp", "gp_end(%d) returns while its gp_start (line %d) is still pending", b.gp, b.start.line)
	}
	return ferr(b.end.line, "return", "gp_end(%d) returns at %d, before its gp_start (line %d) is called at %d", b.gp, b.end.ret, b.start.line, b.start.call)
}
