package traces

import (
	"fmt"
	"io"
	"sort"
)

// PrintImport writes an import's figures and model replay in text.
func PrintImport(w io.Writer, imp *Import) {
	f := &imp.Figures
	fmt.Fprintf(w, "ftrace capture %s: %d events on %d CPUs", imp.File, f.Events, f.CPUs)
	if f.LostEvents {
		fmt.Fprint(w, " (WARNING: the ring buffer lost events)")
	}
	fmt.Fprintln(w)
	for _, p := range f.Phases {
		fmt.Fprintf(w, "  phase %s\n", p)
	}
	fmt.Fprintf(w, "objects freed (kvfree_call_rcu): %d, per CPU %v, headless %d\n", f.Frees, f.FreesPerCPU, f.Headless)
	var paths []string
	for p := range f.ByPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	fmt.Fprintf(w, "objects reclaimed: %d (", f.Reclaimed)
	for i, p := range paths {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s %d", p, f.ByPath[p])
	}
	fmt.Fprintf(w, "); still pending at the end %d; reclaims of objects freed before the capture %d", f.NotReclaimed, f.PreCapture)
	if f.ForgottenAddresses > 0 {
		fmt.Fprintf(w, " (or freed at one of %d addresses forgotten to stay in bounded memory)", f.ForgottenAddresses)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "fallback path: %d objects through the rcu_head list (channel 3), %d inline synchronize_rcu()+kvfree\n", f.ByPath["rcu_head"], f.ByPath["inline_sync"])
	fmt.Fprintf(w, "grace periods: %d started, %d ended; duration ms %s\n", f.GPsStarted, f.GPsEnded, fmtDist(f.GPDurationMS, "%.3f"))
	fmt.Fprintf(w, "batches (kfree_rcu_work runs): %d; objects per batch %s; pages per batch %s\n", f.Batches, fmtDist(f.ObjsPerBatch, "%.0f"), fmtDist(f.PagesPerBatch, "%.0f"))
	fmt.Fprintf(w, "bulk pages freed by the worker: %d (%.1f objects per page); most pages in flight at once: %d\n", f.BulkPages, f.CallsPerPage, f.MaxPagesInFlight)
	fmt.Fprintf(w, "free latency: ms %s\n", fmtDist(f.LatencyMS, "%.3f"))
	fmt.Fprintf(w, "free latency: grace periods ended in between %s; full grace periods (began after the free) %s\n", fmtDist(f.LatencyGPs, "%.0f"), fmtDist(f.FullGPs, "%.0f"))
	per := "none"
	if f.PageAllocs > 0 {
		per = fmt.Sprintf("one per %.0f frees", f.CallsPerAlloc)
	}
	fmt.Fprintf(w, "page allocations (__get_free_pages in the machinery): %d, %s; page-cache refills %d\n", f.PageAllocs, per, f.CacheRefills)
	fmt.Fprintf(w, "memory pressure: %d shrinker counts, %d shrinker scans, %d cached pages drained, %d direct reclaims\n", f.ShrinkCounts, f.ShrinkScans, f.PagesDrained, f.DirectReclaim)
	if r := imp.Replay; r != nil && r.Skipped != "" {
		fmt.Fprintf(w, "model replay: %s\n", r.Skipped)
	} else if r != nil {
		fmt.Fprintf(w, "model replay (design %s, %s): %d of %d kernel events taken as recorded; max pages %d, max pending %d\n",
			r.Design, r.Params, r.Applied, r.Events, r.MaxPages, r.MaxPending)
		if len(r.Divergences) == 0 {
			fmt.Fprintln(w, "  the model followed every event")
		}
		for _, d := range r.Divergences {
			kind := "MODEL CANNOT"
			if d.Abstraction {
				kind = "abstraction"
			}
			fmt.Fprintf(w, "  %s: %d x %s (first at trace line %d: %s)\n", kind, d.Count, d.Class, d.FirstLine, d.Example)
		}
	}
}

func fmtDist(d Dist, f string) string {
	if d.N == 0 {
		return "(none)"
	}
	return fmt.Sprintf("min "+f+" p50 "+f+" p99 "+f+" max "+f+" (n=%d)", d.Min, d.P50, d.P99, d.Max, d.N)
}
