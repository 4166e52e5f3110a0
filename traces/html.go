package traces

import (
	"fmt"
	"io"
	"time"

	"github.com/anishathalye/porcupine"
)

// VisualizeOptions bound a visualisation.
type VisualizeOptions struct {
	Window  int64         // as CheckOptions.Window
	Timeout time.Duration // for the verbose Porcupine run (0: none)
	// MaxObjects bounds the object partitions drawn (default 200): the
	// failing ones first, then the others in the order of their frees.
	MaxObjects int
	// Failed names objects to draw first (a Result's failures).
	Failed []string
}

// VisualizeInfo says what a visualisation shows.
type VisualizeInfo struct {
	Objects int    // partitions drawn
	Omitted int    // partitions left out by MaxObjects
	Verdict string // of the partitions drawn
}

// Visualize writes Porcupine's HTML visualisation of h's object partitions
// to w, annotated with the grace periods, the reclaims and, for model
// histories, the internal model steps.
func Visualize(h *History, opt VisualizeOptions, w io.Writer) (VisualizeInfo, error) {
	var vi VisualizeInfo
	c, err := prepare(h, opt.Window)
	if err != nil {
		return vi, err
	}
	if opt.MaxObjects <= 0 {
		opt.MaxObjects = 200
	}
	var objs []string
	seen := map[string]bool{}
	for _, o := range append(append([]string(nil), opt.Failed...), c.objOrder...) {
		if _, ok := c.frees[o]; !ok || seen[o] {
			continue
		}
		seen[o] = true
		if len(objs) < opt.MaxObjects {
			objs = append(objs, o)
		} else {
			vi.Omitted++
		}
	}
	var hist []porcupine.Operation
	for i, o := range objs {
		hist = c.porcupineOps(i, c.partition(o), hist)
	}
	vi.Objects = len(objs)
	pm := ContractModel(c.gpRequired)
	res, info := porcupine.CheckOperationsVerbose(pm, hist, opt.Timeout)
	switch res {
	case porcupine.Ok:
		vi.Verdict = Linearizable
	case porcupine.Illegal:
		vi.Verdict = NotLinearizable
	default:
		vi.Verdict = Unknown
	}
	info.AddAnnotations(c.annotations())
	if err := porcupine.Visualize(pm, info, w); err != nil {
		return vi, fmt.Errorf("writing the visualisation: %w", err)
	}
	return vi, nil
}

// annotations returns the grace periods, reclaims and model steps of the
// history as Porcupine annotations.
func (c *contract) annotations() []porcupine.Annotation {
	var out []porcupine.Annotation
	starts := map[int64]*cop{}
	for _, i := range c.gpOps {
		o := &c.ops[i]
		if o.kind == kGPStart {
			starts[o.gp] = o
		}
	}
	for _, i := range c.gpOps {
		o := &c.ops[i]
		if o.kind != kGPEnd {
			continue
		}
		a := porcupine.Annotation{Tag: "grace periods", Start: o.call, End: o.ret, BackgroundColor: "#d8e8ff",
			Description: fmt.Sprintf("GP %d", o.gp), Details: fmt.Sprintf("grace period %d ends in [%d, %d]", o.gp, o.call, o.ret)}
		if s := starts[o.gp]; s != nil {
			a.Start = s.call
			a.Details = fmt.Sprintf("grace period %d: starts in [%d, %d], ends in [%d, %d]", o.gp, s.call, s.ret, o.call, o.ret)
		}
		out = append(out, a)
	}
	for _, obj := range c.objOrder {
		for _, i := range c.frees[obj] {
			o := &c.ops[i]
			if o.kind == kReclaim {
				out = append(out, porcupine.Annotation{Tag: "reclaims", Start: o.call, End: o.ret, BackgroundColor: "#ffe0c0",
					Description: o.describe(), Details: c.metadata(o)})
			}
		}
	}
	for _, r := range c.h.Records {
		if r.Type == "step" {
			out = append(out, porcupine.Annotation{Tag: "model steps", Start: *r.Time, Description: r.Action,
				Details: fmt.Sprintf("step %d: %s", *r.Time, r.Action)})
		}
	}
	return out
}
