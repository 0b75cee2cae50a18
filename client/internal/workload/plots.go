package workload

import (
	"fmt"
	"image/color"
	"io"
	"maps"
	"math/big"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"funwithbanking/client/internal/money"
)

// The pictures, after Jepsen's bank test: latency of every operation over time, throughput
// over time, and the bank's total as each read saw it. Each is written as PNG and SVG; the
// SVG keeps of the routine points what can be told apart, and every outlier (thin).

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
	// routine series are many points, drawn as dots; the others, rare and the reason to
	// look, as bigger circles.
	routine        = map[string]bool{OpTransfer + " " + OutcomeOK: true, OpTransfer + " " + OutcomeRefused: true, OpRead + " " + OutcomeOK: true}
	robinhoodShade = color.NRGBA{44, 160, 44, 50}
	faultShade     = color.NRGBA{214, 39, 40, 50}
)

// Every picture's size.
const pictureWidth, pictureHeight = 12 * vg.Inch, 5 * vg.Inch

func (r *Report) writePictures(dir string) error {
	renders := map[string]func(svg bool) (*plot.Plot, error){
		"latency": r.latencyPlot, "rate": func(bool) (*plot.Plot, error) { return r.ratePlot() }, "bank": r.bankPlot,
	}
	for _, name := range pictureNames {
		for _, format := range pictureFormats {
			p, err := renders[name](format == "svg")
			if err != nil {
				return fmt.Errorf("picture %s: %w", name, err)
			}
			file := name + "." + format
			err = replaceFile(dir, file, func(w io.Writer) error {
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

// newPlot is a picture whose time axis runs from the start to the end of the run.
func (r *Report) newPlot(title, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since the start"
	p.X.Min, p.X.Max = 0, r.Elapsed.Seconds()
	for _, e := range r.Events {
		p.X.Max = max(p.X.Max, e.End().Seconds())
	}
	p.X.Tick.Marker = timeTicks{}
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

// latencyPoints are the latency picture's points by series, at each operation's end, in
// milliseconds (at least 0.001: a log scale has no zero), successful ones 1 in stride.
func (r *Report) latencyPoints() (points map[string]plotter.XYs, lo, hi float64, stride int) {
	ok := 0
	for _, e := range r.Events {
		if e.Outcome == OutcomeOK {
			ok++
		}
	}
	stride = max(1, (ok+maxPoints-1)/maxPoints)
	points, n := map[string]plotter.XYs{}, 0
	for _, e := range r.Events {
		if e.Outcome == OutcomeOK {
			if n++; (n-1)%stride != 0 {
				continue
			}
		}
		y := max(millis(e.Latency), 0.001)
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
	return points, lo, hi, stride
}

// latencyPlot draws every operation's latency; for an SVG, the routine points thinned.
func (r *Report) latencyPlot(svg bool) (*plot.Plot, error) {
	points, lo, hi, stride := r.latencyPoints()
	title := "Latency of every operation (ms, log scale)"
	if stride > 1 {
		title += fmt.Sprintf("; successful ones drawn 1 in %d", stride)
	}
	if r.Config.Rate > 0 {
		title += fmt.Sprintf("; from each transfer's slot at %g/s", r.Config.Rate)
	}
	p := r.newPlot(title, "latency (ms)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = lo, hi*10 // a decade of room at the top for the legend
	if err := r.spans(p, lo, hi); err != nil {
		return nil, err
	}
	if svg {
		dense := map[string]plotter.XYs{}
		for k, xys := range points {
			if routine[k] {
				dense[k] = xys
			}
		}
		maps.Copy(points, thinned(dense, grid{x0: p.X.Min, x1: p.X.Max, y0: p.Y.Min, y1: p.Y.Max, log: true}, above99))
	}
	for _, k := range seriesOrder {
		xys := points[k]
		switch {
		case len(xys) == 0:
			continue
		case routine[k]:
			p.Add(dots{xys, colorOf[k]})
			p.Legend.Add(k, mark{colorOf[k], true})
			continue
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: colorOf[k], Radius: rareRadius, Shape: draw.CircleGlyph{}}
		p.Add(s)
		p.Legend.Add(k, mark{colorOf[k], false})
	}
	return p, nil
}

// bankPlot draws the total each read saw; for an SVG, thinned among the reads that saw
// the starting total, every read that saw another kept.
func (r *Report) bankPlot(svg bool) (*plot.Plot, error) {
	p := r.newPlot(fmt.Sprintf("The bank's total money as each read saw it (start %s): flat when nothing is lost",
		moneyLabel(r.StartTotal.String())), "total money")
	start, _ := new(big.Float).SetString(r.StartTotal.String())
	at, _ := start.Float64()
	var xys plotter.XYs
	lo, hi := at, at
	for _, e := range r.Events {
		if e.Op != OpRead || e.Outcome != OutcomeOK {
			continue
		}
		f, ok := new(big.Float).SetString(e.Total.String())
		if !ok {
			continue
		}
		y, _ := f.Float64()
		lo, hi = min(lo, y), max(hi, y)
		xys = append(xys, plotter.XY{X: e.End().Seconds(), Y: y})
	}
	// A flat line sits a dollar from the edges; a total that strayed, by a cent even, fills
	// half the height.
	pad := 1.0
	if hi > lo {
		pad = (hi - lo) / 2
	}
	p.Y.Min, p.Y.Max = lo-pad, hi+3*pad // room at the top for the legend
	p.Y.Tick.Marker = moneyTicks{r.StartTotal}
	if len(xys) == 0 {
		return p, nil
	}
	if err := r.spans(p, lo-pad, hi+pad); err != nil {
		return nil, err
	}
	if svg {
		unlike := func(plotter.XYs) func(plotter.XY) bool { return func(xy plotter.XY) bool { return xy.Y != at } }
		xys = thinned(map[string]plotter.XYs{"read": xys}, grid{x0: p.X.Min, x1: p.X.Max, y0: p.Y.Min, y1: p.Y.Max}, unlike)["read"]
	}
	p.Add(dots{xys, colorOf[OpRead+" "+OutcomeOK]})
	p.Legend.Add("read", mark{colorOf[OpRead+" "+OutcomeOK], true})
	return p, nil
}

// moneyLabel writes a total ("40504452.16") as the bank picture's axis does.
func moneyLabel(total string) string {
	whole, frac, _ := strings.Cut(total, ".")
	if frac == "" {
		return money.GroupThousands(whole)
	}
	return money.GroupThousands(whole) + "." + frac
}
