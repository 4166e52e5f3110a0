package properties

import (
	"github.com/rcucheck/rcucheck/model"
)

// Report is a Result in the form "rcucheck fuzz --json" prints. It holds
// no wall-clock figure, so the same seed and run count give the same bytes.
type Report struct {
	Design      string                    `json:"design"`
	Params      *model.Params             `json:"params,omitempty"` // omitted with gen_params
	GenParams   bool                      `json:"gen_params"`
	Profile     string                    `json:"profile"`
	Seed        int64                     `json:"seed"`
	Runs        int                       `json:"runs"`
	Steps       uint64                    `json:"steps"`
	MaxSteps    int                       `json:"max_steps"`
	Complete    bool                      `json:"complete"`
	StopReason  string                    `json:"stop_reason"`
	Properties  map[string]PropertyReport `json:"properties"`
	Order       []string                  `json:"property_order"`
	Allocations *AllocReport              `json:"allocations,omitempty"`
}

// PropertyReport is one property of a Report.
type PropertyReport struct {
	Holds          bool              `json:"holds"`
	Verdict        string            `json:"verdict"` // "violated" or "no violation found"
	FirstRun       *int              `json:"first_run,omitempty"`
	ViolatingRuns  int               `json:"violating_runs"`
	Run            *int              `json:"run,omitempty"`      // the run of the reported witness
	RunSeed        *uint64           `json:"run_seed,omitempty"` // its seed
	RunProfile     string            `json:"run_profile,omitempty"`
	Params         *model.Params     `json:"params,omitempty"` // the witness's parameters
	Length         int               `json:"length,omitempty"`
	UnshrunkLength int               `json:"unshrunk_length,omitempty"`
	Shortest       *int              `json:"shortest,omitempty"` // the exhaustive shortest, when computed
	ShrinkReplays  int               `json:"shrink_replays,omitempty"`
	Shrinks        int               `json:"shrinks,omitempty"` // gopter's accepted shrinks
	Rerun          string            `json:"rerun,omitempty"`   // the command that runs the witness's run alone
	Trace          []model.TraceStep `json:"trace,omitempty"`
}

// AllocReport is MeasureAllocations's outcome in a Report.
type AllocReport struct {
	Profile       string  `json:"profile"`
	Runs          int     `json:"runs"`
	Frees         int     `json:"frees_per_run"`
	PagesPerFree  Spread  `json:"pages_per_free"`
	FreesPerPage  float64 `json:"frees_per_page"`
	AllocsPerFree Spread  `json:"allocs_per_free"`
	FreesPerAlloc float64 `json:"frees_per_alloc"`
	// PagesPerFreeB is PagesPerFree's mean times B: 1 when every bulk page
	// is full.
	PagesPerFreeB float64   `json:"pages_per_free_times_b"`
	Flow          AllocFlow `json:"flow"`
	// Kernel are the real kernel's figures from its bulk capture (or why
	// there are none), Comparison whether and why they differ.
	Kernel     *KernelAllocs     `json:"kernel,omitempty"`
	Comparison *KernelComparison `json:"comparison,omitempty"`
}

// Report converts a Result (and optional allocation figures) to its JSON
// form; withStates adds the full state after every witness step.
func (r *Result) Report(alloc *AllocStats, withStates bool) (*Report, error) {
	rep := &Report{
		Design: r.Design, GenParams: r.GenParams, Profile: r.Profile, Seed: r.Seed,
		Runs: r.Runs, Steps: r.Steps, MaxSteps: r.MaxSteps, Complete: r.Complete, StopReason: r.StopReason,
		Properties: map[string]PropertyReport{},
	}
	if !r.GenParams {
		p := r.Params
		rep.Params = &p
	}
	for _, pr := range r.Props {
		rep.Order = append(rep.Order, pr.Name)
		out := PropertyReport{Holds: pr.Holds, Verdict: "no violation found", ViolatingRuns: pr.ViolatingRuns}
		if w := pr.Witness; w != nil {
			out.Verdict = "violated"
			first, run, seed, params := pr.FirstRun, w.Run, w.RunSeed, w.Params
			out.FirstRun, out.Run, out.RunSeed, out.Params = &first, &run, &seed, &params
			out.RunProfile = w.Profile
			out.Length, out.UnshrunkLength, out.ShrinkReplays = len(w.Actions), w.UnshrunkLength, w.ShrinkReplays
			out.Shrinks, out.Rerun = w.Shrinks, RerunLine(w)
			if w.Shortest >= 0 {
				n := w.Shortest
				out.Shortest = &n
			}
			steps, err := w.Steps(withStates)
			if err != nil {
				return nil, err
			}
			out.Trace = steps
		}
		rep.Properties[pr.Name] = out
	}
	if alloc != nil {
		rep.Allocations = &AllocReport{
			Profile: "heavy", Runs: alloc.Runs, Frees: alloc.Frees,
			PagesPerFree: alloc.PagesPerFree, FreesPerPage: finite(alloc.PagesPerFree.FreesPer()),
			AllocsPerFree: alloc.AllocsPerFree, FreesPerAlloc: finite(alloc.AllocsPerFree.FreesPer()),
			PagesPerFreeB: alloc.PagesPerFree.Mean * float64(alloc.Params.Bulk), Flow: alloc.Flow,
		}
	}
	return rep, nil
}

// finite maps +Inf (no page at all) to 0 for JSON, which has no infinity.
func finite(x float64) float64 {
	if x > 1e300 {
		return 0
	}
	return x
}
