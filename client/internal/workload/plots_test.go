package workload

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	mon "funwithbanking/client/internal/money"
)

// maxSVG is what a 10 s run's SVG picture may weigh.
const maxSVG = 300_000

// plotsOf renders r's three pictures as PNG draws them.
func plotsOf(t *testing.T, r *Report) map[string]*plot.Plot {
	t.Helper()
	out := map[string]*plot.Plot{}
	for name, render := range map[string]func() (*plot.Plot, error){
		"latency": func() (*plot.Plot, error) { return r.latencyPlot(false) },
		"rate":    r.ratePlot,
		"bank":    func() (*plot.Plot, error) { return r.bankPlot(false) },
	} {
		p, err := render()
		if err != nil {
			t.Fatal(err)
		}
		out[name] = p
	}
	return out
}

// labels are the labelled ticks of an axis.
func labels(a plot.Axis) []string {
	var out []string
	for _, tk := range a.Tick.Marker.Ticks(a.Min, a.Max) {
		if tk.Label != "" {
			out = append(out, tk.Label)
		}
	}
	return out
}

// TestTimeAxis: every picture's time axis runs from the start to the end of the run,
// labelled every second for a short run and in round steps for a long one.
func TestTimeAxis(t *testing.T) {
	seconds := func(from, to, step int) []string {
		var out []string
		for s := from; s <= to; s += step {
			out = append(out, strconv.Itoa(s))
		}
		return out
	}
	for _, tt := range []struct {
		elapsed time.Duration
		want    []string
	}{
		{3500 * time.Millisecond, seconds(0, 3, 1)},
		{10 * time.Second, seconds(0, 10, 1)},
		{45 * time.Second, seconds(0, 45, 5)},
		{10 * time.Minute, seconds(0, 600, 60)},
	} {
		for name, p := range plotsOf(t, fakeReport(tt.elapsed, 20)) {
			if got := labels(p.X); !slices.Equal(got, tt.want) {
				t.Errorf("%s, a %s run: the time axis reads %v, want %v", name, tt.elapsed, got, tt.want)
			}
		}
	}
}

// TestBankAxis: the bank's axis reads money, the starting total among its labels, and a
// read a cent off shows a cent away from it.
func TestBankAxis(t *testing.T) {
	money := regexp.MustCompile(`^\d{1,3}(,\d{3})*\.\d{2}$`)
	for _, tt := range []struct {
		name  string
		stray string // a read's total, "" for none
		want  []string
	}{
		{"flat", "", []string{"40,504,451.16", "40,504,452.16", "40,504,453.16"}},
		{"a cent lost", "40504452.15", []string{"40,504,452.15", "40,504,452.16"}},
	} {
		r := fakeReport(2*time.Second, 20)
		if tt.stray != "" {
			i := slices.IndexFunc(r.Events, func(e Event) bool { return e.Op == OpRead })
			r.Events[i].Total, _ = mon.ParseTotal(tt.stray)
		}
		got := labels(plotsOf(t, r)["bank"].Y)
		for _, w := range tt.want {
			if !slices.Contains(got, w) || slices.ContainsFunc(got, func(l string) bool { return !money.MatchString(l) }) {
				t.Errorf("%s: the bank's axis reads %v; want money, %s among it", tt.name, got, w)
			}
		}
	}
}

// TestPictureSizes: a 10 s run's SVG pictures stay under maxSVG bytes, whatever its rate.
func TestPictureSizes(t *testing.T) {
	dir := t.TempDir()
	if err := fakeReport(10*time.Second, 3400).WriteResults(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range outputFiles() {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-12s %9d bytes", name, fi.Size())
		if strings.HasSuffix(name, ".svg") && fi.Size() > maxSVG {
			t.Errorf("%s is %d bytes, over %d", name, fi.Size(), maxSVG)
		}
	}
}

// legendMarkerWidth is the width, in points, of the legend mark drawn just before the
// legend's text name in svg: the path before the text element.
func legendMarkerWidth(t *testing.T, svg, name string) float64 {
	t.Helper()
	i := strings.Index(svg, ">"+name+"</text>")
	if i < 0 {
		t.Fatalf("no legend entry %q", name)
	}
	j := strings.LastIndex(svg[:i], `<path d="`)
	d := svg[j+len(`<path d="`):]
	d = d[:strings.Index(d, `"`)]
	d = regexp.MustCompile(`A[\d.]+,[\d.]+ \d \d \d `).ReplaceAllString(d, "L") // an arc's radii are no point
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range regexp.MustCompile(`(-?[\d.]+),(-?[\d.]+)`).FindAllStringSubmatch(d, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		lo, hi = min(lo, x), max(hi, x)
	}
	return hi - lo
}

// TestLegendMarks: each series' mark in the latency picture's legend is big enough to
// tell its colour.
func TestLegendMarks(t *testing.T) {
	dir := t.TempDir()
	if err := fakeReport(3*time.Second, 200).WriteResults(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "latency.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"transfer ok", "transfer refused", "read ok", "robinhood ok"} {
		if w := legendMarkerWidth(t, string(b), name); w < 6 {
			t.Errorf("the legend's mark for %s is %.1f points wide, want at least 6", name, w)
		}
	}
}

// TestRateZeroSeries: a series that stayed at zero is not drawn, where it would hide or be
// hidden by another at zero; the legend says it was none.
func TestRateZeroSeries(t *testing.T) {
	dir := t.TempDir()
	if err := fakeReport(3*time.Second, 200).WriteResults(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "rate.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">transfer in doubt: none<", ">errors: none<", ">transfer ok<"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("rate.svg lacks %q", want)
		}
	}
}

// TestRatePartialInterval: a run's last interval, cut short when the writers stopped, is
// drawn per second if it is long enough to say something, and left out when it is a
// sliver: the few transfers still finishing in it would plot as a collapse.
func TestRatePartialInterval(t *testing.T) {
	for _, tt := range []struct {
		elapsed time.Duration
		lastX   float64
	}{
		{10 * time.Second, 10},
		{10*time.Second + 30*time.Millisecond, 10},
		{10*time.Second + 700*time.Millisecond, 10.7},
	} {
		r := fakeReport(10*time.Second, 1000) // the writers stop at 10 s
		r.Elapsed = tt.elapsed
		r.Intervals = intervals(r.Events, r.Config.Interval, tt.elapsed)
		for _, l := range r.rateLines() {
			if l.name != OpTransfer+" "+OutcomeOK {
				continue
			}
			if last := l.xys[len(l.xys)-1]; last.X != tt.lastX {
				t.Errorf("a %s run: the last point is at %gs (%.0f/s), want %gs", tt.elapsed, last.X, last.Y, tt.lastX)
			}
		}
	}
}

// TestThin: what the SVG keeps of dense points: at least one point of every cell that held
// any, each column's lowest and highest, and every outlier, whatever the spread.
func TestThin(t *testing.T) {
	g := grid{x0: 0, x1: 10, y0: 0.01, y1: 10000, log: true, side: thinCell}
	for _, tt := range []struct {
		name string
		n    int
		seed uint64
	}{{"sparse", 300, 1}, {"dense", 40_000, 2}, {"denser", 200_000, 3}} {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(tt.seed, 0))
			var xys plotter.XYs
			for range tt.n {
				xys = append(xys, plotter.XY{X: 10 * r.Float64(), Y: math.Pow(10, r.NormFloat64()*0.4) * (1 + float64(r.IntN(300)/299)*200)})
			}
			outlier := above99(xys)
			kept := thin(xys, g, outlier)
			in := map[plotter.XY]bool{}
			for _, xy := range kept {
				in[xy] = true
			}
			cells, keptCells := map[[2]int]bool{}, map[[2]int]bool{}
			low, high := map[int]plotter.XY{}, map[int]plotter.XY{}
			for _, xy := range xys {
				col, row := g.cell(xy)
				cells[[2]int{col, row}] = true
				if in[xy] {
					keptCells[[2]int{col, row}] = true
				}
				if outlier(xy) && !in[xy] {
					t.Fatalf("the outlier %v was dropped", xy)
				}
				if l, ok := low[col]; !ok || xy.Y < l.Y {
					low[col] = xy
				}
				if h, ok := high[col]; !ok || xy.Y > h.Y {
					high[col] = xy
				}
			}
			for col := range low {
				if !in[low[col]] || !in[high[col]] {
					t.Fatalf("column %d: its lowest %v or highest %v was dropped", col, low[col], high[col])
				}
			}
			if len(keptCells) != len(cells) {
				t.Fatalf("%d cells held points, %d keep one", len(cells), len(keptCells))
			}
			t.Logf("%d points, %d kept", len(xys), len(kept))
		})
	}
}
