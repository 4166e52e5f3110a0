package bound

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rcucheck/rcucheck/model"
)

// Structural facts: what a design's policies decide before any state is
// explored.
//
// The model sets stuck in exactly one place: the free branch "stuck"
// (model.FreeStuck), which it derives from a miss plan whose fallback is
// neither rcu_head nor synchronize_rcu (model.Enabled, and the fast
// expander, which derives the same branches). A model.Policies value answers
// Miss with its Plan in every state, so its Plan.Else decides whether any
// free of any run can get stuck. A design of another type may answer Miss
// differently in each state, and is not judged.

// NoStuckBranch reports whether design d can never reach a stuck state, by
// its policies alone, and says in one line why (or why it was not judged).
// It is true only for a model.Policies value whose miss plan ends in
// rcu_head or synchronize_rcu: no free of such a design has a stuck branch,
// so NoStuck holds at R = 0 for every K, by construction.
func NoStuckBranch(d model.Design) (bool, string) {
	p, ok := d.(model.Policies)
	if !ok {
		return false, fmt.Sprintf("design %s is not a plain model.Policies value (its Miss may depend on the state): no structural judgement", d.Name())
	}
	plan := planText(p.Plan)
	switch p.Plan.Else {
	case model.FallbackHead, model.FallbackSync:
		return true, fmt.Sprintf("design %s's miss plan is the same in every state, %s: no free has a stuck branch, so no run of any K reaches a stuck state (read from its policies, model.Policies.Plan)", d.Name(), plan)
	}
	return false, fmt.Sprintf("design %s's miss plan %s ends in stuck: a free may get stuck once its sources are exhausted", d.Name(), plan)
}

// planText says a miss plan as "[allocator, then reserve] then rcu_head".
func planText(p model.MissPlan) string {
	var srcs []string
	for _, s := range p.Try {
		if s == model.SourceNone {
			break
		}
		srcs = append(srcs, s.String())
	}
	if len(srcs) == 0 {
		return "straight to " + p.Else.String()
	}
	return strings.Join(srcs, ", then ") + ", then " + p.Else.String()
}

// AbstractionCovers reports whether the counter abstraction (ExploreAbstract,
// the proofs for every K of bound, claims and gate) is sound for design d:
// whether d runs only rules the soundness argument covers (docs/bound.md walks through them rule by
// rule): d is a model.Policies value (no decision depends on the state
// beyond the spec's own) and each of its policies is one that a design of
// the specification uses. The five designs qualify, and so do designs that
// recombine their policies (the mutants of the claims' tests, e.g. reserve
// with limit's admission); the realistic designs (backoff refill, lockless
// pages, cache-first reclaim) and user designs do not.
func AbstractionCovers(d model.Design) bool {
	p, ok := d.(model.Policies)
	if !ok {
		return false
	}
	var uses []model.Resources
	var limits []bool
	var srcs []model.Source
	var elses []model.Fallback
	var joins []model.JoinPolicy
	var reclaims []model.ReclaimPolicy
	var refills []model.RefillPolicy
	for _, sd := range model.Designs() {
		s := sd.(model.Policies)
		uses, limits = append(uses, s.Uses), append(limits, s.LimitInflight)
		srcs = append(srcs, s.Plan.Try[:]...)
		elses, joins = append(elses, s.Plan.Else), append(joins, s.JoinPolicy)
		reclaims, refills = append(reclaims, s.ReclaimPolicy), append(refills, s.RefillPolicy)
	}
	for _, s := range p.Plan.Try {
		if !slices.Contains(srcs, s) {
			return false
		}
	}
	return slices.Contains(uses, p.Uses) && slices.Contains(limits, p.LimitInflight) &&
		slices.Contains(elses, p.Plan.Else) && slices.Contains(joins, p.JoinPolicy) &&
		slices.Contains(reclaims, p.ReclaimPolicy) && slices.Contains(refills, p.RefillPolicy)
}
