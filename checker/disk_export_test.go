package checker

import "context"

// ExploreDiskTuned is a disk run for the tests of package checker_test,
// with batch frontier states a batch at most, runBytes for the run of
// candidates in memory (0: from the memory cap) and writes failing once
// failAfter bytes are written (0: never).
func ExploreDiskTuned(ctx context.Context, m Model, opt Options, batch, runBytes, failAfter uint64) (*Result, error) {
	return exploreDisk(ctx, m, opt, tuning{batch: batch, chunkBytes: chunkBytes}, diskTuning{runBytes: runBytes, failAfter: failAfter})
}
