package traces

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
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
		{"ill-typed", goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":"1","return":1}` + "\n", `line 2: field "call": want int64, got JSON string`},
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

func FuzzRead(f *testing.F) {
	f.Add([]byte(goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"free","obj":"a","call":1,"return":1}` + "\n" + `{"type":"end","records":1}` + "\n"))
	f.Add([]byte(goodHeader + "\n" + `{"type":"op","id":1,"client":0,"op":"section","section":"s","call":1,"pending":true}` + "\n" + `{"type":"end","records":1}` + "\n"))
	f.Add([]byte(goodHeader + "\n" + `{"type":"step","time":1,"client":0,"action":"gp_start"}` + "\n" + `{"type":"end","records":1}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, err := Read(bytes.NewReader(data))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		// Whatever reads must check without error and re-encode readably.
		for _, h := range hs {
			if _, err := Check(context.Background(), h, CheckOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := Encode(&buf, hs...); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(&buf); err != nil {
			t.Fatalf("re-encoded trace does not read: %v", err)
		}
	})
}
