// Package watermark is a user's reclaim design written outside package
// model, as a reclaim engineer would write their own: the two-argument
// kvfree_rcu(ptr, rhf) with a per-CPU watermark on the pages a CPU may
// hold. A free that needs a page calls the page allocator only while the
// CPU holds fewer than L pages (its channel, its cache and its two
// batches); past the watermark it falls back to the object's rcu_head at
// once. It has no page-cache refill worker: only reclaimed pages refill
// the cache (a worker refilling it behind the watermark's back lets the
// pages grow with K: the gate in watermark_test.go shows the trace). The
// memory held to free memory is then at most N*(L+C) pages whatever the
// workload, where design head's grows with K.
//
// It is checked by its go test (watermark_test.go) and by a gate file
// (gate.toml) through its own rcucheck binary (cmd/rcucheck-watermark),
// which registers it beside the built-in designs.
package watermark

import "github.com/rcucheck/rcucheck/model"

// Design is the watermark design. It embeds model.Policies for everything
// but the decision that depends on the state (Miss).
type Design struct {
	model.Policies
}

// New returns the watermark design; it reads L as the watermark.
func New() Design {
	return Design{model.Policies{
		DesignName:    "watermark",
		DesignSummary: "kvfree_rcu(ptr, rhf) that allocates only while its CPU holds fewer than L pages, rcu_head otherwise",
		Uses:          model.Resources{Limit: true},
		Plan:          model.Plan(model.FallbackHead, model.SourceAllocator),
		RefillPolicy:  model.RefillNever,
	}}
}

// Miss implements model.Design: below the watermark, the allocator then
// the rcu_head; at or above it, the rcu_head only.
func (d Design) Miss(v model.View, c int) model.MissPlan {
	if v.Held(c) < v.Params().Limit {
		return d.Plan
	}
	return model.Plan(model.FallbackHead)
}

// Registry returns the built-in designs and this one, for gate files.
func Registry() (*model.Registry, error) {
	reg := model.BuiltinRegistry()
	if err := reg.Add(New()); err != nil {
		return nil, err
	}
	return reg, nil
}
