// Package properties hunts for violations of the reference model's safety
// properties with random schedules drawn and shrunk by gopter
// (github.com/leanovate/gopter), at parameters far beyond what the
// exhaustive checker can reach (hundreds of pointers per bulk page, dozens
// of CPUs, up to a million frees per CPU).
//
// A schedule (Schedule) is a sequence of transitions of the model (package
// model). gopter generates it as a compact value: the seed, step bound and
// profile of a walker that, at every step, picks one of m.Enabled(s) with
// weights given by a Profile, whose Markov "modes" produce the adversarial
// patterns that matter for memory: readers that stall grace periods,
// bursts of allocation failures, shrinker storms, delayed monitors and
// reclaim workers, and bursts of frees on one CPU. GenSchedule and
// GenScheduleWith are the generators (the step bound is gopter's size),
// GenProfiles the profiles as generator choices ("mixed": the adversarial
// preset, the uniform one or one drawn by GenProfile), GenParams the
// parameters. The model's rules are never restated here: every step is
// m.Apply of an action m.Enabled returned.
//
// Properties (NoStuck, GracePeriod and user bounds on the metrics such as
// "pages <= 2*N*C + pending/B + 2*N") are checked after every step by the
// condition of a prop.ForAll property. A violating schedule is shrunk by
// gopter's shrink loop with ScheduleShrinker (chunks of halving size
// removed, then pairs of steps, every candidate replayed leniently so it is
// a real path cut at its first violation), and reported in gopter's terms
// (seed, test, shrinks) beside the exhaustive checker's shortest length
// where that is computable.
//
// Entry points:
//   - Run: the campaign behind "rcucheck fuzz": run i evaluates the gopter
//     property on gopter parameters derived from the seed and i alone
//     (RunParams), so any range of runs (Config.Start, Config.Runs) replays
//     exactly those runs of the whole campaign.
//   - Check, CheckConfig: go test helpers that fail a test with the seed,
//     the shrunk witness and a line that reruns the case ($RCUCHECK_RUN).
//   - Prop: a gopter.Prop for a user's own gopter.Properties suite, beside
//     the suite's own properties; Shrink shrinks a given schedule the same
//     way.
//   - DiffCommands, DiffRun: stateful differential testing of a concrete
//     implementation of the reclaim API (Impl; see package reclaim) against
//     the model with gopter's commands package, operations the model
//     disables included.
//   - MeasureAllocations, Allocations: page allocations per free under
//     heavy use, with the pages' flow (AllocFlow: where the pages taken
//     came from, refills, where reclaimed pages went); ReadKernelAllocs
//     imports the real kernel's bulk capture (package traces) and
//     CompareKernel says whether the model's figure differs from it and
//     why, in words built from the counts.
//   - GenGrowthProfiles, Peak, MetricFunc: what package hunt ("rcucheck
//     fuzz --hunt growth") draws its schedules with.
package properties
