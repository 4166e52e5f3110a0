package hunt

import (
	"fmt"
	"math"
	"strings"
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
		r.SlopeErr = r.SlopeSpread / math.Sqrt(float64(len(r.Slopes)))
	}
	r.Noisy = len(r.Slopes) > 1 && r.Slope < 3*r.SlopeErr
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

// verdict says in one line what the hunt found, and FitNote how the fit
// stands to it: with a witness the verdict rests on the witness, and the
// note says so whenever the fit does not show the same linear growth.
func (r *Result) verdict() {
	last := 0
	if len(r.Points) > 0 {
		last = r.Points[len(r.Points)-1].Calls
	}
	fit := fmt.Sprintf("slope %.4g +- %.2g (standard error over %d seeds)", r.Slope, r.SlopeErr, len(r.Slopes))
	switch {
	case r.Witness != nil:
		w := r.Witness
		r.Verdict = fmt.Sprintf("unbounded (grows ~ %.4g*K): a repeating part of a worst schedule, +%d %s per repetition, replayed %d times pumped on the real model: %s %v",
			r.GrowthPerCall, w.Gain, r.Metric, len(w.Replay)-1, r.Metric, w.Replay)
		if !w.Fair {
			r.Verdict += "; the cycle is not weakly fair: it starves " + starved(w.Starved)
		}
		switch {
		case r.Fit == FitLinear && !r.Noisy:
			r.FitNote = fmt.Sprintf("%s, as the witness: %s", r.Fit, fit)
		case r.Noisy:
			r.FitNote = fmt.Sprintf("%s (noisy: %s; the verdict rests on the replayed witness)", r.Fit, fit)
		default:
			r.FitNote = fmt.Sprintf("%s (the worst values drawn do not show the witness's linear growth: %s; the verdict rests on the replayed witness)", r.Fit, fit)
		}
	case r.Fit != FitConstant:
		r.Verdict = fmt.Sprintf("no unbounded growth of %s found up to K = %d: the worst values drawn rise (%s fit, ~%.4g*K) but no repeating part of a worst schedule replays pumped on the real model (growth not shown)", r.Metric, last, r.Fit, r.Slope)
		r.FitNote = fmt.Sprintf("%s: %s; no witness: the fit alone shows no unbounded growth", r.Fit, fit)
	default:
		r.Verdict = fmt.Sprintf("no growth of %s found up to K = %d", r.Metric, last)
		r.FitNote = fmt.Sprintf("%s: %s", r.Fit, fit)
	}
}

// starved names the first four starved workers and counts the others.
func starved(names []string) string {
	if len(names) <= 4 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:4], ", "), len(names)-4)
}
