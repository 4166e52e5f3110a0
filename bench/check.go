package bench

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// checkSettings are the settings of the user-facing check: "rcucheck
// check" with cfg.Workers (named wname) and with 1 worker.
func checkSettings(ctx context.Context, cfg Config, wname string) []*Setting {
	var ss []*Setting
	for _, w := range []struct {
		n    int
		name string
	}{{cfg.Workers, wname}, {1, "1 worker"}} {
		args := CheckArgs(cfg.Model.Design().Name(), cfg.Model.Params(), w.n, cfg.Quiet)
		ss = append(ss, &Setting{
			Tool: "rcucheck", Setting: "check, " + w.name, Exact: true,
			Command: "rcucheck " + strings.Join(args, " "),
			run:     func() (Sample, error) { return child(ctx, cfg.Self, args, true) },
		})
	}
	return ss
}

// PrintTotals writes, for reports of several designs, each setting's total
// of median seconds over the designs and the ratio of each rcucheck total
// to each SPIN total (higher: rcucheck is faster).
func PrintTotals(w io.Writer, reps []*Report) {
	var names []string
	total := map[string]float64{}
	tool := map[string]string{}
	for _, r := range reps {
		for _, s := range r.Settings {
			key := s.Tool + " " + s.Setting
			if _, ok := total[key]; !ok {
				names = append(names, key)
				tool[key] = s.Tool
			}
			total[key] += s.Median.Seconds
		}
	}
	fmt.Fprintf(w, "totals over %d designs (sums of median seconds):\n", len(reps))
	for _, k := range names {
		fmt.Fprintf(w, "  %-36s %8.2f s\n", k, total[k])
	}
	for _, a := range names {
		for _, b := range names {
			if tool[a] == "rcucheck" && tool[b] == "spin" && total[a] > 0 {
				fmt.Fprintf(w, "  %s vs %s: x%.2f the speed\n", a, b, total[b]/total[a])
			}
		}
	}
}
