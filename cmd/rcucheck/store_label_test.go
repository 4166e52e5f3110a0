package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFingerprintVerdictsLabelled checks that a run on a lossy visited set
// says so beside every verdict that rests on it, in text and JSON, and that
// an exact run says it is exact.
func TestFingerprintVerdictsLabelled(t *testing.T) {
	base := []string{"check", "--design", "early", "--calls", "1", "--quiet"}
	cases := []struct {
		name      string
		extra     []string
		wantStore string
		wantNote  bool
	}{
		{"exact", nil, "exact", false},
		{"fingerprint", []string{"--fingerprint"}, "fingerprint", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, out, _ := rcucheck(append(append([]string(nil), base...), c.extra...)...)
			row := tableRow(t, out, "early")
			if got := strings.Contains(row, "holds (fingerprints: P(missed state) <= "); got != c.wantNote {
				t.Errorf("text row %q: loss note present %v, want %v", row, got, c.wantNote)
			}
			if strings.Contains(row, "VIOLATED (7 steps) (") {
				t.Errorf("text row %q: a violated invariant is exact, yet labelled lossy", row)
			}
			_, js, _ := rcucheck(append(append(append([]string(nil), base...), c.extra...), "--json")...)
			var rep struct {
				Store    string   `json:"store"`
				Omission *float64 `json:"omission_probability"`
			}
			if err := json.Unmarshal([]byte(js), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Store != c.wantStore || rep.Omission == nil || (*rep.Omission > 0) != c.wantNote {
				t.Errorf("JSON store %q omission %v, want store %q, omission > 0: %v", rep.Store, rep.Omission, c.wantStore, c.wantNote)
			}
		})
	}
}

// tableRow returns the line of a verdict table that starts with design.
func tableRow(t *testing.T, out, design string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, design+" ") {
			return line
		}
	}
	t.Fatalf("no row for %s in:\n%s", design, out)
	return ""
}
