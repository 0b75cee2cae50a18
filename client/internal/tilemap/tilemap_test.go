package tilemap

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestLayout: the grid holds the 50 states and DC, each once, the same the generator makes.
func TestLayout(t *testing.T) {
	got := States()
	slices.Sort(got)
	var want []string
	for _, sp := range gen.StatePopulations() {
		want = append(want, sp.State)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("layout.txt has %v, want %v", got, want)
	}
}

func TestParseLayoutRejects(t *testing.T) {
	for _, bad := range []string{
		"",
		"# only a comment",
		"CA CA",     // twice
		" CA",       // off the grid
		"CA  NV",    // NV at character 5
		"CAL",       // three letters
		"ca",        // not capitals
		"CA NV\nCA", // twice, over two rows
		"C1",
	} {
		if g, err := parseLayout(bad); err == nil {
			t.Errorf("parseLayout(%q) = %v, want an error", bad, g)
		}
	}
}

func FuzzParseLayout(f *testing.F) {
	f.Add(layoutText)
	f.Add("CA NV\n   AZ")
	f.Fuzz(func(t *testing.T, text string) {
		g, err := parseLayout(text)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, row := range g {
			for _, s := range row {
				if s != "" && (len(s) != 2 || !isUpper(s) || seen[s]) {
					t.Fatalf("parseLayout(%q) accepted the tile %q", text, s)
				}
				seen[s] = true
			}
		}
	})
}

func cents(c int64) money.Total { return money.TotalOf(money.Cents(c)) }

// TestQuantiles: states are split by rank, equal amounts share a quantile, and states off
// the map or without a value are left out.
func TestQuantiles(t *testing.T) {
	all := States()
	rising := func(n int) []Value { // the first n states, amounts 1..n cents
		var vs []Value
		for i, s := range all[:n] {
			vs = append(vs, Value{s, cents(int64(i + 1))})
		}
		return vs
	}
	for _, tt := range []struct {
		name   string
		values []Value
		sizes  [Quantiles]int
	}{
		{"every state", rising(51), [Quantiles]int{11, 10, 10, 10, 10}},
		{"ten states", rising(10), [Quantiles]int{2, 2, 2, 2, 2}},
		{"three states", rising(3), [Quantiles]int{1, 1, 0, 1, 0}},
		{"all equal", []Value{{"CA", cents(5)}, {"NV", cents(5)}, {"AZ", cents(5)}}, [Quantiles]int{3, 0, 0, 0, 0}},
		{"off the map", append(rising(5), Value{"PR", cents(99)}), [Quantiles]int{1, 1, 1, 1, 1}},
		{"none", nil, [Quantiles]int{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := New(tt.values)
			var sizes [Quantiles]int
			for _, s := range all {
				if q := m.Quantile(s); q > 0 {
					sizes[q-1]++
				}
			}
			if sizes != tt.sizes {
				t.Errorf("quantile sizes %v, want %v", sizes, tt.sizes)
			}
		})
	}
}

// TestDrawGolden pins the map of the states' median household incomes, in text and in
// colour: rerun with -update after an intended change.
func TestDrawGolden(t *testing.T) {
	var vs []Value
	for _, s := range gen.StateIncomes() {
		vs = append(vs, Value{s.State, cents(100 * s.Dollars)})
	}
	m := New(vs[1:]) // the richest (DC) left out: a state with no value
	for _, tt := range []struct {
		file   string
		colour bool
	}{{"map.golden", false}, {"map-ansi.golden", true}} {
		var sb strings.Builder
		if err := m.Draw(&sb, tt.colour); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", tt.file)
		if *update {
			if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if sb.String() != string(want) {
			t.Errorf("the map differs from %s:\n%s", path, sb.String())
		}
		if !tt.colour && strings.Contains(sb.String(), "\x1b") {
			t.Error("the text map holds an escape sequence")
		}
	}
}

func TestDollars(t *testing.T) {
	for _, tt := range []struct {
		cents int64
		want  string
	}{
		{0, "$0.00"}, {5, "$0.05"}, {99999, "$999.99"}, {100000, "$1,000.00"},
		{123456789, "$1,234,567.89"}, {-123456, "-$1,234.56"},
	} {
		if got := Dollars(cents(tt.cents)); got != tt.want {
			t.Errorf("Dollars(%d cents) = %q, want %q", tt.cents, got, tt.want)
		}
	}
	big, err := money.ParseTotal("12345678901234567890.10")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Dollars(big), "$12,345,678,901,234,567,890.10"; got != want {
		t.Errorf("Dollars(%s) = %q, want %q", big, got, want)
	}
}
