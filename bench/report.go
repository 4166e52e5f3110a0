// Package bench times rcucheck against SPIN on the same instance: it runs
// rcucheck's exploration in child processes ("rcucheck bench
// --engine-only", so that its peak memory is measured the way SPIN's is),
// compiles and runs SPIN's verifier in each storage setting, alternates the
// tools over several rounds and reports medians, a check that every exact
// setting found the same counts, and speed and memory ratios. It also
// times rcucheck alone on instances of growing size (Scaling).
package bench

import (
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"

	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/spin"
)

// Sample is one timed run.
type Sample struct {
	States        uint64  `json:"states"`
	Transitions   uint64  `json:"transitions"`
	Depth         int     `json:"depth"`
	Seconds       float64 `json:"seconds"`
	StatesPerSec  float64 `json:"states_per_sec"`
	PeakRSS       uint64  `json:"peak_rss_bytes"`
	BytesPerState float64 `json:"bytes_per_state"`
	OmissionBound float64 `json:"omission_bound,omitempty"`
	// Rounded: SPIN printed the counts with 8 significant digits.
	Rounded bool `json:"rounded,omitempty"`
}

// NewSample is the sample of a run that found states and trans in sec
// seconds with a peak resident size of rss bytes.
func NewSample(states, trans uint64, depth int, sec float64, rss uint64, omission float64) Sample {
	s := Sample{States: states, Transitions: trans, Depth: depth, Seconds: sec, PeakRSS: rss, OmissionBound: omission}
	if sec > 0 {
		s.StatesPerSec = float64(states) / sec
	}
	if states > 0 {
		s.BytesPerState = float64(rss) / float64(states)
	}
	return s
}

// sameCounts compares the counts of two samples, to pan's 8 significant
// digits when one of them comes from pan's rounded output (SPIN counts one
// transition more, into the initial state).
func sameCounts(a, b Sample) bool {
	if a.Rounded || b.Rounded {
		return spin.RoundCount(a.States) == spin.RoundCount(b.States) &&
			spin.RoundCount(a.Transitions+1) == spin.RoundCount(b.Transitions+1)
	}
	return a.States == b.States && a.Transitions == b.Transitions
}

// Setting is one configuration the bench times.
type Setting struct {
	Tool    string `json:"tool"`
	Setting string `json:"setting"`
	Command string `json:"command"`
	Exact   bool   `json:"exact"`

	run func() (Sample, error)

	Samples []Sample `json:"samples"`
	Median  Sample   `json:"median"`
}

// Report is the bench's result (its JSON output).
type Report struct {
	Design      string       `json:"design"`
	Params      model.Params `json:"params"`
	Runs        int          `json:"runs"`
	Settings    []*Setting   `json:"settings"`
	CountsAgree bool         `json:"counts_agree"`
	Ratios      []Ratio      `json:"ratios"`
	Complete    bool         `json:"complete"`
}

// Ratio compares an rcucheck setting with a SPIN setting: the ratios of
// their medians, and the range of the states/s ratio over the rounds (the
// two tools' k-th runs, which ran one after the other), which shows how
// far the host's drift moves it.
type Ratio struct {
	Rcucheck        string  `json:"rcucheck"`
	Spin            string  `json:"spin"`
	StatesPerSec    float64 `json:"states_per_sec_ratio"`
	BytesPerState   float64 `json:"bytes_per_state_ratio"`
	StatesPerSecMin float64 `json:"states_per_sec_ratio_min"`
	StatesPerSecMax float64 `json:"states_per_sec_ratio_max"`
}

// roundRange returns the least and the largest ratio of a's states/s to
// b's over the rounds both ran.
func roundRange(a, b []Sample) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for k := range min(len(a), len(b)) {
		if b[k].StatesPerSec == 0 {
			continue
		}
		q := a[k].StatesPerSec / b[k].StatesPerSec
		lo, hi = min(lo, q), max(hi, q)
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianOf is the median sample: the counts of the first, the median of
// each measured figure.
func medianOf(samples []Sample) Sample {
	var sec, sps, bps, rss []float64
	for _, x := range samples {
		sec = append(sec, x.Seconds)
		sps = append(sps, x.StatesPerSec)
		bps = append(bps, x.BytesPerState)
		rss = append(rss, float64(x.PeakRSS))
	}
	m := samples[0]
	m.Seconds, m.StatesPerSec, m.BytesPerState = median(sec), median(sps), median(bps)
	m.PeakRSS = uint64(median(rss))
	return m
}

// Summarise computes medians, the count check and the ratios.
func (r *Report) Summarise() {
	r.CountsAgree = true
	var ref *Sample
	for _, s := range r.Settings {
		if len(s.Samples) == 0 {
			continue
		}
		s.Median = medianOf(s.Samples)
		for _, x := range s.Samples {
			if !sameCounts(x, s.Samples[0]) {
				r.CountsAgree = false
			}
		}
		if !s.Exact {
			continue
		}
		if ref == nil {
			ref = &s.Median
		} else if !sameCounts(s.Median, *ref) {
			r.CountsAgree = false
		}
	}
	r.Ratios = nil
	for _, a := range r.Settings {
		if a.Tool != "rcucheck" || len(a.Samples) == 0 {
			continue
		}
		for _, b := range r.Settings {
			if b.Tool != "spin" || len(b.Samples) == 0 || b.Median.StatesPerSec == 0 || b.Median.BytesPerState == 0 {
				continue
			}
			q := Ratio{
				Rcucheck: a.Setting, Spin: b.Setting,
				StatesPerSec:  a.Median.StatesPerSec / b.Median.StatesPerSec,
				BytesPerState: a.Median.BytesPerState / b.Median.BytesPerState,
			}
			q.StatesPerSecMin, q.StatesPerSecMax = roundRange(a.Samples, b.Samples)
			r.Ratios = append(r.Ratios, q)
		}
	}
}

// Print writes the report as text: the table of medians, what the lossy
// settings lost, the count check, the ratios and the commands.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "rcucheck bench: design %s, %s; %d runs per setting, tools alternating, medians\n\n", r.Design, r.Params, r.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tool\tsetting\tstates\ttransitions\tdepth\tseconds\tstates/s\tpeak MiB\tbytes/state\t")
	for _, s := range r.Settings {
		if len(s.Samples) == 0 {
			continue
		}
		x := s.Median
		depth := fmt.Sprint(x.Depth)
		if s.Tool == "spin" {
			depth = "(dfs)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.2f\t%.0f\t%.0f\t%.1f\t\n", s.Tool, s.Setting, x.States, x.Transitions, depth,
			x.Seconds, x.StatesPerSec, float64(x.PeakRSS)/(1<<20), x.BytesPerState)
	}
	tw.Flush()
	fmt.Fprintln(w)
	r.printLosses(w)
	if r.CountsAgree {
		fmt.Fprintln(w, "counts: every exact setting of both tools found the same states and transitions")
	} else {
		fmt.Fprintln(w, "counts: MISMATCH between exact settings (see the table)")
	}
	fmt.Fprintln(w, "\nratios (rcucheck / SPIN; states/s higher is better, bytes/state lower is better):")
	for _, q := range r.Ratios {
		rounds := ""
		if r.Runs > 1 {
			rounds = fmt.Sprintf(" (rounds x%.2f to x%.2f)", q.StatesPerSecMin, q.StatesPerSecMax)
		}
		fmt.Fprintf(w, "  %-28s vs spin %-9s states/s x%.2f%s  bytes/state x%.2f\n", q.Rcucheck, q.Spin, q.StatesPerSec, rounds, q.BytesPerState)
	}
	fmt.Fprintln(w, "\ncommands:")
	for _, s := range r.Settings {
		fmt.Fprintf(w, "  %s %s: %s\n", s.Tool, s.Setting, s.Command)
	}
	if !r.Complete {
		fmt.Fprintln(w, "\nINCOMPLETE: not every run finished")
	}
}

// printLosses says what each lossy setting may have missed, and which
// counts pan rounded.
func (r *Report) printLosses(w io.Writer) {
	var ref Sample
	for _, s := range r.Settings {
		if s.Tool == "rcucheck" && s.Exact && len(s.Samples) > 0 {
			ref = s.Median
		}
	}
	for _, s := range r.Settings {
		if len(s.Samples) == 0 {
			continue
		}
		switch {
		case s.Tool == "rcucheck" && !s.Exact:
			fmt.Fprintf(w, "%s %s: probability that a fingerprint collision hid a state <= %.2g\n", s.Tool, s.Setting, s.Median.OmissionBound)
		case s.Tool == "spin" && !s.Exact && ref.States > 0:
			fmt.Fprintf(w, "spin %s: stored %d of the %d states (%d lost to hash compaction)\n", s.Setting, s.Median.States, ref.States, int64(ref.States)-int64(s.Median.States))
		}
	}
	for _, s := range r.Settings {
		if len(s.Samples) > 0 && s.Median.Rounded {
			fmt.Fprintf(w, "spin %s: pan printed its counts rounded to 8 significant digits; they are compared at that precision\n", s.Setting)
		}
	}
}
