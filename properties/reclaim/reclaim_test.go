package reclaim

import (
	"errors"
	"testing"
)

type step struct {
	op       string
	cpu, arg int
	ok       bool
	wantErr  error
}

func apply(t *testing.T, r *Reclaimer, s step) error {
	t.Helper()
	switch s.op {
	case "free":
		return r.Free(s.cpu, s.ok)
	case "lock":
		return r.ReadLock(s.cpu)
	case "unlock":
		return r.ReadUnlock(s.cpu)
	case "monitor":
		return r.Monitor(s.cpu)
	case "start":
		return r.GPStart()
	case "end":
		return r.GPEnd()
	case "reclaim":
		return r.Reclaim(s.cpu, s.arg)
	case "wake":
		return r.Wake(s.cpu)
	case "refill":
		return r.Refill(s.cpu)
	case "shrink":
		return r.Shrink(s.cpu)
	}
	t.Fatalf("bad op %q", s.op)
	return nil
}

func TestScenarios(t *testing.T) {
	cfg := Config{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 1, Limit: 2}
	tests := []struct {
		name   string
		design string
		steps  []step
		unsafe int
		hazard bool
		usage  Usage
	}{
		{"early frees under a reader", "early", []step{
			{op: "free", cpu: 0}, {op: "monitor", cpu: 0}, {op: "start"}, {op: "lock", cpu: 1},
			{op: "free", cpu: 0}, {op: "monitor", cpu: 0}, {op: "end"}, {op: "reclaim", cpu: 0, arg: 1},
		}, 1, false, Usage{Pages: 2, Pending: 1}},
		{"head waits for the next grace period", "head", []step{
			{op: "free", cpu: 0}, {op: "monitor", cpu: 0}, {op: "start"}, {op: "lock", cpu: 1},
			{op: "free", cpu: 0}, {op: "monitor", cpu: 0}, {op: "end"},
			{op: "reclaim", cpu: 0, arg: 1, wantErr: ErrNotAllowed},
			{op: "start", wantErr: nil}, {op: "end", wantErr: ErrNotAllowed}, {op: "unlock", cpu: 1}, {op: "end"},
			{op: "reclaim", cpu: 0, arg: 1}, {op: "reclaim", cpu: 0, arg: 0},
		}, 0, false, Usage{Pages: 2, Pending: 0}},
		{"reserve runs dry", "reserve", []step{
			{op: "shrink", cpu: 0}, {op: "free", cpu: 0}, {op: "shrink", cpu: 1},
			{op: "free", cpu: 1, wantErr: ErrStuck}, {op: "lock", cpu: 0, wantErr: ErrStuck},
		}, 0, false, Usage{Pages: 1, Pending: 1, ReserveUsed: 1}},
		{"sync blocks and frees itself", "sync", []step{
			{op: "shrink", cpu: 0}, {op: "lock", cpu: 1}, {op: "free", cpu: 0, ok: false},
			{op: "free", cpu: 0, wantErr: ErrNotAllowed}, {op: "start"}, {op: "unlock", cpu: 1}, {op: "end"}, {op: "wake", cpu: 0},
		}, 0, false, Usage{Pages: 1, Pending: 0}},
		{"limit admits L objects", "limit", []step{
			{op: "free", cpu: 0}, {op: "free", cpu: 0}, {op: "free", cpu: 0, wantErr: ErrNotAllowed},
		}, 0, false, Usage{Pages: 2, Pending: 2}},
	}
	for _, tc := range tests {
		r, err := New(Designs()[tc.design], cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range tc.steps {
			if err := apply(t, r, s); !errors.Is(err, s.wantErr) {
				t.Fatalf("%s: step %d (%s %d): error %v, want %v", tc.name, i+1, s.op, s.cpu, err, s.wantErr)
			}
		}
		if r.UnsafeFrees != tc.unsafe || r.Hazard() != tc.hazard || r.Usage() != tc.usage {
			t.Errorf("%s: unsafe %d hazard %v usage %+v; want %d %v %+v", tc.name, r.UnsafeFrees, r.Hazard(), r.Usage(), tc.unsafe, tc.hazard, tc.usage)
		}
	}
	if _, err := New(Designs()["head"], Config{CPUs: 0, Bulk: 1}); err == nil {
		t.Error("zero CPUs accepted")
	}
}
