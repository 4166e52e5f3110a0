package bound

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"github.com/rcucheck/rcucheck/internal/fileout"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PlotFormats lists the file extensions WritePlot accepts.
func PlotFormats() []string { return []string{".svg", ".png", ".pdf"} }

// CheckPlotPath reports, before any work, a path WritePlot cannot write:
// an extension it does not draw, or a place where no file can be created.
func CheckPlotPath(path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	for _, f := range PlotFormats() {
		if ext == f {
			return fileout.CheckWritable(path)
		}
	}
	return fmt.Errorf("plot file %q: want an extension among %s", path, strings.Join(PlotFormats(), ", "))
}

// Plot draws the figures of results against the swept parameter, one line
// per result (design), with the verdict in the legend: a plateau reads as a
// flat line, growth as a rising one.
func Plot(results []*Result) (*plot.Plot, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("plot: no results")
	}
	p := plot.New()
	fig := results[0].Figure
	p.Title.Text = fmt.Sprintf("rcucheck bound: %s against %s", fig, results[0].Sweep.Param)
	p.X.Label.Text = results[0].Sweep.Param
	p.Y.Label.Text = fig
	p.Legend.Top = true
	p.Legend.Left = true
	palette := []color.Color{
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 255},
		color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 255},
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 255},
		color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 255},
		color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 255},
	}
	for i, r := range results {
		xys := make(plotter.XYs, 0, len(r.Points))
		for _, pt := range r.Points {
			xys = append(xys, plotter.XY{X: float64(pt.Value), Y: float64(FigureOf(pt, r.Figure))})
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", r.Design, err)
		}
		c := palette[i%len(palette)]
		line.Color, points.Color = c, c
		line.Width = vg.Points(1.5)
		points.Shape = draw.CircleGlyph{}
		if r.Verdict == VerdictUnbounded {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(line, points)
		label := fmt.Sprintf("%s: %s", r.Design, r.Verdict)
		if r.Bound != nil {
			label += fmt.Sprintf(" %d", *r.Bound)
		}
		if r.Formula != nil {
			label += " (" + r.Formula.Text + ")"
		}
		p.Legend.Add(label, line, points)
	}
	p.Add(plotter.NewGrid())
	// Room above the lines for the legend.
	p.Y.Min = min(p.Y.Min, 0)
	p.Y.Max = p.Y.Max*1.35 + 1
	return p, nil
}

// WritePlot draws results into path (.svg, .png or .pdf by extension),
// atomically: a temporary file in the same directory, then a rename.
func WritePlot(results []*Result, path string) error {
	if err := CheckPlotPath(path); err != nil {
		return err
	}
	p, err := Plot(results)
	if err != nil {
		return err
	}
	w, err := p.WriterTo(16*vg.Centimeter, 10*vg.Centimeter, strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), "."))
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return WriteFileAtomic(path, func(f io.Writer) error {
		_, err := w.WriteTo(f)
		return err
	})
}

// WriteFileAtomic writes path through write into a temporary file next to
// it, then renames it into place (mode 0644): readers never see half a file.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	return fileout.Write(path, write)
}
