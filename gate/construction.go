package gate

import (
	"fmt"
	"strings"

	"github.com/rcucheck/rcucheck/bound"
	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties"
)

// Outcomes that hold by construction.
//
// A gate outcome that the model's rules decide for a design before any state
// is explored cannot fail, whatever the exploration does: the gate reports it
// as "holds by construction", with the reason, never as passed. Two facts are
// structural:
//
//   - reserve_used is between 0 and R in every state of every design, at
//     every K. The model (model.Apply) takes a page from the pool only on the
//     free branches "reserve" and "lockless", which it offers only while the
//     pool holds a page (model.missBranches, reserveLeft), and a reclaim puts
//     back at most R minus what the pool holds (model.reclaimSplit, poolRoom).
//     A design answers questions through a read-only View and cannot touch
//     the pool. A bound that mentions no metric but reserve_used, and that
//     holds for every value 0..R at the row's parameters, therefore holds in
//     every reachable state; bounded_every_k reserve_used holds for every K.
//   - NoStuck holds at every K for a design whose miss plan has no stuck
//     branch in any state (bound.NoStuckBranch: a model.Policies value whose
//     fallback is rcu_head or synchronize_rcu).
//
// Anything else (a bound on pages or pending, GracePeriod, Drainable, a
// NoStuck of a design that could get stuck, a user design whose Miss reads
// the state) is computed.

// maxStructuralR bounds the values of reserve_used a bound is evaluated at
// to be judged by construction; beyond it the bound is computed.
const maxStructuralR = 1 << 12

// boundByConstruction reports whether bound b (written text) holds in every
// reachable state of any design at parameters p (as the design reads them)
// by the model's rules alone, and why.
func boundByConstruction(b *properties.BoundExpr, text string, p model.Params) (bool, string) {
	if mentions(text, model.MetricPages) || mentions(text, model.MetricPending) || p.Reserve > maxStructuralR {
		return false, ""
	}
	for u := 0; u <= p.Reserve; u++ {
		ok, err := b.Eval(p, model.Metrics{ReserveUsed: int64(u)})
		if err != nil || !ok {
			return false, ""
		}
	}
	return true, fmt.Sprintf("it mentions only reserve_used, which the model's rules keep between 0 and R = %d in every state of every design (a pool page is taken only while one is left, a reclaim returns at most what was taken), and it holds for each of these values", p.Reserve)
}

// reserveByConstruction says why reserve_used is bounded for every K.
func reserveByConstruction(p model.Params) string {
	return fmt.Sprintf("reserve_used <= R = %d in every state of every design at every K: the model takes a pool page only while one is left", p.Reserve)
}

// noStuckByConstruction reports whether NoStuck holds at every K for design
// d by its policies alone, and why.
func noStuckByConstruction(d model.Design) (bool, string) {
	ok, why := bound.NoStuckBranch(d)
	if !ok {
		return false, ""
	}
	return true, why
}

// mentions reports whether the normalised bound text names identifier id.
func mentions(text, id string) bool {
	f := strings.FieldsFunc(text, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	for _, w := range f {
		if w == id {
			return true
		}
	}
	return false
}
