package traces

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

// importTables imports text streaming and returns the sizes of the
// importer's and the check's tables at the end of the input, and the
// figures as JSON; keep keeps the whole history (nothing is forgotten).
func importTables(t *testing.T, text []byte, keep bool) (map[string]int, string) {
	t.Helper()
	sizes := map[string]int{}
	var s *streamer
	opt := ImportOptions{NoReplay: true, KeepHistory: keep, tables: func(im *importer) {
		s = im.s
		for k, n := range map[string]int{"grace periods": len(im.gt.gps), "grace periods by number": len(im.gt.byNum),
			"ends": len(im.gpEnds), "spans": len(im.gpSpans), "batches in flight": len(im.flight),
			"addresses": im.lastObj.len(), "outstanding": len(im.outstanding),
			"check: grace periods": len(s.gps), "check: half grace periods": s.gpHalf.len(), "check: sections": len(s.secs),
			"check: objects": len(s.objs)} {
			sizes[k] = n
		}
	}}
	imp, res, err := ImportFtraceStream(context.Background(), bytes.NewReader(text), opt, CheckOptions{Window: int64(DefaultWindow)})
	if err != nil || res.Verdict != Linearizable {
		t.Fatalf("err %v, verdict %v", err, res)
	}
	fg, _ := json.Marshal(imp.Figures)
	return sizes, fmt.Sprintf("%s grace periods %d", fg, res.GracePeriods)
}

// TestImportTablesFlat: over a long capture (the pressure capture back to
// back), what a streaming import holds does not grow with its length, and
// its figures are those of an import that forgets nothing.
func TestImportTablesFlat(t *testing.T) {
	src := readCapture(t, "krcu-pressure")
	var short, long bytes.Buffer
	if err := scaleCapture(&short, src, 2); err != nil {
		t.Fatal(err)
	}
	if err := scaleCapture(&long, src, 4); err != nil {
		t.Fatal(err)
	}
	s2, _ := importTables(t, short.Bytes(), false)
	s4, fig := importTables(t, long.Bytes(), false)
	for k, n := range s4 {
		// The check's open objects depend on where its last round fell
		// (TestStreamingForgets bounds them).
		if n > s2[k]+s2[k]/2+64 && k != "check: objects" {
			t.Errorf("%s: %d after 4 copies, %d after 2: it grows with the capture", k, n, s2[k])
		}
	}
	if _, all := importTables(t, long.Bytes(), true); fig != all {
		t.Errorf("figures forgetting:\n%s\nkeeping everything:\n%s", fig, all)
	}
	t.Logf("tables after 2 copies %v, after 4 %v", s2, s4)
}
