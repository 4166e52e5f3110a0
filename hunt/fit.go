package hunt

import (
	"fmt"
	"math"
)

// The shapes a hunt fits to the worst values.
const (
	FitConstant    = "constant"
	FitLogarithmic = "logarithmic"
	FitLinear      = "linear"
)

// lsq fits y = a + b*x by least squares and returns a, b and the sum of
// squared residuals.
func lsq(xs, ys []float64) (a, b, sse float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	if d := n*sxx - sx*sx; d != 0 {
		b = (n*sxy - sx*sy) / d
	}
	a = (sy - b*sx) / n
	for i := range xs {
		r := ys[i] - a - b*xs[i]
		sse += r * r
	}
	return a, b, sse
}

// fit reads the shape of the worst values over K: constant when the
// linear fit rises by less than 2 over the whole range and the last value
// is not above the first by more than 1, or when the seeds' slopes do not
// tell growth from noise (their mean is within two standard errors of 0);
// else logarithmic or linear, whichever leaves the smaller squared
// residuals. The slope is the linear fit's, per seed, with its mean and
// standard deviation.
func (r *Result) fit() {
	r.Fit = FitConstant
	if len(r.Points) < 2 {
		return
	}
	ks, lnk, ys := make([]float64, len(r.Points)), make([]float64, len(r.Points)), make([]float64, len(r.Points))
	for i, p := range r.Points {
		ks[i], lnk[i], ys[i] = float64(p.Calls), math.Log(float64(p.Calls)), float64(p.Worst)
	}
	r.Slopes = r.Slopes[:0]
	for s := range r.Points[0].PerSeed {
		per := make([]float64, len(r.Points))
		for i, p := range r.Points {
			per[i] = float64(p.PerSeed[s])
		}
		_, b, _ := lsq(ks, per)
		r.Slopes = append(r.Slopes, b)
	}
	for _, b := range r.Slopes {
		r.Slope += b / float64(len(r.Slopes))
	}
	for _, b := range r.Slopes {
		r.SlopeSpread += (b - r.Slope) * (b - r.Slope)
	}
	if len(r.Slopes) > 1 {
		r.SlopeSpread = math.Sqrt(r.SlopeSpread / float64(len(r.Slopes)-1))
	}
	_, b, sseLin := lsq(ks, ys)
	_, _, sseLog := lsq(lnk, ys)
	last, first := r.Points[len(r.Points)-1], r.Points[0]
	switch {
	case b*(ks[len(ks)-1]-ks[0]) < 2 && last.Worst <= first.Worst+1:
	case len(r.Slopes) > 1 && r.Slope <= 2*r.SlopeSpread/math.Sqrt(float64(len(r.Slopes))):
	case sseLog < sseLin:
		r.Fit = FitLogarithmic
	default:
		r.Fit = FitLinear
	}
}

// verdict says in one line what the hunt found.
func (r *Result) verdict() {
	last := 0
	if len(r.Points) > 0 {
		last = r.Points[len(r.Points)-1].Calls
	}
	switch {
	case r.Witness != nil:
		r.Verdict = fmt.Sprintf("unbounded (grows ~ %.4g*K, %s fit; slope %.4g +- %.2g over %d seeds): a repeating part of a worst schedule replayed %d times pumped on the real model, %s %v, +%d per repetition",
			r.Slope, r.Fit, r.Slope, r.SlopeSpread, len(r.Slopes), len(r.Witness.Replay)-1, r.Metric, r.Witness.Replay, r.Witness.Gain)
	case r.Fit != FitConstant:
		r.Verdict = fmt.Sprintf("grows on the schedules drawn (%s fit, ~%.4g*K up to K = %d) but no repeating part of a worst schedule replayed pumped: growth not shown", r.Fit, r.Slope, last)
	default:
		r.Verdict = fmt.Sprintf("no growth of %s found up to K = %d", r.Metric, last)
	}
}
