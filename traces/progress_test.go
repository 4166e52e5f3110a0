package traces

import (
	"context"
	"testing"
	"time"
)

// Importing a capture and checking a history report their progress (lines
// and bytes read, the replay, objects and partitions checked) while they
// run: a long import or lin is never silent (issue 11, item 7).
func TestProgress(t *testing.T) {
	var reads, replays int
	var last ImportProgress
	imp, err := ImportFtraceFile("../../shared/data/kernel-traces/krcu-bulk.trace.gz", ImportOptions{ProgressEvery: time.Nanosecond, Progress: func(p ImportProgress) {
		switch p.Phase {
		case "reading":
			reads++
			last = p
		case "replaying on the model":
			replays++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if reads == 0 || last.Lines == 0 || last.Bytes == 0 || replays != 1 {
		t.Errorf("%d reading reports (last %+v), %d replay reports", reads, last, replays)
	}
	var checks []CheckProgress
	res, err := Check(context.Background(), imp.History, CheckOptions{Window: int64(DefaultWindow), ProgressEvery: time.Nanosecond,
		Progress: func(p CheckProgress) { checks = append(checks, p) }})
	if err != nil || res.Verdict != Linearizable {
		t.Fatalf("%v %+v", err, res)
	}
	if len(checks) == 0 || checks[len(checks)-1].Total != res.Objects || checks[len(checks)-1].Partitions == 0 {
		t.Errorf("check progress %+v", checks)
	}
}
