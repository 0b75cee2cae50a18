package workload

import (
	"fmt"
	"image/color"
	"io"
	"math/big"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The pictures, after Jepsen's bank test: latency of every operation over time, throughput
// over time, and the bank's total as each read saw it. Each is written as PNG and SVG.

// maxPoints bounds the points a latency picture draws: beyond it, successful operations
// are drawn one in k (every other outcome always), which the title says.
const maxPoints = 200_000

var (
	colorOf = map[string]color.Color{
		OpTransfer + " " + OutcomeOK:       color.RGBA{31, 119, 180, 255},
		OpTransfer + " " + OutcomeRefused:  color.RGBA{255, 127, 14, 255},
		OpTransfer + " " + OutcomeInDoubt:  color.RGBA{214, 39, 40, 255},
		OpTransfer + " " + OutcomeError:    color.RGBA{148, 103, 189, 255},
		OpRobinhood + " " + OutcomeOK:      color.RGBA{44, 160, 44, 255},
		OpRobinhood + " " + OutcomeInDoubt: color.RGBA{140, 86, 75, 255},
		OpRobinhood + " " + OutcomeError:   color.RGBA{227, 119, 194, 255},
		OpRead + " " + OutcomeOK:           color.RGBA{127, 127, 127, 255},
		OpRead + " " + OutcomeError:        color.RGBA{188, 189, 34, 255},
	}
	// Series in this order in every legend.
	seriesOrder = []string{
		OpTransfer + " " + OutcomeOK, OpTransfer + " " + OutcomeRefused, OpTransfer + " " + OutcomeInDoubt,
		OpTransfer + " " + OutcomeError, OpRobinhood + " " + OutcomeOK, OpRobinhood + " " + OutcomeInDoubt,
		OpRobinhood + " " + OutcomeError, OpRead + " " + OutcomeOK, OpRead + " " + OutcomeError,
	}
	robinhoodShade = color.NRGBA{44, 160, 44, 50}
	faultShade     = color.NRGBA{214, 39, 40, 50}
)

// Every picture's size.
const pictureWidth, pictureHeight = 12 * vg.Inch, 5 * vg.Inch

func (r *Report) writePictures(dir string) error {
	renders := map[string]func() (*plot.Plot, error){"latency": r.latencyPlot, "rate": r.ratePlot, "bank": r.bankPlot}
	for _, name := range pictureNames {
		p, err := renders[name]()
		if err != nil {
			return fmt.Errorf("picture %s: %w", name, err)
		}
		for _, format := range pictureFormats {
			file := name + "." + format
			err := replaceFile(dir, file, func(w io.Writer) error {
				to, err := p.WriterTo(pictureWidth, pictureHeight, format)
				if err != nil {
					return err
				}
				_, err = to.WriteTo(w)
				return err
			})
			if err != nil {
				return fmt.Errorf("picture %s: %w", file, err)
			}
		}
	}
	return nil
}

func newPlot(title, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since the start"
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// shade draws a band from x0 to x1 across [y0, y1].
func shade(p *plot.Plot, x0, x1, y0, y1 float64, c color.Color) error {
	poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	if err != nil {
		return err
	}
	poly.Color = c
	poly.LineStyle.Width = 0
	p.Add(poly)
	return nil
}

// spans shades each Robinhood and each interval with a fault, across [y0, y1], under the
// points, and names them in the legend.
func (r *Report) spans(p *plot.Plot, y0, y1 float64) error {
	robinhoods, faults := false, false
	for _, e := range r.Events {
		if e.Op == OpRobinhood {
			if err := shade(p, e.At.Seconds(), e.End().Seconds(), y0, y1, robinhoodShade); err != nil {
				return err
			}
			robinhoods = true
		}
	}
	for _, iv := range r.Intervals {
		for _, m := range iv.Marks {
			if m == "fault" {
				if err := shade(p, iv.Start.Seconds(), iv.End.Seconds(), y0, y1, faultShade); err != nil {
					return err
				}
				faults = true
			}
		}
	}
	if robinhoods {
		p.Legend.Add("Robinhood running", swatch{robinhoodShade})
	}
	if faults {
		p.Legend.Add("interval with a fault", swatch{faultShade})
	}
	return nil
}

// swatch is a legend entry for a shaded band.
type swatch struct{ color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.Color, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y},
		{X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}})
}

func (r *Report) latencyPlot() (*plot.Plot, error) {
	ok := 0
	for _, e := range r.Events {
		if e.Outcome == OutcomeOK {
			ok++
		}
	}
	stride := max(1, (ok+maxPoints-1)/maxPoints)
	title := "Latency of every operation (ms, log scale)"
	if stride > 1 {
		title += fmt.Sprintf("; successful ones drawn 1 in %d", stride)
	}
	if r.Config.Rate > 0 {
		title += fmt.Sprintf("; from each transfer's slot at %g/s", r.Config.Rate)
	}
	p := newPlot(title, "latency (ms)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	points := map[string]plotter.XYs{}
	lo, hi, n := 0.0, 0.0, 0
	for _, e := range r.Events {
		if e.Outcome == OutcomeOK {
			if n++; (n-1)%stride != 0 {
				continue
			}
		}
		y := max(millis(e.Latency), 0.001) // a log scale has no zero
		k := e.Op + " " + e.Outcome
		points[k] = append(points[k], plotter.XY{X: e.End().Seconds(), Y: y})
		if lo == 0 || y < lo {
			lo = y
		}
		hi = max(hi, y)
	}
	if len(points) == 0 {
		lo, hi = 0.1, 1
	}
	p.Y.Max = hi * 10 // a decade of room at the top for the legend
	if err := r.spans(p, lo, hi); err != nil {
		return nil, err
	}
	for _, k := range seriesOrder {
		if len(points[k]) == 0 {
			continue
		}
		s, err := plotter.NewScatter(points[k])
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Color = colorOf[k]
		s.GlyphStyle.Radius = vg.Points(1.2)
		if !strings.HasPrefix(k, OpTransfer) {
			s.GlyphStyle.Radius = vg.Points(2.5) // few, and the reason to look
		}
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(s)
		p.Legend.Add(k, s)
	}
	return p, nil
}

func (r *Report) ratePlot() (*plot.Plot, error) {
	p := newPlot("Throughput per interval, by operation and outcome", "per second")
	series := []struct {
		name string
		n    func(Interval) int64
	}{
		{OpTransfer + " " + OutcomeOK, func(iv Interval) int64 { return iv.Committed }},
		{OpTransfer + " " + OutcomeRefused, func(iv Interval) int64 { return iv.Refused }},
		{OpTransfer + " " + OutcomeInDoubt, func(iv Interval) int64 { return iv.InDoubt }},
		{"errors", func(iv Interval) int64 { return iv.Errors }},
		{OpRead + " " + OutcomeOK, func(iv Interval) int64 { return iv.Reads }},
		{OpRobinhood + " " + OutcomeOK, func(iv Interval) int64 { return iv.Robinhoods }},
	}
	hi := 1.0
	lines := map[string]plotter.XYs{}
	for _, s := range series {
		for _, iv := range r.Intervals {
			secs := (iv.End - iv.Start).Seconds()
			if secs <= 0 {
				continue
			}
			y := float64(s.n(iv)) / secs
			lines[s.name] = append(lines[s.name], plotter.XY{X: iv.End.Seconds(), Y: y})
			hi = max(hi, y)
		}
	}
	p.Y.Max = hi * 1.4 // room at the top for the legend
	if err := r.spans(p, 0, hi); err != nil {
		return nil, err
	}
	for _, s := range series {
		if len(lines[s.name]) == 0 {
			continue
		}
		l, err := plotter.NewLine(lines[s.name])
		if err != nil {
			return nil, err
		}
		c, ok := colorOf[s.name]
		if !ok {
			c = colorOf[OpTransfer+" "+OutcomeError]
		}
		l.LineStyle.Color = c
		l.LineStyle.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	return p, nil
}

func (r *Report) bankPlot() (*plot.Plot, error) {
	p := newPlot(fmt.Sprintf("The bank's total money as each read saw it (start %s): flat when nothing is lost", r.StartTotal),
		"total money")
	var xys plotter.XYs
	lo, hi := 0.0, 0.0
	for _, e := range r.Events {
		if e.Op != OpRead || e.Outcome != OutcomeOK {
			continue
		}
		f, ok := new(big.Float).SetString(e.Total.String())
		if !ok {
			continue
		}
		y, _ := f.Float64()
		if len(xys) == 0 || y < lo {
			lo = y
		}
		hi = max(hi, y)
		xys = append(xys, plotter.XY{X: e.End().Seconds(), Y: y})
	}
	if len(xys) == 0 {
		return p, nil
	}
	pad := max((hi-lo)*0.1, 1)
	p.Y.Min, p.Y.Max = lo-pad, hi+3*pad // room at the top for the legend
	p.Y.Tick.Marker = plainTicks{}
	if err := r.spans(p, lo-pad, hi+pad); err != nil {
		return nil, err
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, err
	}
	s.GlyphStyle.Color = colorOf[OpRead+" "+OutcomeOK]
	s.GlyphStyle.Radius = vg.Points(1.5)
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	p.Add(s)
	p.Legend.Add("read", s)
	return p, nil
}

// plainTicks labels a money axis with whole numbers, not in exponent notation.
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = fmt.Sprintf("%.2f", ticks[i].Value)
		}
	}
	return ticks
}
