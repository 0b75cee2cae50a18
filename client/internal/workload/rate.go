package workload

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// minPartial is the shortest share of an interval the rate picture draws as the last one:
// a sliver holds only the few transfers still finishing after the writers stopped, and
// would plot as a collapse. results.json keeps it.
const minPartial = 0.5

// rateSeries are the rate picture's series, each with a look of its own, so that two at
// the same height (at zero, often) can still be told apart.
var rateSeries = []struct {
	name   string
	n      func(Interval) int64
	color  color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
}{
	{OpTransfer + " " + OutcomeOK, func(iv Interval) int64 { return iv.Committed }, colorOf[OpTransfer+" "+OutcomeOK], nil, draw.CircleGlyph{}},
	{OpTransfer + " " + OutcomeRefused, func(iv Interval) int64 { return iv.Refused }, colorOf[OpTransfer+" "+OutcomeRefused], nil, draw.SquareGlyph{}},
	{OpTransfer + " " + OutcomeInDoubt, func(iv Interval) int64 { return iv.InDoubt }, colorOf[OpTransfer+" "+OutcomeInDoubt],
		[]vg.Length{vg.Points(6), vg.Points(3)}, draw.TriangleGlyph{}},
	{"errors", func(iv Interval) int64 { return iv.Errors }, colorOf[OpTransfer+" "+OutcomeError],
		[]vg.Length{vg.Points(2), vg.Points(2)}, draw.CrossGlyph{}},
	{OpRead + " " + OutcomeOK, func(iv Interval) int64 { return iv.Reads }, colorOf[OpRead+" "+OutcomeOK],
		[]vg.Length{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}, draw.RingGlyph{}},
}

// rateLine is one series of the rate picture: its points, per second at each interval's
// end, and how many operations they count.
type rateLine struct {
	name  string
	xys   plotter.XYs
	total int64
}

// rateLines are the rate picture's series, without a last interval shorter than
// minPartial of the others.
func (r *Report) rateLines() []rateLine {
	ivs := r.Intervals
	if n := len(ivs); n > 1 && float64(ivs[n-1].End-ivs[n-1].Start) < minPartial*float64(ivs[0].End-ivs[0].Start) {
		ivs = ivs[:n-1]
	}
	var out []rateLine
	for _, s := range rateSeries {
		l := rateLine{name: s.name}
		for _, iv := range ivs {
			secs := (iv.End - iv.Start).Seconds()
			if secs <= 0 {
				continue
			}
			n := s.n(iv)
			l.xys = append(l.xys, plotter.XY{X: iv.End.Seconds(), Y: float64(n) / secs})
			l.total += n
		}
		out = append(out, l)
	}
	return out
}

// ratePlot draws the throughput per interval. A series that stayed at zero is named in
// the legend as none rather than drawn over another one; a rare one, with its count.
func (r *Report) ratePlot() (*plot.Plot, error) {
	p := r.newPlot("Throughput per interval, by operation and outcome", "per second")
	hi := 1.0
	lines := r.rateLines()
	for _, l := range lines {
		for _, xy := range l.xys {
			hi = max(hi, xy.Y)
		}
	}
	p.Y.Min, p.Y.Max = 0, hi*1.4 // room at the top for the legend
	p.Y.Tick.Marker = countTicks{}
	if err := r.spans(p, 0, hi); err != nil {
		return nil, err
	}
	for i, l := range lines {
		name := l.name
		switch {
		case l.total == 0:
			p.Legend.Add(name + ": none")
			continue
		case !routine[name]: // few, and drawn near zero: the legend says how many
			name += fmt.Sprintf(" (%d in all)", l.total)
		}
		line, points, err := plotter.NewLinePoints(l.xys)
		if err != nil {
			return nil, err
		}
		s := rateSeries[i]
		line.LineStyle = draw.LineStyle{Color: s.color, Width: vg.Points(1.5), Dashes: s.dashes}
		points.GlyphStyle = draw.GlyphStyle{Color: s.color, Radius: vg.Points(3), Shape: s.glyph}
		p.Add(line, points)
		p.Legend.Add(name, line, points)
	}
	return p, nil
}
