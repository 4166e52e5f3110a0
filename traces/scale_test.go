package traces

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/rcucheck/rcucheck/internal/gztest"
)

var (
	scaleTS  = regexp.MustCompile(`^(.*?\]\s+\S+\s+)(\d+)\.(\d+)(:.*)$`)
	scaleGP  = regexp.MustCompile(`gp_seq=(\d+)`)
	scaleTS6 = "%d.%06d"
)

// scaleCapture writes copies of the capture src back to back: copy k has
// its timestamps shifted by k times the capture's span (plus a second)
// and its grace-period numbers by k times their range, so that the result
// is one long, consistent capture. Comment lines are kept from the first
// copy only.
func scaleCapture(w io.Writer, src []byte, copies int) error {
	var first, last int64 = -1, 0
	var gp0, gpRange uint64
	gpSeen := false
	for _, l := range bytes.Split(src, []byte("\n")) {
		if m := scaleTS.FindSubmatch(l); m != nil && l[0] != '#' {
			us := mustInt(m[2])*1e6 + mustInt(m[3])
			if first < 0 {
				first = us
			}
			last = us
		}
		for _, m := range scaleGP.FindAllSubmatch(l, -1) {
			v, _ := strconv.ParseUint(string(m[1]), 10, 64)
			if !gpSeen {
				gp0, gpSeen = v, true
			}
			gpRange = max(gpRange, v-gp0)
		}
	}
	span := last - first + 1e6
	gpSpan := (gpRange + 64) &^ 3
	bw := bufio.NewWriterSize(w, 1<<20)
	for k := 0; k < copies; k++ {
		for _, l := range bytes.Split(src, []byte("\n")) {
			if len(l) == 0 || (k > 0 && l[0] == '#') {
				continue
			}
			if m := scaleTS.FindSubmatch(l); m != nil && l[0] != '#' {
				us := mustInt(m[2])*1e6 + mustInt(m[3]) + int64(k)*span
				l = append(append(append([]byte(nil), m[1]...), fmt.Sprintf(scaleTS6, us/1e6, us%1e6)...), m[4]...)
				l = scaleGP.ReplaceAllFunc(l, func(b []byte) []byte {
					v, _ := strconv.ParseUint(string(b[len("gp_seq="):]), 10, 64)
					return fmt.Appendf(nil, "gp_seq=%d", v+uint64(k)*gpSpan)
				})
			}
			bw.Write(l)
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

func mustInt(b []byte) int64 {
	v, _ := strconv.ParseInt(string(b), 10, 64)
	return v
}

// readCapture reads a gzipped capture of ../shared/data/kernel-traces.
func readCapture(tb testing.TB, name string) []byte {
	return gztest.Read(tb, "../../shared/data/kernel-traces/"+name+".trace.gz")
}

// TestWriteScaledCapture writes the acceptance input of issue 16 when
// RCUCHECK_SCALED=PATH:COPIES is set (e.g. /tmp/p40.trace:40): the
// pressure capture back to back COPIES times.
func TestWriteScaledCapture(t *testing.T) {
	spec := os.Getenv("RCUCHECK_SCALED")
	if spec == "" {
		t.Skip("set RCUCHECK_SCALED=PATH:COPIES to write a scaled capture")
	}
	var path string
	var n int
	if i := bytes.LastIndexByte([]byte(spec), ':'); i > 0 {
		path = spec[:i]
		n, _ = strconv.Atoi(spec[i+1:])
	}
	if path == "" || n < 1 {
		t.Fatalf("RCUCHECK_SCALED=%q: want PATH:COPIES", spec)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := scaleCapture(f, readCapture(t, "krcu-pressure"), n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriteSyntheticHistory writes the lin acceptance input of issue 16
// when RCUCHECK_SYNTH=PATH:OPS is set (e.g. /tmp/h1m.jsonl:1000000): the
// correct synthetic history of BenchmarkCheck.
func TestWriteSyntheticHistory(t *testing.T) {
	spec := os.Getenv("RCUCHECK_SYNTH")
	i := bytes.LastIndexByte([]byte(spec), ':')
	if i <= 0 {
		t.Skip("set RCUCHECK_SYNTH=PATH:OPS to write a synthetic history")
	}
	n, err := strconv.Atoi(spec[i+1:])
	if err != nil || n < 1 {
		t.Fatalf("RCUCHECK_SYNTH=%q: want PATH:OPS", spec)
	}
	f, err := os.Create(spec[:i]) // a FIFO too: lin can read it as it is written
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSynthetic(f, n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeSynthetic writes syntheticHistory(nops, 0) as Encode does, one
// record at a time: 10^7 objects in constant memory.
func writeSynthetic(w io.Writer, nops int) error {
	var hd bytes.Buffer
	if err := Encode(&hd, &History{Header: NewHeader(SourceRecorder, UnitNS)}); err != nil {
		return err
	}
	head, _, _ := bytes.Cut(hd.Bytes(), []byte("\n"))
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(append(head, '\n'))
	enc := json.NewEncoder(bw)
	n := 0
	var err error
	synthRecords(nops, 0, func(r Record) {
		n++
		if err == nil {
			err = enc.Encode(&r)
		}
	})
	if err == nil {
		err = enc.Encode(endRecord{Type: "end", Records: n})
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// TestWriteSyntheticSame: the streamed synthetic history is byte for byte
// Encode's.
func TestWriteSyntheticSame(t *testing.T) {
	var a, b bytes.Buffer
	if err := Encode(&a, syntheticHistory(2000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := writeSynthetic(&b, 2000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("streamed history differs: %d bytes, want %d", b.Len(), a.Len())
	}
}
