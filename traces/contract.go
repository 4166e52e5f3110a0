package traces

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// The verdicts of a linearizability check.
const (
	Linearizable    = "linearizable"
	NotLinearizable = "not linearizable"
	Unknown         = "unknown"
)

// CheckOptions bound and tune a contract check.
type CheckOptions struct {
	// Window widens every operation by this much on both sides (in the
	// history's time unit): the uncertainty of its timestamps. Porcupine
	// then considers every order the widened intervals allow.
	Window int64
	// Timeout stops the check; what was not decided is then "unknown",
	// never a wrong verdict (0: no limit).
	Timeout time.Duration
	// ChunkSize is the number of object partitions handed to Porcupine at a
	// time (default 256): it bounds Porcupine's goroutines and memory.
	ChunkSize int
	// MaxFailures bounds the failing objects explained (default 10).
	MaxFailures int
	// Progress, when set, is called about every ProgressEvery (default
	// 1 s) while the partitions are checked.
	Progress      func(CheckProgress)
	ProgressEvery time.Duration
	// MaxOpen bounds the operations a streaming check holds at once
	// (DefaultMaxOpen when 0): past it the check stops, verdict unknown
	// unless a violation was found, rather than use memory without bound.
	MaxOpen int
	// OnFailure, when set, is called with each failing object as soon as
	// it is found (from another goroutine than the caller's).
	OnFailure func(Failure)

	lazy     int // operations held before streaming rounds start (lazyOps when 0; tests)
	remember int // judged objects a generation of the closed set holds (closedGen when 0; tests)
}

// CheckProgress is a snapshot of a running Check.
type CheckProgress struct {
	Objects    int // objects gone through, of Total
	Total      int
	Partitions int // partitions handed to Porcupine so far
	Elapsed    time.Duration
}

// Failure explains one object whose partition is not linearizable.
type Failure struct {
	Obj    string   `json:"obj"`
	Reason string   `json:"reason"`
	Ops    []string `json:"ops"` // the partition's operations with their intervals
}

// Result is the outcome of checking one history against the contract.
type Result struct {
	Verdict      string        `json:"verdict"`
	Label        string        `json:"label,omitempty"`
	Design       string        `json:"design,omitempty"`
	Expected     string        `json:"expected,omitempty"`
	Operations   int           `json:"operations"`
	Objects      int           `json:"objects"`
	Reclaimed    int           `json:"reclaimed"`
	Sections     int           `json:"sections"`
	GracePeriods int           `json:"grace_periods"`
	Partitions   int           `json:"partitions"` // object partitions handed to Porcupine
	Trivial      int           `json:"trivial"`    // objects decided without Porcupine (freed once, never reclaimed)
	Failed       int           `json:"failed"`     // partitions found not linearizable
	Undecided    int           `json:"undecided"`  // partitions left undecided by a timeout or Ctrl-C
	MaxPartOps   int           `json:"max_partition_ops"`
	Window       int64         `json:"window"`
	TimeUnit     string        `json:"time_unit"`
	ElapsedSec   float64       `json:"elapsed_sec"`
	StopReason   string        `json:"stop_reason,omitempty"`
	Failures     []Failure     `json:"failures,omitempty"`
	elapsed      time.Duration // for callers in Go

	// What a streaming check forgot to stay in bounded memory (zero:
	// nothing, the verdict is exact): judged objects, capture addresses
	// with their last free, ended read sections and grace periods of a
	// trace file. LossNote says in words what the verdict then rests on.
	ForgottenObjects   int    `json:"forgotten_objects,omitempty"`
	ForgottenAddresses int    `json:"forgotten_addresses,omitempty"`
	ForgottenSections  int    `json:"forgotten_sections,omitempty"`
	ForgottenGPs       int    `json:"forgotten_grace_periods,omitempty"`
	LossNote           string `json:"loss_note,omitempty"`
}

// Lossy returns what to print beside the verdict: "" when nothing was
// forgotten, else " (lossy: LossNote)".
func (r *Result) Lossy() string {
	if r.LossNote == "" {
		return ""
	}
	return " (lossy: " + r.LossNote + ")"
}

// addLoss records that n things were forgotten (note says what and what
// the verdict then rests on): a note beside the verdict.
func (r *Result) addLoss(n int, note string) {
	if n <= 0 {
		return
	}
	if r.LossNote != "" {
		r.LossNote += "; "
	}
	r.LossNote += note
}

// Elapsed returns the time the check took.
func (r *Result) Elapsed() time.Duration { return r.elapsed }

type copKind uint8

const (
	kFree copKind = iota
	kReclaim
	kLock
	kUnlock
	kGPStart
	kGPEnd
)

var copNames = [...]string{"free", "reclaim", "read_lock", "read_unlock", "gp_start", "gp_end"}

// cop is an operation of the contract: a record, or half of a section.
type cop struct {
	kind      copKind
	name      string // object or section name
	gp        int64
	call, ret int64
	client    int
	line      int    // of the record in its file (0: none)
	info      string // the record's detail
}

func (o *cop) describe() string {
	switch o.kind {
	case kGPStart, kGPEnd:
		return fmt.Sprintf("%s(%d)", copNames[o.kind], o.gp)
	}
	return fmt.Sprintf("%s(%s)", copNames[o.kind], o.name)
}

// cin is a Porcupine input (always a *cin): the operation with its
// partition-local index. Several objects' partitions may share one
// Porcupine partition, one after the other in time (see porcBatch): member
// numbers them there.
type cin struct {
	kind   copKind
	local  int // section or grace-period index within the partition
	part   int
	member int32
	op     *cop
}

// cstate is the contract's state for one object. Bit sets are strings of
// bytes without trailing zeros, so that states compare with ==.
type cstate struct {
	member  int32  // the object's member number in its Porcupine partition
	phase   uint8  // 0 not freed, 1 freed, 2 reclaimed
	open    string // read sections running
	pins    string // sections running when the free took effect, not yet ended
	gpAfter string // grace periods that began after the free
	gpDone  bool   // one of them has ended
}

func bitHas(s string, i int) bool { return i/8 < len(s) && s[i/8]&(1<<(i%8)) != 0 }

func bitSet(s string, i int, on bool) string {
	b := []byte(s)
	for len(b) <= i/8 {
		b = append(b, 0)
	}
	if on {
		b[i/8] |= 1 << (i % 8)
	} else {
		b[i/8] &^= 1 << (i % 8)
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

// contractStep is the sequential specification of kvfree_rcu() for one
// object: it is freed once, then reclaimed at most once, only after every
// read section running when it was freed has ended and, when the history
// records grace periods, only after a grace period that began after the
// free has ended.
func contractStep(gpRequired bool) func(st, in, out any) (bool, any) {
	return func(st, in, _ any) (bool, any) {
		s := st.(cstate)
		i := in.(*cin)
		switch {
		case i.member < s.member:
			return false, s // porcBatch's order forbids it: never taken
		case i.member > s.member:
			s = cstate{member: i.member} // the previous object is done
		}
		switch i.kind {
		case kFree:
			if s.phase != 0 {
				return false, s
			}
			s.phase, s.pins, s.gpAfter, s.gpDone = 1, s.open, "", false
		case kReclaim:
			if s.phase != 1 || s.pins != "" || (gpRequired && !s.gpDone) {
				return false, s
			}
			s.phase = 2
		case kLock:
			if bitHas(s.open, i.local) {
				return false, s
			}
			s.open = bitSet(s.open, i.local, true)
		case kUnlock:
			if !bitHas(s.open, i.local) {
				return false, s
			}
			s.open = bitSet(s.open, i.local, false)
			s.pins = bitSet(s.pins, i.local, false)
		case kGPStart:
			if s.phase == 1 {
				s.gpAfter = bitSet(s.gpAfter, i.local, true)
			}
		case kGPEnd:
			if bitHas(s.gpAfter, i.local) {
				s.gpDone = true
			}
		}
		return true, s
	}
}

func describeState(st any) string {
	s := st.(cstate)
	phase := [...]string{"not freed", "freed", "reclaimed"}[s.phase]
	var parts []string
	parts = append(parts, phase)
	if s.phase == 1 {
		if s.pins != "" {
			parts = append(parts, "pinned by readers "+bitList(s.pins))
		}
		if s.gpDone {
			parts = append(parts, "a grace period that began after the free has ended")
		} else if s.gpAfter != "" {
			parts = append(parts, "a grace period began after the free")
		}
	}
	if s.open != "" {
		parts = append(parts, "readers running "+bitList(s.open))
	}
	return strings.Join(parts, "; ")
}

func bitList(s string) string {
	var out []string
	for i := 0; i < 8*len(s); i++ {
		if bitHas(s, i) {
			out = append(out, fmt.Sprint(i))
		}
	}
	return "#{" + strings.Join(out, ",") + "}"
}

// ContractModel returns the reclaim contract as a Porcupine model whose
// partitions are the objects (see Partitions). gpRequired says whether the
// history records grace periods, and so whether the grace-period rule
// applies.
func ContractModel(gpRequired bool) porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			idx := map[int]int{}
			var parts [][]porcupine.Operation
			for _, op := range h {
				p := op.Input.(*cin).part
				k, ok := idx[p]
				if !ok {
					k = len(parts)
					idx[p] = k
					parts = append(parts, nil)
				}
				parts[k] = append(parts[k], op)
			}
			return parts
		},
		Init:              func() any { return cstate{} },
		Step:              contractStep(gpRequired),
		Hash:              hashState,
		DescribeOperation: func(in, _ any) string { return in.(*cin).op.describe() },
		DescribeState:     describeState,
		DescribeOperationMetadata: func(md any) string {
			if s, ok := md.(string); ok {
				return s
			}
			return ""
		},
	}
}

// hashState is FNV-1a of a cstate's fields, without allocating.
func hashState(st any) uint64 {
	s := st.(cstate)
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	add := func(b byte) { h = (h ^ uint64(b)) * prime }
	for _, b := range [...]byte{byte(s.member), byte(s.member >> 8), byte(s.member >> 16), byte(s.member >> 24), s.phase, boolByte(s.gpDone)} {
		add(b)
	}
	for k, f := range [...]string{s.open, s.pins, s.gpAfter} {
		for i := 0; i < len(f); i++ {
			add(f[i])
		}
		add(0xff - byte(k))
	}
	return h
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// contract is a set of operations indexed for checking: a whole history
// (Visualize) or one partition (to explain why it fails).
type contract struct {
	h          *History // nil for a partition
	unit       string
	ops        []cop
	frees      map[string][]int // object -> its free and reclaim ops
	objOrder   []string
	locks      []int // lock ops sorted by call
	unlockOf   map[string]int
	gpOps      []int // gp ops sorted by call
	maxSecLen  int64
	maxGPLen   int64
	openEnded  []int // locks of sections that never end
	gpRequired bool
}

// pendingReturn is the return time of an operation still pending when its
// history ended: after every time a history may hold.
const pendingReturn = MaxTime + 1

// recordCops appends the contract operations of the op record r (index
// rec) widened by window to dst: none for a pending reclaim or gp_end (they
// may not have happened), two for a whole section.
func recordCops(dst []cop, r *Record, window int64) []cop {
	ret := int64(pendingReturn)
	if r.Return != nil {
		ret = *r.Return
	}
	add := func(k copKind, name string, gp int64, call, ret int64) {
		lo, hi := widen(call, ret, window)
		dst = append(dst, cop{kind: k, name: name, gp: gp, call: lo, ret: hi, client: r.Client, line: r.Line, info: r.Info})
	}
	switch r.Op {
	case OpFree:
		add(kFree, r.Obj, 0, *r.Call, ret)
	case OpReclaim:
		if !r.Pending {
			add(kReclaim, r.Obj, 0, *r.Call, ret)
		}
	case OpSection:
		add(kLock, r.Section, 0, *r.Call, *r.Call)
		if r.Return != nil {
			add(kUnlock, r.Section, 0, *r.Return, *r.Return)
		}
	case OpReadLock:
		add(kLock, r.Section, 0, *r.Call, ret)
	case OpReadUnlock:
		if r.Return != nil {
			add(kUnlock, r.Section, 0, *r.Call, *r.Return)
		}
	case OpGPStart:
		add(kGPStart, "", *r.GP, *r.Call, ret)
	case OpGPEnd:
		if r.Return != nil {
			add(kGPEnd, "", *r.GP, *r.Call, ret)
		}
	}
	return dst
}

// prepare indexes the operations of history h widened by window.
func prepare(h *History, window int64) (*contract, error) {
	if window < 0 {
		return nil, fmt.Errorf("negative uncertainty window %d", window)
	}
	if err := h.checkTimes(); err != nil {
		return nil, err
	}
	var ops []cop
	for i := range h.Records {
		if r := &h.Records[i]; r.Type == "op" {
			ops = recordCops(ops, r, window)
		}
	}
	c := indexOps(ops, h.Header.TimeUnit)
	c.h = h
	return c, nil
}

// indexOps indexes ops: each object's own operations, the sections and
// grace-period boundaries sorted by call.
func indexOps(ops []cop, unit string) *contract {
	c := &contract{unit: unit, ops: ops, frees: map[string][]int{}, unlockOf: map[string]int{}}
	for i := range ops {
		switch o := &ops[i]; o.kind {
		case kFree, kReclaim:
			if _, ok := c.frees[o.name]; !ok {
				c.objOrder = append(c.objOrder, o.name)
			}
			c.frees[o.name] = append(c.frees[o.name], i)
		case kLock:
			c.locks = append(c.locks, i)
		case kUnlock:
			c.unlockOf[o.name] = i
		default:
			c.gpOps = append(c.gpOps, i)
		}
	}
	c.gpRequired = len(c.gpOps) > 0
	sort.SliceStable(c.locks, func(i, j int) bool { return c.ops[c.locks[i]].call < c.ops[c.locks[j]].call })
	sort.SliceStable(c.gpOps, func(i, j int) bool { return c.ops[c.gpOps[i]].call < c.ops[c.gpOps[j]].call })
	var closed []int
	for _, l := range c.locks {
		u, ok := c.unlockOf[c.ops[l].name]
		if !ok {
			c.openEnded = append(c.openEnded, l)
			continue
		}
		closed = append(closed, l)
		c.maxSecLen = max(c.maxSecLen, c.ops[u].ret-c.ops[l].call)
	}
	c.locks = closed
	for _, g := range c.gpOps {
		c.maxGPLen = max(c.maxGPLen, c.ops[g].ret-c.ops[g].call)
	}
	return c
}

// timeBound is where a widened interval is clamped. It lies beyond every
// time of a history on both sides (times are in [0, MaxTime], a pending
// return is MaxTime+1), so clamping there changes no order between a
// return and a call; and the difference of two bounds still fits in an
// int64.
const timeBound = 2 * MaxTime

// widen returns [call-window, ret+window] saturated at -timeBound and
// timeBound: a window larger than the history allows every order, as a
// window that covers the whole history does, instead of wrapping round.
// call and ret must be in [0, MaxTime+1] and window >= 0.
func widen(call, ret, window int64) (lo, hi int64) {
	lo, hi = -timeBound, timeBound
	if call-window > lo { // call >= 0 and window >= 0: no overflow
		lo = call - window
	}
	if window < timeBound-ret {
		hi = ret + window
	}
	return lo, hi
}

// checkTimes reports a time outside [0, MaxTime]: the reader refuses them,
// a history built in memory may still hold one.
func (h *History) checkTimes() error {
	for i := range h.Records {
		r := &h.Records[i]
		for _, f := range []struct {
			name string
			t    *int64
		}{{"call", r.Call}, {"return", r.Return}, {"time", r.Time}} {
			if f.t == nil || (*f.t >= 0 && *f.t <= MaxTime) {
				continue
			}
			where := fmt.Sprintf("record %d", i+1)
			if r.Line > 0 {
				where = fmt.Sprintf("line %d", r.Line)
			}
			return fmt.Errorf("%s: %s time %d is outside [0, %d]", where, f.name, *f.t, MaxTime)
		}
	}
	return nil
}

// partition returns the operations object obj's check needs: its own, the
// read sections and the grace-period boundaries whose intervals meet the
// window from its first call to its last return.
func (c *contract) partition(obj string) []int {
	own := c.frees[obj]
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, i := range own {
		lo, hi = min(lo, c.ops[i].call), max(hi, c.ops[i].ret)
	}
	ops := append([]int(nil), own...)
	meets := func(i int) bool { return c.ops[i].call <= hi && c.ops[i].ret >= lo }
	// Sections: their lock is at most maxSecLen before lo.
	first := sort.Search(len(c.locks), func(k int) bool { return c.ops[c.locks[k]].call >= lo-c.maxSecLen })
	for k := first; k < len(c.locks) && c.ops[c.locks[k]].call <= hi; k++ {
		l := c.locks[k]
		u := c.unlockOf[c.ops[l].name]
		if c.ops[u].ret >= lo {
			ops = append(ops, l, u)
		}
	}
	for _, l := range c.openEnded {
		if c.ops[l].call <= hi {
			ops = append(ops, l)
		}
	}
	first = sort.Search(len(c.gpOps), func(k int) bool { return c.ops[c.gpOps[k]].call >= lo-c.maxGPLen })
	for k := first; k < len(c.gpOps) && c.ops[c.gpOps[k]].call <= hi; k++ {
		if meets(c.gpOps[k]) {
			ops = append(ops, c.gpOps[k])
		}
	}
	return ops
}

// porcupineOps turns a partition into Porcupine operations, with
// partition-local indices for sections and grace periods.
func (c *contract) porcupineOps(part int, ops []int, dst []porcupine.Operation) []porcupine.Operation {
	local := map[string]int{}
	gpLocal := map[int64]int{}
	for _, i := range ops {
		o := &c.ops[i]
		in := &cin{kind: o.kind, part: part, op: o}
		switch o.kind {
		case kLock, kUnlock:
			k, ok := local[o.name]
			if !ok {
				k = len(local)
				local[o.name] = k
			}
			in.local = k
		case kGPStart, kGPEnd:
			k, ok := gpLocal[o.gp]
			if !ok {
				k = len(gpLocal)
				gpLocal[o.gp] = k
			}
			in.local = k
		}
		dst = append(dst, porcupine.Operation{ClientId: o.client, Input: in, Call: o.call, Return: o.ret, Metadata: c.metadata(o)})
	}
	return dst
}

func (c *contract) metadata(o *cop) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%d, %d] %s", o.describe(), o.call, o.ret, c.unit)
	if o.line > 0 {
		fmt.Fprintf(&b, ", line %d", o.line)
	}
	if o.info != "" {
		fmt.Fprintf(&b, ": %s", o.info)
	}
	return b.String()
}

// explain says in words why obj's partition has no valid order. It reads
// the operations at the edges of their intervals, which is where the
// contract is easiest to satisfy.
func (c *contract) explain(obj string) Failure {
	ops := c.partition(obj)
	f := Failure{Obj: obj}
	sort.SliceStable(ops, func(i, j int) bool { return c.ops[ops[i]].call < c.ops[ops[j]].call })
	for _, i := range ops {
		f.Ops = append(f.Ops, c.metadata(&c.ops[i]))
	}
	var free, rec []*cop
	for _, i := range c.frees[obj] {
		if c.ops[i].kind == kFree {
			free = append(free, &c.ops[i])
		} else {
			rec = append(rec, &c.ops[i])
		}
	}
	switch {
	case len(free) > 1:
		f.Reason = fmt.Sprintf("%s is freed %d times", obj, len(free))
		return f
	case len(free) == 0:
		f.Reason = fmt.Sprintf("%s is reclaimed but never freed", obj)
		return f
	case len(rec) > 1:
		f.Reason = fmt.Sprintf("%s is reclaimed %d times", obj, len(rec))
		return f
	}
	fr, rc := free[0], rec[0]
	if rc.ret < fr.call {
		f.Reason = fmt.Sprintf("%s is reclaimed before it is freed", obj)
		return f
	}
	// A section pins the object if it surely ran when the free took effect
	// and surely still ran when the reclaim did.
	for _, i := range ops {
		l := &c.ops[i]
		if l.kind != kLock || l.ret > fr.call {
			continue
		}
		u, ok := c.unlockOf[l.name]
		if !ok || c.ops[u].call > rc.ret {
			end := "never ends"
			if ok {
				end = fmt.Sprintf("ends at %d", c.ops[u].call)
			}
			f.Reason = fmt.Sprintf("%s is reclaimed by %d while read section %s, which began by %d (before the free at %d), %s", obj, rc.ret, l.name, l.ret, fr.call, end)
			return f
		}
	}
	if c.gpRequired {
		f.Reason = fmt.Sprintf("%s is reclaimed by %d, but no grace period that began after its free (at %d or later) has surely ended by then", obj, rc.ret, fr.call)
		return f
	}
	f.Reason = fmt.Sprintf("no order of %s's operations within their intervals satisfies the contract", obj)
	return f
}
