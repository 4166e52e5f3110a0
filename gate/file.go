// Package gate runs a gate file: designs, parameter grids and the outcomes
// each must show, checked exhaustively with the reference model. It is what
// "rcucheck gate FILE" runs in CI, and what a go test can call with a
// Registry that holds the user's own designs.
//
// A gate file is TOML:
//
//	[defaults]                      # optional: every check starts from these
//	cpus = 2
//	bulk = 2
//	cache = 1
//	reserve = 1
//	calls = [1, 2]                  # a number or a list: the grid is the product
//	limit = 2
//	max_states = 2_000_000          # per run; a run that hits it is undecided
//	max_memory = 2048               # MiB per run
//	timeout = "60s"
//	workers = 2                     # 0: one per core
//	fingerprint = false             # store hashes (verdicts then say so)
//
//	[[check]]
//	name = "safe designs"
//	designs = ["head", "sync"]
//	cpus = [1, 2]
//	holds = ["NoStuck", "GracePeriod", "Drainable"]
//	violated = []                   # properties that must be violated (a known bug)
//	bounds = ["pages <= N*(C + 2 + K)"]
//
// Every design x grid point of a check is a row. A row passes when every
// property in holds holds, every property in violated is violated, and every
// bound holds in every reachable state (bounds use the grammar of
// properties.ParseBound: the metrics pages, pending, reserve_used and the
// parameters N B C R K L). A failing row carries the shortest
// counterexample. An outcome that the model's rules decide for the design
// before any state is explored holds by construction and is reported as
// such, never as passed (see construction.go).
//
// Two outcomes speak of every K, the workload bound, and are decided by
// package bound for the specification's five designs: holds_every_k
// (NoStuck, GracePeriod: proved on bound's counter abstraction) and
// bounded_every_k (pages, pending, reserve_used: the abstraction's exact
// maximum, or a weakly fair pumping cycle replayed on the real model
// showing growth), and unbounded_every_k, its opposite (such a cycle is
// required). They make one row per design and grid point with K left out
// (K printed 0).
package gate

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// FileError is an error in a gate file: the file, the line (0 when
// unknown), the field and what is wrong.
type FileError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Error formats the error on one line: "FILE:LINE: field FIELD: MSG".
// Control characters (a newline in a quoted key or in the text the TOML
// decoder quotes) are escaped.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %s: ", e.Field)
	}
	b.WriteString(e.Msg)
	return oneLine(b.String())
}

// oneLine escapes the control characters of s, as Go quotes them.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Ints is a parameter that takes one value or a list of values.
type Ints []int

// Grid is the parameters of a check: each a value or a list. An unset
// parameter takes the defaults' value, else model.DefaultParams's.
type Grid struct {
	CPUs    Ints
	Bulk    Ints
	Cache   Ints
	Reserve Ints
	Calls   Ints
	Limit   Ints
}

// Limits bound each run of a check; a nil field is unset (a check's unset
// field takes the defaults' value).
type Limits struct {
	MaxStates   *uint64        // states (0: no limit)
	MaxMemMiB   *uint64        // MiB (0: no limit)
	Timeout     *time.Duration // 0: no limit
	Workers     *int           // 0: one per core
	Fingerprint *bool          // a fingerprint store (verdicts then say so)
}

// File is a parsed and validated gate file.
type File struct {
	Path   string
	Title  string
	Checks []*Spec
	src    []byte // the file's bytes: their hash marks the shards of one gate
}

// Spec is a validated check: its designs, its grid (normalised per design,
// without duplicates) and its outcomes.
type Spec struct {
	Name      string
	Line      int // the line of its [[check]] header
	Designs   []model.Design
	Points    []model.Params // before normalisation
	Holds     []string
	Violated  []string
	Bounds    []*properties.BoundExpr
	BoundText []string
	// HoldsEveryK: properties proved for every K; BoundedEveryK: metrics
	// whose maximum must be the same for every K (package bound).
	HoldsEveryK     []string
	BoundedEveryK   []string
	UnboundedEveryK []string
	MaxStates       uint64
	MaxMemory       uint64 // bytes
	Timeout         time.Duration
	Workers         int
	Fingerprint     bool
}

// Limits on what a gate file may ask for: beyond them a value is a typo,
// not a plan (a run of 10^12 states does not fit in any machine's memory).
const (
	maxGridPoints  = 10000             // rows a check (designs x grid) may expand to
	maxRows        = 10000             // rows of the whole file
	maxListLen     = 1000              // values of one list
	maxStatesLimit = 1_000_000_000_000 // max_states
	maxMemoryMiB   = 1 << 20           // max_memory: 1 TiB
	maxTimeout     = 7 * 24 * time.Hour
	maxWorkers     = 256
	maxNameLen     = 200
	maxBounds      = 64 // bounds of a check (each is evaluated in every state)
)

// Fields of a gate file.
var (
	gridKeys  = model.ParamNames()
	limitKeys = []string{"max_states", "max_memory", "timeout", "workers", "fingerprint"}
	checkKeys = []string{"name", "designs", "holds", "violated", "bounds", "holds_every_k", "bounded_every_k", "unbounded_every_k"}
	topKeys   = []string{"title", "defaults", "check"}
)

// Load reads and validates the gate file at path; designs are looked up in reg.
func Load(path string, reg *model.Registry) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &FileError{File: path, Msg: "cannot read it: " + err.Error()}
	}
	return Parse(path, src, reg)
}

// Parse validates the gate file src (named name in errors). Every error is
// a *FileError on one line, in the words of TOML (never Go's types).
func Parse(name string, src []byte, reg *model.Registry) (*File, error) {
	var top map[string]any
	if _, err := toml.Decode(string(src), &top); err != nil {
		return nil, syntaxError(name, src, err)
	}
	p := &parser{file: name, loc: newLocator(src), reg: reg}
	if err := p.unknownKeys("", 0, top, topKeys); err != nil {
		return nil, err
	}
	f := &File{Path: name, src: src}
	if v, ok := top["title"]; ok {
		s, err := asString(v)
		if err != nil {
			return nil, p.errf("", 0, "title", "%v", err)
		}
		f.Title = s
	}
	def, err := p.defaults(top["defaults"])
	if err != nil {
		return nil, err
	}
	checks, err := p.checkTables(top["check"])
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	rows := 0
	for i, c := range checks {
		s, err := p.check(i, c, def)
		if err != nil {
			return nil, err
		}
		if names[s.Name] {
			return nil, p.errf("check", i, "name", "check %q is defined twice", s.Name)
		}
		names[s.Name] = true
		if rows += len(s.Designs) * len(s.Points); rows > maxRows {
			return nil, p.errf("check", i, "designs", "the file expands to more than %d rows", maxRows)
		}
		f.Checks = append(f.Checks, s)
	}
	return f, nil
}

// syntaxError turns the TOML decoder's error into a FileError.
func syntaxError(name string, src []byte, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := tomlWords.Replace(strings.TrimPrefix(pe.Message, "toml: "))
		field := pe.LastKey
		if strings.HasPrefix(field, "check.") {
			idx := newLocator(src).checkAt(pe.Position.Line)
			field = fmt.Sprintf("check[%d].%s", idx+1, strings.TrimPrefix(field, "check."))
		}
		return &FileError{File: name, Line: pe.Position.Line, Field: field, Msg: msg}
	}
	return &FileError{File: name, Msg: "not a TOML file: " + strings.TrimPrefix(err.Error(), "toml: ")}
}

// tomlWords rewords the Go types the TOML decoder names in its messages.
var tomlWords = strings.NewReplacer("for float64", "for a float (a 64-bit IEEE 754 number)", "for int64", "for an integer (from -2^63 to 2^63-1)")

// parser validates the decoded tables of one file.
type parser struct {
	file string
	loc  *locator
	reg  *model.Registry
}

// errf returns a FileError at key of table ("", "defaults" or "check", the
// idx-th [[check]]).
func (p *parser) errf(table string, idx int, key, format string, args ...any) error {
	field := key
	switch {
	case table == "check" && key == "":
		field = fmt.Sprintf("check[%d]", idx+1)
	case table == "check":
		field = fmt.Sprintf("check[%d].%s", idx+1, key)
	case table != "":
		field = table + "." + key
	}
	return &FileError{File: p.file, Line: p.loc.line(table, idx, key), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// unknownKeys refuses a key of t outside allowed, the first in file order.
func (p *parser) unknownKeys(table string, idx int, t map[string]any, allowed []string) error {
	var bad []string
	for k := range t {
		if !slices.Contains(allowed, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.SortFunc(bad, func(a, b string) int { return p.loc.line(table, idx, a) - p.loc.line(table, idx, b) })
	return p.errf(table, idx, bad[0], "unknown field (want %s)", strings.Join(allowed, ", "))
}

// defaults validates the [defaults] table (nil when absent).
func (p *parser) defaults(v any) (*Check, error) {
	c := &Check{}
	if v == nil {
		return c, nil
	}
	t, ok := v.(map[string]any)
	if !ok {
		return nil, p.errf("", 0, "defaults", "want a table ([defaults]), got %s", tomlKind(v))
	}
	if err := p.unknownKeys("defaults", 0, t, append(append([]string(nil), gridKeys...), limitKeys...)); err != nil {
		return nil, err
	}
	if err := p.gridAndLimits("defaults", 0, t, c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkTables returns the [[check]] tables.
func (p *parser) checkTables(v any) ([]map[string]any, error) {
	var out []map[string]any
	switch x := v.(type) {
	case nil:
	case []map[string]any:
		out = x
	case []any:
		for _, e := range x {
			t, ok := e.(map[string]any)
			if !ok {
				return nil, p.errf("", 0, "check", "want tables ([[check]]), got %s", tomlKind(e))
			}
			out = append(out, t)
		}
	default:
		return nil, p.errf("", 0, "check", "want a list of tables ([[check]]), got %s", tomlKind(v))
	}
	if len(out) == 0 {
		return nil, &FileError{File: p.file, Msg: "no [[check]] table: a gate file lists at least one check"}
	}
	return out, nil
}

// Check is one [[check]] table (or the defaults) as written, its values
// checked for type and range.
type Check struct {
	Name     string
	Designs  []string
	Holds    []string
	Violated []string
	Bounds   []string
	// HoldsEveryK and BoundedEveryK are decided for an unbounded workload
	// by package bound (the designs its counter abstraction covers:
	// bound.AbstractionCovers).
	HoldsEveryK   []string
	BoundedEveryK []string
	// UnboundedEveryK: metrics that must grow with K (a pumping cycle).
	UnboundedEveryK []string
	Grid
	Limits
}

// gridAndLimits reads the parameters and limits of table t into c.
func (p *parser) gridAndLimits(table string, idx int, t map[string]any, c *Check) error {
	for _, key := range gridKeys {
		v, ok := t[key]
		if !ok {
			continue
		}
		vals, err := asInts(v)
		if err != nil {
			return p.errf(table, idx, key, "%v", err)
		}
		*c.Grid.field(key) = vals
	}
	return p.limits(table, idx, t, &c.Limits)
}

// limits reads and range-checks the limits of table t: a negative or
// absurd limit is refused, never taken as "no limit".
func (p *parser) limits(table string, idx int, t map[string]any, l *Limits) error {
	count := func(key string, hi uint64, unit string) (*uint64, error) {
		v, ok := t[key]
		if !ok {
			return nil, nil
		}
		n, err := asInt(v)
		if err == nil && (n < 0 || uint64(n) > hi) {
			err = fmt.Errorf("%d is out of range: want 0 (no limit) to %d%s", n, hi, unit)
		}
		if err != nil {
			return nil, p.errf(table, idx, key, "%v", err)
		}
		u := uint64(n)
		return &u, nil
	}
	var err error
	if l.MaxStates, err = count("max_states", maxStatesLimit, " states"); err != nil {
		return err
	}
	if l.MaxMemMiB, err = count("max_memory", maxMemoryMiB, " MiB"); err != nil {
		return err
	}
	w, err := count("workers", maxWorkers, " (0: one per core)")
	if err != nil {
		return err
	}
	if w != nil {
		n := int(*w)
		l.Workers = &n
	}
	if v, ok := t["timeout"]; ok {
		d, err := asDuration(v)
		if err != nil {
			return p.errf(table, idx, "timeout", "%v", err)
		}
		l.Timeout = &d
	}
	if v, ok := t["fingerprint"]; ok {
		b, ok := v.(bool)
		if !ok {
			return p.errf(table, idx, "fingerprint", "want true or false, got %s", tomlKind(v))
		}
		l.Fingerprint = &b
	}
	return nil
}

// stringLists reads the lists of strings of a [[check]] table into c.
func (p *parser) stringLists(idx int, t map[string]any, c *Check) error {
	lists := []struct {
		key string
		dst *[]string
	}{
		{"designs", &c.Designs}, {"holds", &c.Holds}, {"violated", &c.Violated}, {"bounds", &c.Bounds},
		{"holds_every_k", &c.HoldsEveryK}, {"bounded_every_k", &c.BoundedEveryK}, {"unbounded_every_k", &c.UnboundedEveryK},
	}
	for _, l := range lists {
		v, ok := t[l.key]
		if !ok {
			continue
		}
		xs, err := asStrings(v)
		if err != nil {
			return p.errf("check", idx, l.key, "%v", err)
		}
		for i, x := range xs {
			if slices.Contains(xs[:i], x) {
				return p.errf("check", idx, l.key, "%q is listed twice", x)
			}
		}
		*l.dst = xs
	}
	return nil
}

// check validates the idx-th [[check]] table t, with the defaults def.
func (p *parser) check(idx int, t map[string]any, def *Check) (*Spec, error) {
	allowed := append(append(append([]string(nil), checkKeys...), gridKeys...), limitKeys...)
	if err := p.unknownKeys("check", idx, t, allowed); err != nil {
		return nil, err
	}
	c := &Check{}
	if v, ok := t["name"]; ok {
		s, err := asString(v)
		if err == nil && len(s) > maxNameLen {
			err = fmt.Errorf("longer than %d characters", maxNameLen)
		}
		if err != nil {
			return nil, p.errf("check", idx, "name", "%v", err)
		}
		c.Name = s
	}
	if c.Name == "" {
		return nil, p.errf("check", idx, "name", "missing: every check needs a name")
	}
	if err := p.stringLists(idx, t, c); err != nil {
		return nil, err
	}
	if err := p.gridAndLimits("check", idx, t, c); err != nil {
		return nil, err
	}
	s := &Spec{Name: c.Name, Line: p.loc.header("check", idx)}
	if err := p.designs(idx, c, s); err != nil {
		return nil, err
	}
	if err := p.outcomes(idx, c, s); err != nil {
		return nil, err
	}
	if err := p.points(idx, c, def, s); err != nil {
		return nil, err
	}
	p.settleLimits(c.Limits, def.Limits, s)
	return s, nil
}

// designs resolves the designs of a check.
func (p *parser) designs(idx int, c *Check, s *Spec) error {
	if len(c.Designs) == 0 {
		return p.errf("check", idx, "designs", "missing: list at least one design")
	}
	for _, dn := range c.Designs {
		ds := model.Designs()
		if dn != "all" {
			d, err := p.reg.Lookup(dn)
			if err != nil {
				return p.errf("check", idx, "designs", "%v", err)
			}
			ds = []model.Design{d}
		}
		for _, d := range ds {
			if slices.ContainsFunc(s.Designs, func(e model.Design) bool { return e.Name() == d.Name() }) {
				return p.errf("check", idx, "designs", "design %s is listed twice (\"all\" holds the specification's five)", d.Name())
			}
			s.Designs = append(s.Designs, d)
		}
	}
	return nil
}

// outcomes validates the outcomes a check requires.
func (p *parser) outcomes(idx int, c *Check, s *Spec) error {
	for _, key := range []string{"holds", "violated"} {
		list := c.Holds
		if key == "violated" {
			list = c.Violated
		}
		for _, pr := range list {
			if !slices.Contains(model.PropertyOrder(), pr) {
				return p.errf("check", idx, key, "unknown property %q (want one of %s)", pr, strings.Join(model.PropertyOrder(), ", "))
			}
			if key == "violated" && slices.Contains(c.Holds, pr) {
				return p.errf("check", idx, key, "property %s is required both to hold and to be violated", pr)
			}
		}
	}
	s.Holds, s.Violated = c.Holds, c.Violated
	if len(c.Bounds) > maxBounds {
		return p.errf("check", idx, "bounds", "%d bounds: at most %d a check", len(c.Bounds), maxBounds)
	}
	for _, text := range c.Bounds {
		b, err := properties.ParseBound(text)
		if err != nil {
			return p.errf("check", idx, "bounds", "%v", err)
		}
		s.Bounds = append(s.Bounds, b)
		s.BoundText = append(s.BoundText, b.String())
	}
	if err := p.everyK(idx, c, s); err != nil {
		return err
	}
	if len(s.Holds)+len(s.Violated)+len(s.Bounds)+len(s.HoldsEveryK)+len(s.BoundedEveryK)+len(s.UnboundedEveryK) == 0 {
		return p.errf("check", idx, "", "requires nothing: give holds, violated, bounds, holds_every_k, bounded_every_k or unbounded_every_k")
	}
	return nil
}

// everyK validates the outcomes for every K.
func (p *parser) everyK(idx int, c *Check, s *Spec) error {
	for _, pr := range c.HoldsEveryK {
		if pr != model.PropNoStuck && pr != model.PropGracePeriod {
			return p.errf("check", idx, "holds_every_k", "%q: want NoStuck or GracePeriod (the invariants the counter abstraction decides)", pr)
		}
	}
	metrics := []string{model.MetricPages, model.MetricPending, model.MetricReserve}
	for _, key := range []string{"bounded_every_k", "unbounded_every_k"} {
		list := c.BoundedEveryK
		if key == "unbounded_every_k" {
			list = c.UnboundedEveryK
		}
		for _, mt := range list {
			if !slices.Contains(metrics, mt) {
				return p.errf("check", idx, key, "%q: want pages, pending or reserve_used", mt)
			}
			if key == "unbounded_every_k" && slices.Contains(c.BoundedEveryK, mt) {
				return p.errf("check", idx, key, "%s is required both bounded and unbounded", mt)
			}
		}
	}
	s.HoldsEveryK, s.BoundedEveryK, s.UnboundedEveryK = c.HoldsEveryK, c.BoundedEveryK, c.UnboundedEveryK
	if len(s.HoldsEveryK)+len(s.BoundedEveryK)+len(s.UnboundedEveryK) == 0 {
		return nil
	}
	key := "holds_every_k"
	if len(c.HoldsEveryK) == 0 {
		key = "bounded_every_k"
		if len(c.BoundedEveryK) == 0 {
			key = "unbounded_every_k"
		}
	}
	for _, d := range s.Designs {
		if !bound.AbstractionCovers(d) {
			return p.errf("check", idx, key, "design %s: outcomes for every K are decided only for designs the counter abstraction covers: the specification's (%s) and recombinations of their policies", d.Name(), strings.Join(model.DesignNames(), ", "))
		}
	}
	return nil
}

// points expands the grid of a check and checks every row can be built.
func (p *parser) points(idx int, c *Check, def *Check, s *Spec) error {
	points, key, err := expand(def.Grid, c.Grid)
	if err != nil {
		table, ti := "check", idx
		if len(*c.Grid.field(key)) == 0 {
			table, ti = "defaults", 0
		}
		return p.errf(table, ti, key, "%v", err)
	}
	if len(points)*len(s.Designs) > maxGridPoints {
		return p.errf("check", idx, "designs", "%d designs x %d grid points is more than %d rows", len(s.Designs), len(points), maxGridPoints)
	}
	seen := map[model.Params]bool{}
	for _, pt := range points {
		for _, d := range s.Designs {
			if _, err := model.New(d, pt); err != nil {
				return p.errf("check", idx, "designs", "design %s at %s: %v", d.Name(), pt, err)
			}
			if q := model.Normalize(d, pt); !seen[q] {
				seen[q] = true
			} else {
				continue
			}
			for _, b := range s.Bounds {
				if err := b.Validate(model.Normalize(d, pt)); err != nil {
					return p.errf("check", idx, "bounds", "design %s at %s: %v", d.Name(), pt, err)
				}
			}
		}
	}
	s.Points = points
	return nil
}

// settleLimits sets s's limits: the check's, else the defaults'.
func (p *parser) settleLimits(c, def Limits, s *Spec) {
	pick := func(a, b *uint64) uint64 {
		if a != nil {
			return *a
		}
		if b != nil {
			return *b
		}
		return 0
	}
	s.MaxStates = pick(c.MaxStates, def.MaxStates)
	s.MaxMemory = pick(c.MaxMemMiB, def.MaxMemMiB) << 20 // at most 2^40 MiB: no overflow
	for _, d := range []*time.Duration{def.Timeout, c.Timeout} {
		if d != nil {
			s.Timeout = *d
		}
	}
	for _, w := range []*int{def.Workers, c.Workers} {
		if w != nil {
			s.Workers = *w
		}
	}
	for _, f := range []*bool{def.Fingerprint, c.Fingerprint} {
		if f != nil {
			s.Fingerprint = *f
		}
	}
}

func (g *Grid) field(key string) *Ints {
	switch key {
	case "cpus":
		return &g.CPUs
	case "bulk":
		return &g.Bulk
	case "cache":
		return &g.Cache
	case "reserve":
		return &g.Reserve
	case "calls":
		return &g.Calls
	}
	return &g.Limit
}

// expand returns the product of the grid, each parameter from the check,
// else the defaults, else model.DefaultParams. On error it names the key.
func expand(def, g Grid) ([]model.Params, string, error) {
	base := model.DefaultParams()
	points := []model.Params{{}}
	for _, key := range model.ParamNames() {
		vals := *g.field(key)
		if len(vals) == 0 {
			vals = *def.field(key)
		}
		if len(vals) == 0 {
			vals = Ints{*base.Field(key)}
		}
		for i, v := range vals {
			if slices.Contains(vals[:i], v) {
				return nil, key, fmt.Errorf("%d is listed twice", v)
			}
		}
		if len(points)*len(vals) > maxGridPoints {
			return nil, key, fmt.Errorf("the grid has more than %d points", maxGridPoints)
		}
		var next []model.Params
		for _, p := range points {
			for _, v := range vals {
				q := p
				*q.Field(key) = v
				next = append(next, q)
			}
		}
		points = next
	}
	for _, p := range points {
		if err := p.Validate(); err != nil {
			key, _, _ := strings.Cut(err.Error(), " ")
			return nil, key, err
		}
	}
	return points, "", nil
}

// tomlKind names the TOML type of a decoded value, as a gate file's author
// wrote it.
func tomlKind(v any) string {
	switch x := v.(type) {
	case int64:
		return "an integer (" + strconv.FormatInt(x, 10) + ")"
	case float64:
		return "a float (" + strconv.FormatFloat(x, 'g', -1, 64) + ")"
	case string:
		return "a string (" + strconv.Quote(x) + ")"
	case bool:
		return "a boolean (" + strconv.FormatBool(x) + ")"
	case []any, []map[string]any:
		return "a list"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date or time"
	}
	return "a value of another kind"
}

func asString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", tomlKind(v))
	}
	return s, nil
}

func asInt(v any) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("want an integer, got %s", tomlKind(v))
	}
	return n, nil
}

// asList returns the values of a list, refusing one longer than maxListLen.
func asList(v any, want string) ([]any, error) {
	xs, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want %s, got %s", want, tomlKind(v))
	}
	if len(xs) > maxListLen {
		return nil, fmt.Errorf("the list has %d values: at most %d", len(xs), maxListLen)
	}
	return xs, nil
}

// asStrings reads a list of strings.
func asStrings(v any) ([]string, error) {
	xs, err := asList(v, "a list of strings")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(xs))
	for i, x := range xs {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("value %d of the list: want a string, got %s", i+1, tomlKind(x))
		}
		out = append(out, s)
	}
	return out, nil
}

// asInts reads an integer or a non-empty list of integers.
func asInts(v any) (Ints, error) {
	if n, ok := v.(int64); ok {
		return Ints{clampInt(n)}, nil
	}
	xs, err := asList(v, "an integer or a list of integers")
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		return nil, errors.New("empty list: give at least one value")
	}
	out := make(Ints, 0, len(xs))
	for i, x := range xs {
		n, ok := x.(int64)
		if !ok {
			return nil, fmt.Errorf("value %d of the list: want an integer, got %s", i+1, tomlKind(x))
		}
		out = append(out, clampInt(n))
	}
	return out, nil
}

// clampInt keeps n in int's range (saturating, on 32-bit systems):
// model.Params.Validate then refuses it by value.
func clampInt(n int64) int {
	return int(max(min(n, math.MaxInt), math.MinInt))
}

var durationRE = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`)

// asDuration reads a duration such as "90s", from 0 to maxTimeout.
func asDuration(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("want a duration in a string such as \"90s\" or \"5m\", got %s", tomlKind(v))
	}
	d, err := time.ParseDuration(s)
	switch {
	case strings.HasPrefix(s, "-"):
		return 0, fmt.Errorf("%q is negative: want 0 (no limit) to %s", s, maxTimeout)
	case err != nil || !durationRE.MatchString(s):
		return 0, fmt.Errorf("%q is not a duration such as \"90s\" or \"5m\"", s)
	case d > maxTimeout:
		return 0, fmt.Errorf("%q is out of range: want 0 (no limit) to %s", s, maxTimeout)
	}
	return d, nil
}

// locator finds the line of a key in a TOML source written one key a line,
// as gate files are: the TOML decoder reports lines of syntax errors only.
type locator struct {
	lines []string
}

func newLocator(src []byte) *locator {
	return &locator{lines: strings.Split(string(src), "\n")}
}

// header returns the line (1-based) of the header of table ("defaults") or
// of the idx-th [[check]]; 0 when absent.
func (l *locator) header(table string, idx int) int {
	n := 0
	for i, ln := range l.lines {
		t := strings.TrimSpace(ln)
		switch {
		case table == "check" && strings.HasPrefix(t, "[[") && tableName(t) == "check":
			if n == idx {
				return i + 1
			}
			n++
		case table != "check" && strings.HasPrefix(t, "[") && !strings.HasPrefix(t, "[[") && tableName(t) == table:
			return i + 1
		}
	}
	return 0
}

// tableName returns the name in a table header line, without a comment.
func tableName(t string) string {
	t, _, _ = strings.Cut(t, "#")
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(t), "[]"))
}

// checkAt returns the index of the [[check]] that holds line n (1-based).
func (l *locator) checkAt(n int) int {
	idx := -1
	for i := 0; i < len(l.lines) && i < n; i++ {
		t := strings.TrimSpace(l.lines[i])
		if strings.HasPrefix(t, "[[") && tableName(t) == "check" {
			idx++
		}
	}
	return max(idx, 0)
}

// line returns the line of key in the table's section (table "" is the top
// level), else the table's header line.
func (l *locator) line(table string, idx int, key string) int {
	start := 0
	if table != "" {
		start = l.header(table, idx)
		if start == 0 {
			return 0
		}
	}
	if key == "" {
		return start
	}
	for i := start; i < len(l.lines); i++ {
		t := strings.TrimSpace(l.lines[i])
		if strings.HasPrefix(t, "[") {
			if table == "" && (tableName(t) == key) {
				return i + 1
			}
			if table != "" {
				break
			}
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(k), `"'`) == key {
			return i + 1
		}
	}
	return start
}
