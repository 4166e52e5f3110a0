package traces

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestPipeScannerSame: the pipe hands out the events the scanner does, in
// order, with the same strings, counts, lost flag after each event, and the
// same error at the same place: on a real capture, on lines too long for a
// batch's buffer, on lost events in the middle, and on bad lines.
func TestPipeScannerSame(t *testing.T) {
	const head = "# tracer: nop\n"
	ev := func(i int, extra string) string {
		return fmt.Sprintf("  kworker/0:1-%d [000] ..... %d.%06d: kfree_rcu_work: krwp=%x x=a b  c%s\n", 10+i, 1+i/1000000, i%1000000, i, extra)
	}
	var many, long, lost, bad strings.Builder
	many.WriteString(head)
	long.WriteString(head)
	lost.WriteString(head)
	bad.WriteString(head)
	for i := range 3*pipeBatchEvents + 7 {
		many.WriteString(ev(i, ""))
		reps := i % (pipeBatchSlack / 8) * (i % 3)
		if i == 5 {
			reps = pipeBatchBytes/4 + 10 // longer than a batch's buffer: a copy of its own
		}
		long.WriteString(ev(i, strings.Repeat(" y=z", reps)))
		if i == pipeBatchEvents+3 {
			lost.WriteString("# CPU 0 buffer overflow [LOST 5 EVENTS]\n")
		}
		lost.WriteString(ev(i, ""))
		if i == 2*pipeBatchEvents-1 {
			bad.WriteString("not an event\n")
		}
		bad.WriteString(ev(i, ""))
	}
	for _, tc := range []struct {
		name string
		text []byte
	}{
		{"real", readCapture(t, "krcu-pressure")},
		{"many", []byte(many.String())},
		{"long lines", []byte(long.String())},
		{"lost", []byte(lost.String())},
		{"bad line", []byte(bad.String())},
		{"cut", []byte(many.String()[:many.Len()-3])},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newCaptureScanner(bytes.NewReader(tc.text), false)
			ps := newPipeScanner(newCaptureScanner(bytes.NewReader(tc.text), false))
			defer ps.stop()
			for n := 0; ; n++ {
				want, werr := sc.next()
				got, gerr := ps.next()
				if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
					t.Fatalf("event %d: error %v, want %v", n, gerr, werr)
				}
				we, wl := sc.counts()
				ge, gl := ps.counts()
				if we != ge || wl != gl {
					t.Fatalf("event %d: counts %d %v, want %d %v", n, ge, gl, we, wl)
				}
				if werr != nil {
					if n == 0 && len(tc.text) > 0 && errors.Is(werr, io.EOF) {
						t.Fatal("no events read")
					}
					return
				}
				g, w := *got, *want
				if len(g.args) == 0 && len(w.args) == 0 {
					g.args, w.args = nil, nil // empty either way
				}
				if !reflect.DeepEqual(g, w) {
					t.Fatalf("event %d: %+v, want %+v", n, *got, *want)
				}
			}
		})
	}
}
