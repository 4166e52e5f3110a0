// Package reclaim is a concrete Go implementation of the kvfree_rcu()
// reclaim API, written independently of the reference model so that the
// two can be tested against each other (properties.DiffCommands).
//
// It keeps real data structures: objects with an embedded rcu_head, bulk
// pages of object pointers (B to a page), a per-CPU stack of cached pages,
// two in-flight batches per CPU that wait for a grace-period cookie in the
// style of get_state_synchronize_rcu()/poll_state_synchronize_rcu(), a page
// allocator that counts pages and fails on request, and an emergency pool.
// Its metrics are computed by walking those structures. Use-after-free is
// detected the way a real RCU user would experience it: an object is unsafe
// to free while a reader that was running when the object was freed by
// kvfree_rcu() is still running.
package reclaim

import (
	"errors"
	"fmt"
)

// Fallback is what a free does when it needs a page and gets none.
type Fallback int

// The fallbacks of the designs.
const (
	// UseHead queues the object through its embedded rcu_head.
	UseHead Fallback = iota
	// Synchronize blocks the caller in synchronize_rcu() and frees the
	// object itself afterwards.
	Synchronize
	// UseReserve takes a page from the emergency pool; with the pool empty
	// the free path is stuck.
	UseReserve
)

// Design configures the implementation.
type Design struct {
	Name string
	// Allocates: the free path may call the page allocator.
	Allocates bool
	// OnFailure is the fallback.
	OnFailure Fallback
	// Reserve: the design has the emergency pool of Config.Reserve pages,
	// refilled first by reclaim.
	Reserve bool
	// Limit: free(c) waits while c has Config.Limit objects in flight.
	Limit bool
	// JoinRunning is the bug of design early: a batch handed over while a
	// grace period runs takes that grace period's cookie.
	JoinRunning bool
}

// Designs returns the implementation's versions of the specification's
// five designs, keyed by name.
func Designs() map[string]Design {
	return map[string]Design{
		"head":    {Name: "head", Allocates: true, OnFailure: UseHead},
		"sync":    {Name: "sync", Allocates: true, OnFailure: Synchronize},
		"reserve": {Name: "reserve", OnFailure: UseReserve, Reserve: true},
		"limit":   {Name: "limit", Allocates: true, OnFailure: UseReserve, Reserve: true, Limit: true},
		"early":   {Name: "early", Allocates: true, OnFailure: UseHead, JoinRunning: true},
	}
}

// Config sizes the implementation.
type Config struct {
	CPUs    int // CPUs
	Bulk    int // object pointers per bulk page
	Cache   int // cached pages per CPU
	Reserve int // pages in the emergency pool (designs with a reserve)
	Limit   int // in-flight objects per CPU (designs with a limit)
}

// Errors of the API.
var (
	// ErrStuck: the free path needed a page and could not get one.
	ErrStuck = errors.New("free path stuck: no page and no way to wait")
	// ErrNotAllowed: the operation is not possible in the current state.
	ErrNotAllowed = errors.New("operation not possible now")
)

// Object is a freed object. Head is its embedded rcu_head.
type Object struct {
	id     uint64
	freeAt uint64 // event time of its kvfree_rcu()
	head   *Object
}

// page is a bulk page of object pointers.
type page struct {
	ptrs []*Object
}

// batch is one of a CPU's two in-flight batches (krw_arr[]).
type batch struct {
	busy   bool
	cookie uint64 // the grace-period sequence that must be reached
	pages  []*page
	heads  *Object // list linked through rcu_head
}

// cpu is the per-CPU state (kfree_rcu_cpu).
type cpu struct {
	pages   []*page // the channel: bulk pages not yet handed over
	heads   *Object // the rcu_head channel
	cache   []*page // the page cache
	batches [2]batch
	blocked *Object // the object of a caller blocked in synchronize_rcu()
	blkWait uint64  // the cookie it waits for
	inRead  bool
	lockAt  uint64 // event time of the running reader's rcu_read_lock()
}

// Allocator is a page allocator whose next answer is decided by the caller.
type Allocator struct {
	// Allocated and Freed count pages handed out and given back.
	Allocated, Freed int
}

func (a *Allocator) alloc(bulk int, ok bool) *page {
	if !ok {
		return nil
	}
	a.Allocated++
	return &page{ptrs: make([]*Object, 0, bulk)}
}

func (a *Allocator) free(p *page) {
	p.ptrs = nil
	a.Freed++
}

// Reclaimer is the implementation: kvfree_rcu() and its workers, with a
// minimal RCU (readers, grace periods) underneath.
type Reclaimer struct {
	design Design
	cfg    Config
	cpus   []cpu
	pool   []*page // the emergency reserve
	gpSeq  uint64  // even: idle; odd: a grace period runs
	qs     []bool  // readers the running grace period waits for
	clock  uint64  // event counter
	nextID uint64
	stuck  bool
	// Alloc is the page allocator.
	Alloc Allocator
	// UnsafeFrees counts objects freed while a reader that overlapped
	// their kvfree_rcu() still ran (a use-after-free for that reader).
	UnsafeFrees int
}

// New returns a Reclaimer of design d sized by cfg, with full caches and a
// full pool.
func New(d Design, cfg Config) (*Reclaimer, error) {
	if cfg.CPUs < 1 || cfg.Bulk < 1 || cfg.Cache < 0 || cfg.Reserve < 0 || cfg.Limit < 0 {
		return nil, fmt.Errorf("reclaim: bad configuration %+v", cfg)
	}
	if !d.Reserve {
		cfg.Reserve = 0
	}
	if !d.Limit {
		cfg.Limit = 0
	}
	r := &Reclaimer{design: d, cfg: cfg, cpus: make([]cpu, cfg.CPUs), qs: make([]bool, cfg.CPUs)}
	for c := range r.cpus {
		for i := 0; i < cfg.Cache; i++ {
			r.cpus[c].cache = append(r.cpus[c].cache, r.Alloc.alloc(cfg.Bulk, true))
		}
	}
	for i := 0; i < cfg.Reserve; i++ {
		r.pool = append(r.pool, r.Alloc.alloc(cfg.Bulk, true))
	}
	return r, nil
}

func (r *Reclaimer) tick() uint64 { r.clock++; return r.clock }

// snap is get_state_synchronize_rcu(): the sequence value at which a full
// grace period starting after now has ended. The early design takes the
// running grace period's end instead.
func (r *Reclaimer) snap() uint64 {
	if r.design.JoinRunning {
		return (r.gpSeq + 2) &^ 1
	}
	return (r.gpSeq + 3) &^ 1
}

// done is poll_state_synchronize_rcu().
func (r *Reclaimer) done(cookie uint64) bool { return r.gpSeq >= cookie }

func (r *Reclaimer) cpu(c int) (*cpu, error) {
	if c < 0 || c >= len(r.cpus) {
		return nil, fmt.Errorf("reclaim: CPU %d out of range", c)
	}
	if r.stuck {
		return nil, ErrStuck
	}
	return &r.cpus[c], nil
}

func listLen(o *Object) int {
	n := 0
	for ; o != nil; o = o.head {
		n++
	}
	return n
}

func objsIn(pages []*page) int {
	n := 0
	for _, p := range pages {
		n += len(p.ptrs)
	}
	return n
}

// inflight counts c's objects not yet reclaimed (channel and batches).
func (u *cpu) inflight() int {
	n := objsIn(u.pages) + listLen(u.heads)
	for j := range u.batches {
		n += objsIn(u.batches[j].pages) + listLen(u.batches[j].heads)
	}
	return n
}

// Free is kvfree_rcu() on CPU c. allocOK is the page allocator's answer
// should the free need to ask it.
func (r *Reclaimer) Free(c int, allocOK bool) error {
	u, err := r.cpu(c)
	if err != nil {
		return err
	}
	if u.blocked != nil || (r.design.Limit && u.inflight() >= r.cfg.Limit) {
		return ErrNotAllowed
	}
	r.nextID++
	obj := &Object{id: r.nextID, freeAt: r.tick()}
	if n := len(u.pages); n > 0 && len(u.pages[n-1].ptrs) < cap(u.pages[n-1].ptrs) {
		u.pages[n-1].ptrs = append(u.pages[n-1].ptrs, obj)
		return nil
	}
	var p *page
	if n := len(u.cache); n > 0 {
		p, u.cache = u.cache[n-1], u.cache[:n-1]
	} else if r.design.Allocates {
		p = r.Alloc.alloc(r.cfg.Bulk, allocOK)
	}
	if p == nil {
		switch r.design.OnFailure {
		case UseHead:
			obj.head, u.heads = u.heads, obj
			return nil
		case Synchronize:
			u.blocked, u.blkWait = obj, r.snapSync()
			return nil
		case UseReserve:
			if n := len(r.pool); n > 0 {
				p, r.pool = r.pool[n-1], r.pool[:n-1]
			} else {
				r.stuck = true
				return ErrStuck
			}
		}
	}
	p.ptrs = append(p.ptrs, obj)
	u.pages = append(u.pages, p)
	return nil
}

// snapSync is the cookie of an inline synchronize_rcu(): always a full
// grace period from now.
func (r *Reclaimer) snapSync() uint64 { return (r.gpSeq + 3) &^ 1 }

// ReadLock is rcu_read_lock() on c.
func (r *Reclaimer) ReadLock(c int) error {
	u, err := r.cpu(c)
	if err != nil {
		return err
	}
	if u.inRead {
		return ErrNotAllowed
	}
	u.inRead, u.lockAt = true, r.tick()
	return nil
}

// ReadUnlock is rcu_read_unlock() on c: a quiescent state for the running
// grace period.
func (r *Reclaimer) ReadUnlock(c int) error {
	u, err := r.cpu(c)
	if err != nil {
		return err
	}
	if !u.inRead {
		return ErrNotAllowed
	}
	u.inRead = false
	r.qs[c] = false
	return nil
}

// Monitor is the monitor work of c: it hands the channel to the lowest free
// batch, which waits for the cookie of a new grace period.
func (r *Reclaimer) Monitor(c int) error {
	u, err := r.cpu(c)
	if err != nil {
		return err
	}
	if len(u.pages) == 0 && u.heads == nil {
		return ErrNotAllowed
	}
	for j := range u.batches {
		b := &u.batches[j]
		if b.busy {
			continue
		}
		*b = batch{busy: true, cookie: r.snap(), pages: u.pages, heads: u.heads}
		u.pages, u.heads = nil, nil
		return nil
	}
	return ErrNotAllowed
}

// needsGP reports whether a waiter needs a grace period that has not
// started.
func (r *Reclaimer) needsGP() bool {
	for c := range r.cpus {
		u := &r.cpus[c]
		if u.blocked != nil && u.blkWait > r.gpSeq+1 {
			return true
		}
		for j := range u.batches {
			if u.batches[j].busy && u.batches[j].cookie > r.gpSeq+1 {
				return true
			}
		}
	}
	return false
}

// GPStart starts a grace period when one is needed and none runs: it waits
// for every reader running now.
func (r *Reclaimer) GPStart() error {
	if r.stuck {
		return ErrStuck
	}
	if r.gpSeq&1 == 1 || !r.needsGP() {
		return ErrNotAllowed
	}
	r.gpSeq++
	for c := range r.cpus {
		r.qs[c] = r.cpus[c].inRead
	}
	return nil
}

// GPEnd ends the running grace period once every reader it waits for has
// ended.
func (r *Reclaimer) GPEnd() error {
	if r.stuck {
		return ErrStuck
	}
	if r.gpSeq&1 == 0 {
		return ErrNotAllowed
	}
	for _, q := range r.qs {
		if q {
			return ErrNotAllowed
		}
	}
	r.gpSeq++
	return nil
}

// unsafe reports whether freeing o now would pull it from under a reader
// that was running when it was freed and still runs.
func (r *Reclaimer) unsafe(o *Object) bool {
	for c := range r.cpus {
		if r.cpus[c].inRead && r.cpus[c].lockAt < o.freeAt {
			return true
		}
	}
	return false
}

// Reclaim is the reclaim work of batch j of CPU c after its grace period:
// it frees the objects, then gives the pages to the pool (designs with a
// reserve), then to the cache, then back to the allocator.
func (r *Reclaimer) Reclaim(c, j int) error {
	u, err := r.cpu(c)
	if err != nil {
		return err
	}
	if j < 0 || j > 1 || !u.batches[j].busy || !r.done(u.batches[j].cookie) {
		return ErrNotAllowed
	}
	b := &u.batches[j]
	for _, p := range b.pages {
		for _, o := range p.ptrs {
			if r.unsafe(o) {
				r.UnsafeFrees++
			}
		}
		p.ptrs = p.ptrs[:0]
		switch {
		case r.design.Reserve && len(r.pool) < r.cfg.Reserve:
			r.pool = append(r.pool, p)
		case len(u.cache) < r.cfg.Cache:
			u.cache = append(u.cache, p)
		default:
			r.Alloc.free(p)
		}
	}
	for o := b.heads; o != nil; o = o.head {
		if r.unsafe(o) {
			r.UnsafeFrees++
		}
	}
	*b = batch{}
	return nil
}

// Wake resumes the caller blocked on c once its grace period has ended; it
// frees its object itself.
func (r *Reclaimer) Wake(c int) error {
	u, err := r.cpu(c)
	if err != nil {
		return err
	}
	if u.blocked == nil || !r.done(u.blkWait) {
		return ErrNotAllowed
	}
	if r.unsafe(u.blocked) {
		r.UnsafeFrees++
	}
	u.blocked = nil
	return nil
}

// Refill is the page-cache worker: it allocates pages until c's cache is full.
func (r *Reclaimer) Refill(c int) error {
	u, err := r.cpu(c)
	if err != nil {
		return err
	}
	if len(u.cache) >= r.cfg.Cache {
		return ErrNotAllowed
	}
	for len(u.cache) < r.cfg.Cache {
		u.cache = append(u.cache, r.Alloc.alloc(r.cfg.Bulk, true))
	}
	return nil
}

// Shrink is the shrinker: it gives c's cached pages back to the allocator.
func (r *Reclaimer) Shrink(c int) error {
	u, err := r.cpu(c)
	if err != nil {
		return err
	}
	if len(u.cache) == 0 {
		return ErrNotAllowed
	}
	for _, p := range u.cache {
		r.Alloc.free(p)
	}
	u.cache = nil
	return nil
}

// Stuck reports whether the free path got stuck.
func (r *Reclaimer) Stuck() bool { return r.stuck }

// Usage is the implementation's own count of its memory, in the terms of
// the model's metrics.
type Usage struct {
	Pages       int64 // pages held: channels, caches, batches
	Pending     int64 // objects freed by kvfree_rcu() and not yet reclaimed
	ReserveUsed int64 // pages taken from the pool
}

// Usage walks the data structures and counts.
func (r *Reclaimer) Usage() Usage {
	var us Usage
	for c := range r.cpus {
		u := &r.cpus[c]
		us.Pages += int64(len(u.pages) + len(u.cache))
		us.Pending += int64(u.inflight())
		for j := range u.batches {
			us.Pages += int64(len(u.batches[j].pages))
		}
		if u.blocked != nil {
			us.Pending++
		}
	}
	us.ReserveUsed = int64(r.cfg.Reserve - len(r.pool))
	return us
}

// Hazard reports whether some batch or blocked caller whose grace period
// has ended holds an object that a running reader overlapped: reclaiming it
// now would be a use-after-free.
func (r *Reclaimer) Hazard() bool {
	for c := range r.cpus {
		u := &r.cpus[c]
		if u.blocked != nil && r.done(u.blkWait) && r.unsafe(u.blocked) {
			return true
		}
		for j := range u.batches {
			b := &u.batches[j]
			if !b.busy || !r.done(b.cookie) {
				continue
			}
			for _, p := range b.pages {
				for _, o := range p.ptrs {
					if r.unsafe(o) {
						return true
					}
				}
			}
			for o := b.heads; o != nil; o = o.head {
				if r.unsafe(o) {
					return true
				}
			}
		}
	}
	return false
}
