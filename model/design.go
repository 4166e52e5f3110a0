package model

import (
	"fmt"
	"strings"
)

// Design is a reclaim design: the decisions the reference machinery asks
// about. The model (New, Enabled, Apply) owns the state and the rules of the
// specification; a design only answers its questions:
//
//   - Resources: which optional resources it has (the reserve R, the limit L);
//   - Admit: whether free(c) may start (admission, e.g. a per-CPU limit);
//   - Miss: what a free does when it needs a page and its cache is empty:
//     which allocations its context may make, in which order, and the
//     fallback when none gives a page;
//   - HandOver: when the monitor may hand a CPU's channel over to a batch;
//   - Join: which grace period a batch handed over waits for;
//   - Reclaim: where the pages of a reclaimed batch go;
//   - Refill: how the page-cache worker refills the cache.
//
// Admit, Miss and HandOver see the state through a read-only View; they must
// be deterministic functions of it (the checker explores every branch the
// model derives from their answers), and must treat CPUs alike: an answer
// may depend on CPU c's variables but not on the number c, since CPU
// symmetry reduction (checker.Options.Symmetry) relies on it. The five designs of the specification
// and the realistic designs are Policies values; a user design embeds
// Policies for the defaults and overrides what differs, or implements the
// interface from scratch, and is passed to New as a value. Designs are used
// by name (rcucheck --design, gate files) only when a Registry holds them.
type Design interface {
	// Name is the design's short name, as --design and gate files take it.
	Name() string
	// Summary says in one line what the design stands for.
	Summary() string
	// Resources says which of the optional parameters R and L the design
	// reads; for the others, Normalize sets them to 0.
	Resources() Resources
	// Admit reports whether free(c) may start in v, beyond the spec's own
	// conditions (calls[c] < K and blk[c] = NONE). A caller not admitted
	// sleeps until it is.
	Admit(v View, c int) bool
	// Miss says what free(c) does in v when its newest bulk page is full
	// (or absent) and its page cache is empty.
	Miss(v View, c int) MissPlan
	// HandOver reports whether monitor(c) may hand c's channel over in v,
	// beyond the spec's own conditions (something queued, a FREE slot).
	HandOver(v View, c int) bool
	// Join says which grace period a batch handed over waits for.
	Join() JoinPolicy
	// Reclaim says where the pages of a reclaimed batch go.
	Reclaim() ReclaimPolicy
	// Refill says how refill(c), the page-cache worker, fills the cache.
	Refill() RefillPolicy
}

// Resources are the optional resources of a design.
type Resources struct {
	// Reserve: the design has a global pool of R pages (the emergency
	// reserve of the spec, or a budget of lockless pages). Otherwise R is 0.
	Reserve bool
	// Limit: the design reads L (for instance a per-CPU in-flight limit).
	// Otherwise L is 0. New rejects L < 1 for such a design.
	Limit bool
}

// Source is a place a free may take a page from once its cache is empty:
// the allocations its calling context may make.
type Source uint8

// The sources. A MissPlan tries them in order.
const (
	// SourceNone ends a MissPlan's list of sources.
	SourceNone Source = iota
	// SourceAllocator is the page allocator: it may give a page (branch
	// "alloc-ok") or fail (the next source is tried). The caller must be
	// allowed to call it (not under a raw spinlock on PREEMPT_RT).
	SourceAllocator
	// SourceReserve is the pool of R pages: it gives a page whenever one is
	// left (branch "reserve"); once it is empty the next source is tried.
	SourceReserve
	// SourceLockless is a lock-free take from the CPU's page-allocator free
	// lists, capped by a budget of R pages held at once: while budget is
	// left it may give a page (branch "lockless") or find the lists empty;
	// either way on failure the next source is tried.
	SourceLockless
)

// String returns the source's name as gate files and docs spell it.
func (s Source) String() string {
	switch s {
	case SourceNone:
		return "none"
	case SourceAllocator:
		return "allocator"
	case SourceReserve:
		return "reserve"
	case SourceLockless:
		return "lockless"
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// Fallback is what a free does when it needs a page and no source gave one.
type Fallback uint8

// The fallbacks.
const (
	// FallbackHead queues the object through its embedded rcu_head: no memory.
	FallbackHead Fallback = iota
	// FallbackSync blocks the caller in an inline synchronize_rcu(), after
	// which it frees the object itself.
	FallbackSync
	// FallbackStuck has no way forward: the free path needs memory it cannot
	// get and may not wait (stuck = true, NoStuck is violated).
	FallbackStuck
)

// String returns the fallback's name.
func (f Fallback) String() string {
	switch f {
	case FallbackHead:
		return "rcu_head"
	case FallbackSync:
		return "synchronize_rcu"
	case FallbackStuck:
		return "stuck"
	}
	return fmt.Sprintf("Fallback(%d)", uint8(f))
}

// MaxSources is the number of sources a MissPlan can list.
const MaxSources = 3

// MissPlan is the answer to Design.Miss: the sources to try, in order (the
// list ends at the first SourceNone), then the fallback. A source listed
// twice counts once.
type MissPlan struct {
	Try  [MaxSources]Source
	Else Fallback
}

// JoinPolicy says which grace period a batch waits for.
type JoinPolicy uint8

// The join policies.
const (
	// JoinNext: a batch waits for a grace period that starts after it was
	// handed over (phase NEXT), as call_rcu() guarantees.
	JoinNext JoinPolicy = iota
	// JoinRunning: a batch handed over while a grace period runs joins it
	// (phase CUR). This is the bug of design early.
	JoinRunning
)

// ReclaimPolicy says where the pages of a reclaimed batch go. Pages no
// destination takes go back to the page allocator.
type ReclaimPolicy uint8

// The reclaim policies.
const (
	// ReclaimCache: to the CPU's page cache, up to C.
	ReclaimCache ReclaimPolicy = iota
	// ReclaimReserveFirst: to the pool (up to R), then to the cache (up to C).
	ReclaimReserveFirst
	// ReclaimCacheFirst: to the cache (up to C), then to the pool (up to R).
	ReclaimCacheFirst
	// ReclaimAllocator: every page back to the page allocator.
	ReclaimAllocator
)

// RefillPolicy says what refill(c), the page-cache worker, does.
type RefillPolicy uint8

// The refill policies.
const (
	// RefillFull: when cache[c] < C, the worker fills the cache to C.
	RefillFull RefillPolicy = iota
	// RefillBackoff: when cache[c] < C, the worker fills it to C or, backing
	// off under memory pressure, adds a single page (branch "refill(c) one").
	RefillBackoff
	// RefillNever: there is no refill worker; only reclaim fills the cache.
	RefillNever
)

// View is the read-only view of a state a design's decisions see.
type View struct {
	s *State
	p *Params
}

// Params returns the model's (normalised) parameters.
func (v View) Params() Params { return *v.p }

// CPUs returns the number of CPUs.
func (v View) CPUs() int { return len(v.s.CPUs) }

// CPU returns a copy of CPU c's variables.
func (v View) CPU(c int) CPU { return v.s.CPUs[c] }

// Inflight returns inflight(c) = objs + heads + sum_j (bobjs + bheads).
func (v View) Inflight(c int) int { return v.s.Inflight(c) }

// Held returns the pages CPU c holds: its channel's pages, its cache and
// the pages of its two batches.
func (v View) Held(c int) int {
	u := &v.s.CPUs[c]
	return int(u.Pages) + int(u.Cache) + int(u.Slot[0].Pages) + int(u.Slot[1].Pages)
}

// Reserve returns the pages left in the pool (the reserve or budget).
func (v View) Reserve() int { return int(v.s.Reserve) }

// GPRunning reports whether a grace period is running.
func (v View) GPRunning() bool { return v.s.GPRunning }

// Readers returns the set of CPUs with a running reader.
func (v View) Readers() CPUSet { return v.s.RD() }

// Policies is a design given by its policies alone, with no decision that
// depends on the state beyond the spec's: every built-in design is a
// Policies value. A user design may embed Policies and override Admit,
// Miss or HandOver.
type Policies struct {
	DesignName    string
	DesignSummary string
	Uses          Resources
	// LimitInflight: free(c) is admitted only while inflight(c) < L.
	LimitInflight bool
	// Plan is Miss's answer in every state.
	Plan MissPlan
	// JoinPolicy, ReclaimPolicy and RefillPolicy are the answers of Join,
	// Reclaim and Refill.
	JoinPolicy    JoinPolicy
	ReclaimPolicy ReclaimPolicy
	RefillPolicy  RefillPolicy
}

// Name implements Design.
func (d Policies) Name() string { return d.DesignName }

// Summary implements Design.
func (d Policies) Summary() string { return d.DesignSummary }

// Resources implements Design.
func (d Policies) Resources() Resources { return d.Uses }

// Admit implements Design: true, or inflight(c) < L with LimitInflight.
// The fast expander (fastExpander.admit) answers the same on packed words:
// change both together.
func (d Policies) Admit(v View, c int) bool {
	return !d.LimitInflight || v.s.Inflight(c) < v.p.Limit
}

// Miss implements Design: Plan.
func (d Policies) Miss(View, int) MissPlan { return d.Plan }

// HandOver implements Design: always (the spec's conditions only). The
// fast expander (fastExpander.handOver) relies on it.
func (d Policies) HandOver(View, int) bool { return true }

// Join implements Design.
func (d Policies) Join() JoinPolicy { return d.JoinPolicy }

// Reclaim implements Design.
func (d Policies) Reclaim() ReclaimPolicy { return d.ReclaimPolicy }

// Refill implements Design.
func (d Policies) Refill() RefillPolicy { return d.RefillPolicy }

// Plan returns a MissPlan trying srcs in order, then else.
func Plan(els Fallback, srcs ...Source) MissPlan {
	p := MissPlan{Else: els}
	copy(p.Try[:], srcs)
	return p
}

// Designs returns the five designs of the specification, in its order:
// head, sync, reserve, limit, early.
func Designs() []Design {
	return []Design{
		Policies{
			DesignName:    "head",
			DesignSummary: "two-argument kvfree_rcu(ptr, rhf): bulk pages when memory allows, the embedded callback_head otherwise",
			Plan:          Plan(FallbackHead, SourceAllocator),
		},
		Policies{
			DesignName:    "sync",
			DesignSummary: "single-argument kvfree_rcu(ptr) from sleepable context: on failure, synchronize_rcu() inline, then free",
			Plan:          Plan(FallbackSync, SourceAllocator),
		},
		Policies{
			DesignName:    "reserve",
			DesignSummary: "single-argument from atomic context: no allocator, only the page cache and a pre-allocated emergency reserve",
			Uses:          Resources{Reserve: true},
			Plan:          Plan(FallbackStuck, SourceReserve),
			ReclaimPolicy: ReclaimReserveFirst,
		},
		Policies{
			DesignName:    "limit",
			DesignSummary: "single-argument with a reserve and a strict per-CPU limit of L in-flight objects",
			Uses:          Resources{Reserve: true, Limit: true},
			LimitInflight: true,
			Plan:          Plan(FallbackStuck, SourceAllocator, SourceReserve),
			ReclaimPolicy: ReclaimReserveFirst,
		},
		Policies{
			DesignName:    "early",
			DesignSummary: "bug: a batch joins the grace period already running (the class of Linux commit 5da7cb193db3)",
			Plan:          Plan(FallbackHead, SourceAllocator),
			JoinPolicy:    JoinRunning,
		},
	}
}

// DesignNames returns the names of the five designs of the specification.
func DesignNames() []string { return names(Designs()) }

// AllDesigns returns the designs of the specification, then the realistic
// designs (see Realistic).
func AllDesigns() []Design { return append(Designs(), Realistic()...) }

func names(ds []Design) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Name())
	}
	return out
}

// LookupDesign returns the built-in design called name: one of the
// specification's five or a realistic design.
func LookupDesign(name string) (Design, error) {
	for _, d := range AllDesigns() {
		if d.Name() == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown design %q (want one of %s)", name, strings.Join(names(AllDesigns()), ", "))
}

// Normalize returns p as design d reads it: R is 0 for designs without the
// reserve and L is 0 for designs without the limit.
func Normalize(d Design, p Params) Params {
	r := d.Resources()
	if !r.Reserve {
		p.Reserve = 0
	}
	if !r.Limit {
		p.Limit = 0
	}
	return p
}

// Registry is a set of designs known by name: what rcucheck and gate files
// can name. It is not safe for concurrent modification.
type Registry struct {
	designs []Design
}

// NewRegistry returns a registry holding ds, in order.
func NewRegistry(ds ...Design) (*Registry, error) {
	r := &Registry{}
	for _, d := range ds {
		if err := r.Add(d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// BuiltinRegistry returns a new registry of every built-in design (AllDesigns).
// The built-in names are distinct and valid (TestBuiltinRegistry pins it).
func BuiltinRegistry() *Registry { return &Registry{designs: AllDesigns()} }

// Add registers d. Its name must be non-empty, made of letters, digits and
// "-_./", not "all", and not registered yet.
func (r *Registry) Add(d Design) error {
	if d == nil {
		return fmt.Errorf("registering a nil design")
	}
	name := d.Name()
	if name == "" || name == "all" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") != "" {
		return fmt.Errorf("design name %q: want letters, digits and -_./, not \"all\"", name)
	}
	if _, err := r.Lookup(name); err == nil {
		return fmt.Errorf("design %q is registered twice", name)
	}
	r.designs = append(r.designs, d)
	return nil
}

// Lookup returns the design called name.
func (r *Registry) Lookup(name string) (Design, error) {
	for _, d := range r.designs {
		if d.Name() == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown design %q (want one of %s)", name, strings.Join(r.Names(), ", "))
}

// Names returns the registered names, in order.
func (r *Registry) Names() []string { return names(r.designs) }

// Designs returns the registered designs, in order.
func (r *Registry) Designs() []Design { return append([]Design(nil), r.designs...) }
