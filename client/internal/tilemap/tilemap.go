// Package tilemap draws the 50 states and DC as a grid of square tiles, each shaded by the
// quantile of a state's amount: ANSI colours on a terminal, the quantile's digit elsewhere,
// so that the same map reads in a pipe and in a golden file.
package tilemap

import (
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"funwithbanking/client/internal/money"
)

// Quantiles is how many groups the states are shaded in: quintiles.
const Quantiles = 5

// The quantiles' colours, lowest first (xterm's 256), and the text colour on each: from
// pale yellow to dark blue, darker is more, which reads without a legend and without hue.
var (
	background = [Quantiles]int{230, 157, 79, 31, 19}
	foreground = [Quantiles]int{16, 16, 16, 231, 231}
)

// layoutText is the grid, drawn as it prints; its header says how to read it. A usGrid
// that does not parse is a build mistake: TestLayout parses it on every test run.
//
//go:embed layout.txt
var layoutText string

// grid is where each state's tile is: rows of cells, "" where there is no state.
type grid [][]string

var usGrid = sync.OnceValue(func() grid {
	g, err := parseLayout(layoutText)
	if err != nil {
		panic("tilemap: layout.txt: " + err.Error())
	}
	return g
})

// States lists the states the map draws, in reading order.
func States() []string {
	var out []string
	for _, row := range usGrid() {
		for _, s := range row {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func parseLayout(text string) (grid, error) {
	var g grid
	seen := map[string]bool{}
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		var row []string
		for col := 0; 3*col < len(line); col++ {
			cell := strings.TrimRight(line[3*col:min(3*col+3, len(line))], " ")
			if cell != "" && (len(cell) != 2 || !isUpper(cell) || seen[cell]) {
				return nil, fmt.Errorf("line %d, column %d: want a new state's two capitals at a multiple of 3, got %q", n+1, 3*col+1, cell)
			}
			if cell != "" {
				seen[cell] = true
			}
			row = append(row, cell)
		}
		g = append(g, row)
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("no states")
	}
	return g, nil
}

func isUpper(s string) bool {
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// Value is one state's amount.
type Value struct {
	State  string
	Amount money.Total
}

// Map is the states' values sorted into quantiles.
type Map struct {
	quantile map[string]int // 1..Quantiles; states without a value are absent
	bands    []band         // one a quantile, lowest first; empty ones have n == 0
}

type band struct {
	low, high money.Total
	n         int
}

// New sorts the values of the states on the map into quantiles by rank: with 51 states,
// 11 in the lowest and 10 in each other. Equal amounts share a quantile.
func New(values []Value) *Map {
	on := map[string]bool{}
	for _, s := range States() {
		on[s] = true
	}
	var vs []Value
	for _, v := range values {
		if on[v.State] {
			vs = append(vs, v)
		}
	}
	slices.SortStableFunc(vs, func(a, b Value) int { return a.Amount.Cmp(b.Amount) })
	m := &Map{quantile: map[string]int{}, bands: make([]band, Quantiles)}
	for i, v := range vs {
		q := i*Quantiles/len(vs) + 1
		if i > 0 && v.Amount.Cmp(vs[i-1].Amount) == 0 {
			q = m.quantile[vs[i-1].State]
		}
		m.quantile[v.State] = q
		b := &m.bands[q-1]
		if b.n == 0 {
			b.low = v.Amount
		}
		b.high, b.n = v.Amount, b.n+1
	}
	return m
}

// Quantile is the state's quantile, 1 (lowest) to Quantiles, or 0 if it has no value.
func (m *Map) Quantile(state string) int { return m.quantile[state] }

// Draw writes the map and its legend; colour says whether w is a terminal that shows ANSI
// colours.
func (m *Map) Draw(w io.Writer, colour bool) error {
	var sb strings.Builder
	for _, row := range usGrid() {
		var line strings.Builder
		for _, s := range row {
			line.WriteString(m.tile(s, colour))
		}
		sb.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	sb.WriteString("\n")
	for q := Quantiles; q >= 1; q-- {
		if b := m.bands[q-1]; b.n > 0 {
			fmt.Fprintf(&sb, "%s  %s to %s, %d state%s\n", swatch(q, colour), Dollars(b.low), Dollars(b.high), b.n, plural(b.n))
		}
	}
	if n := len(States()) - len(m.quantile); n > 0 {
		fmt.Fprintf(&sb, "%s  no customers, %d state%s\n", swatch(0, colour), n, plural(n))
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// tile is one cell of the map: "CA4 " in text, " CA " on its colour and a space on a
// terminal; blank where no state is.
func (m *Map) tile(state string, colour bool) string {
	q := m.quantile[state]
	switch {
	case state == "" && colour:
		return "     "
	case state == "":
		return "    "
	case colour && q == 0:
		return "\x1b[2m " + state + " \x1b[0m "
	case colour:
		return fmt.Sprintf("\x1b[48;5;%dm\x1b[38;5;%dm %s \x1b[0m ", background[q-1], foreground[q-1], state)
	case q == 0:
		return state + ". "
	}
	return fmt.Sprintf("%s%d ", state, q)
}

// swatch is the legend's key for quantile q (0: no value): its digit, or its colour.
func swatch(q int, colour bool) string {
	switch {
	case colour && q == 0:
		return "\x1b[2m .. \x1b[0m"
	case colour:
		return fmt.Sprintf("\x1b[48;5;%dm    \x1b[0m", background[q-1])
	case q == 0:
		return "."
	}
	return fmt.Sprint(q)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Dollars writes an amount as $1,234,567.89: exact, with the thousands marked.
func Dollars(t money.Total) string {
	s := money.GroupThousands(t.String())
	if rest, negative := strings.CutPrefix(s, "-"); negative {
		return "-$" + rest
	}
	return "$" + s
}
