package main

import "testing"

// TestCheckVerify: rcucheck check --verify compares the fast expander with
// the reference one on every state and, when they agree, prints exactly
// what the run without it prints. That a disagreement stops the run with
// an error is model.TestVerifyCatchesMutants (deliberately broken
// expanders through the verifying model this flag runs).
func TestCheckVerify(t *testing.T) {
	args := []string{"check", "--design", "all", "--calls", "1", "--quiet"}
	code, want, _ := rcucheck(args...)
	gotCode, got, errs := rcucheck(append(args, "--verify")...)
	if gotCode != code || got != want || errs != "" {
		t.Fatalf("--verify: exit %d (want %d), stderr %q, stdout\n%s\nwant\n%s", gotCode, code, errs, got, want)
	}
}
