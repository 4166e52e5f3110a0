package watermark_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/examples/watermark"
	"github.com/rcucheck/rcucheck/gate"
	"github.com/rcucheck/rcucheck/model"
)

// The Go API: check the design directly with model.Check.
func TestWatermarkBounded(t *testing.T) {
	head, err := model.LookupDesign("head")
	if err != nil {
		t.Fatal(err)
	}
	var prevHead int64
	for k := 1; k <= 5; k++ {
		p := model.Params{CPUs: 1, Bulk: 1, Cache: 1, Calls: k, Limit: 1}
		r, err := model.Check(context.Background(), watermark.New(), p, checker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range model.PropertyOrder() {
			if v := r.Properties[name].Verdict; v != checker.Holds {
				t.Errorf("K=%d: %s %s", k, name, v)
			}
		}
		if r.Max.Pages > int64(p.CPUs*(p.Limit+p.Cache)) {
			t.Errorf("K=%d: max pages %d above N*(L+C)", k, r.Max.Pages)
		}
		rh, err := model.Check(context.Background(), head, p, checker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if k > 1 && rh.Max.Pages <= prevHead {
			t.Errorf("K=%d: head's max pages %d did not grow (was %d): the comparison is moot", k, rh.Max.Pages, prevHead)
		}
		prevHead = rh.Max.Pages
	}
}

// The gate file, run as "rcucheck-watermark gate.toml" runs it.
func TestWatermarkGate(t *testing.T) {
	reg, err := watermark.Registry()
	if err != nil {
		t.Fatal(err)
	}
	f, err := gate.Load("gate.toml", reg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gate.Run(context.Background(), f, gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed {
		var b strings.Builder
		gate.WriteTable(&b, res)
		t.Fatalf("gate failed:\n%s", b.String())
	}
}

// withRefill is the watermark with a page-cache worker that refills behind
// the watermark's back: the gate must catch it, with the trace.
type withRefill struct{ watermark.Design }

func (withRefill) Name() string               { return "watermark-refill" }
func (withRefill) Refill() model.RefillPolicy { return model.RefillFull }

func TestWatermarkWithRefillFailsGate(t *testing.T) {
	reg := model.BuiltinRegistry()
	if err := reg.Add(withRefill{watermark.New()}); err != nil {
		t.Fatal(err)
	}
	src := "[[check]]\nname = \"bounded\"\ndesigns = [\"watermark-refill\"]\ncpus = 1\nbulk = 1\ncache = 1\nlimit = 1\ncalls = 2\nbounds = [\"pages <= N*(L + C)\"]\n"
	f, err := gate.Parse("refill.toml", []byte(src), reg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gate.Run(context.Background(), f, gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || len(res.Rows) != 1 {
		t.Fatalf("passed=%v rows=%d", res.Passed, len(res.Rows))
	}
	o := res.Rows[0].Outcomes[0]
	var acts []string
	for _, s := range o.Trace {
		acts = append(acts, s.Action)
	}
	if got, want := strings.Join(acts, ", "), "free(0) cache, refill(0), free(0) cache, refill(0)"; got != want {
		t.Errorf("counterexample %q, want %q", got, want)
	}
}
