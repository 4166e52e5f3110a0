package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"

	"github.com/rcucheck/rcucheck/model"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// scalingInstance is an instance of the scaling table.
type scalingInstance struct {
	design string
	n, k   int
	approx float64 // states, to skip instances over the cap before running them
}

// scalingInstances span 10^5 to 10^7 states at the spec's B, C, R, L.
func scalingInstances() []scalingInstance {
	return []scalingInstance{
		{"reserve", 2, 2, 1.9e5},
		{"head", 2, 2, 8.9e5},
		{"head", 3, 1, 2.0e6},
		{"sync", 2, 3, 3.6e6},
		{"head", 2, 3, 3.1e7},
	}
}

// ScalingPoint is one measured point of the scaling table.
type ScalingPoint struct {
	Instance string `json:"instance"`
	Workers  int    `json:"workers"`
	Median   Sample `json:"median"`
}

// ScalingConfig is what Scaling times.
type ScalingConfig struct {
	Self      string  // the rcucheck binary (as Config.Self)
	Runs      int     // timed runs per point
	MaxStates float64 // skip instances larger than this
	Quiet     bool
	Log       io.Writer
}

// Scaling times rcucheck (fingerprint store) on instances of growing size
// with 1 worker, 2 workers and every core. stopped reports an interruption:
// the points are then those measured before it.
func Scaling(ctx context.Context, cfg ScalingConfig) (points []ScalingPoint, stopped bool, err error) {
	workers := []int{1, 2}
	if n := runtime.GOMAXPROCS(0); n > 2 {
		workers = append(workers, n)
	}
	for _, in := range scalingInstances() {
		if in.approx > cfg.MaxStates {
			continue
		}
		p := model.DefaultParams()
		p.CPUs, p.Calls = in.n, in.k
		name := fmt.Sprintf("%s N=%d K=%d", in.design, in.n, in.k)
		for _, w := range workers {
			args := EngineArgs(in.design, p, w, true, cfg.Quiet)
			var samples []Sample
			for i := 0; i < cfg.Runs && !stopped; i++ {
				fmt.Fprintf(cfg.Log, "bench --scaling: %s, %d workers, run %d/%d\n", name, w, i+1, cfg.Runs)
				s, err := child(ctx, cfg.Self, args, false)
				if err != nil {
					if ctx.Err() == nil {
						return points, false, err
					}
					stopped = true
					break
				}
				samples = append(samples, s)
			}
			if len(samples) > 0 {
				points = append(points, ScalingPoint{Instance: name, Workers: w, Median: medianOf(samples)})
			}
		}
	}
	return points, stopped, nil
}

// PrintScaling writes the scaling table, with each point's speedup over 1
// worker.
func PrintScaling(w io.Writer, points []ScalingPoint, runs int) {
	fmt.Fprintf(w, "rcucheck bench --scaling: fingerprint store, safety properties, median of %d runs\n\n", runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "instance\tstates\ttransitions\tworkers\tseconds\tstates/s\tbytes/state\tspeedup\t")
	one := map[string]float64{}
	for _, pt := range points {
		if pt.Workers == 1 {
			one[pt.Instance] = pt.Median.StatesPerSec
		}
		speed := "1.00"
		if b := one[pt.Instance]; b > 0 && pt.Workers != 1 {
			speed = fmt.Sprintf("%.2f", pt.Median.StatesPerSec/b)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.0f\t%.1f\t%s\t\n", pt.Instance, pt.Median.States, pt.Median.Transitions,
			pt.Workers, pt.Median.Seconds, pt.Median.StatesPerSec, pt.Median.BytesPerState, speed)
	}
	tw.Flush()
}

// PlotScaling draws states/s against states, one line per worker count,
// and writes it atomically (a temporary file renamed into place) as .png,
// .svg or .pdf after path's extension.
func PlotScaling(points []ScalingPoint, path string) error {
	p := plot.New()
	p.Title.Text = "rcucheck: states per second against instance size"
	p.X.Label.Text = "states (log scale)"
	p.Y.Label.Text = "states per second"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	byW := map[int]plotter.XYs{}
	var ws []int
	for _, pt := range points {
		if _, ok := byW[pt.Workers]; !ok {
			ws = append(ws, pt.Workers)
		}
		byW[pt.Workers] = append(byW[pt.Workers], plotter.XY{X: float64(pt.Median.States), Y: pt.Median.StatesPerSec})
	}
	for i, w := range ws {
		line, pts, err := plotter.NewLinePoints(byW[w])
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		line.Color = plotutil.Color(i)
		pts.Color = plotutil.Color(i)
		pts.Shape = plotutil.Shape(i)
		p.Add(line, pts)
		p.Legend.Add(fmt.Sprintf("%d worker(s)", w), line, pts)
	}
	p.Add(plotter.NewGrid())
	return saveAtomic(p, path)
}

// saveAtomic saves p to path through a temporary file of mode 0644
// renamed into place.
func saveAtomic(p *plot.Plot, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".scaling-*"+filepath.Ext(path))
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := p.Save(6*vg.Inch, 4*vg.Inch, tmp.Name()); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
