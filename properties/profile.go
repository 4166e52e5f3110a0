package properties

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/rcucheck/rcucheck/model"
)

// Burst is a two-state Markov mode of a Profile: each step, an inactive
// mode starts with probability On and an active one ends with probability
// Off (so it lasts 1/Off steps on average).
type Burst struct {
	On  float64
	Off float64
}

// Profile biases the choice among the enabled transitions. Every enabled
// transition gets the weight of its kind, scaled by the active modes; a
// free that asks the page allocator succeeds or fails with the probability
// below. All weights must be >= 0; a zero weight excludes a kind unless it
// is the only one enabled (then the walk ends).
type Profile struct {
	Name string
	// Weight of each kind of action, indexed by model.Kind (index 0 unused).
	Weight [model.KindShrink + 1]float64
	// FailProb is the probability that the page allocator fails outside a
	// Pressure burst; PressureFailProb inside one.
	FailProb, PressureFailProb float64
	// Pressure: bursts of allocation failures.
	Pressure Burst
	// Stall: readers stall grace periods (no read_unlock, more read_lock).
	Stall Burst
	// Shrinker: shrinker storms (shrink weighted up 20 times).
	Shrinker Burst
	// Delay: monitors and reclaim workers delayed (monitor, gp_start,
	// gp_end, reclaim, wake and refill weighted down 50 times).
	Delay Burst
	// FreeBurst: a burst of frees on one CPU chosen at its start (its frees
	// weighted up 20 times, other CPUs' frees by BurstOthers).
	FreeBurst Burst
	// BurstOthers scales the other CPUs' frees during a FreeBurst (0: 0.1).
	BurstOthers float64
}

// ProfileNames lists the built-in profiles, as --profile takes them.
func ProfileNames() []string { return []string{"mixed", "uniform", "adversarial", "heavy"} }

// LookupProfile returns a built-in profile. "mixed" is not a single
// profile: each run draws one with GenProfile; LookupProfile returns
// adversarial for it.
func LookupProfile(name string, p model.Params) (Profile, error) {
	switch name {
	case "uniform":
		return UniformProfile(), nil
	case "adversarial", "mixed":
		return AdversarialProfile(), nil
	case "heavy":
		return HeavyProfile(p), nil
	}
	return Profile{}, fmt.Errorf("unknown profile %q (want one of %s)", name, strings.Join(ProfileNames(), ", "))
}

// UniformProfile picks every enabled transition (each allocator branch
// counted once) with the same probability.
func UniformProfile() Profile {
	p := Profile{Name: "uniform", FailProb: 0.5, PressureFailProb: 0.5}
	for k := range p.Weight {
		p.Weight[k] = 1
	}
	p.Weight[0] = 0
	return p
}

// AdversarialProfile turns every mode on now and then: stalled readers,
// allocation-failure bursts, shrinker storms, delayed workers and free
// bursts on one CPU.
func AdversarialProfile() Profile {
	p := UniformProfile()
	p.Name = "adversarial"
	p.Weight[model.KindFree] = 3
	p.FailProb = 0.05
	p.PressureFailProb = 0.95
	p.Pressure = Burst{On: 0.02, Off: 0.1}
	p.Stall = Burst{On: 0.02, Off: 0.05}
	p.Shrinker = Burst{On: 0.02, Off: 0.2}
	p.Delay = Burst{On: 0.02, Off: 0.05}
	p.FreeBurst = Burst{On: 0.02, Off: 0.05}
	return p
}

// HeavyProfile is heavy use without memory pressure: frees dominate, the
// allocator never fails, there is no shrinker, readers are short, and a
// CPU's monitor runs about once per 4*B of that CPU's frees (the kernel's
// monitor is delayed while a flood fills pages). Grace periods, reclaim and
// refill are prompt.
func HeavyProfile(p model.Params) Profile {
	pr := Profile{Name: "heavy"}
	pr.Weight[model.KindFree] = 1
	pr.Weight[model.KindReadLock] = 0.05
	pr.Weight[model.KindReadUnlock] = 1
	pr.Weight[model.KindMonitor] = 1 / (4 * float64(max(p.Bulk, 1)))
	pr.Weight[model.KindGPStart] = 1
	pr.Weight[model.KindGPEnd] = 1
	pr.Weight[model.KindReclaim] = 1
	pr.Weight[model.KindWake] = 1
	pr.Weight[model.KindRefill] = 1
	return pr
}

// Validate reports a negative or non-finite weight or probability.
func (pr *Profile) Validate() error {
	bad := func(v float64) bool { return !(v >= 0) || v > 1e12 }
	for k, w := range pr.Weight {
		if bad(w) {
			return fmt.Errorf("profile %s: weight of %s is %v", pr.Name, model.Kind(k), w)
		}
	}
	for _, v := range []float64{pr.FailProb, pr.PressureFailProb, pr.Pressure.On, pr.Pressure.Off,
		pr.Stall.On, pr.Stall.Off, pr.Shrinker.On, pr.Shrinker.Off, pr.Delay.On, pr.Delay.Off,
		pr.FreeBurst.On, pr.FreeBurst.Off, pr.BurstOthers} {
		if bad(v) || v > 1 {
			return fmt.Errorf("profile %s: probability %v out of [0,1]", pr.Name, v)
		}
	}
	return nil
}

// GenProfile generates adversarial profiles: random kind weights, failure
// probabilities and burst rates. It is what profile "mixed" draws from.
func GenProfile() gopter.Gen {
	weight := gen.Float64Range(0.05, 4)
	rate := gen.Float64Range(0, 0.1)
	length := gen.Float64Range(0.01, 0.5)
	gens := []gopter.Gen{}
	for k := model.KindFree; k <= model.KindShrink; k++ {
		gens = append(gens, weight)
	}
	gens = append(gens, gen.Float64Range(0, 0.3), gen.Float64Range(0.5, 1))
	for i := 0; i < 5; i++ {
		gens = append(gens, rate, length)
	}
	return gopter.CombineGens(gens...).Map(func(v []interface{}) Profile {
		f := func(i int) float64 { return v[i].(float64) }
		pr := Profile{Name: "generated"}
		i := 0
		for k := model.KindFree; k <= model.KindShrink; k++ {
			pr.Weight[k] = f(i)
			i++
		}
		pr.FailProb, pr.PressureFailProb = f(i), f(i+1)
		i += 2
		for _, b := range []*Burst{&pr.Pressure, &pr.Stall, &pr.Shrinker, &pr.Delay, &pr.FreeBurst} {
			*b = Burst{On: f(i), Off: f(i + 1)}
			i += 2
		}
		return pr
	}).WithShrinker(gopter.NoShrinker)
}

// walker draws one schedule: the next transition of a state.
type walker struct {
	m        *model.Model
	prof     Profile
	rng      *rand.Rand
	pressure bool
	stall    bool
	shrinker bool
	delay    bool
	burst    bool
	hot      int
	acts     []model.Action
	w        []float64
}

func newWalker(m *model.Model, prof Profile, seed uint64) *walker {
	return &walker{
		m: m, prof: prof,
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		acts: make([]model.Action, 0, 8*m.Params().CPUs+4),
	}
}

func (w *walker) toggle(on *bool, b Burst) bool {
	if *on {
		if b.Off > 0 && w.rng.Float64() < b.Off {
			*on = false
		}
	} else if b.On > 0 && w.rng.Float64() < b.On {
		*on = true
		return true
	}
	return false
}

// allocated reports whether a free branch got its page from the page
// allocator (directly or from its per-CPU free lists).
func allocated(f model.FreeCase) bool {
	return f == model.FreeAllocOK || f == model.FreeLockless
}

// next picks the next transition in s; ok is false when none is enabled
// (or every enabled one has weight zero in the profile).
func (w *walker) next(s *model.State) (a model.Action, ok bool) {
	pr := &w.prof
	w.toggle(&w.pressure, pr.Pressure)
	w.toggle(&w.stall, pr.Stall)
	w.toggle(&w.shrinker, pr.Shrinker)
	w.toggle(&w.delay, pr.Delay)
	if w.toggle(&w.burst, pr.FreeBurst) {
		w.hot = w.rng.IntN(len(s.CPUs))
	}
	failP := pr.FailProb
	if w.pressure {
		failP = pr.PressureFailProb
	}
	w.acts = w.m.Enabled(s, w.acts[:0])
	if len(w.acts) == 0 {
		return a, false
	}
	w.w = w.w[:0]
	total := 0.0
	for i := 0; i < len(w.acts); i++ {
		e := w.acts[i]
		x := pr.Weight[e.Kind]
		switch e.Kind {
		case model.KindFree:
			if w.burst {
				if int(e.CPU) == w.hot {
					x *= 20
				} else {
					x *= cmp.Or(pr.BurstOthers, 0.1)
				}
			}
			// The branches of one free(c) are adjacent: the allocator
			// giving a page shares 1-failP of the weight, the other
			// branches (a fallback, a reserve page, stuck) share failP.
			j := i
			nOK := 0
			for j < len(w.acts) && w.acts[j].Kind == model.KindFree && w.acts[j].CPU == e.CPU {
				if allocated(w.acts[j].Free) {
					nOK++
				}
				j++
			}
			n := j - i
			for k := i; k < j; k++ {
				y := x / float64(n)
				if nOK > 0 && nOK < n {
					if allocated(w.acts[k].Free) {
						y = x * (1 - failP) / float64(nOK)
					} else {
						y = x * failP / float64(n-nOK)
					}
				}
				w.w = append(w.w, y)
				total += y
			}
			i = j - 1
			continue
		case model.KindReadUnlock:
			if w.stall {
				x = 0
			}
		case model.KindReadLock:
			if w.stall {
				x *= 5
			}
		case model.KindShrink:
			if w.shrinker {
				x *= 20
			}
		case model.KindMonitor, model.KindGPStart, model.KindGPEnd, model.KindReclaim, model.KindWake, model.KindRefill:
			if w.delay {
				x *= 0.02
			}
		}
		w.w = append(w.w, x)
		total += x
	}
	if !(total > 0) {
		// Every enabled transition is weighted out by the modes: fall
		// back to the plain weights, then to a uniform choice.
		for i, e := range w.acts {
			w.w[i] = pr.Weight[e.Kind]
			total += w.w[i]
		}
		if !(total > 0) {
			return a, false
		}
	}
	r := w.rng.Float64() * total
	for i, x := range w.w {
		if r < x {
			return w.acts[i], true
		}
		r -= x
	}
	for i := len(w.w) - 1; i >= 0; i-- {
		if w.w[i] > 0 {
			return w.acts[i], true
		}
	}
	return a, false
}
