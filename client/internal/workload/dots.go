package workload

import (
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Marks: a routine operation's dot, a rare one's (an error, a Robinhood) circle, and a
// legend's mark, big enough to tell its colour.
var (
	dotSide      = vg.Points(2.4)
	rareRadius   = vg.Points(2.5)
	legendRadius = vg.Points(4)
)

// A picture's SVG draws at most svgPoints routine points (some 28 bytes each), outliers
// aside: beyond, it keeps one point of each cell thinCell points wide, or wider cells
// (by thinGrowth, up to maxThinCell) until it is within them.
const (
	svgPoints   = 8000
	thinCell    = 5.0
	thinGrowth  = 1.25
	maxThinCell = 40.0
)

// dots draws many points as small squares, all in one path: in SVG a few dozen bytes a
// point, where a circle element each takes a hundred.
type dots struct {
	xys   plotter.XYs
	color color.Color
}

func (d dots) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var path vg.Path
	for _, xy := range d.xys {
		x, y := trX(xy.X), trY(xy.Y)
		if !c.Contains(vg.Point{X: x, Y: y}) {
			continue
		}
		path.Move(vg.Point{X: x - dotSide/2, Y: y})
		path.Line(vg.Point{X: x + dotSide/2, Y: y})
	}
	c.SetLineStyle(draw.LineStyle{Color: d.color, Width: dotSide})
	c.Stroke(path)
}

func (d dots) DataRange() (xmin, xmax, ymin, ymax float64) { return plotter.XYRange(d.xys) }

// mark is a legend entry's mark: a square for dots, a circle for rare operations.
type mark struct {
	color  color.Color
	square bool
}

func (m mark) Thumbnail(c *draw.Canvas) {
	var shape draw.GlyphDrawer = draw.CircleGlyph{}
	if m.square {
		shape = draw.BoxGlyph{}
	}
	c.DrawGlyph(draw.GlyphStyle{Color: m.color, Radius: legendRadius, Shape: shape}, c.Center())
}

// grid cuts a picture's data area into square cells of side points, for thin: x on a
// linear scale, y on a logarithmic one when log is set.
type grid struct {
	x0, x1, y0, y1 float64
	log            bool
	side           float64
}

func (g grid) cell(xy plotter.XY) (col, row int) {
	y, y0, y1 := xy.Y, g.y0, g.y1
	if g.log {
		y, y0, y1 = math.Log10(y), math.Log10(y0), math.Log10(y1)
	}
	cols, rows := pictureWidth.Points()/g.side, pictureHeight.Points()/g.side
	return int((xy.X - g.x0) / (g.x1 - g.x0) * cols), int((y - y0) / (y1 - y0) * rows)
}

// thinned thins each series, keeping outliers(series) of each, in ever wider cells until
// at most svgPoints are left in all: unchanged when they are that few already.
func thinned(series map[string]plotter.XYs, g grid, outliers func(plotter.XYs) func(plotter.XY) bool) map[string]plotter.XYs {
	n := 0
	for _, xys := range series {
		n += len(xys)
	}
	out := map[string]plotter.XYs{}
	for g.side = thinCell; n > svgPoints && g.side <= maxThinCell; g.side *= thinGrowth {
		n = 0
		for k, xys := range series {
			out[k] = thin(xys, g, outliers(xys))
			n += len(out[k])
		}
	}
	if len(out) == 0 {
		return series
	}
	return out
}

// thin keeps of xys what a reader can tell apart: one point of each cell of g, each
// column's lowest and highest, and every point keep says is an outlier.
func thin(xys plotter.XYs, g grid, keep func(plotter.XY) bool) plotter.XYs {
	type cell struct{ col, row int }
	seen := map[cell]bool{}
	low, high := map[int]int{}, map[int]int{} // a column's lowest and highest point
	kept := make([]bool, len(xys))
	for i, xy := range xys {
		col, row := g.cell(xy)
		if !seen[cell{col, row}] || keep(xy) {
			seen[cell{col, row}], kept[i] = true, true
		}
		if j, ok := low[col]; !ok || xy.Y < xys[j].Y {
			low[col] = i
		}
		if j, ok := high[col]; !ok || xy.Y > xys[j].Y {
			high[col] = i
		}
	}
	for _, extremes := range []map[int]int{low, high} {
		for _, i := range extremes {
			kept[i] = true
		}
	}
	var out plotter.XYs
	for i, xy := range xys {
		if kept[i] {
			out = append(out, xy)
		}
	}
	return out
}

// above99 says which points lie above the 99th percentile of xys's y: its outliers.
func above99(xys plotter.XYs) func(plotter.XY) bool {
	if len(xys) == 0 {
		return func(plotter.XY) bool { return false }
	}
	ys := make([]float64, len(xys))
	for i, xy := range xys {
		ys[i] = xy.Y
	}
	slices.Sort(ys)
	p99 := ys[min(max(int(0.99*float64(len(ys))+0.5)-1, 0), len(ys)-1)]
	return func(xy plotter.XY) bool { return xy.Y > p99 }
}
