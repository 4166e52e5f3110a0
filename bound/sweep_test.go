package bound

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

func TestParseSweep(t *testing.T) {
	tests := []struct {
		in      string
		want    Sweep
		wantErr string
	}{
		{in: "calls=1..4", want: Sweep{"calls", []int{1, 2, 3, 4}}},
		{in: " cpus = 1 .. 2 ", want: Sweep{"cpus", []int{1, 2}}},
		{in: "limit=1,3,7", want: Sweep{"limit", []int{1, 3, 7}}},
		{in: "bulk=5", want: Sweep{"bulk", []int{5}}},
		{in: "cache=0..0", want: Sweep{"cache", []int{0}}},
		{in: "calls", wantErr: "want PARAM=A..B"},
		{in: "reserve=1..3", wantErr: "unknown parameter"},
		{in: "calls=3..1", wantErr: "empty range"},
		{in: "calls=1..x", wantErr: "bad value"},
		{in: "calls=-1..2", wantErr: "bad value"},
		{in: "calls=2,2", wantErr: "must increase"},
		{in: "calls=0..64", wantErr: "at most 64"},
		{in: "calls=", wantErr: "bad value"},
		{in: "calls=1..9223372036854775807", wantErr: "bad value"},
		{in: "calls=9223372036854775807..9223372036854775807", wantErr: "bad value"},
		{in: "calls=1,9223372036854775808", wantErr: "bad value"},
		{in: "calls=-9223372036854775808..0", wantErr: "bad value"},
		{in: "calls=1073741824..1073741824", want: Sweep{"calls", []int{1073741824}}},
		{in: "calls=1073741825", wantErr: "bad value"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSweep(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseSweep(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSweep(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseSweep(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzParseSweep checks that ParseSweep never panics, that what it accepts
// is well formed, and that String gives text it reads back the same.
func FuzzParseSweep(f *testing.F) {
	for _, s := range []string{"calls=1..8", "cpus=1,2,4", "limit=0..63", "bulk=", "x=1..2", "calls=1..2..3", "calls=9999999999",
		"calls=1..9223372036854775807", "calls=9223372036854775807..9223372036854775807", "calls=1,9223372036854775808",
		"calls=-9223372036854775808..0", "calls=1073741824..1073741887", "calls=1073741825", "calls=+1..2", "calls=0x10",
		"calls=1,,2", "calls=..", "=1..2", "calls=1..2,3", "calls=\x00", "calls==1", "calls=1 2", "cpus=1..64,65"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sw, err := ParseSweep(in)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if len(sw.Values) == 0 || len(sw.Values) > MaxSweepPoints {
			t.Fatalf("ParseSweep(%q) gave %d values", in, len(sw.Values))
		}
		for i := 1; i < len(sw.Values); i++ {
			if sw.Values[i] <= sw.Values[i-1] {
				t.Fatalf("ParseSweep(%q) values not increasing: %v", in, sw.Values)
			}
		}
		back, err := ParseSweep(sw.String())
		if err != nil || !reflect.DeepEqual(back, sw) {
			t.Fatalf("round trip of %q via %q: %+v, %v", in, sw.String(), back, err)
		}
	})
}

func TestClassify(t *testing.T) {
	xs := []int{1, 2, 3, 4, 5}
	tests := []struct {
		name   string
		ys     []int64
		window int
		want   Trend
	}{
		{"plateau", []int64{1, 2, 2, 2, 2}, 3, Trend{Kind: TrendPlateau, Value: 2, From: 2, Window: 3}},
		{"flat", []int64{0, 0, 0, 0, 0}, 3, Trend{Kind: TrendPlateau, Value: 0, From: 1, Window: 3}},
		{"short plateau is growth", []int64{1, 2, 3, 3, 4}, 3, Trend{Kind: TrendGrowing, Window: 3}},
		{"steps grow", []int64{1, 2, 3, 3, 4}, 2, Trend{Kind: TrendGrowing, Window: 2}},
		{"window 2 sees a plateau", []int64{1, 2, 3, 4, 4}, 2, Trend{Kind: TrendPlateau, Value: 4, From: 4, Window: 2}},
		{"falls", []int64{1, 3, 2, 2, 1}, 3, Trend{Kind: TrendIrregular, Window: 3}},
		{"window cut to length", []int64{5, 5, 5, 5, 5}, 9, Trend{Kind: TrendPlateau, Value: 5, From: 1, Window: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Classify(xs, tc.ys, tc.window)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Classify(%v, %d) = %+v, want %+v", tc.ys, tc.window, got, tc.want)
			}
		})
	}
	if _, err := Classify([]int{1}, []int64{1}, 3); err == nil {
		t.Error("Classify with one point: no error")
	}
	if _, err := Classify(xs, []int64{1, 2, 3, 4, 5}, 1); err == nil {
		t.Error("Classify with window 1: no error")
	}
}

// TestValidateAnalysis: sweeps whose derived models would pass the model's
// bounds are refused before any exploration, with one line naming the point.
func TestValidateAnalysis(t *testing.T) {
	tests := []struct {
		design, sweep string
		base          func(*model.Params)
		opt           Options
		wantErr       string
	}{
		{"reserve", "calls=1..4", nil, Options{}, ""},
		{"reserve", "calls=1,2", func(p *model.Params) { p.Reserve = model.MaxCount }, Options{}, ""},
		{"reserve", "calls=1,2", func(p *model.Params) { p.Bulk = model.MaxCount }, Options{}, "counter abstraction"},
		{"reserve", "calls=1,2", func(p *model.Params) { p.Bulk = model.MaxCount }, Options{NoProof: true}, "witness search"},
		{"reserve", "calls=1,1073741824", func(p *model.Params) { p.CPUs = 64 }, Options{}, "least-reserve search"},
		{"head", "calls=1,2", func(p *model.Params) { p.Cache = model.MaxCount }, Options{}, "counter abstraction"},
		{"limit", "limit=1,1073741824", nil, Options{}, "at limit=1073741824"},
	}
	for _, tc := range tests {
		t.Run(tc.design+" "+tc.sweep, func(t *testing.T) {
			sw, err := ParseSweep(tc.sweep)
			if err != nil {
				t.Fatal(err)
			}
			p := model.Params{CPUs: 1, Bulk: 2, Cache: 1, Reserve: 1, Calls: 1, Limit: 2}
			if tc.base != nil {
				tc.base(&p)
			}
			d, _ := model.LookupDesign(tc.design)
			err = sw.ValidateAnalysis(d, p, tc.opt)
			if (err == nil) != (tc.wantErr == "") || (err != nil && (!strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n"))) {
				t.Fatalf("error %v, want one line with %q", err, tc.wantErr)
			}
		})
	}
}
