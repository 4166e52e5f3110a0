package traces

import (
	"math"
	"slices"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// exactValues is how many values a distAcc keeps exactly: its quantiles
// are exact up to this many values (every capture of
// ../shared/data/kernel-traces is below it), then read from an HDR
// histogram with 3 significant digits, in constant memory.
const exactValues = 1 << 16

// distAcc accumulates a distribution of values in units of 1/scale (ns for
// latencies in ms: scale 1e6) in bounded memory.
type distAcc struct {
	scale    float64
	n        int
	sum      float64
	min, max int64
	vals     []int64
	hist     *hdrhistogram.Histogram
}

func newDistAcc(scale float64) *distAcc { return &distAcc{scale: scale} }

// add records the value v (in units of 1/scale).
func (d *distAcc) add(v int64) {
	if d.n == 0 || v < d.min {
		d.min = v
	}
	if d.n == 0 || v > d.max {
		d.max = v
	}
	d.n++
	d.sum += float64(v)
	if d.hist == nil {
		d.vals = append(d.vals, v)
		if len(d.vals) <= exactValues {
			return
		}
		d.hist = hdrhistogram.New(0, math.MaxInt64/4, 3)
		for _, x := range d.vals {
			d.record(x)
		}
		d.vals = nil
		return
	}
	d.record(v)
}

func (d *distAcc) record(v int64) {
	// Values outside the histogram's range (negative latencies of a capture
	// with reordered clocks) are clamped; min and max stay exact.
	_ = d.hist.RecordValue(min(max(v, 0), d.hist.HighestTrackableValue()))
}

// dist returns the summary: exact while few values were added.
func (d *distAcc) dist() Dist {
	if d.n == 0 {
		return Dist{}
	}
	f := func(v int64) float64 { return float64(v) / d.scale }
	out := Dist{N: d.n, Min: f(d.min), Max: f(d.max), Mean: d.sum / d.scale / float64(d.n)}
	if d.hist == nil {
		s := slices.Clone(d.vals)
		slices.Sort(s)
		var sum float64 // as distOf summed them: in order, after scaling
		for _, v := range s {
			sum += f(v)
		}
		q := func(p float64) float64 { return f(s[min(len(s)-1, int(p*float64(len(s))))]) }
		out.P50, out.P99, out.Mean = q(0.5), q(0.99), sum/float64(len(s))
		return out
	}
	out.P50, out.P99 = f(d.hist.ValueAtQuantile(50)), f(d.hist.ValueAtQuantile(99))
	return out
}
