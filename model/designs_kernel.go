package model

// Realistic returns the realistic designs, each standing for kernel code
// (see docs/designs.md and ../shared/docs/kernel-facts.md):
//
//   - linux-sleepable: the headless kvfree_rcu_mightsleep(ptr) of current
//     Linux (v5.12 on);
//   - linux-head: the two-argument kvfree_rcu(ptr, rhf) of current Linux
//     (v5.11 on), which never allocates in the caller;
//   - lockless: the 2020 RFC's __rcu_alloc_page_lockless() for the
//     two-argument form, with a budget of R pages;
//   - lockless-atomic: the same lockless pages for a headless caller in
//     atomic context, which has no fallback.
func Realistic() []Design {
	return []Design{LinuxSleepable(), LinuxHead(), Lockless(), LocklessAtomic()}
}

// LinuxSleepable is the headless kvfree_rcu_mightsleep(ptr) of current Linux
// (mm/slab_common.c; kernel/rcu/tree.c before v6.14), from sleepable
// context: add_ptr_to_bulk_krc_lock() takes a cached page, else (can_alloc)
// drops the lock and calls __get_free_page(GFP_KERNEL | __GFP_NORETRY |
// __GFP_NOMEMALLOC | __GFP_NOWARN), which may fail; on failure
// kvfree_call_rcu() calls synchronize_rcu() inline and kvfree()s the object.
// Emptied pages go back to the cache up to rcu_min_cached_objs
// (put_cached_bnode()), the rest to the allocator. The refill worker
// (fill_page_cache_func()) fills the cache to rcu_min_cached_objs, or a
// single page while the shrinker's backoff_page_cache_fill is set (v5.14
// on): RefillBackoff, its two branches. kvfree_rcu_queue_batch() attaches
// to a batch only when all its channels are empty (since 5da7cb193db3), so
// a batch waits for a grace period of its own: JoinNext.
//
// Where the model abstracts: the worker is kicked only after a miss
// (run_page_cache_worker()) and waits 5 s while backing off; the model lets
// it run at any time (a superset of the kernel's schedules).
func LinuxSleepable() Design {
	return Policies{
		DesignName:    "linux-sleepable",
		DesignSummary: "current Linux kvfree_rcu_mightsleep(ptr): cache, then a GFP_KERNEL|__GFP_NORETRY page, then synchronize_rcu(); refill worker backs off",
		Plan:          Plan(FallbackSync, SourceAllocator),
		RefillPolicy:  RefillBackoff,
	}
}

// LinuxHead is the two-argument kvfree_rcu(ptr, rhf) of current Linux
// (v5.11 on): the caller may hold a raw spinlock, so it never calls the
// page allocator ("rcu/tree: Add a work to allocate pages from regular
// context"); a cache miss queues the object on krcp->head through its
// rcu_head and kicks the refill worker, which backs off under pressure as
// in LinuxSleepable.
func LinuxHead() Design {
	return Policies{
		DesignName:    "linux-head",
		DesignSummary: "current Linux kvfree_rcu(ptr, rhf): cache or rcu_head, never the allocator in the caller; refill worker backs off",
		Plan:          Plan(FallbackHead),
		RefillPolicy:  RefillBackoff,
	}
}
