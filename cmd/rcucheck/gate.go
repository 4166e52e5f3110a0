package main

import (
	"context"

	"github.com/rcucheck/rcucheck/gate"
	"github.com/rcucheck/rcucheck/model"
)

// runGate is "rcucheck gate FILE": it runs a gate file over the built-in
// designs (package gate; exit 0 pass, 1 a row failed, 2 bad file or flags,
// 3 interrupted). Errors are printed by gate.Main.
func runGate(ctx context.Context, e *env, args []string) (int, error) {
	return gate.Main(ctx, e.stdout, e.stderr, args, model.BuiltinRegistry()), nil
}
