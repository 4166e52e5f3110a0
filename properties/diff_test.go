package properties

import (
	"errors"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
	"github.com/rcucheck/rcucheck/properties/reclaim"
)

// The concrete implementation agrees with the model, step by step, on all
// five designs and several sizes.
func TestDiffReclaimAgrees(t *testing.T) {
	sizes := []model.Params{
		model.DefaultParams(),
		{CPUs: 3, Bulk: 3, Cache: 2, Reserve: 2, Calls: 8, Limit: 3},
		{CPUs: 1, Bulk: 1, Cache: 0, Reserve: 1, Calls: 4, Limit: 1},
	}
	for _, d := range model.Designs() {
		for _, p := range sizes {
			res, err := DiffRun(d, p, nil, 1, 150, 60)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Passed {
				t.Errorf("%s at %s: %s", d.Name(), p, res.Failure)
			}
		}
	}
}

// wrongImpl runs a different design than the model's: the differential
// test must notice, and shrink the evidence.
func TestDiffCatchesWrongImplementation(t *testing.T) {
	wrong := func(as string) NewImplFunc {
		return func(d model.Design, p model.Params) (Impl, error) {
			rd := reclaim.Designs()[as]
			r, err := reclaim.New(rd, reclaim.Config{CPUs: p.CPUs, Bulk: p.Bulk, Cache: p.Cache, Reserve: p.Reserve, Limit: p.Limit})
			return reclaimImpl{r}, err
		}
	}
	tests := []struct {
		model, impl string
	}{
		{"head", "early"},    // joins the running grace period
		{"early", "head"},    // the model has the bug, the code does not
		{"head", "sync"},     // blocks instead of queueing on its rcu_head
		{"limit", "reserve"}, // no limit, no allocator
	}
	for _, tc := range tests {
		res, err := DiffRun(design(t, tc.model), model.DefaultParams(), wrong(tc.impl), 1, 300, 60)
		if err != nil {
			t.Fatal(err)
		}
		if res.Passed {
			t.Errorf("model %s vs implementation %s: no difference found", tc.model, tc.impl)
			continue
		}
		if !strings.Contains(res.Failure, "shrunk") {
			t.Errorf("model %s vs implementation %s: no shrunk sequence in %q", tc.model, tc.impl, res.Failure)
		}
	}
}

func TestDiffErrors(t *testing.T) {
	if _, err := DiffRun(design(t, "head"), model.Params{}, nil, 1, 1, 1); err == nil {
		t.Error("bad parameters accepted")
	}
	for _, d := range model.AllDesigns() {
		if _, ok := reclaim.Designs()[d.Name()]; ok {
			continue
		}
		if _, err := DiffCommands(d, model.DefaultParams(), nil); err == nil {
			t.Errorf("design %s has no implementation, yet DiffCommands accepted it", d.Name())
		}
		break
	}
}

// fullRefill accepts refill on a full cache (and does nothing): an
// operation the model disables that the implementation wrongly allows.
type fullRefill struct{ reclaimImpl }

func (f fullRefill) Refill(c int) error {
	if err := f.reclaimImpl.Refill(c); err != nil && !errors.Is(err, reclaim.ErrNotAllowed) {
		return err
	}
	return nil
}

// Mutants the differential test catches only because it also runs
// operations the model disables: a model that wrongly disables a free (the
// limit design with L one lower than the implementation's: every
// operation the model enables gives the same figures on both) and an
// implementation that wrongly accepts a refill on a full cache. The test
// of enabled transitions alone passes both.
func TestDiffCatchesWronglyDisabled(t *testing.T) {
	p := model.Params{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 2, Calls: 6, Limit: 1}
	mutants := []struct {
		name, design string
		impl         NewImplFunc
		want         string
	}{
		{"model limit L=1, implementation L=2", "limit", func(d model.Design, p model.Params) (Impl, error) {
			r, err := reclaim.New(reclaim.Designs()["limit"], reclaim.Config{CPUs: p.CPUs, Bulk: p.Bulk, Cache: p.Cache, Reserve: p.Reserve, Limit: p.Limit + 1})
			return reclaimImpl{r}, err
		}, "the model disables free("},
		{"refill accepted on a full cache", "head", func(d model.Design, p model.Params) (Impl, error) {
			i, err := NewReclaimImpl(d, p)
			if err != nil {
				return nil, err
			}
			return fullRefill{i.(reclaimImpl)}, nil
		}, "the model disables refill("},
	}
	for _, mu := range mutants {
		d := design(t, mu.design)
		old, err := diffRun(d, p, mu.impl, 1, 300, 40, false)
		if err != nil {
			t.Fatal(err)
		}
		if !old.Passed {
			t.Errorf("%s: the test of enabled transitions alone caught it (%s); the mutant shows nothing", mu.name, old.Failure)
		}
		res, err := DiffRun(d, p, mu.impl, 1, 300, 40)
		if err != nil {
			t.Fatal(err)
		}
		if res.Passed || !strings.Contains(res.Failure, mu.want) || !strings.Contains(res.Failure, "shrunk") {
			t.Errorf("%s: not caught as %q: passed %v, %s", mu.name, mu.want, res.Passed, res.Failure)
			continue
		}
		t.Logf("%s: %s", mu.name, res.Failure)
	}
}
