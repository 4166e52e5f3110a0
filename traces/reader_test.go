package traces

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

const goodHeader = `{"type":"header","format":"rcucheck-trace","version":1,"tool":"t","source":"recorder","seed":0,"time_unit":"ns"}`

func TestReadErrors(t *testing.T) {
	op := func(s string) string { return s }
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "", "empty trace"},
		{"no header", `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"return":1}` + "\n", `line 1: field "type": "op" record outside a history`},
		{"bad json", goodHeader + "\n{\"type\":\"op\",\n", "line 2: "},
		{"truncated line", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","ca`, "line 2: "},
		{"no end line", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"return":1}` + "\n", "no end line: the file is truncated"},
		{"end count", goodHeader + "\n" + `{"type":"end","records":3}` + "\n", `line 2: field "records": the end line counts 3 records but the history has 0`},
		{"version", strings.Replace(goodHeader, `"version":1`, `"version":2`, 1) + "\n", `line 1: field "version": unsupported version 2`},
		{"format", strings.Replace(goodHeader, `rcucheck-trace`, `other`, 1) + "\n", `line 1: field "format"`},
		{"unit", strings.Replace(goodHeader, `"ns"`, `"ms"`, 1) + "\n", `line 1: field "time_unit"`},
		{"unknown field", goodHeader + "\n" + op(`{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"return":1,"colour":2}`) + "\n", `line 2: field "colour": unknown field`},
		{"ill-typed", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":"1","return":1}` + "\n", `line 2: field "call": want an integer, got JSON string`},
		{"unknown op", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"alloc","obj":"a","call":1,"return":1}` + "\n", `line 2: field "op": unknown operation "alloc"`},
		{"missing obj", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"reclaim","call":1,"return":1}` + "\n", `line 2: field "obj": missing for reclaim`},
		{"return before call", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":5,"return":1}` + "\n", `line 2: field "return": 1 is before the call time 5`},
		{"no return", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":5}` + "\n", `line 2: field "return": missing`},
		{"duplicate id", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"return":1}` + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"b","call":1,"return":1}` + "\n" + `{"type":"end","records":2}` + "\n", `line 3: field "id": 1 already used at line 2`},
		{"unlock without lock", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"read_unlock","section":"s","call":1,"return":1}` + "\n" + `{"type":"end","records":1}` + "\n", `line 2: field "section": read_unlock of section "s", which has not begun`},
		{"bad step", goodHeader + "\n" + `{"type":"step","time":1,"client":0,"action":"fly(0)"}` + "\n", `line 2: field "action": unknown action`},
		{"blank line", goodHeader + "\n\n", "line 2: empty line"},
		{"unknown type", goodHeader + "\n" + `{"type":"note"}` + "\n", `line 2: field "type": unknown record type "note"`},
		{"gp missing", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"gp_start","call":1,"return":1}` + "\n", `line 2: field "gp": missing for gp_start`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.text))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

// TestRoundTrip: what Encode writes, Read reads back unchanged, and every
// proper prefix of the file is rejected.
func TestRoundTrip(t *testing.T) {
	m := mustModel(t, "sync", smallParams())
	h, err := FromModelPath(m, RandomPath(m, 7, 40), PathOptions{Seed: 7, Complete: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, h, h); err != nil {
		t.Fatal(err)
	}
	hs, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || len(hs[1].Records) != len(h.Records) {
		t.Fatalf("read %d histories, want 2 of %d records", len(hs), len(h.Records))
	}
	var again bytes.Buffer
	if err := Encode(&again, hs...); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("re-encoding changed the file")
	}
	data := buf.Bytes()
	for cut := 0; cut < len(data)-1; cut += 1 + len(data)/97 {
		if _, err := Read(bytes.NewReader(data[:cut])); err == nil {
			t.Fatalf("prefix of %d of %d bytes read without error", cut, len(data))
		}
	}
}

func smallParams() model.Params {
	return model.Params{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 1, Calls: 3, Limit: 2}
}

// TestWriteFileAtomic: a failing write leaves the old file untouched.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t.jsonl")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFileAtomic(p, func(w io.Writer) error { w.Write([]byte("half")); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("file is %q after a failed write", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

// TestMalformedFiles: every file under testdata/bad gives one error.
func TestMalformedFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.jsonl")
	if len(files) < 4 {
		t.Fatalf("want at least 4 malformed files, found %d", len(files))
	}
	for _, f := range files {
		_, err := ReadFile(f)
		if err == nil {
			t.Errorf("%s: read without error", f)
			continue
		}
		if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: error %q does not name a line on one line", f, err)
		}
	}
}

// FuzzRead: the reader never panics and errors in one line; a file it
// accepts reads back unchanged after Encode, checks without error at any
// window, and at the largest window its verdict is the one every order
// allows (infiniteWindowVerdict). Seeds: good files and the bad inputs of
// issue 11.
func FuzzRead(f *testing.F) {
	op := func(s string) string { return goodHeader + "\n" + s + "\n" + `{"type":"end","records":1}` + "\n" }
	withClients := strings.Replace(goodHeader, `"seed":0`, `"seed":0,"clients":["a"]`, 1)
	for _, seed := range []string{
		op(`{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"return":1}`),
		op(`{"type":"op","id":1,"client":0,"op":"section","section":"s","call":1,"pending":true}`),
		op(`{"type":"step","time":1,"client":0,"action":"gp_start"}`),
		goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"return":1}` + "\n" + `{"type":"op","id":2,"client":0,"op":"reclaim","obj":"a","call":2,"return":3}` + "\n" + `{"type":"end","records":2}` + "\n",
		goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"gp_end","gp":1,"call":1,"return":2}` + "\n" + `{"type":"op","id":2,"client":0,"op":"gp_start","gp":1,"call":3,"return":4}` + "\n" + `{"type":"end","records":2}` + "\n",
		withClients + "\n" + `{"type":"op","id":1,"client":3,"op":"free","obj":"a","call":1,"return":1}` + "\n" + `{"type":"end","records":1}` + "\n",
		op(`{"type":"op","id":1,"client":0,"op":"free","obj":"a","obj":"b","call":1,"return":1}`),
		op(`{"type":"op","id":1,"client":0,"op":"free","obj":"a","Call":1,"return":1}`),
		op(`{"type":"op","id":1,"client":null,"op":"free","obj":"a","call":1,"return":1}`),
		op(`{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":9223372036854775807,"return":9223372036854775807}`),
		op(`{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1152921504606846976,"return":1152921504606846976}`),
		op(`{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1.5,"return":2}`),
		strings.Replace(goodHeader, `"seed":0`, `"seed":0,"clients":[]`, 1) + "\n" + `{"type":"end","records":0}` + "\n",
		"[1,2]\n", `"header"` + "\n", goodHeader + "\n" + `{"type":"op",`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, err := Read(bytes.NewReader(data))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for _, h := range hs {
			if _, err := Check(context.Background(), h, CheckOptions{}); err != nil {
				t.Fatal(err)
			}
			res, err := Check(context.Background(), h, CheckOptions{Window: math.MaxInt64})
			if err != nil {
				t.Fatal(err)
			}
			if want := infiniteWindowVerdict(h); res.Verdict != want {
				t.Fatalf("verdict %s at the largest window, want %s: %+v", res.Verdict, want, res.Failures)
			}
		}
		var buf bytes.Buffer
		if err := Encode(&buf, hs...); err != nil {
			t.Fatal(err)
		}
		again, err := Read(&buf)
		if err != nil {
			t.Fatalf("re-encoded trace does not read: %v", err)
		}
		if !reflect.DeepEqual(hs, again) {
			t.Fatalf("round trip changed the histories:\n%+v\n%+v", hs, again)
		}
	})
}

// infiniteWindowVerdict is the contract's verdict when every order is
// allowed, worked out without Porcupine: each object needs exactly one
// free and at most one reclaim that returned; a reclaim also needs, when
// the history records grace periods, a grace period with a gp_start and a
// gp_end that returned (read sections can always be ordered out of the way).
func infiniteWindowVerdict(h *History) string {
	frees, reclaims := map[string]int{}, map[string]int{}
	starts, ends := map[int64]bool{}, map[int64]bool{}
	gpOps := false
	for _, r := range h.Ops() {
		switch {
		case r.Op == OpFree:
			frees[r.Obj]++
		case r.Op == OpReclaim && !r.Pending:
			reclaims[r.Obj]++
			frees[r.Obj] += 0
		case r.Op == OpGPStart:
			starts[*r.GP], gpOps = true, true
		case r.Op == OpGPEnd && r.Return != nil:
			ends[*r.GP], gpOps = true, true
		}
	}
	fullGP := false
	for g := range starts {
		fullGP = fullGP || ends[g]
	}
	for obj, n := range frees {
		if n != 1 || reclaims[obj] > 1 || (reclaims[obj] == 1 && gpOps && !fullGP) {
			return NotLinearizable
		}
	}
	return Linearizable
}

// TestReadStrictAsDocumented: every rule docs/traces.md states is enforced,
// including those the reader let through before issue 11 (clients beyond
// the header's list, duplicate or case-folded keys, null values, a grace
// period ending before it starts), and no message names a Go type.
func TestReadStrictAsDocumented(t *testing.T) {
	withClients := strings.Replace(goodHeader, `"seed":0`, `"seed":0,"clients":["cpu0","cpu1"]`, 1)
	end := func(n int) string { return fmt.Sprintf(`{"type":"end","records":%d}`, n) }
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	gp := func(id int, op string, call, ret int64) string {
		return fmt.Sprintf(`{"type":"op","id":%d,"client":0,"op":"%s","gp":7,"call":%d,"return":%d}`, id, op, call, ret)
	}
	for _, tc := range []struct {
		name, text, want string
	}{
		{"client in range", lines(withClients, `{"type":"op","id":1,"client":1,"op":"free","obj":"a","call":1,"return":1}`, end(1)), ""},
		{"client beyond clients", lines(withClients, `{"type":"op","id":1,"client":2,"op":"free","obj":"a","call":1,"return":1}`, end(1)), `line 2: field "client": 2 is not a client of the header, which lists 2 (0 to 1)`},
		{"step client beyond clients", lines(withClients, `{"type":"step","time":1,"client":5,"action":"gp_start"}`, end(1)), `line 2: field "client": 5 is not a client`},
		{"client missing", lines(goodHeader, `{"type":"op","id":1,"op":"free","obj":"a","call":1,"return":1}`, end(1)), `line 2: field "client": missing`},
		{"duplicate key", lines(goodHeader, `{"type":"op","id":1,"client":0,"op":"free","obj":"a","obj":"b","call":1,"return":1}`, end(1)), `line 2: field "obj": appears twice`},
		{"duplicate call", lines(goodHeader, `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":9,"return":9,"call":1}`, end(1)), `line 2: field "call": appears twice`},
		{"duplicate header key", lines(strings.Replace(goodHeader, `"seed":0`, `"seed":0,"seed":1`, 1), end(0)), `line 1: field "seed": appears twice`},
		{"duplicate params key", lines(strings.Replace(goodHeader, `"seed":0`, `"seed":0,"params":{"cpus":2,"bulk":2,"cache":1,"reserve":1,"calls":1,"limit":2,"cpus":3}`, 1), end(0)), `line 1: field "params.cpus": appears twice`},
		{"case-folded key", lines(goodHeader, `{"type":"op","id":1,"client":0,"op":"free","obj":"a","Call":1,"return":1}`, end(1)), `line 2: field "Call": unknown field`},
		{"case-folded duplicate", lines(goodHeader, `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"CALL":5,"return":1}`, end(1)), `line 2: field "CALL": unknown field`},
		{"null", lines(goodHeader, `{"type":"op","id":1,"client":null,"op":"free","obj":"a","call":1,"return":1}`, end(1)), `line 2: field "client": null`},
		{"gp in order", lines(goodHeader, gp(1, "gp_start", 1, 2), gp(2, "gp_end", 3, 4), end(2)), ""},
		{"gp overlapping", lines(goodHeader, gp(1, "gp_start", 1, 5), gp(2, "gp_end", 3, 4), end(2)), ""},
		{"gp_end alone", lines(goodHeader, gp(1, "gp_end", 3, 4), end(1)), ""},
		{"gp_end before gp_start", lines(goodHeader, gp(1, "gp_end", 1, 2), gp(2, "gp_start", 3, 4), end(2)), `line 2: field "return": gp_end(7) returns at 2, before its gp_start (line 3) is called at 3`},
		{"gp_end before gp_start, later line", lines(goodHeader, gp(1, "gp_start", 5, 6), gp(2, "gp_end", 1, 2), end(2)), `line 3: field "return": gp_end(7) returns at 2, before its gp_start (line 2)`},
		{"gp_end while gp_start pending", lines(goodHeader, `{"type":"op","id":1,"client":0,"op":"gp_start","gp":7,"call":1,"pending":true}`, gp(2, "gp_end", 3, 4), end(2)), `line 3: field "gp": gp_end(7) returns while its gp_start (line 2) is still pending`},
		{"a list", lines("[1,2]"), `line 1: want a JSON object, got JSON array`},
		{"a string", lines(`"header"`), `line 1: want a JSON object, got JSON string`},
		{"header as a list", lines(`{"type":"header","format":["x"]}`), `line 1: field "format": want a string, got JSON array`},
		{"float time", lines(goodHeader, `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1.5,"return":2}`, end(1)), `line 2: field "call": want an integer, got JSON number 1.5`},
		{"time too large for int64", lines(goodHeader, `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1e30,"return":2}`, end(1)), `line 2: field "call": want an integer, got JSON number 1e30`},
		{"params wrong type", lines(strings.Replace(goodHeader, `"seed":0`, `"seed":0,"params":{"cpus":"two"}`, 1), end(0)), `line 1: field "params.cpus": want an integer, got JSON string`},
		{"version float", lines(strings.Replace(goodHeader, `"version":1`, `"version":1.0`, 1), end(0)), `line 1: field "version": want an integer, got JSON number 1.0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.text))
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "":
				return
			case err == nil || !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			for _, goWord := range []string{"int64", "struct", "*", "Go ", "traces.", "model."} {
				if strings.Contains(err.Error(), goWord) {
					t.Fatalf("error %q speaks Go (%q)", err, goWord)
				}
			}
		})
	}
}
