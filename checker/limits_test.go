package checker_test

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/checker"
)

// fatModel is an infinite tree of large states with many successors: a
// level holds deg^d states of words words each, so that the candidates of
// one batch take far more memory than the visited set.
type fatModel struct{ words, deg int }

func (f *fatModel) StateWords() int                    { return f.words }
func (f *fatModel) Initial(dst []uint64)               { clear(dst) }
func (f *fatModel) ActionName(a checker.Action) string { return "a" }
func (f *fatModel) Invariants() []string               { return []string{"ok"} }
func (f *fatModel) Goals() []string                    { return []string{"g"} }
func (f *fatModel) Metrics() []string                  { return []string{"m"} }
func (f *fatModel) NewExpander() checker.Expander {
	return &fatExp{f: f, out: make([]uint64, f.words), seed: maphash.MakeSeed()}
}

type fatExp struct {
	f    *fatModel
	out  []uint64
	seed maphash.Seed
	buf  [16]byte
}

func (x *fatExp) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	for k := 0; k < x.f.deg; k++ {
		binary.LittleEndian.PutUint64(x.buf[:], s[0])
		binary.LittleEndian.PutUint64(x.buf[8:], uint64(k))
		h := maphash.Bytes(x.seed, x.buf[:])
		for i := range x.out {
			x.out[i] = h + uint64(i)
		}
		emit(checker.Action(k), x.out)
	}
}

func (x *fatExp) Evaluate(s []uint64, inv, goal []bool, m []int64) {
	inv[0], goal[0], m[0] = true, true, 0
}

// heapPeak samples the heap's objects (live and not yet swept) until stop
// is called, and returns the largest value seen.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: sample[0].Name}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// TestMemoryCapInsideBatch: the memory cap holds inside a batch whose
// candidates alone would pass it many times (a level of 4096 states of
// 256 bytes with 64 successors each: 80 MB of candidates). The run stops as
// incomplete on the memory limit; the accounted peak stays under the cap and
// covers what the heap really grew by. With one worker and no goal, the run
// stores each chunk as it expands it (direct), and checks the cap before.
func TestMemoryCapInsideBatch(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	const capBytes = 24 << 20
	for _, c := range []struct {
		workers   int
		skipGoals bool
	}{{1, false}, {2, false}, {1, true}} {
		workers := c.workers
		runtime.GC()
		base := heapPeak()()
		stop := heapPeak()
		r, err := checker.Explore(context.Background(), &fatModel{words: 32, deg: 64},
			checker.Options{MaxMemory: capBytes, Workers: workers, SkipGoals: c.skipGoals})
		grown := stop() - base
		if err != nil {
			t.Fatal(err)
		}
		if r.Complete || !strings.Contains(r.StopReason, "memory limit") {
			t.Fatalf("workers %d: complete %v, stop reason %q; want the memory limit", workers, r.Complete, r.StopReason)
		}
		// A worker checks the cap once its chunk is expanded: each may
		// pass it by one chunk's buffers (about chunkBytes).
		if slack := uint64(workers) * 2 << 20; r.PeakBytes > capBytes+slack {
			t.Errorf("workers %d: accounted peak %d bytes passes the cap of %d MiB by more than %d bytes", workers, r.PeakBytes, capBytes>>20, slack)
		}
		// The heap holds the chunks' buffers and the small tables; the
		// accounting must cover them (with room for garbage not yet
		// collected).
		if grown > r.PeakBytes*3/2+8<<20 {
			t.Errorf("workers %d: the heap grew by %d MiB, the accounted peak is %d MiB", workers, grown>>20, r.PeakBytes>>20)
		}
		if r.States < 65 {
			t.Errorf("workers %d: only %d states stored before the cap", workers, r.States)
		}
	}
}

// TestMemoryCapStoreGrowth: under a cap that the visited set's growth
// reaches first (one-word states, two successors each: the chunks' buffers
// stay small, and a shard that grows holds its old and new tables at once),
// the run stops before its accounted memory passes the cap, with one
// worker (each chunk fitted before it is stored, fitsDirect) and two
// (each batch cut to what fits, fit). Either check skipped passes the cap
// (by about 0.4 MiB here); with both, the run stops 2.7 and 1.9 MiB below it.
func TestMemoryCapStoreGrowth(t *testing.T) {
	const capBytes = 48 << 20
	for _, workers := range []int{1, 2} {
		r, err := checker.Explore(context.Background(), &slowModel{width: 1 << 14, depth: 1 << 30},
			checker.Options{MaxMemory: capBytes, Workers: workers, SkipGoals: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.Complete || !strings.Contains(r.StopReason, "memory limit") {
			t.Fatalf("workers %d: complete %v, stop reason %q; want the memory limit", workers, r.Complete, r.StopReason)
		}
		if r.PeakBytes > capBytes {
			t.Errorf("workers %d: accounted peak %d bytes passes the cap of %d", workers, r.PeakBytes, uint64(capBytes))
		}
		if r.PeakBytes < capBytes*7/8 {
			t.Errorf("workers %d: accounted peak %d bytes, far below the cap of %d: the store did not bind", workers, r.PeakBytes, uint64(capBytes))
		}
	}
}

// slowModel is a band of width states a level, depth levels deep; each
// expansion sleeps, so that a level takes a few milliseconds and the run
// many progress periods.
type slowModel struct {
	width, depth uint64
	sleep        time.Duration
}

func (m *slowModel) StateWords() int                    { return 1 }
func (m *slowModel) Initial(dst []uint64)               { dst[0] = 0 }
func (m *slowModel) ActionName(a checker.Action) string { return "a" }
func (m *slowModel) Invariants() []string               { return []string{"ok"} }
func (m *slowModel) Goals() []string                    { return []string{"g"} }
func (m *slowModel) Metrics() []string                  { return []string{"m"} }
func (m *slowModel) NewExpander() checker.Expander      { return &slowExp{m: m, out: make([]uint64, 1)} }

type slowExp struct {
	m   *slowModel
	out []uint64
}

// Successors: state d*width+i leads to (d+1)*width + i and + (i+1)%width.
func (x *slowExp) Successors(s []uint64, emit func(checker.Action, []uint64)) {
	time.Sleep(x.m.sleep)
	d, i := s[0]/x.m.width, s[0]%x.m.width
	if d+1 >= x.m.depth {
		return
	}
	for k, j := range []uint64{i, (i + 1) % x.m.width} {
		x.out[0] = (d+1)*x.m.width + j
		emit(checker.Action(k), x.out)
	}
}

func (x *slowExp) Evaluate(s []uint64, inv, goal []bool, m []int64) {
	inv[0], goal[0], m[0] = true, s[0]/x.m.width+1 == x.m.depth, int64(s[0]/x.m.width)
}

// TestProgressDuringLongRun: progress comes every ProgressEvery during a run
// made of many short levels and batches, each shorter than the period.
func TestProgressDuringLongRun(t *testing.T) {
	m := &slowModel{width: 8, depth: 60, sleep: 500 * time.Microsecond}
	var calls atomic.Int64
	var last atomic.Uint64
	start := time.Now()
	r, err := checker.Explore(context.Background(), m, checker.Options{
		Workers: 1, ProgressEvery: 50 * time.Millisecond,
		Progress: func(p checker.Progress) { calls.Add(1); last.Store(p.States) },
	})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if !r.Complete || r.States < m.width*(m.depth-m.width) {
		t.Fatalf("complete %v, %d states", r.Complete, r.States)
	}
	want := int64(el/(50*time.Millisecond)) / 3
	if el < 200*time.Millisecond {
		t.Fatalf("the run took %s: too fast for the test", el)
	}
	if calls.Load() < want || calls.Load() < 3 {
		t.Errorf("%d progress calls in %s, want at least %d", calls.Load(), el, max(want, 3))
	}
	if last.Load() == 0 {
		t.Errorf("progress never reported a state")
	}
}

// TestOptionsRefused: options that make no sense are errors, not "no limit".
func TestOptionsRefused(t *testing.T) {
	g := &slowModel{width: 2, depth: 2}
	for _, opt := range []checker.Options{
		{Workers: -1},
		{Workers: 1025},
		{Timeout: -5 * time.Second},
		{ProgressEvery: -time.Second},
	} {
		if _, err := checker.Explore(context.Background(), g, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
}
