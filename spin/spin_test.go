package spin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

func TestParseFixture(t *testing.T) {
	out, err := os.ReadFile("testdata/pan-head-N2K1.txt")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{StatesStored: 7200, StatesMatched: 29953, Transitions: 37153, Depth: 59, StateVector: 44, MemoryMB: 5.829, ElapsedSec: 0.04}
	if s != want {
		t.Fatalf("Parse = %+v\nwant    %+v", s, want)
	}
	if s.SpecTransitions() != 37152 {
		t.Fatalf("SpecTransitions = %d, want 37152", s.SpecTransitions())
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, out, want string }{
		{"empty", "", "no states stored line"},
		{"no depth", "  10 states, stored\n  2 states, matched\n  12 transitions (= stored+matched)\n", "no depth reached"},
		{"huge", "  99999999999999999999999 states, stored\n", "bad states stored"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse error %v, want one containing %q", err, c.want)
			}
		})
	}
	s, err := Parse("pan: out of memory\nState-vector 44 byte, depth reached 3, errors: 0\n 5 states, stored\n 1 states, matched\n 6 transitions (= stored+matched)\n")
	if err != nil || !s.Truncated {
		t.Fatalf("out-of-memory output: %+v, %v; want a truncated run", s, err)
	}
}

func FuzzParse(f *testing.F) {
	if out, err := os.ReadFile("testdata/pan-head-N2K1.txt"); err == nil {
		f.Add(string(out))
	}
	f.Add("State-vector 1 byte, depth reached 0, errors: 0\n 1 states, stored\n 0 states, matched\n 1 transitions (= stored+matched)\n")
	f.Fuzz(func(t *testing.T, out string) {
		s, err := Parse(out)
		if err == nil && s.Transitions > 0 && s.SpecTransitions() != s.Transitions-1 {
			t.Fatalf("SpecTransitions %d of %d", s.SpecTransitions(), s.Transitions)
		}
	})
}

func TestPromelaShape(t *testing.T) {
	for _, name := range Designs() {
		d, err := model.LookupDesign(name)
		if err != nil {
			t.Fatal(err)
		}
		src, err := Promela(d, model.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		// One d_step per (action, CPU, slot, branch) of the spec.
		n := strings.Count(src, ":: d_step")
		branches := map[string]int{"head": 4, "sync": 4, "reserve": 4, "limit": 5, "early": 4}[name]
		// per CPU: free branches, read_lock, read_unlock, monitor, 2 reclaims, wake, refill, shrink; plus gp_start, gp_end
		want := 2*(branches+8) + 2
		if n != want {
			t.Errorf("%s: %d d_steps, want %d", name, n, want)
		}
	}
	bad := model.DefaultParams()
	bad.CPUs = MaxCPUs + 1
	d, _ := model.LookupDesign("head")
	if _, err := Promela(d, bad); err == nil {
		t.Errorf("Promela accepted %d CPUs", bad.CPUs)
	}
}

// TestDifferentialSPIN is the differential test of the engine: SPIN and
// rcucheck must count the same states and transitions on every design.
func TestDifferentialSPIN(t *testing.T) {
	if err := Tools(); err != nil {
		t.Skipf("differential test against SPIN skipped: %v", err)
	}
	type inst struct {
		design string
		n, k   int
	}
	var cases []inst
	for _, d := range Designs() {
		cases = append(cases, inst{d, 2, 1}, inst{d, 1, 3})
	}
	cases = append(cases, inst{"sync", 2, 2}, inst{"reserve", 3, 1})
	ctx := context.Background()
	for _, c := range cases {
		p := model.DefaultParams()
		p.CPUs, p.Calls = c.n, c.k
		m, err := model.NewByName(c.design, p)
		if err != nil {
			t.Fatal(err)
		}
		src, err := Promela(m.Design(), p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := checker.Explore(ctx, m.Checkable(), checker.Options{SkipGoals: true, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Compile(ctx, filepath.Join(t.TempDir(), "pan"), src, Modes()[0])
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.Run(ctx, RunArgs(res.States))
		if err != nil {
			t.Fatal(err)
		}
		if r.StatesStored != res.States || r.SpecTransitions() != res.Transitions || r.Errors != 0 || r.Truncated {
			t.Errorf("%s N=%d K=%d: SPIN %d states %d transitions (errors %d); rcucheck %d states %d transitions",
				c.design, c.n, c.k, r.StatesStored, r.SpecTransitions(), r.Errors, res.States, res.Transitions)
		} else {
			t.Logf("%s N=%d K=%d: %d states, %d transitions on both", c.design, c.n, c.k, res.States, res.Transitions)
		}
	}
}

// TestParseRounded: pan prints counts of 10^8 and more with 8 significant
// digits; Parse reads them and says so.
func TestParseRounded(t *testing.T) {
	out := "State-vector 44 byte, depth reached 60, errors: 0\n 31395028 states, stored\n1.5579671e+08 states, matched\n1.8719174e+08 transitions (= stored+matched)\n"
	s, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Rounded || s.StatesStored != 31395028 || s.Transitions != 187191740 {
		t.Fatalf("Parse = %+v", s)
	}
	if RoundCount(187191741) != s.Transitions {
		t.Fatalf("RoundCount(187191741) = %d, want %d", RoundCount(187191741), s.Transitions)
	}
}
