package checker_test

import (
	"fmt"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/rcucheck/rcucheck/model"
)

// BenchmarkLinkLog explores head (K=2: 891,464 states; K=3, the defaults:
// 31.4 million states and about a minute) and reports the bytes a state of
// the parent links' log: in use, and held in whole blocks.
func BenchmarkLinkLog(b *testing.B) {
	d, err := model.LookupDesign("head")
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range []int{2, 3} {
		b.Run(fmt.Sprintf("head/K=%d", k), func(b *testing.B) {
			p := model.DefaultParams()
			p.Calls = k
			m, err := model.New(d, p)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				used, held, states := checker.ExploreLinkBytes(m.Checkable(), checker.Options{})
				b.ReportMetric(float64(used)/float64(states), "link-bytes/state")
				b.ReportMetric(float64(held)/float64(states), "link-held/state")
			}
		})
	}
}
