// Package traces holds rcucheck's trace format (JSON Lines), its strict
// reader and atomic writer, a recorder for instrumenting a concrete reclaim
// implementation, the conversion of reference-model executions into
// histories whose operations really overlap, an importer for ftrace captures
// of a Linux kernel, the model replay of imported traces, and the reclaim
// contract of kvfree_rcu() as a Porcupine model with per-object partitioning.
//
// A trace file is a sequence of histories. Each history starts with a header
// line ({"type":"header",...}) and continues with one record per line: an
// operation ({"type":"op",...}) with its client, arguments, result and call
// and return times, or an internal model step ({"type":"step",...}). See
// docs/traces.md for the full format.
package traces

import (
	"fmt"

	"github.com/rcucheck/rcucheck/model"
)

// FormatName is the value of the header's "format" field.
const FormatName = "rcucheck-trace"

// FormatVersion is the version of the format this package writes and reads.
const FormatVersion = 1

// ToolVersion names the writer in the header's "tool" field.
const ToolVersion = "rcucheck-traces/1"

// MaxTime is the latest time a history may record (2^60: 36 years in ns).
// Every time is in [0, MaxTime], so that any uncertainty window, up to the
// largest int64, widens an interval without wrapping round: see Check.
const MaxTime = int64(1) << 60

// Sources of a history, for the header's "source" field.
const (
	SourceModel    = "model"    // a path of the reference model
	SourceFtrace   = "ftrace"   // imported from a kernel ftrace capture
	SourceRecorder = "recorder" // recorded from an instrumented implementation
)

// Time units of a history, for the header's "time_unit" field.
const (
	UnitStep = "step" // model step indices
	UnitNS   = "ns"   // nanoseconds
)

// Op names an operation of the reclaim contract.
type Op string

// The operations a trace may record.
const (
	OpFree       Op = "free"        // free(obj): kvfree_rcu() of an object
	OpReclaim    Op = "reclaim"     // reclaim(obj): the object's memory is given back
	OpReadLock   Op = "read_lock"   // the start of read section "section"
	OpReadUnlock Op = "read_unlock" // the end of read section "section"
	OpSection    Op = "section"     // a whole read section: call = lock, return = unlock
	OpGPStart    Op = "gp_start"    // grace period "gp" begins
	OpGPEnd      Op = "gp_end"      // grace period "gp" ends
)

// Ops lists every operation name in the format.
func Ops() []Op {
	return []Op{OpFree, OpReclaim, OpReadLock, OpReadUnlock, OpSection, OpGPStart, OpGPEnd}
}

func (o Op) valid() bool {
	for _, v := range Ops() {
		if o == v {
			return true
		}
	}
	return false
}

// Header is the first line of a history.
type Header struct {
	Type     string        `json:"type"`    // always "header"
	Format   string        `json:"format"`  // FormatName
	Version  int           `json:"version"` // FormatVersion
	Tool     string        `json:"tool"`    // the writer, e.g. ToolVersion
	Source   string        `json:"source"`  // SourceModel, SourceFtrace or SourceRecorder
	Model    string        `json:"model,omitempty"`
	Design   string        `json:"design,omitempty"`
	Params   *model.Params `json:"params,omitempty"`
	Seed     int64         `json:"seed"`
	Label    string        `json:"label,omitempty"`    // what the history is, e.g. "GracePeriod counterexample"
	TimeUnit string        `json:"time_unit"`          // UnitStep or UnitNS
	Window   int64         `json:"window,omitempty"`   // uncertainty already applied to every time, in TimeUnit
	Input    string        `json:"input,omitempty"`    // the file a history was imported from
	Clients  []string      `json:"clients,omitempty"`  // names of the clients, by index
	Comment  string        `json:"comment,omitempty"`  // free text
	Expected string        `json:"expected,omitempty"` // "linearizable" or "not linearizable", when known

	line int // where the header was read
}

// Record is one line after a header: an operation or an internal model step.
type Record struct {
	Type string `json:"type"` // "op" or "step"

	// Operation fields.
	ID      int64  `json:"id,omitempty"`      // unique within the history, >= 1
	Client  int    `json:"client"`            // CPU or thread index
	Op      Op     `json:"op,omitempty"`      // the operation
	Obj     string `json:"obj,omitempty"`     // free, reclaim: the object
	Section string `json:"section,omitempty"` // read_lock, read_unlock, section: the read section
	GP      *int64 `json:"gp,omitempty"`      // gp_start, gp_end: the grace period number
	Result  string `json:"result,omitempty"`  // "ok" (the only result today)
	Call    *int64 `json:"call,omitempty"`    // invocation time
	Return  *int64 `json:"return,omitempty"`  // response time; absent when pending
	Pending bool   `json:"pending,omitempty"` // the operation had not returned when the history ended
	Info    string `json:"info,omitempty"`    // detail: the model's free branch, the kernel line, ...

	// Step fields (Type "step"): an internal model transition.
	Time   *int64 `json:"time,omitempty"`
	Action string `json:"action,omitempty"`

	// Line is the record's line in the file it was read from (0 if built in memory).
	Line int `json:"-"`
}

// endRecord closes a history: it counts the history's records, so that a
// file cut at a line boundary is still recognised as truncated.
type endRecord struct {
	Type    string `json:"type"` // "end"
	Records int    `json:"records"`
}

// History is one header and its records.
type History struct {
	Header  Header
	Records []Record
}

// Ops returns the history's operation records.
func (h *History) Ops() []Record {
	var out []Record
	for _, r := range h.Records {
		if r.Type == "op" {
			out = append(out, r)
		}
	}
	return out
}

// End returns a time after every time of the history: the return time given
// to operations that were still pending when it ended.
func (h *History) End() int64 {
	var end int64
	for _, r := range h.Records {
		for _, t := range []*int64{r.Call, r.Return, r.Time} {
			if t != nil && *t > end {
				end = *t
			}
		}
	}
	return end + 1
}

func i64(v int64) *int64 { return &v }

// NewHeader returns a header with the format fields filled in.
func NewHeader(source, unit string) Header {
	return Header{Type: "header", Format: FormatName, Version: FormatVersion, Tool: ToolVersion, Source: source, TimeUnit: unit}
}

// String formats an operation record compactly, e.g. "free(o3)".
func (r Record) String() string {
	switch r.Op {
	case OpFree, OpReclaim:
		return fmt.Sprintf("%s(%s)", r.Op, r.Obj)
	case OpReadLock, OpReadUnlock, OpSection:
		return fmt.Sprintf("%s(%s)", r.Op, r.Section)
	case OpGPStart, OpGPEnd:
		if r.GP == nil {
			return string(r.Op)
		}
		return fmt.Sprintf("%s(%d)", r.Op, *r.GP)
	}
	if r.Type == "step" {
		return r.Action
	}
	return string(r.Op)
}
