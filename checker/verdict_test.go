package checker_test

import (
	"encoding/json"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
)

// The verdicts' names in JSON are those the reports have always used (lower
// case, unlike String's "VIOLATED"), and read back to the same verdict.
func TestVerdictText(t *testing.T) {
	tests := []struct {
		v    checker.Verdict
		json string
		str  string
	}{
		{checker.Holds, `"holds"`, "holds"},
		{checker.Violated, `"violated"`, "VIOLATED"},
		{checker.Unknown, `"unknown"`, "unknown"},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.json {
			t.Errorf("%d: marshalled %s, %v; want %s", int(tc.v), b, err, tc.json)
		}
		var back checker.Verdict = 7
		if err := json.Unmarshal(b, &back); err != nil || back != tc.v {
			t.Errorf("%s read back as %d, %v", b, int(back), err)
		}
		if tc.v.String() != tc.str {
			t.Errorf("%d: String %q, want %q", int(tc.v), tc.v.String(), tc.str)
		}
	}
}

// Anything but the three names is refused, never read as Unknown.
func TestVerdictTextRefused(t *testing.T) {
	for _, in := range []string{`""`, `"VIOLATED"`, `"Holds"`, `"maybe"`, `" holds"`, `1`} {
		var v checker.Verdict
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("%s accepted as %d", in, int(v))
		}
	}
	if _, err := json.Marshal(checker.Verdict(3)); err == nil {
		t.Error("verdict 3 marshalled")
	}
	if _, err := json.Marshal(checker.Verdict(-1)); err == nil {
		t.Error("verdict -1 marshalled")
	}
}
