package model

import (
	"fmt"
	"strings"
)

// Fallback says what a free does when it needs a page and the page
// allocator is unavailable to it or fails.
type Fallback uint8

// The fallbacks of the reference model.
const (
	// FallbackHead queues the object through its embedded rcu_head: no memory.
	FallbackHead Fallback = iota
	// FallbackSync blocks the caller in an inline synchronize_rcu().
	FallbackSync
	// FallbackReserve takes a page from the emergency reserve, or gets stuck
	// when the reserve is empty.
	FallbackReserve
)

// Design is a reclaim design: the policies the reference machinery asks
// about. The five designs of the specification are values of BuiltinDesign;
// a user design implements the interface itself and is passed to New.
type Design interface {
	// Name is the design's short name, as --design takes it.
	Name() string
	// Summary says in one line what the design stands for.
	Summary() string
	// MayAllocate reports whether the free path may call the page allocator
	// (and so whether a free has an alloc-ok branch).
	MayAllocate() bool
	// Fallback is what happens when a free needs a page and gets none from
	// the cache or the allocator.
	Fallback() Fallback
	// UsesReserve reports whether the design has the emergency reserve of R
	// pages; for other designs R is 0.
	UsesReserve() bool
	// LimitsInflight reports whether free(c) waits while inflight(c) >= L;
	// for other designs L is 0 and ignored.
	LimitsInflight() bool
	// JoinsRunningGP reports whether a batch handed over while a grace period
	// runs joins that grace period (phase CUR) instead of waiting for the next
	// one (phase NEXT). True is the bug of design early.
	JoinsRunningGP() bool
}

// BuiltinDesign is a design described by its policies alone. The five
// designs of the specification are BuiltinDesign values.
type BuiltinDesign struct {
	DesignName    string
	DesignSummary string
	Allocates     bool
	OnFailure     Fallback
	Reserve       bool
	Limit         bool
	JoinsRunning  bool
}

// Name implements Design.
func (d BuiltinDesign) Name() string { return d.DesignName }

// Summary implements Design.
func (d BuiltinDesign) Summary() string { return d.DesignSummary }

// MayAllocate implements Design.
func (d BuiltinDesign) MayAllocate() bool { return d.Allocates }

// Fallback implements Design.
func (d BuiltinDesign) Fallback() Fallback { return d.OnFailure }

// UsesReserve implements Design.
func (d BuiltinDesign) UsesReserve() bool { return d.Reserve }

// LimitsInflight implements Design.
func (d BuiltinDesign) LimitsInflight() bool { return d.Limit }

// JoinsRunningGP implements Design.
func (d BuiltinDesign) JoinsRunningGP() bool { return d.JoinsRunning }

// Designs returns the five designs of the specification, in its order:
// head, sync, reserve, limit, early.
func Designs() []Design {
	return []Design{
		BuiltinDesign{
			DesignName:    "head",
			DesignSummary: "two-argument kvfree_rcu(ptr, rhf): bulk pages when memory allows, the embedded callback_head otherwise",
			Allocates:     true,
			OnFailure:     FallbackHead,
		},
		BuiltinDesign{
			DesignName:    "sync",
			DesignSummary: "single-argument kvfree_rcu(ptr) from sleepable context: on failure, synchronize_rcu() inline, then free",
			Allocates:     true,
			OnFailure:     FallbackSync,
		},
		BuiltinDesign{
			DesignName:    "reserve",
			DesignSummary: "single-argument from atomic context: no allocator, only the page cache and a pre-allocated emergency reserve",
			Allocates:     false,
			OnFailure:     FallbackReserve,
			Reserve:       true,
		},
		BuiltinDesign{
			DesignName:    "limit",
			DesignSummary: "single-argument with a reserve and a strict per-CPU limit of L in-flight objects",
			Allocates:     true,
			OnFailure:     FallbackReserve,
			Reserve:       true,
			Limit:         true,
		},
		BuiltinDesign{
			DesignName:    "early",
			DesignSummary: "bug: a batch joins the grace period already running (the class of Linux commit 5da7cb193db3)",
			Allocates:     true,
			OnFailure:     FallbackHead,
			JoinsRunning:  true,
		},
	}
}

// DesignNames returns the names of the built-in designs.
func DesignNames() []string {
	var names []string
	for _, d := range Designs() {
		names = append(names, d.Name())
	}
	return names
}

// LookupDesign returns the built-in design called name.
func LookupDesign(name string) (Design, error) {
	for _, d := range Designs() {
		if d.Name() == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown design %q (want one of %s)", name, strings.Join(DesignNames(), ", "))
}

// Normalize returns p as design d reads it: R is 0 for designs without the
// reserve and L is 0 for designs without the limit.
func Normalize(d Design, p Params) Params {
	if !d.UsesReserve() {
		p.Reserve = 0
	}
	if !d.LimitsInflight() {
		p.Limit = 0
	}
	return p
}
