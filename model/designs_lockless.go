package model

// Lockless is the RFC of September 2020, "[RFC-PATCH 2/4] mm: Add
// __rcu_alloc_page_lockless() func." (Rezki, with Peter Zijlstra's
// allocator function), for the two-argument kvfree_rcu(ptr, rhf) under the
// raw krcp->lock: on a cache miss the free takes a page from the current
// CPU's pcplists without zone->lock, which may find them empty; on failure
// the object goes through its rcu_head. Michal Hocko objected that the
// pages it may take are "hard to estimate"; this design caps them with a
// budget of R pages held at once (the pool: reserve_used is the number of
// lockless pages held), and a reclaimed batch gives its pages back to the
// pcplists first (ReclaimReserveFirst), then to the cache. The refill
// worker is v5.11's (RefillFull), which the series' patch 1 added.
func Lockless() Design {
	return Policies{
		DesignName:    "lockless",
		DesignSummary: "2020 RFC: two-argument kvfree_rcu with lockless pcplist pages, capped by a budget of R pages, rcu_head fallback",
		Uses:          Resources{Reserve: true},
		Plan:          Plan(FallbackHead, SourceLockless),
		ReclaimPolicy: ReclaimReserveFirst,
	}
}

// LocklessAtomic is the same lockless, budgeted page source for a headless
// kvfree_rcu(ptr) called in atomic context (PREEMPT_RT, raw spinlock held):
// it may neither call the allocator nor sleep in synchronize_rcu(), so when
// the pcplists are empty or the budget is spent the free path is stuck.
// It is Peter Zijlstra's objection made checkable: "with RCU you can't
// limit concurrency ... You must have that callback_head fallback."
func LocklessAtomic() Design {
	return Policies{
		DesignName:    "lockless-atomic",
		DesignSummary: "2020 RFC's lockless pages for a headless caller in atomic context: no allocator, no synchronize_rcu(), stuck when none is found",
		Uses:          Resources{Reserve: true},
		Plan:          Plan(FallbackStuck, SourceLockless),
		ReclaimPolicy: ReclaimReserveFirst,
	}
}
