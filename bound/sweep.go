package bound

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// SweepParams lists the parameters a sweep can vary.
func SweepParams() []string { return []string{"calls", "cpus", "bulk", "cache", "limit"} }

// MaxSweepPoints bounds the number of values of one sweep.
const MaxSweepPoints = 64

// Sweep is a parameter and the values it takes, as --sweep gives them:
// "calls=1..8" or "cpus=1,2,4".
type Sweep struct {
	Param  string `json:"param"`
	Values []int  `json:"values"`
}

// String formats the sweep as ParseSweep reads it.
func (s Sweep) String() string {
	if n := len(s.Values); n > 1 && s.Values[n-1]-s.Values[0] == n-1 {
		contiguous := true
		for i := 1; i < n; i++ {
			contiguous = contiguous && s.Values[i] == s.Values[i-1]+1
		}
		if contiguous {
			return fmt.Sprintf("%s=%d..%d", s.Param, s.Values[0], s.Values[n-1])
		}
	}
	parts := make([]string, len(s.Values))
	for i, v := range s.Values {
		parts[i] = strconv.Itoa(v)
	}
	return s.Param + "=" + strings.Join(parts, ",")
}

// ParseSweep reads "PARAM=A..B" or "PARAM=V1,V2,..." with PARAM one of
// SweepParams and increasing values (at most MaxSweepPoints of them).
func ParseSweep(text string) (Sweep, error) {
	name, spec, ok := strings.Cut(strings.TrimSpace(text), "=")
	if !ok {
		return Sweep{}, fmt.Errorf("sweep %q: want PARAM=A..B or PARAM=V1,V2 (PARAM one of %s)", text, strings.Join(SweepParams(), ", "))
	}
	name = strings.TrimSpace(name)
	known := false
	for _, p := range SweepParams() {
		known = known || p == name
	}
	if !known {
		return Sweep{}, fmt.Errorf("sweep %q: unknown parameter %q (want one of %s)", text, name, strings.Join(SweepParams(), ", "))
	}
	num := func(s string) (int, error) {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 0 || v > model.MaxCount {
			return 0, fmt.Errorf("sweep %q: bad value %q", text, strings.TrimSpace(s))
		}
		return v, nil
	}
	sw := Sweep{Param: name}
	if lo, hi, isRange := strings.Cut(spec, ".."); isRange {
		a, err := num(lo)
		if err != nil {
			return Sweep{}, err
		}
		b, err := num(hi)
		if err != nil {
			return Sweep{}, err
		}
		if b < a {
			return Sweep{}, fmt.Errorf("sweep %q: empty range %d..%d", text, a, b)
		}
		if b-a >= MaxSweepPoints {
			return Sweep{}, fmt.Errorf("sweep %q: %d points, at most %d", text, b-a+1, MaxSweepPoints)
		}
		for v := a; v <= b; v++ {
			sw.Values = append(sw.Values, v)
		}
		return sw, nil
	}
	for _, f := range strings.Split(spec, ",") {
		v, err := num(f)
		if err != nil {
			return Sweep{}, err
		}
		if n := len(sw.Values); n > 0 && v <= sw.Values[n-1] {
			return Sweep{}, fmt.Errorf("sweep %q: values must increase", text)
		}
		if len(sw.Values) == MaxSweepPoints {
			return Sweep{}, fmt.Errorf("sweep %q: more than %d points", text, MaxSweepPoints)
		}
		sw.Values = append(sw.Values, v)
	}
	return sw, nil
}

// Set returns p with the swept parameter set to v.
func (s Sweep) Set(p model.Params, v int) model.Params {
	if f := p.Field(s.Param); f != nil {
		*f = v
	}
	return p
}

// Validate builds the model of every point, so that a bad value is reported
// before any exploration.
func (s Sweep) Validate(d model.Design, base model.Params) error {
	for _, v := range s.Values {
		if _, err := model.New(d, s.Set(base, v)); err != nil {
			return fmt.Errorf("sweep %s at %s=%d: %w", s, s.Param, v, err)
		}
	}
	return nil
}

// RunSweep computes the Point of every value of s (the least reserve and
// the maxima). progress, when set, is called after every point.
func RunSweep(ctx context.Context, d model.Design, base model.Params, s Sweep, opt checker.Options, progress func(Point)) ([]Point, error) {
	return runSweep(ctx, d, base, s, opt, progress, nil)
}

// runSweep is RunSweep, telling rp about every run.
func runSweep(ctx context.Context, d model.Design, base model.Params, s Sweep, opt checker.Options, progress func(Point), rp RunProgress) ([]Point, error) {
	if err := s.Validate(d, base); err != nil {
		return nil, err
	}
	var pts []Point
	for _, v := range s.Values {
		pt, err := leastReserve(ctx, d, s.Set(base, v), opt, rp)
		if err != nil {
			return pts, err
		}
		pt.Value = v
		pts = append(pts, pt)
		if progress != nil {
			progress(pt)
		}
	}
	return pts, nil
}

// FigureOf returns the value of figure fig at pt.
func FigureOf(pt Point, fig string) int64 {
	switch fig {
	case FigureLeastReserve:
		return int64(pt.LeastReserve)
	case FigurePages:
		return pt.Max.Pages
	case FigurePending:
		return pt.Max.Pending
	}
	return pt.Max.ReserveUsed
}

// mulOver reports whether a*b (a, b >= 0) passes model.MaxCount.
func mulOver(a, b int) bool { return a > 0 && b > model.MaxCount/a }

// ValidateAnalysis reports, before any exploration, a point of the sweep
// that Analyze could not carry through within the model's bounds
// (model.MaxCount): the least-reserve search tries R up to N*K, the
// counter abstraction holds up to T*B objects per channel (T =
// Threshold at that R), and the witness search (WitnessLimit+1)*B.
func (s Sweep) ValidateAnalysis(d model.Design, base model.Params, opt Options) error {
	if err := s.Validate(d, base); err != nil {
		return err
	}
	opt.defaults()
	for _, v := range s.Values {
		p := model.Normalize(d, s.Set(base, v))
		if hasReserve(d) {
			if mulOver(p.CPUs, p.Calls) {
				return fmt.Errorf("sweep %s at %s=%d: the least-reserve search may try R up to N*K = %d*%d, more than %d", s, s.Param, v, p.CPUs, p.Calls, model.MaxCount)
			}
			p.Reserve = reserveCap(p) // the search sets R itself
		}
		if t := Threshold(p); !opt.NoProof && AbstractionCovers(d) && mulOver(t, p.Bulk) {
			return fmt.Errorf("sweep %s at %s=%d: the counter abstraction holds up to T*B = %d*%d objects per channel, more than %d (use --no-proof or smaller values)", s, s.Param, v, t, p.Bulk, model.MaxCount)
		}
		if mulOver(opt.WitnessLimit+1, p.Bulk) {
			return fmt.Errorf("sweep %s at %s=%d: the witness search holds up to (witness limit + 1)*B = %d*%d objects per channel, more than %d", s, s.Param, v, opt.WitnessLimit+1, p.Bulk, model.MaxCount)
		}
	}
	return nil
}
