package traces

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/internal/gztest"
)

// smallCapture is a well-formed capture: a free, a grace period, the
// reclaim after it, in time order on two CPUs.
const smallCapture = `# tracer: nop
#
 kfreercu_load/0-251 [000] ..... 17.000000: kvfree_call_rcu: (kvfree_call_rcu+0x0/0x330) head=0xffff000000001008 func=0x8 caller=load_thread+0x7a/0x133 [kfreercu_load] gp_seq=68
     rcu_preempt-15  [001] ..... 17.001000: gp_init: (rcu_gp_init+0x0/0x550) gp_seq=68
     rcu_preempt-15  [001] ..... 17.001010: gp_init_ret: (rcu_gp_kthread+0x5a/0x1b0 <- rcu_gp_init) started=1 gp_seq=69
     rcu_preempt-15  [001] ..... 17.003000: gp_cleanup: (rcu_gp_cleanup+0x0/0x460) gp_seq=69
     rcu_preempt-15  [001] ..... 17.003010: gp_cleanup_ret: (rcu_gp_kthread+0xe9/0x1b0 <- rcu_gp_cleanup) gp_seq=72
     kworker/0:1-17  [000] ..... 17.004000: kfree_rcu_work: (kfree_rcu_work+0x0/0x2e0) krwp=0xffff000000020918 head_free=0xffff000000001008 bkv0=0x0 bkv1=0x0 bkv0_nr=0 bkv0_next=0x0 bkv1_nr=0 krcp=0xffff000000020900 gp_seq=69
     kworker/0:1-17  [000] ..... 17.004010: kvfree: (kvfree+0x0/0x30) addr=0xffff000000001000 caller=kfree_rcu_work+0x20b/0x2e0
     kworker/0:1-17  [000] ..... 17.004020: kfree_rcu_work_ret: (process_one_work+0x1c7/0x380 <- kfree_rcu_work)
`

// perCPU returns a capture's lines grouped by CPU (cpu 0's, then cpu 1's),
// as the per-CPU buffers hold them.
func perCPU(text string) string {
	var head, c0, c1 []string
	for _, l := range strings.SplitAfter(text, "\n") {
		switch {
		case strings.Contains(l, "[000]"):
			c0 = append(c0, l)
		case strings.Contains(l, "[001]"):
			c1 = append(c1, l)
		default:
			head = append(head, l)
		}
	}
	return strings.Join(append(append(head, c0...), c1...), "")
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// flip returns b with the bits of its byte i inverted.
func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0xff
	return c
}

// TestImportWholeCaptures: a capture out of time order, cut mid-line (plain
// or gzipped) or with a cut gzip stream is an error naming the line; it is
// never judged as if it were whole (issue 11).
func TestImportWholeCaptures(t *testing.T) {
	if _, err := ImportFtrace(strings.NewReader(smallCapture), ImportOptions{}); err != nil {
		t.Fatalf("the well-formed capture: %v", err)
	}
	bulk := "../../shared/data/kernel-traces/krcu-bulk.trace.gz"
	raw := gztest.Read(t, bulk)
	whole, err := os.ReadFile(bulk)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"per CPU", []byte(perCPU(smallCapture)), "line 7: timestamp 17.001000 is before 17.004020 on line 6: the capture is not in time order"},
		{"one line swapped", []byte(strings.Replace(smallCapture, "17.001010", "17.000999", 1)), "line 5: timestamp 17.000999 is before 17.001000 on line 4"},
		{"cut mid-line", []byte(smallCapture[:len(smallCapture)-20]), "line 10: the capture ends in the middle of this line"},
		{"cut after the last field", []byte(strings.TrimSuffix(smallCapture, "\n")), "line 10: the capture ends in the middle of this line"},
		{"gzipped, cut mid-line", gz(t, raw[:len(raw)-5]), "line 17666: the capture ends in the middle of this line"},
		{"gzip stream cut", whole[:len(whole)/2], "the gzip data is cut short"},
		{"gzip stream cut at its end", whole[:len(whole)-4], "line 17667: the gzip data is cut short"},
		{"gzip checksum damaged", flip(whole, len(whole)-8), "line 17667: the gzip data is damaged"},
		{"gzip header damaged", flip(whole, 2), "damaged gzip header"},
		{"JSON Lines trace", []byte(goodHeader + "\n"), "a JSON Lines trace, not an ftrace capture: judge it with rcucheck lin"},
		{"gzipped JSON Lines trace", gz(t, []byte(goodHeader+"\n")), "a JSON Lines trace, not an ftrace capture"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ImportFtraceFile(p, ImportOptions{NoReplay: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line with %q", err, tc.want)
			}
		})
	}
}

// TestGzippedTraces: a gzipped JSON Lines trace is sniffed as one, read, and
// a cut gzip stream is an error.
func TestGzippedTraces(t *testing.T) {
	text := goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"return":1}` + "\n" + `{"type":"end","records":1}` + "\n"
	dir := t.TempDir()
	p := filepath.Join(dir, "t.jsonl.gz")
	z := gz(t, []byte(text))
	if err := os.WriteFile(p, z, 0o644); err != nil {
		t.Fatal(err)
	}
	if kind, err := Sniff(p); err != nil || kind != KindJSONL {
		t.Fatalf("Sniff: %q, %v; want %q", kind, err, KindJSONL)
	}
	hs, err := ReadFile(p)
	if err != nil || len(hs) != 1 || len(hs[0].Records) != 1 {
		t.Fatalf("ReadFile: %v, %v", hs, err)
	}
	if err := os.WriteFile(p, z[:len(z)-6], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), "gzip data is cut short") || !strings.Contains(err.Error(), "line ") {
		t.Fatalf("cut gzip: error %v", err)
	}
}
