// Package properties hunts for violations of the reference model's safety
// properties with random schedules, at parameters far beyond what the
// exhaustive checker can reach (hundreds of pointers per bulk page, dozens of
// CPUs, up to a million frees per CPU).
//
// A schedule is a sequence of transitions of the model (package model): at
// every step the walker picks one of m.Enabled(s) with weights given by a
// Profile, whose Markov "modes" produce the adversarial patterns that matter
// for memory: readers that stall grace periods, bursts of allocation
// failures, shrinker storms, delayed monitors and reclaim workers, and bursts
// of frees on one CPU. The model's rules are never restated here: every step
// is m.Apply of an action m.Enabled returned.
//
// Properties (NoStuck, GracePeriod and user bounds on the metrics such as
// "pages <= 2*N*C + pending/B + 2*N") are checked after every step. A
// violating schedule is shrunk to a short witness by removing chunks of
// steps and replaying (the gopter Shrinker of GenSchedule), and is reported
// beside the exhaustive checker's shortest length where that is computable.
//
// Entry points:
//   - Run: the fuzzing loop behind "rcucheck fuzz" (seeded, reproducible).
//   - Check: a go test helper that fails a test with the seed and the shrunk
//     witness.
//   - GenSchedule, GenParams, GenProfile, Prop: gopter generators and a
//     gopter.Prop for users' own property suites.
//   - DiffCommands, CheckDiff: stateful differential testing of a concrete
//     implementation of the reclaim API (Impl; see package reclaim) against
//     the model with gopter's commands package.
//   - MeasureAllocations: page allocations per free under heavy use.
package properties
