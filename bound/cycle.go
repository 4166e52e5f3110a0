package bound

import (
	"fmt"

	"github.com/rcucheck/rcucheck/model"
)

// CycleWitness makes a Witness of a prefix and a cycle found by another
// search than FindWitness (rcucheck fuzz --hunt growth extracts them from
// the worst schedule it drew), so that Pump replays it on the real model
// under the same standard: every step enabled, every repetition starving
// what the first one starves, the metric growing by the same gain. The
// prefix and one repetition of the cycle are played here on d at p with
// room to repeat (a workload bound and, for a design with a reserve, a
// reserve that does not run out) to find the gain and the cycle's
// fairness. It fails when a step is not enabled or the metric does not
// grow.
func CycleWitness(d model.Design, p model.Params, metric string, prefix, cycle []model.Action) (*Witness, error) {
	metric, err := figureMetric(metric)
	if err != nil {
		return nil, err
	}
	if len(cycle) == 0 {
		return nil, fmt.Errorf("cycle witness: empty cycle")
	}
	p = model.Normalize(d, p)
	pf, cf := freesPerCPU(prefix, p.CPUs), freesPerCPU(cycle, p.CPUs)
	p.Calls = 1
	for c := range pf {
		p.Calls = max(p.Calls, pf[c]+cf[c])
	}
	if hasReserve(d) {
		p.Reserve = 1
		for c := range pf {
			p.Reserve += pf[c] + cf[c]
		}
	}
	m, err := model.New(d, p)
	if err != nil {
		return nil, fmt.Errorf("cycle witness of %s: %w", d.Name(), err)
	}
	s := m.Initial()
	for i, a := range prefix {
		if err := m.Step(s, a); err != nil {
			return nil, fmt.Errorf("cycle witness of %s: prefix step %d: %w", d.Name(), i+1, err)
		}
	}
	base := metricOf(m.Metrics(s), metric)
	var f fairness
	for i, a := range cycle {
		f.step(m, s, a)
		if err := m.Step(s, a); err != nil {
			return nil, fmt.Errorf("cycle witness of %s: cycle step %d: %w", d.Name(), i+1, err)
		}
	}
	gain := metricOf(m.Metrics(s), metric) - base
	if gain <= 0 {
		return nil, fmt.Errorf("cycle witness of %s: %s grows by %d along the cycle", d.Name(), metric, gain)
	}
	w := &Witness{
		Design: d.Name(), Params: p, Metric: metric, Gain: gain,
		Starved: f.starved(), Workers: f.uses(), ReadersHeld: f.heldReaders(),
		prefix: prefix, cycle: cycle, Prefix: names(prefix), Cycle: names(cycle),
	}
	w.Fair = len(w.Starved) == 0
	w.Params.Calls = 0
	return w, nil
}
