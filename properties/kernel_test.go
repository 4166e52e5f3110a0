package properties

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

// bulkCapture is the kernel's bulk capture, read in place.
var bulkCapture = filepath.Join("..", "..", "shared", "data", "kernel-traces", "krcu-bulk.trace.gz")

// The kernel's figures come from importing the capture: 5 page
// allocations for 16,000 frees; a missing capture is unavailable, or an
// error when it was asked for.
func TestReadKernelAllocs(t *testing.T) {
	if _, err := os.Stat(bulkCapture); err != nil {
		t.Skipf("no kernel capture: %v", err)
	}
	k, err := ReadKernelAllocs(bulkCapture, true)
	if err != nil {
		t.Fatal(err)
	}
	if k.Unavailable != "" || k.Frees != 16000 || k.PageAllocs != 5 || k.CacheRefills != 1 || k.BulkPages != 62 || k.AllocsPerFree != 5.0/16000 {
		t.Errorf("kernel figures %+v", k)
	}
	if got := FindKernelCapture("."); got == "" || filepath.Base(got) != "krcu-bulk.trace.gz" {
		t.Errorf("FindKernelCapture from properties/: %q", got)
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.trace.gz")
	if k, err := ReadKernelAllocs(missing, false); err != nil || !strings.Contains(k.Unavailable, "no capture at") {
		t.Errorf("missing, not required: %+v, %v", k, err)
	}
	if _, err := ReadKernelAllocs(missing, true); err == nil {
		t.Error("missing and required: no error")
	}
	if k, err := ReadKernelAllocs("", false); err != nil || k.Unavailable == "" || CompareKernel(&AllocStats{}, k) != nil {
		t.Errorf("no capture found: %+v, %v", k, err)
	}
}

// CompareKernel says the figures differ only when the kernel's lies
// outside the runs' spread, and the reason names only what the counts show.
func TestCompareKernel(t *testing.T) {
	kern := &KernelAllocs{Capture: "k", Frees: 16000, PageAllocs: 5, CacheRefills: 1, BulkPages: 62, AllocsPerFree: 5.0 / 16000}
	prompt := AllocFlow{Frees: 1000, PagesTaken: 10, FromCache: 10, Refills: 10, RefillsNotEmpty: 10, RefillPages: 10, Reclaimed: 10, ToAllocator: 9, ToCache: 1}
	lazy := AllocFlow{Frees: 1000, PagesTaken: 10, FromCache: 10, Refills: 2, RefillPages: 2, Reclaimed: 10, ToCache: 10}
	tests := []struct {
		name   string
		per    Spread
		flow   AllocFlow
		differ bool
		want   []string
		not    []string
	}{
		{"same", Spread{Mean: 0.0003, Stddev: 0.00001, Min: 0.00029, Max: 0.00031}, prompt, false, []string{"lies within the model's runs"}, []string{"refill"}},
		{"prompt refills", Spread{Mean: 0.01, Stddev: 0.0001, Min: 0.0099, Max: 0.0101}, prompt, true,
			[]string{"10 of its 10 refills (100%) found the cache not empty", "9 of the 10 bulk pages reclaimed (90%)", "10 pages for the 10 bulk pages", "page-cache refills (fill_page_cache_func): 1, and 5 page allocations for 62 bulk pages"}, nil},
		{"counts say nothing", Spread{Mean: 0.01, Min: 0.01, Max: 0.01}, lazy, true, []string{"do not say why"}, []string{"found the cache not empty", "went back"}},
	}
	for _, tc := range tests {
		c := CompareKernel(&AllocStats{Params: model.Params{Bulk: 508, Cache: 5}, AllocsPerFree: tc.per, Flow: tc.flow}, kern)
		if c == nil || !c.Compared || c.Differ != tc.differ {
			t.Fatalf("%s: %+v", tc.name, c)
		}
		for _, w := range tc.want {
			if !strings.Contains(c.Reason, w) {
				t.Errorf("%s: reason %q lacks %q", tc.name, c.Reason, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(c.Reason, w) {
				t.Errorf("%s: reason %q has %q", tc.name, c.Reason, w)
			}
		}
	}

	for _, p := range []model.Params{{Bulk: 2, Cache: 5}, {Bulk: 508, Cache: 1}, {Bulk: 511, Cache: 5}} {
		c := CompareKernel(&AllocStats{Params: p, AllocsPerFree: Spread{Mean: 1, Min: 1, Max: 1}}, kern)
		if c == nil || c.Compared || c.Differ || !strings.HasPrefix(c.Reason, "not compared: ") {
			t.Errorf("B=%d C=%d: %+v", p.Bulk, p.Cache, c)
		}
	}
}

// A small measurement at the kernel's B and C: the flow's counts add up,
// and the reason quotes them.
func TestAllocFlowMeasured(t *testing.T) {
	p := model.Params{CPUs: 2, Bulk: 508, Cache: 5, Calls: 20000}
	st, err := MeasureAllocations(context.Background(), design(t, "head"), p, 1, 2, 20000)
	if err != nil {
		t.Fatal(err)
	}
	f := st.Flow
	if f.Frees != 40000 || f.PagesTaken != f.FromCache+f.FromAllocator+f.FromReserve || f.Reclaimed != f.ToCache+f.ToAllocator+f.ToReserve || f.Reclaimed > f.PagesTaken {
		t.Errorf("flow does not add up: %+v", f)
	}
	c := CompareKernel(st, &KernelAllocs{Capture: "k", Frees: 16000, PageAllocs: 5, CacheRefills: 1, BulkPages: 62, AllocsPerFree: 5.0 / 16000})
	want := fmt.Sprintf("%d of its %d refills", f.RefillsNotEmpty, f.Refills)
	if c == nil || !c.Differ || !strings.Contains(c.Reason, want) {
		t.Errorf("comparison %+v, want %q (flow %+v)", c, want, f)
	}
}
