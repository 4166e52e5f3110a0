package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // the one-line error, exactly
	}{
		{"syntax", "[[check]]\nname = \"x\"\ndesigns = [\"head\"\n", "g.toml:3: field check[1].designs: expected a comma"},
		{"unknown field", "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\nmax_state = 3\n",
			"g.toml:5: field check[1].max_state: unknown field"},
		{"unknown design", "[[check]]\nname = \"x\"\n\ndesigns = [\"head\", \"nope\"]\nholds = [\"NoStuck\"]\n",
			`g.toml:4: field check[1].designs: unknown design "nope"`},
		{"unknown property", "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = [\"NoStuk\"]\n",
			`g.toml:4: field check[1].holds: unknown property "NoStuk"`},
		{"bad bound", "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nbounds = [\"pages <=\"]\n",
			"g.toml:4: field check[1].bounds: bound"},
		{"bad timeout in defaults", "[defaults]\ncalls = 1\ntimeout = \"soon\"\n[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\n",
			`g.toml:3: field defaults.timeout: "soon" is not a duration`},
		{"bad param", "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\ncpus = [1, 0]\n",
			"g.toml:5: field check[1].cpus: cpus must be between 1 and 64, got 0"},
		{"param type", "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\ncalls = \"two\"\n",
			`g.toml:5: field check[1].calls: want an integer or a list of integers, got a string ("two")`},
		{"missing name", "[[check]]\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\n",
			"g.toml:1: field check[1].name: missing"},
		{"second check", "[[check]]\nname = \"a\"\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\n\n[[check]]\nname = \"b\"\ndesigns = [\"head\"]\nviolated = [\"Drainable\"]\nholds = [\"Drainable\"]\n",
			"g.toml:9: field check[2].violated: property Drainable is required both"},
		{"requires nothing", "[[check]]\nname = \"a\"\ndesigns = [\"head\"]\n", "g.toml:1: field check[1]: requires nothing"},
		{"no check", "title = \"x\"\n", "g.toml: no [[check]] table"},
		{"every k needs a spec design", "[[check]]\nname = \"a\"\ndesigns = [\"lockless\"]\n\nholds_every_k = [\"NoStuck\"]\n",
			"g.toml:5: field check[1].holds_every_k: design lockless: outcomes for every K"},
		{"every k metric", "[[check]]\nname = \"a\"\ndesigns = [\"head\"]\nbounded_every_k = [\"page\"]\n",
			`g.toml:4: field check[1].bounded_every_k: "page": want pages`},
		{"limit zero", "[[check]]\nname = \"a\"\ndesigns = [\"limit\"]\nlimit = 0\nholds = [\"NoStuck\"]\n",
			"g.toml:3: field check[1].designs: design limit at"},
	}
	reg := model.BuiltinRegistry()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("g.toml", []byte(tc.src), reg)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want prefix %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestGridDedupAndDefaults(t *testing.T) {
	src := "[defaults]\nreserve = [1, 2]\ncalls = 1\ncpus = 1\n[[check]]\nname = \"a\"\ndesigns = [\"head\", \"reserve\"]\nholds = [\"GracePeriod\"]\n"
	f, err := Parse("g.toml", []byte(src), model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// head ignores R: its two grid points are one row; reserve keeps both.
	var got []string
	for _, r := range res.Rows {
		got = append(got, r.Design+" "+r.Params.String())
	}
	want := []string{"head N=1 B=2 C=1 R=0 K=1 L=0", "reserve N=1 B=2 C=1 R=1 K=1 L=0", "reserve N=1 B=2 C=1 R=2 K=1 L=0"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("rows %q, want %q", got, want)
	}
}

func TestRunPass(t *testing.T) {
	f, err := Load("testdata/pass.toml", model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed || res.Failed != 0 || len(res.Rows) != 5 {
		var b bytes.Buffer
		WriteTable(&b, res)
		t.Fatalf("passed=%v failed=%d rows=%d\n%s", res.Passed, res.Failed, len(res.Rows), b.String())
	}
}

func TestMainFailingGate(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), &stdout, &stderr, []string{"--quiet", "--out", dir, "testdata/fail.toml"}, model.BuiltinRegistry())
	if code != ExitFail {
		t.Fatalf("exit %d, want %d; stderr %s", code, ExitFail, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"FAIL reserve claimed safe / reserve / N=2 B=2 C=1 R=1 K=2 L=0",
		"holds NoStuck: violated: shortest counterexample of 4 steps",
		"free(0) stuck",
		"bound pages <= 1: violated: shortest counterexample of 2 steps",
		"FAILED: 2 rows, 2 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	var res Result
	data, err := os.ReadFile(filepath.Join(dir, "gate.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if res.Passed || res.Failed != 2 || len(res.Rows[0].Outcomes[0].Trace) != 4 {
		t.Errorf("gate.json: passed=%v failed=%d", res.Passed, res.Failed)
	}
	data, err = os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var ju junitSuites
	if err := xml.Unmarshal(data, &ju); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	if ju.Tests != 2 || ju.Failures != 2 || ju.Suites[0].Cases[0].Failure == nil || !strings.Contains(ju.Suites[0].Cases[0].Failure.Text, "free(0) stuck") {
		t.Errorf("junit: %+v", ju)
	}
	traces, _ := filepath.Glob(filepath.Join(dir, "traces", "*.txt"))
	if len(traces) != 2 {
		t.Errorf("traces %v, want 2 files", traces)
	}
	// A passing run in the same directory leaves no stale trace behind.
	stdout.Reset()
	if code := Main(context.Background(), &stdout, &stderr, []string{"--quiet", "--out", dir, "testdata/pass.toml"}, model.BuiltinRegistry()); code != ExitPass {
		t.Fatalf("pass.toml: exit %d", code)
	}
	if traces, _ := filepath.Glob(filepath.Join(dir, "traces", "*.txt")); len(traces) != 0 {
		t.Errorf("stale traces %v", traces)
	}
}

func TestMainUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[[check]]\nname = \"x\"\ndesigns = [\"nope\"]\nholds = [\"NoStuck\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{bad}, "bad.toml:3: field check[1].designs: unknown design"},
		{[]string{}, "want one gate file"},
		{[]string{"--nope", bad}, "flag provided but not defined"},
		{[]string{filepath.Join(dir, "missing.toml")}, "no such file"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), &stdout, &stderr, append([]string{"--out", filepath.Join(dir, "out")}, tc.args...), model.BuiltinRegistry())
		if code != ExitUsage || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d stderr %q, want 2 and %q on one line", tc.args, code, stderr.String(), tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a bad gate file wrote outputs")
	}
}

func TestInterrupted(t *testing.T) {
	f, err := Load("testdata/pass.toml", model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Passed || res.NotRun != 5 || res.Failed != 0 || ExitCode(res) != ExitInterrupted {
		t.Errorf("interrupted=%v passed=%v not run=%d failed=%d exit=%d", res.Interrupted, res.Passed, res.NotRun, res.Failed, ExitCode(res))
	}
}

// FuzzParse feeds gate files to Parse: it must never panic, refuse with
// one plain line (checkPlainError), and accept only files that make rows
// within the limits.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/pass.toml", "testdata/fail.toml", "../gates/builtin.toml", "../examples/watermark/gate.toml"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, tc := range badInputs {
		f.Add([]byte(tc.src))
	}
	f.Add([]byte("[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nbounds = [\"pages <= (N+1)*K/0\"]\n"))
	f.Add([]byte("[defaults]\ncalls = [1, 2, 3]\n[[check]]\nname=\"\"\n"))
	f.Add([]byte("check = [{name = \"x\", designs = [\"head\"], holds = [\"NoStuck\"]}]\n"))
	f.Add([]byte("[[check]]\nname = \"x\"\ndesigns = [\"reserve\"]\nbounds = [\"reserve_used <= R*R - 1\"]\nreserve = [0, 1073741824]\n"))
	reg := model.BuiltinRegistry()
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("f.toml", src, reg)
		if err != nil {
			checkPlainError(t, err)
			return
		}
		if len(file.Checks) == 0 {
			t.Error("a valid file without checks")
		}
		if rows := Plan(file); len(rows) > maxRows {
			t.Errorf("%d rows", len(rows))
		}
		for _, s := range file.Checks {
			if s.MaxStates > maxStatesLimit || s.MaxMemory > maxMemoryMiB<<20 || s.Timeout < 0 || s.Timeout > maxTimeout || s.Workers < 0 || s.Workers > maxWorkers {
				t.Errorf("limits out of range accepted: %+v", s)
			}
		}
	})
}

func TestEveryK(t *testing.T) {
	src := `[[check]]
name = "head for every K"
designs = ["head"]
cpus = 1
holds_every_k = ["NoStuck", "GracePeriod"]
unbounded_every_k = ["pages"]

[[check]]
name = "head claimed bounded"
designs = ["head"]
cpus = 1
bounded_every_k = ["pages"]
`
	f, err := Parse("k.toml", []byte(src), model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || !res.Rows[0].Passed || res.Rows[1].Passed || res.Rows[1].Status != "FAIL" {
		var b bytes.Buffer
		WriteTable(&b, res)
		t.Fatalf("want the first row to pass and the second to fail:\n%s", b.String())
	}
	o := res.Rows[1].Outcomes[0]
	if !strings.HasPrefix(o.Detail, "grows with K") || len(o.Witness) == 0 || res.Rows[1].Params.Calls != 0 {
		t.Errorf("outcome %+v", o)
	}
}
