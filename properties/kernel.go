package properties

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rcucheck/rcucheck/traces"
)

// KernelCapture is the path, under the directory that holds the project's
// repository, of the real kernel's bulk capture (Linux 6.1, 16,000
// kfree_rcu() calls on 2 CPUs) whose page allocations an allocation
// measurement is compared with.
const KernelCapture = "shared/data/kernel-traces/krcu-bulk.trace.gz"

// KernelAllocs are the allocation figures of a real kernel's ftrace
// capture, computed by importing it (traces.ImportFtraceFile).
type KernelAllocs struct {
	Capture string `json:"capture"` // the capture's file name
	// Unavailable says why there are no figures (the capture is missing or
	// does not import); the other fields are then zero.
	Unavailable string `json:"unavailable,omitempty"`
	Frees       int    `json:"frees"`
	// PageAllocs are the pages __get_free_pages handed to the kvfree_rcu
	// machinery, CacheRefills the runs of its page-cache worker
	// (fill_page_cache_func), BulkPages the bulk pages its worker freed.
	PageAllocs    int     `json:"page_allocations"`
	CacheRefills  int     `json:"cache_refills"`
	BulkPages     int     `json:"bulk_pages"`
	AllocsPerFree float64 `json:"allocs_per_free"`
	PagesPerFree  float64 `json:"pages_per_free"`
}

// FindKernelCapture returns KernelCapture under the nearest of dir's
// parents that holds it (dir is the repository or a folder inside it),
// or "" when none within four levels does.
func FindKernelCapture(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for range 5 {
		d = filepath.Dir(d)
		p := filepath.Join(d, filepath.FromSlash(KernelCapture))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// ReadKernelAllocs imports the capture at path and returns its
// allocation figures. A capture that is missing gives figures that say
// so (Unavailable) and no error; one that does not import gives the
// error when required, else figures that say why.
func ReadKernelAllocs(path string, required bool) (*KernelAllocs, error) {
	k := &KernelAllocs{Capture: filepath.Base(path)}
	if path == "" {
		k.Capture, k.Unavailable = filepath.Base(KernelCapture), "no capture found (../"+KernelCapture+" from the repository)"
		return k, nil
	}
	imp, err := traces.ImportFtraceFile(path, traces.ImportOptions{NoReplay: true})
	switch {
	case err != nil && required:
		return nil, fmt.Errorf("kernel capture: %w", err)
	case errors.Is(err, fs.ErrNotExist):
		k.Unavailable = "no capture at " + path
		return k, nil
	case err != nil:
		k.Unavailable = strings.ReplaceAll(err.Error(), "\n", " ")
		return k, nil
	}
	f := imp.Figures
	k.Frees, k.PageAllocs, k.CacheRefills, k.BulkPages = f.Frees, f.PageAllocs, f.CacheRefills, f.BulkPages
	if f.Frees > 0 {
		k.AllocsPerFree = float64(f.PageAllocs) / float64(f.Frees)
		k.PagesPerFree = float64(f.BulkPages) / float64(f.Frees)
	}
	return k, nil
}

// KernelComparison says whether the model's pages from the page
// allocator per free (measured under heavy use) differ from the kernel's,
// and why, in words built from the measured counts.
type KernelComparison struct {
	// Compared is false when the run's B and C are not the kernel's
	// (KernelBulk, KernelCache): the figures are then printed side by side
	// but not compared.
	Compared bool `json:"compared"`
	Differ   bool `json:"differ"`
	// Ratio is the model's allocations per free over the kernel's (0 when
	// the kernel made none).
	Ratio  float64 `json:"ratio"`
	Reason string  `json:"reason"`
}

// The kernel's sizes: KVFREE_BULK_MAX_ENTR is 507 to 510 on 64-bit with
// 4 KiB pages (by version), rcu_min_cached_objs 5 since v5.11 (the
// captures are of 6.1).
const (
	KernelBulkMin, KernelBulkMax = 507, 510
	KernelCache                  = 5
)

// CompareKernel compares a's pages from the page allocator per free with
// the kernel's: they differ when the kernel's figure lies outside the
// runs' range widened by three standard deviations. The reason names what
// the counts show: refills of a cache that was not empty, reclaimed pages
// given back to the allocator because the cache was full, against the
// kernel's refills and allocations. nil when k has no figures; not
// compared when a's B or C is not the kernel's.
func CompareKernel(a *AllocStats, k *KernelAllocs) *KernelComparison {
	if a == nil || k == nil || k.Unavailable != "" || k.Frees == 0 {
		return nil
	}
	if p := a.Params; p.Bulk < KernelBulkMin || p.Bulk > KernelBulkMax || p.Cache != KernelCache {
		return &KernelComparison{Reason: fmt.Sprintf("not compared: the kernel's figure is at B = %d..%d, C = %d, the model's at B = %d, C = %d", KernelBulkMin, KernelBulkMax, KernelCache, p.Bulk, p.Cache)}
	}
	sp := a.AllocsPerFree
	lo, hi := sp.Min-3*sp.Stddev, sp.Max+3*sp.Stddev
	c := &KernelComparison{Compared: true, Differ: k.AllocsPerFree < lo || k.AllocsPerFree > hi}
	if k.AllocsPerFree > 0 {
		c.Ratio = sp.Mean / k.AllocsPerFree
	}
	if !c.Differ {
		c.Reason = fmt.Sprintf("the kernel's %.6f lies within the model's runs (%.6f..%.6f, stddev %.6f)", k.AllocsPerFree, sp.Min, sp.Max, sp.Stddev)
		return c
	}
	c.Reason = a.Flow.reason(k)
	return c
}

// reason explains, from the counts, why the model's allocations per free
// differ from the kernel's k.
func (f AllocFlow) reason(k *KernelAllocs) string {
	pct := func(n, of int64) float64 { return 100 * float64(n) / float64(max(of, 1)) }
	var why []string
	if f.Refills > 0 && 2*f.RefillsNotEmpty > f.Refills {
		why = append(why, fmt.Sprintf("the model's refill(c) is enabled whenever cache[c] < C and the heavy profile runs it promptly: %d of its %d refills (%.0f%%) found the cache not empty",
			f.RefillsNotEmpty, f.Refills, pct(f.RefillsNotEmpty, f.Refills)))
	}
	if f.Reclaimed > 0 && 2*f.ToAllocator > f.Reclaimed {
		why = append(why, fmt.Sprintf("so %d of the %d bulk pages reclaimed (%.0f%%) found a full cache and went back to the allocator",
			f.ToAllocator, f.Reclaimed, pct(f.ToAllocator, f.Reclaimed)))
	}
	if f.PagesTaken > 0 && 2*f.Allocs() > f.PagesTaken {
		why = append(why, fmt.Sprintf("the allocator handed out %d pages for the %d bulk pages the frees took (%.2f per page taken)",
			f.Allocs(), f.PagesTaken, float64(f.Allocs())/float64(f.PagesTaken)))
	}
	kern := fmt.Sprintf("the kernel refills only when a free finds the cache empty, with backoff, and puts reclaimed pages back in the cache: %s shows page-cache refills (fill_page_cache_func): %d, and %d page allocations for %d bulk pages taken by %d frees",
		k.Capture, k.CacheRefills, k.PageAllocs, k.BulkPages, k.Frees)
	if len(why) == 0 {
		return "the counts measured do not say why (no refill of a cache that was not empty, no reclaimed page given back); " + kern
	}
	return strings.Join(why, "; ") + "; " + kern
}
