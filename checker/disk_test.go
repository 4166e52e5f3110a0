package checker_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// diskCase is a way to run the disk engine: workers, frontier states a
// batch, bytes of the run of candidates in memory (small ones force many
// runs on disk and merges).
type diskCase struct {
	workers         int
	batch, runBytes uint64
}

var diskCases = []diskCase{{1, 1 << 40, 0}, {2, 7, 24 * 200}, {1, 3, 24 * 600}}

func exploreDisk(t *testing.T, m checker.Model, opt checker.Options, c diskCase, failAfter uint64) *checker.Result {
	t.Helper()
	dir := t.TempDir()
	opt.DiskDir, opt.Workers = dir, c.workers
	r, err := checker.ExploreDiskTuned(context.Background(), m, opt, c.batch, c.runBytes, failAfter)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Fatalf("%d files left in the disk directory", len(left))
	}
	r.DiskPeakBytes, r.DiskWrittenBytes = 0, 0
	return r
}

// sameAsDisk fails unless the disk run r has the figures of the run in
// memory ref. When ref decided the goals on the transition graph, r must
// leave them unknown, and be incomplete for that reason alone.
func sameAsDisk(t *testing.T, what string, ref, r *checker.Result) {
	t.Helper()
	if ref.GoalsBy == checker.GoalsByGraph {
		if r.Complete || !strings.Contains(r.StopReason, "no transition graph") {
			t.Fatalf("%s: goals on the graph in memory, disk run complete %v (%q)", what, r.Complete, r.StopReason)
		}
		c := *ref
		c.Complete, c.StopReason, c.GoalsBy = false, r.StopReason, ""
		c.Goals = append([]checker.PropertyResult(nil), ref.Goals...)
		for i := range c.Goals {
			c.Goals[i].Verdict, c.Goals[i].Trace = checker.Unknown, nil
		}
		ref = &c
	}
	sameResult(t, what, ref, r)
}

// TestDiskSameAsMemory: a disk run gives the figures and traces of the run
// in memory on random graphs (some with ordinals too large for a link),
// ranked or not, for 1 and 2 workers, with runs of candidates small
// enough to spill many times.
func TestDiskSameAsMemory(t *testing.T) {
	for seed := int64(0); seed < 10; seed++ {
		degree := []int{5, 5, 5, 5, 70}[seed%5]
		g := randomGraph(rand.New(rand.NewSource(seed)), 2+rand.New(rand.NewSource(-seed)).Intn(2500), degree)
		for _, m := range []checker.Model{g, &rankedGraph{g, goalDistance(g)}} {
			ref := explore(t, m, checker.Options{Workers: 1})
			for _, c := range diskCases {
				sameAsDisk(t, fmt.Sprintf("seed %d %T %+v", seed, m, c), ref, exploreDisk(t, m, checker.Options{}, c, 0))
			}
		}
	}
}

// TestDiskSameAsMemoryModel checks the same on small instances of the
// reference model, with and without symmetry; the goals are decided by
// ranks either way.
func TestDiskSameAsMemoryModel(t *testing.T) {
	cases := []struct {
		design string
		n, k   int
		sym    bool
	}{{"head", 2, 1, false}, {"sync", 2, 1, false}, {"early", 2, 1, false}, {"reserve", 2, 1, false}, {"limit", 2, 2, true}}
	for _, c := range cases {
		m := instance(t, c.design, c.n, c.k)
		opt := checker.Options{Symmetry: c.sym}
		ref := explore(t, m, opt)
		for _, dc := range []diskCase{{1, 1 << 40, 0}, {2, 512, 26 * 5000}} {
			what := fmt.Sprintf("%s N=%d K=%d sym %v %+v", c.design, c.n, c.k, c.sym, dc)
			sameAsDisk(t, what, ref, exploreDisk(t, m, opt, dc, 0))
		}
	}
}

// TestDiskFull: writes that fail (a full disk) at any point end the run as
// incomplete, with the reason, no verdict "holds", and only violations the
// complete run finds too, with the same traces.
func TestDiskFull(t *testing.T) {
	m := instance(t, "early", 2, 1)
	ref := explore(t, m, checker.Options{})
	full := exploreDisk(t, m, checker.Options{}, diskCase{2, 64, 26 * 300}, 0)
	sameAsDisk(t, "early", ref, full)
	for _, after := range []uint64{1, 30, 2000, 20000, 100000, 300000} {
		r := exploreDisk(t, m, checker.Options{}, diskCase{2, 64, 26 * 300}, after)
		what := fmt.Sprintf("fail after %d bytes", after)
		if r.Complete || !strings.Contains(r.StopReason, "no space left on device") {
			t.Fatalf("%s: complete %v, reason %q", what, r.Complete, r.StopReason)
		}
		if r.States > ref.States {
			t.Fatalf("%s: %d states, more than %d", what, r.States, ref.States)
		}
		for i, pr := range append(append([]checker.PropertyResult(nil), r.Invariants...), r.Goals...) {
			switch pr.Verdict {
			case checker.Holds:
				t.Fatalf("%s: %s holds on an incomplete run", what, pr.Name)
			case checker.Violated:
				if want := ref.Invariants[i]; want.Verdict != checker.Violated || pr.Trace.Len() != want.Trace.Len() {
					t.Fatalf("%s: %s violated in %d steps, the complete run says %v", what, pr.Name, pr.Trace.Len(), want.Verdict)
				}
			}
		}
	}
}

// TestDiskLimits: a state limit stops a disk run at exactly the limit, as
// in memory; a missing directory is an error.
func TestDiskLimits(t *testing.T) {
	m := instance(t, "head", 2, 1)
	r := exploreDisk(t, m, checker.Options{MaxStates: 1000}, diskCase{2, 64, 26 * 300}, 0)
	if r.Complete || r.States != 1000 || !strings.Contains(r.StopReason, "state limit") {
		t.Fatalf("states %d complete %v reason %q", r.States, r.Complete, r.StopReason)
	}
	for _, opt := range []checker.Options{{DiskDir: t.TempDir() + "/none"}, {DiskDir: t.TempDir(), Fingerprint: true}} {
		if _, err := checker.Explore(context.Background(), m, opt); err == nil {
			t.Fatalf("%+v: no error", opt)
		}
	}
}

// instance is the reference model of design at N=n and K=k, the other
// parameters at their defaults.
func instance(t testing.TB, design string, n, k int) checker.Model {
	t.Helper()
	p := model.DefaultParams()
	p.CPUs, p.Calls = n, k
	m, err := model.NewByName(design, p)
	if err != nil {
		t.Fatal(err)
	}
	return m.Checkable()
}

// BenchmarkDiskHeadK2 explores head at K=2 (891,464 states) in memory and
// on disk, goals included, alternating: states per second and the bytes
// the disk run wrote per state.
func BenchmarkDiskHeadK2(b *testing.B) {
	m := instance(b, "head", 2, 2)
	dir := b.TempDir()
	for _, c := range []struct {
		name string
		opt  checker.Options
	}{{"memory", checker.Options{Workers: 2}}, {"disk", checker.Options{Workers: 2, DiskDir: dir}}} {
		b.Run(c.name, func(b *testing.B) {
			var states, written uint64
			start := time.Now()
			for i := 0; i < b.N; i++ {
				r, err := checker.Explore(context.Background(), m, c.opt)
				if err != nil || !r.Complete {
					b.Fatalf("%v %+v", err, r)
				}
				states, written = states+r.States, written+r.DiskWrittenBytes
			}
			b.ReportMetric(float64(states)/time.Since(start).Seconds(), "states/s")
			b.ReportMetric(float64(written)/float64(states), "written-bytes/state")
		})
	}
}
