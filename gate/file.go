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
//	timeout = "60s"
//
//	[[check]]
//	name = "safe designs"
//	designs = ["head", "sync"]
//	cpus = [1, 2]
//	holds = ["NoStuck", "GracePeriod", "Drainable"]
//	violated = []                   # properties that must be violated (a known bug)
//	bounds = ["reserve_used <= 2*N", "pages <= N*(C + 2 + K)"]
//
// Every design x grid point of a check is a row. A row passes when every
// property in holds holds, every property in violated is violated, and every
// bound holds in every reachable state (bounds use the grammar of
// properties.ParseBound: the metrics pages, pending, reserve_used and the
// parameters N B C R K L). A failing row carries the shortest
// counterexample.
//
// Two outcomes speak of every K, the workload bound, and are decided by
// package bound for the specification's five designs: holds_every_k
// (NoStuck, GracePeriod: proved on bound's counter abstraction) and
// bounded_every_k (pages, pending, reserve_used: the abstraction's exact
// maximum, or a pumping cycle from bound.FindWitness showing growth), and
// unbounded_every_k, its opposite (a pumping cycle is required). They
// make one row per design and grid point with K left out (K printed 0).
package gate

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

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
	return b.String()
}

// Ints is a parameter that takes one value or a list of values.
type Ints []int

// UnmarshalTOML reads an integer or an array of integers.
func (v *Ints) UnmarshalTOML(data any) error {
	switch d := data.(type) {
	case int64:
		*v = Ints{int(d)}
		return nil
	case []any:
		if len(d) == 0 {
			return fmt.Errorf("empty list: give at least one value")
		}
		out := make(Ints, 0, len(d))
		for _, x := range d {
			n, ok := x.(int64)
			if !ok {
				return fmt.Errorf("list holds %v (%T): want integers", x, x)
			}
			out = append(out, int(n))
		}
		*v = out
		return nil
	}
	return fmt.Errorf("got %v (%T): want an integer or a list of integers", data, data)
}

// Grid is the parameters of a check: each a value or a list. An unset
// parameter takes the defaults' value, else model.DefaultParams's.
type Grid struct {
	CPUs    Ints `toml:"cpus"`
	Bulk    Ints `toml:"bulk"`
	Cache   Ints `toml:"cache"`
	Reserve Ints `toml:"reserve"`
	Calls   Ints `toml:"calls"`
	Limit   Ints `toml:"limit"`
}

// Limits bound each run of a check.
type Limits struct {
	MaxStates uint64 `toml:"max_states"`
	MaxMemMiB uint64 `toml:"max_memory"`
	Timeout   string `toml:"timeout"`
}

// Defaults are the [defaults] table.
type Defaults struct {
	Grid
	Limits
}

// Check is one [[check]] table as written.
type Check struct {
	Name     string   `toml:"name"`
	Designs  []string `toml:"designs"`
	Holds    []string `toml:"holds"`
	Violated []string `toml:"violated"`
	Bounds   []string `toml:"bounds"`
	// HoldsEveryK and BoundedEveryK are decided for an unbounded workload
	// by package bound (the spec's five designs only).
	HoldsEveryK   []string `toml:"holds_every_k"`
	BoundedEveryK []string `toml:"bounded_every_k"`
	// UnboundedEveryK: metrics that must grow with K (a pumping cycle).
	UnboundedEveryK []string `toml:"unbounded_every_k"`
	Grid
	Limits
}

// raw is the file as TOML decodes it.
type raw struct {
	Title    string   `toml:"title"`
	Defaults Defaults `toml:"defaults"`
	Checks   []Check  `toml:"check"`
}

// File is a parsed and validated gate file.
type File struct {
	Path   string
	Title  string
	Checks []*Spec
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
}

// maxGridPoints bounds the rows a check may expand to.
const maxGridPoints = 10000

// Load reads and validates the gate file at path; designs are looked up in reg.
func Load(path string, reg *model.Registry) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: err.Error()}
	}
	return Parse(path, src, reg)
}

// Parse validates the gate file src (named name in errors).
func Parse(name string, src []byte, reg *model.Registry) (*File, error) {
	var r raw
	md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&r)
	if err != nil {
		if pe, ok := err.(toml.ParseError); ok {
			msg := pe.Message
			if pe.LastKey != "" {
				msg = strings.TrimPrefix(msg, "toml: ")
			}
			return nil, &FileError{File: name, Line: pe.Position.Line, Field: pe.LastKey, Msg: msg}
		}
		return nil, &FileError{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	}
	loc := newLocator(src)
	ferr := func(table string, idx int, key, format string, args ...any) error {
		field := key
		if table == "check" {
			field = fmt.Sprintf("check[%d].%s", idx+1, key)
		} else if table != "" {
			field = table + "." + key
		}
		return &FileError{File: name, Line: loc.line(table, idx, key), Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		table, idx, key := "", 0, k.String()
		if len(k) >= 2 && (k[0] == "defaults" || k[0] == "check") {
			table, key = k[0], k[len(k)-1]
			if table == "check" {
				idx = loc.checkIndexOf(key, k)
			}
		}
		return nil, ferr(table, idx, key, "unknown field (want name, designs, holds, violated, bounds, holds_every_k, bounded_every_k, unbounded_every_k, cpus, bulk, cache, reserve, calls, limit, max_states, max_memory, timeout)")
	}
	if len(r.Checks) == 0 {
		return nil, &FileError{File: name, Msg: "no [[check]] table: a gate file lists at least one check"}
	}
	f := &File{Path: name, Title: r.Title}
	names := map[string]bool{}
	for i, c := range r.Checks {
		s := &Spec{Name: c.Name, Line: loc.header("check", i)}
		if c.Name == "" {
			return nil, &FileError{File: name, Line: s.Line, Field: fmt.Sprintf("check[%d].name", i+1), Msg: "missing: every check needs a name"}
		}
		if names[c.Name] {
			return nil, ferr("check", i, "name", "check %q is defined twice", c.Name)
		}
		names[c.Name] = true
		if len(c.Designs) == 0 {
			return nil, &FileError{File: name, Line: s.Line, Field: fmt.Sprintf("check[%d].designs", i+1), Msg: "missing: list at least one design"}
		}
		for _, dn := range c.Designs {
			if dn == "all" {
				s.Designs = append(s.Designs, model.Designs()...)
				continue
			}
			d, err := reg.Lookup(dn)
			if err != nil {
				return nil, ferr("check", i, "designs", "%v", err)
			}
			s.Designs = append(s.Designs, d)
		}
		for _, p := range append(append([]string(nil), c.Holds...), c.Violated...) {
			if !knownProperty(p) {
				key := "holds"
				if !contains(c.Holds, p) {
					key = "violated"
				}
				return nil, ferr("check", i, key, "unknown property %q (want one of %s)", p, strings.Join(model.PropertyOrder(), ", "))
			}
			if contains(c.Holds, p) && contains(c.Violated, p) {
				return nil, ferr("check", i, "violated", "property %s is required both to hold and to be violated", p)
			}
		}
		s.Holds, s.Violated = c.Holds, c.Violated
		for _, text := range c.Bounds {
			b, err := properties.ParseBound(text)
			if err != nil {
				return nil, ferr("check", i, "bounds", "%v", err)
			}
			s.Bounds = append(s.Bounds, b)
			s.BoundText = append(s.BoundText, b.String())
		}
		for _, p := range c.HoldsEveryK {
			if p != model.PropNoStuck && p != model.PropGracePeriod {
				return nil, ferr("check", i, "holds_every_k", "%q: want NoStuck or GracePeriod (the invariants the counter abstraction decides)", p)
			}
		}
		for _, mt := range c.BoundedEveryK {
			if mt != model.MetricPages && mt != model.MetricPending && mt != model.MetricReserve {
				return nil, ferr("check", i, "bounded_every_k", "%q: want pages, pending or reserve_used", mt)
			}
			if contains(c.UnboundedEveryK, mt) {
				return nil, ferr("check", i, "unbounded_every_k", "%s is required both bounded and unbounded", mt)
			}
		}
		for _, mt := range c.UnboundedEveryK {
			if mt != model.MetricPages && mt != model.MetricPending && mt != model.MetricReserve {
				return nil, ferr("check", i, "unbounded_every_k", "%q: want pages, pending or reserve_used", mt)
			}
		}
		if len(c.HoldsEveryK)+len(c.BoundedEveryK)+len(c.UnboundedEveryK) > 0 {
			for _, d := range s.Designs {
				if !specDesign(d) {
					key := "holds_every_k"
					if len(c.HoldsEveryK) == 0 {
						key = "bounded_every_k"
						if len(c.BoundedEveryK) == 0 {
							key = "unbounded_every_k"
						}
					}
					return nil, ferr("check", i, key, "design %s: outcomes for every K are decided only for the specification's designs (%s)", d.Name(), strings.Join(model.DesignNames(), ", "))
				}
			}
		}
		s.HoldsEveryK, s.BoundedEveryK, s.UnboundedEveryK = c.HoldsEveryK, c.BoundedEveryK, c.UnboundedEveryK
		if len(s.Holds)+len(s.Violated)+len(s.Bounds)+len(s.HoldsEveryK)+len(s.BoundedEveryK)+len(s.UnboundedEveryK) == 0 {
			return nil, &FileError{File: name, Line: s.Line, Field: fmt.Sprintf("check[%d]", i+1), Msg: "requires nothing: give holds, violated, bounds, holds_every_k, bounded_every_k or unbounded_every_k"}
		}
		points, key, err := expand(r.Defaults.Grid, c.Grid)
		if err != nil {
			table, idx := "check", i
			if len(fieldOf(c.Grid, key)) == 0 {
				table, idx = "defaults", 0
			}
			return nil, ferr(table, idx, key, "%v", err)
		}
		for _, p := range points {
			for _, d := range s.Designs {
				if _, err := model.New(d, p); err != nil {
					return nil, ferr("check", i, "designs", "design %s at %s: %v", d.Name(), p, err)
				}
				for _, b := range s.Bounds {
					if err := b.Validate(model.Normalize(d, p)); err != nil {
						return nil, ferr("check", i, "bounds", "design %s at %s: %v", d.Name(), p, err)
					}
				}
			}
		}
		s.Points = points
		lim := c.Limits
		if lim.MaxStates == 0 {
			lim.MaxStates = r.Defaults.MaxStates
		}
		if lim.MaxMemMiB == 0 {
			lim.MaxMemMiB = r.Defaults.MaxMemMiB
		}
		table, idx := "check", i
		if lim.Timeout == "" {
			lim.Timeout = r.Defaults.Timeout
			table, idx = "defaults", 0
		}
		if lim.Timeout != "" {
			d, err := time.ParseDuration(lim.Timeout)
			if err != nil || d < 0 {
				return nil, ferr(table, idx, "timeout", "%q is not a duration such as \"90s\" or \"5m\"", lim.Timeout)
			}
			s.Timeout = d
		}
		s.MaxStates, s.MaxMemory = lim.MaxStates, lim.MaxMemMiB<<20
		f.Checks = append(f.Checks, s)
	}
	return f, nil
}

// specDesign reports whether d is one of the specification's five designs,
// the ones package bound's counter abstraction is proved sound for.
func specDesign(d model.Design) bool {
	for _, s := range model.Designs() {
		if s == d {
			return true
		}
	}
	return false
}

func knownProperty(p string) bool { return contains(model.PropertyOrder(), p) }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func fieldOf(g Grid, key string) Ints {
	switch key {
	case "cpus":
		return g.CPUs
	case "bulk":
		return g.Bulk
	case "cache":
		return g.Cache
	case "reserve":
		return g.Reserve
	case "calls":
		return g.Calls
	case "limit":
		return g.Limit
	}
	return nil
}

// expand returns the product of the grid, each parameter from the check,
// else the defaults, else model.DefaultParams. On error it names the key.
func expand(def, g Grid) ([]model.Params, string, error) {
	base := model.DefaultParams()
	points := []model.Params{{}}
	for _, key := range model.ParamNames() {
		vals := fieldOf(g, key)
		if len(vals) == 0 {
			vals = fieldOf(def, key)
		}
		if len(vals) == 0 {
			vals = Ints{*base.Field(key)}
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

// locator finds the line of a key in a TOML source written one key a line,
// as gate files are: the TOML decoder reports lines of syntax and type
// errors only.
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
		case table == "check" && strings.HasPrefix(t, "[[") && strings.TrimSpace(strings.Trim(t, "[]")) == "check":
			if n == idx {
				return i + 1
			}
			n++
		case table != "check" && strings.HasPrefix(t, "[") && !strings.HasPrefix(t, "[[") && strings.TrimSpace(strings.Trim(t, "[]")) == table:
			return i + 1
		}
	}
	return 0
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
	for i := start; i < len(l.lines); i++ {
		t := strings.TrimSpace(l.lines[i])
		if strings.HasPrefix(t, "[") {
			break
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(k), `"'`) == key {
			return i + 1
		}
	}
	return start
}

// checkIndexOf finds which [[check]] holds the undecoded key k.
func (l *locator) checkIndexOf(key string, _ toml.Key) int {
	for idx := 0; ; idx++ {
		h := l.header("check", idx)
		if h == 0 {
			return 0
		}
		if ln := l.line("check", idx, key); ln != h {
			return idx
		}
	}
}
