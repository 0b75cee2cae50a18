package cli

import (
	"encoding/json"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestBenchResults: --out writes results.json, whose counts are the checker's and the
// summary's, and the three pictures, as PNG and as SVG with their series; --progress
// prints one line per interval, with the Robinhoods marked; without it, off a terminal,
// nothing.
func TestBenchResults(t *testing.T) {
	type span struct {
		Outcome string
		Start   float64 `json:"start_s"`
		Path    string
	}
	dsn := newDatabase(t)
	if r := client(t, dsn, "populate", "--customers", "200"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	dir := t.TempDir()
	r := client(t, dsn, "bench", "--duration", "3s", "--robinhood-every", "700ms", "--rate", "400",
		"--progress", "500ms", "--out", dir)
	if r.code != 0 {
		t.Fatalf("bench: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) < 5 || !strings.Contains(lines[0], "transfers/s") || !strings.Contains(r.stderr, "robinhood") {
		t.Errorf("progress: want a header and a line every 500ms, Robinhoods marked:\n%s", r.stderr)
	}
	committed, _ := strconv.ParseInt(regexp.MustCompile(`transfers +(\d+) committed`).FindStringSubmatch(r.stdout)[1], 10, 64)

	var res struct {
		Totals struct {
			Committed, Refused, Reads, Robinhoods int64
		}
		Operations map[string]map[string]struct {
			Count int
			P50ms float64 `json:"p50_ms"`
			P99ms float64 `json:"p99_ms"`
			MaxMs float64 `json:"max_ms"`
		}
		Intervals  []struct{ Committed, Refused, Reads int64 }
		Robinhoods []span
		Reads      []struct{ Total string }
		Checker    struct{ OK bool }
		Config     struct{ Rate float64 }
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	var sum [3]int64
	for _, iv := range res.Intervals {
		sum[0] += iv.Committed
		sum[1] += iv.Refused
		sum[2] += iv.Reads
	}
	ops := res.Operations
	switch {
	case committed == 0 || res.Totals.Committed != committed:
		t.Errorf("results.json says %d committed, the summary %d", res.Totals.Committed, committed)
	case sum != [3]int64{res.Totals.Committed, res.Totals.Refused, res.Totals.Reads}:
		t.Errorf("the intervals add up to %v, the totals are %+v", sum, res.Totals)
	case int64(ops["transfer"]["ok"].Count) != committed || int64(ops["transfer"]["refused"].Count) != res.Totals.Refused:
		t.Errorf("operations %+v disagree with the totals %+v", ops["transfer"], res.Totals)
	case int64(len(res.Robinhoods)) < res.Totals.Robinhoods || res.Totals.Robinhoods < 2:
		t.Errorf("%d Robinhood spans for %d Robinhoods", len(res.Robinhoods), res.Totals.Robinhoods)
	case int64(len(res.Reads)) != res.Totals.Reads || res.Totals.Reads == 0:
		t.Errorf("%d reads listed for %d", len(res.Reads), res.Totals.Reads)
	case slices.ContainsFunc(res.Robinhoods, func(s span) bool {
		return s.Start > 3 || !strings.HasPrefix(s.Path, "snapshot") && !strings.HasPrefix(s.Path, "locked")
	}):
		t.Errorf("a Robinhood began after the run's 3s, or has no path: %+v", res.Robinhoods)
	case !res.Checker.OK || res.Config.Rate != 400:
		t.Errorf("checker %+v, rate %g", res.Checker, res.Config.Rate)
	case ops["transfer"]["ok"].P50ms <= 0 || ops["transfer"]["ok"].MaxMs < ops["transfer"]["ok"].P99ms:
		t.Errorf("transfer latencies %+v", ops["transfer"]["ok"])
	}
	for name, series := range map[string][]string{
		"latency": {"transfer ok", "transfer refused", "robinhood ok", "read ok", "Robinhood running"},
		"rate":    {"transfer ok", "transfer refused", "read ok", "Robinhood running"},
		"bank":    {"read", "Robinhood running"},
	} {
		f, err := os.Open(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 500 {
			t.Errorf("%s.png: %v (%d px wide)", name, err, cfg.Width)
		}
		svg, err := os.ReadFile(filepath.Join(dir, name+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(svg, &doc); err != nil || doc.XMLName.Local != "svg" {
			t.Errorf("%s.svg is not SVG: %v", name, err)
		}
		for _, s := range series {
			if !strings.Contains(string(svg), ">"+s+"<") {
				t.Errorf("%s.svg lacks the series %q", name, s)
			}
		}
	}

	// Off a terminal and not asked: no progress lines.
	if r := client(t, dsn, "bench", "--duration", "1500ms", "--robinhood-every", "0"); r.code != 0 || r.stderr != "" {
		t.Errorf("bench off a terminal: exit %d, stderr %q", r.code, r.stderr)
	}
}
