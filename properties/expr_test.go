package properties

import (
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

func TestParseBoundEval(t *testing.T) {
	p := model.Params{CPUs: 2, Bulk: 3, Cache: 1, Reserve: 1, Calls: 5, Limit: 2}
	tests := []struct {
		text string
		mt   model.Metrics
		want bool
		norm string
	}{
		{"pages <= 2*N*C + pending/B + 2*N", model.Metrics{Pages: 10, Pending: 6}, true, "pages <= 2 * N * C + pending / B + 2 * N"},
		{"pages <= 2*N*C + pending/B + 2*N", model.Metrics{Pages: 11, Pending: 6}, false, ""},
		{"pages<N*(C+2)", model.Metrics{Pages: 5}, true, "pages < N * (C + 2)"},
		{"pages<N*(C+2)", model.Metrics{Pages: 6}, false, ""},
		{"reserve_used >= 0", model.Metrics{ReserveUsed: 0}, true, ""},
		{"reserve_used == R", model.Metrics{ReserveUsed: 1}, true, ""},
		{"reserve_used != R", model.Metrics{ReserveUsed: 1}, false, ""},
		{"-pages > -3", model.Metrics{Pages: 2}, true, "-pages > -3"},
		{"pending - 1 - 1 <= K - (L - 1)", model.Metrics{Pending: 6}, true, "pending - 1 - 1 <= K - (L - 1)"},
		{"pending/2 <= 1", model.Metrics{Pending: 3}, true, ""},
		{"(0 - pending)/2 <= -2", model.Metrics{Pending: 3}, true, ""}, // floor(-3/2) = -2
		{"pages > 10", model.Metrics{Pages: 3}, false, ""},
	}
	for _, tc := range tests {
		b, err := ParseBound(tc.text)
		if err != nil {
			t.Fatalf("ParseBound(%q): %v", tc.text, err)
		}
		got, err := b.Eval(p, tc.mt)
		if err != nil {
			t.Fatalf("%q: Eval: %v", tc.text, err)
		}
		if got != tc.want {
			t.Errorf("%q with %+v = %v, want %v", tc.text, tc.mt, got, tc.want)
		}
		if tc.norm != "" && b.String() != tc.norm {
			t.Errorf("%q normalised to %q, want %q", tc.text, b.String(), tc.norm)
		}
		// The normal form parses back to a bound with the same verdict.
		b2, err := ParseBound(b.String())
		if err != nil {
			t.Fatalf("reparse %q: %v", b.String(), err)
		}
		if got2, _ := b2.Eval(p, tc.mt); got2 != got || b2.String() != b.String() {
			t.Errorf("reparse of %q changed the bound: %q %v", b.String(), b2.String(), got2)
		}
	}
}

func TestParseBoundErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"", "unexpected end"},
		{"pages", "want a comparison"},
		{"pages <=", "unexpected end"},
		{"N <= 3", "mentions no metric"},
		{"pages <= foo", `unknown name "foo"`},
		{"pages <= 3 $", "unexpected '$'"},
		{"pages <= 10/pending", "divisor at offset"},
		{"pages <= (1 + 2", "missing ')'"},
		{"pages = 3", "unexpected '='"},
		{"pages <= 99999999999999999999", "too large"},
		{"pages <= 1 <= 2", "unexpected \"<=\""},
		{strings.Repeat("(", 200) + "pages", "nested too deeply"},
	}
	for _, tc := range tests {
		_, err := ParseBound(tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseBound(%q) = %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
}

func TestBoundEvalErrors(t *testing.T) {
	p := model.DefaultParams()
	b, err := ParseBound("pages <= pending / (C - 1)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(p); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("Validate at C=1 = %v, want division by zero", err)
	}
	b, _ = ParseBound("pages <= 9223372036854775807 + pending")
	if _, err := b.Eval(p, model.Metrics{Pending: 1}); err == nil {
		t.Error("overflow not reported")
	}
	b, _ = ParseBound("pages * 4611686018427387904 <= 1")
	if _, err := b.Eval(p, model.Metrics{Pages: 2}); err == nil {
		t.Error("multiplication overflow not reported")
	}
	// An evaluation error counts as a violation of the property.
	prop := b.Property()
	m, _ := model.New(model.Designs()[0], p)
	if prop.Holds(m, m.Initial(), model.Metrics{Pages: 2}) {
		t.Error("a bound that overflows holds")
	}
}

// FuzzParseBound: parsing never panics, and whatever parses has a normal
// form that parses to the same normal form and evaluates the same.
func FuzzParseBound(f *testing.F) {
	for _, s := range []string{
		"pages <= 2*N*C + pending/B + 2*N", "pending < K*N", "reserve_used <= R",
		"-(pages) >= -(N*(C+2))", "pages/2 != 3", "((pages)) == 0", "pages <= 1 - - 1",
		// Bad inputs: overflow, division by zero, nesting, no metric, junk.
		"pages <= 9223372036854775808", "pages <= 9223372036854775807 + 1", "pages <= -9223372036854775807 - 2",
		"pages <= -(-9223372036854775807 - 1)", "pages <= (-9223372036854775807 - 1) / -1", "pages <= 1/0", "pages <= N/(B-B)",
		"pages <= 4611686018427387904 * 2", "pages <= K*K*K*K*K*K*K*K", "pages / pending <= 1", "N <= 2", "pages", "pages <= reserve",
		"pages <=", "<= pages", "pages <= ((((((((((1))))))))", "pages <= 1)", "pages =< 2", "pages ! 2", "pages <= 2 2",
		"pages <= \xff", "pages\x00<= 1", strings.Repeat("(", 200) + "pages" + strings.Repeat(")", 200) + " <= 1",
		"pages <= " + strings.Repeat("-", 200) + "1", "pages <= " + strings.Repeat("1+", 600) + "1",
	} {
		f.Add(s)
	}
	p := model.Params{CPUs: 3, Bulk: 5, Cache: 2, Reserve: 1, Calls: 7, Limit: 2}
	mt := model.Metrics{Pages: 4, Pending: 9, ReserveUsed: 1}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBound(s)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("ParseBound(%q): error %q is not one line", s, msg)
			}
			return
		}
		b2, err := ParseBound(b.String())
		if err != nil {
			t.Fatalf("normal form %q of %q does not parse: %v", b.String(), s, err)
		}
		if b2.String() != b.String() {
			t.Fatalf("normal form not stable: %q -> %q", b.String(), b2.String())
		}
		v1, e1 := b.Eval(p, mt)
		v2, e2 := b2.Eval(p, mt)
		if v1 != v2 || (e1 == nil) != (e2 == nil) {
			t.Fatalf("%q and its normal form %q evaluate differently: %v/%v vs %v/%v", s, b.String(), v1, e1, v2, e2)
		}
	})
}
