package hunt

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// Source is what one branch of the model's actions did to the metric:
// the sum of its increases and of its decreases.
type Source struct {
	Branch string `json:"branch"` // e.g. "free alloc-ok", "refill", "reclaim"
	Up     int64  `json:"up"`
	Down   int64  `json:"down"`
}

// branch names the action's branch without its CPU and slot:
// "free(3) alloc-ok" is "free alloc-ok", "reclaim(0,1)" is "reclaim".
func branch(a model.Action) string {
	s := a.String()
	if i, j := strings.IndexByte(s, '('), strings.IndexByte(s, ')'); i >= 0 && j > i {
		s = s[:i] + s[j+1:]
	}
	return s
}

// sources accumulates what steps did to the metric, by branch.
type sources map[string]*Source

// walk applies acts to s (stopping at the first that is not enabled) and
// adds each step's change of the metric to its branch.
func (src sources) walk(m *model.Model, s *model.State, acts []model.Action, metric func(model.Metrics) int64) {
	prev := metric(m.Metrics(s))
	for _, a := range acts {
		if m.Step(s, a) != nil {
			return
		}
		v := metric(m.Metrics(s))
		if d := v - prev; d != 0 {
			b := src[branch(a)]
			if b == nil {
				b = &Source{Branch: branch(a)}
				src[b.Branch] = b
			}
			if d > 0 {
				b.Up += d
			} else {
				b.Down -= d
			}
		}
		prev = v
	}
}

// list returns the sources, the largest increase first.
func (src sources) list() []Source {
	var out []Source
	for _, s := range src {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Source) int {
		return cmp.Or(cmp.Compare(b.Up, a.Up), cmp.Compare(b.Down, a.Down), strings.Compare(a.Branch, b.Branch))
	})
	return out
}

// peakSources attributes the metric's changes in each worst schedule, up
// to its peak, to the branches that made them.
func (c *Config) peakSources(worst []*properties.Schedule) []Source {
	metric, _ := properties.MetricFunc(c.Metric)
	src := sources{}
	for _, sc := range worst {
		if sc == nil {
			continue
		}
		acts := sc.Steps()
		incs := c.increments(sc, acts)
		if len(incs) == 0 {
			continue
		}
		src.walk(sc.Model, sc.Model.Initial(), acts[:incs[len(incs)-1]], metric)
	}
	return src.list()
}

// cycleSources attributes the metric's changes along one repetition of a
// cycle from state s (the state after its prefix) to the branches that
// made them.
func (c *Config) cycleSources(m *model.Model, s *model.State, cycle []model.Action) []Source {
	metric, _ := properties.MetricFunc(c.Metric)
	src := sources{}
	src.walk(m, s, cycle, metric)
	return src.list()
}

// SourcesText formats sources as "free alloc-ok +12, refill +3 (down:
// reclaim -9)".
func SourcesText(src []Source) string {
	var up, down []string
	for _, s := range src {
		if s.Up > 0 {
			up = append(up, fmt.Sprintf("%s +%d", s.Branch, s.Up))
		}
	}
	for _, s := range src {
		if s.Down > 0 {
			down = append(down, fmt.Sprintf("%s -%d", s.Branch, s.Down))
		}
	}
	out := strings.Join(up, ", ")
	if out == "" {
		out = "no increase"
	}
	if len(down) > 0 {
		out += " (down: " + strings.Join(down, ", ") + ")"
	}
	return out
}
