package properties

import (
	"fmt"
	"reflect"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/rcucheck/rcucheck/model"
)

// Range is an inclusive range of one parameter.
type Range struct{ Min, Max int }

// Ranges bound the parameters GenParams draws.
type Ranges struct {
	CPUs, Bulk, Cache, Reserve, Calls, Limit Range
}

// DefaultRanges are the kernel-sized ranges: N up to 64, B up to
// 510, C up to 8, K up to 10^6, with R up to 8 and L up to 1024.
func DefaultRanges() Ranges {
	return Ranges{
		CPUs:    Range{1, 64},
		Bulk:    Range{1, 510},
		Cache:   Range{0, 8},
		Reserve: Range{0, 8},
		Calls:   Range{1, 1_000_000},
		Limit:   Range{1, 1024},
	}
}

// Validate reports a range that is empty or outside what the model accepts.
func (r Ranges) Validate() error {
	lo := model.Params{CPUs: r.CPUs.Min, Bulk: r.Bulk.Min, Cache: r.Cache.Min, Reserve: r.Reserve.Min, Calls: r.Calls.Min, Limit: r.Limit.Min}
	hi := model.Params{CPUs: r.CPUs.Max, Bulk: r.Bulk.Max, Cache: r.Cache.Max, Reserve: r.Reserve.Max, Calls: r.Calls.Max, Limit: r.Limit.Max}
	if err := lo.Validate(); err != nil {
		return fmt.Errorf("parameter ranges: lower ends: %w", err)
	}
	if err := hi.Validate(); err != nil {
		return fmt.Errorf("parameter ranges: upper ends: %w", err)
	}
	for _, c := range []struct {
		name string
		r    Range
	}{{"cpus", r.CPUs}, {"bulk", r.Bulk}, {"cache", r.Cache}, {"reserve", r.Reserve}, {"calls", r.Calls}, {"limit", r.Limit}} {
		if c.r.Min > c.r.Max {
			return fmt.Errorf("parameter ranges: %s range %d..%d is empty", c.name, c.r.Min, c.r.Max)
		}
	}
	return nil
}

// GenParams generates parameters for design d within r. Each count is drawn
// on a logarithmic scale half of the time (so small values, where most
// violations live, are common) and uniformly otherwise; L is at least 1 for
// a design that reads it. Parameters shrink towards the lower ends.
func GenParams(d model.Design, r Ranges) gopter.Gen {
	in := func(x Range) gopter.Gen {
		return gen.IntRange(0, 1).FlatMap(func(v interface{}) gopter.Gen {
			if v.(int) == 0 || x.Max-x.Min < 4 {
				return gen.IntRange(x.Min, x.Max)
			}
			// Logarithmic: an exponent, then a value below 2^exponent.
			span := x.Max - x.Min
			bits := 0
			for 1<<bits <= span {
				bits++
			}
			return gen.IntRange(0, bits).FlatMap(func(e interface{}) gopter.Gen {
				return gen.IntRange(x.Min, x.Min+min(span, 1<<e.(int)-1))
			}, intType)
		}, intType)
	}
	lim := r.Limit
	if d.Resources().Limit {
		lim.Min = max(lim.Min, 1)
		lim.Max = max(lim.Max, lim.Min)
	}
	return gopter.CombineGens(in(r.CPUs), in(r.Bulk), in(r.Cache), in(r.Reserve), in(r.Calls), in(lim)).
		Map(func(v []interface{}) model.Params {
			return model.Normalize(d, model.Params{
				CPUs: v[0].(int), Bulk: v[1].(int), Cache: v[2].(int),
				Reserve: v[3].(int), Calls: v[4].(int), Limit: v[5].(int),
			})
		})
}

var intType = reflect.TypeOf(0)
