package checker_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/rcucheck/rcucheck/checker"
)

// Two threads each add 1 to a shared counter in two steps, a read and a
// write: the lost update. A state is the counter and each thread's program
// counter and register; an action is the thread that steps.
func ExampleSpec() {
	type state struct {
		X       uint8
		PC, Reg [2]uint8
	}
	codec, err := checker.BinaryCodec[state]()
	if err != nil {
		fmt.Println(err)
		return
	}
	done := func(s state) bool { return s.PC == [2]uint8{2, 2} }
	spec := checker.Spec[state, int]{
		Init:    func() state { return state{} },
		Actions: func(_ state, emit func(int)) { emit(0); emit(1) },
		Next: func(s state, t int) (state, bool) {
			switch s.PC[t] {
			case 0:
				s.Reg[t] = s.X // read
			case 1:
				s.X = s.Reg[t] + 1 // write
			default:
				return s, false // finished
			}
			s.PC[t]++
			return s, true
		},
		Codec: codec,
		Properties: []checker.Property[state]{
			checker.Invariant("Counted", func(s state) bool { return !done(s) || s.X == 2 }),
			checker.Goal("Terminates", done),
			checker.Metric("x", func(s state) int64 { return int64(s.X) }),
		},
		ActionName: func(t int) string { return fmt.Sprintf("t%d", t) },
	}
	res, err := checker.ExploreSpec(context.Background(), spec, checker.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	counted := res.Property("Counted")
	var steps []string
	for _, s := range counted.Trace.Steps {
		steps = append(steps, s.Name)
	}
	fmt.Println(res.States, "states,", res.Transitions, "transitions")
	fmt.Println("Counted", counted.Verdict, "by", strings.Join(steps, " "))
	fmt.Println("Terminates", res.Property("Terminates").Verdict)
	fmt.Println("max x", res.Metric("x").Max)
	// Output:
	// 13 states, 14 transitions
	// Counted VIOLATED by t0 t1 t0 t1
	// Terminates holds
	// max x 2
}
