package traces

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkCheck measures the contract check on histories of 10^3 to 10^6
// operations (go test -bench Check -benchtime 1x ./traces/).
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000, 1000000} {
		h := syntheticHistory(n, 0)
		b.Run(fmt.Sprintf("ops=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := Check(context.Background(), h, CheckOptions{Window: 5})
				if err != nil || res.Verdict != Linearizable {
					b.Fatalf("verdict %v, err %v", res.Verdict, err)
				}
			}
			b.ReportMetric(float64(len(h.Records)), "ops")
		})
	}
}

func TestSyntheticHistory(t *testing.T) {
	for _, tc := range []struct {
		bad  int
		want string
	}{{0, Linearizable}, {7, NotLinearizable}} {
		res, err := Check(context.Background(), syntheticHistory(5000, tc.bad), CheckOptions{Window: 5})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != tc.want {
			t.Fatalf("bad=%d: verdict %s, want %s", tc.bad, res.Verdict, tc.want)
		}
	}
}

// BenchmarkImportStream measures the streaming import and contract check
// of the pressure capture written back to back (go test -bench
// ImportStream -benchtime 1x ./traces/): MB/s of capture text and
// operations (frees, reclaims, grace-period boundaries) per second.
func BenchmarkImportStream(b *testing.B) {
	for _, copies := range []int{1, 5} {
		var buf bytes.Buffer
		if err := scaleCapture(&buf, readCapture(b, "krcu-pressure"), copies); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("copies=%d", copies), func(b *testing.B) {
			b.SetBytes(int64(buf.Len()))
			var ops int
			for i := 0; i < b.N; i++ {
				_, res, err := ImportFtraceStream(context.Background(), bytes.NewReader(buf.Bytes()), ImportOptions{NoReplay: true}, CheckOptions{Window: int64(DefaultWindow)})
				if err != nil || res.Verdict != Linearizable || res.Objects != 20000*copies {
					b.Fatalf("err %v, result %+v", err, res)
				}
				ops += res.Operations
			}
			b.ReportMetric(float64(ops)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkCheckStream measures lin's streaming check of a trace file of
// 10^5 operations (JSON Lines, window 5): MB/s and operations per second.
func BenchmarkCheckStream(b *testing.B) {
	var buf bytes.Buffer
	if err := Encode(&buf, syntheticHistory(100000, 0)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	var ops int
	for i := 0; i < b.N; i++ {
		rs, err := CheckStream(context.Background(), bytes.NewReader(buf.Bytes()), StreamOptions{Window: func(string) (int64, error) { return 5, nil }})
		if err != nil || rs[0].Verdict != Linearizable {
			b.Fatalf("err %v, results %+v", err, rs)
		}
		ops += rs[0].Operations
	}
	b.ReportMetric(float64(ops)/b.Elapsed().Seconds(), "ops/s")
}
