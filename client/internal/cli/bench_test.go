package cli

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

// moneyMoved waits until some balance of database d differs from what it was when
// snapshot was called: a transfer has committed.
func moneyMoved(t *testing.T, d string) (snapshot func(), wait func()) {
	db := dsnDatabase(d)
	snapshot = func() {
		t.Helper()
		if out, err := server.Psql(db, "-c", "DROP TABLE IF EXISTS public.seen; CREATE TABLE public.seen AS SELECT account_id, balance FROM bank.accounts"); err != nil {
			t.Fatal(out)
		}
	}
	wait = func() {
		t.Helper()
		waitFor(t, d, "SELECT count(*) FROM bank.accounts a JOIN public.seen s USING (account_id) WHERE a.balance <> s.balance")
	}
	return snapshot, wait
}

// TestBenchStops: a bench stopped by a signal stops its load, runs the final check and
// prints its verdict: OK exits 0; a cent that appeared behind its back (a verdict of
// FAILED, after transfers committed) exits 5, not 1, which would say nothing changed.
func TestBenchStops(t *testing.T) {
	d := newDatabase(t)
	if r := client(t, d, "populate", "--customers", "200"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	snapshot, moved := moneyMoved(t, d)
	for _, tt := range []struct {
		sig    syscall.Signal
		tamper bool
		code   int
		want   string
	}{
		{syscall.SIGINT, false, 0, "verdict      OK"},
		{syscall.SIGTERM, false, 0, "verdict      OK"},
		{syscall.SIGHUP, false, 0, "verdict      OK"},
		{syscall.SIGTERM, true, 5, "verdict      FAILED"},
	} {
		t.Run(fmt.Sprintf("%s tamper=%v", signalNames[tt.sig], tt.tamper), func(t *testing.T) {
			snapshot()
			b := startWatched(t, d, "bench", "--duration", "10m", "--robinhood-every", "300ms")
			moved()
			if tt.tamper {
				if out, err := server.Psql(dsnDatabase(d), "-c", "UPDATE bank.accounts SET balance = balance + 0.01 WHERE account_id = 5"); err != nil {
					t.Fatal(out)
				}
			}
			b.stop(t, tt.sig)
			code := b.wait(t)
			out := b.stdout.String()
			if code != tt.code || !strings.Contains(out, tt.want) || !strings.Contains(out, "interrupted") {
				t.Fatalf("exit %d (want %d and %q):\n%s%s", code, tt.code, tt.want, out, b.stderr.String())
			}
			if tt.tamper && !strings.Contains(b.stderr.String(), "committed") {
				t.Errorf("a FAILED verdict does not say what committed: %s", b.stderr.String())
			}
		})
	}
}

// TestBenchOut: --out is checked before the run: a file, a folder under a file, a folder
// where no file can be made, or one where a result's name is a folder is refused at once
// (exit 2), nothing sent. A run whose report
// cannot be written after its transfers committed exits 4, and says what committed.
func TestBenchOut(t *testing.T) {
	d, balances := moneyBank(t)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	taken := t.TempDir()
	if err := os.Mkdir(filepath.Join(taken, "results.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	for _, tt := range []struct {
		name  string
		out   string
		std   *os.File
		code  int
		want  string
		moved bool
	}{
		{"a file as --out", file, nil, 2, "--out", false},
		{"a folder under a file", filepath.Join(file, "sub"), nil, 2, "--out", false},
		{"a folder where no file can be made", "/proc/self", nil, 2, "--out", false},
		{"a folder named results.json in it", taken, nil, 2, "results.json there is a folder", false},
		{"the report to a full disk", "", full, 4, "committed", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := balances()
			args := []string{"bench", "--transfers", "200", "--robinhood-every", "0", "--workers", "2"}
			if tt.out != "" {
				args = append(args, "--out", tt.out)
			}
			cmd := exec.Command(binary, args...)
			cmd.Env = append(os.Environ(), "BANK_DSN="+d)
			if tt.std != nil {
				cmd.Stdout = tt.std
			}
			r := runCmd(t, cmd)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d (want %d), stderr should say %q:\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if moved := balances() != before; moved != tt.moved {
				t.Fatalf("money moved: %v, want %v", moved, tt.moved)
			}
		})
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "mine\n" {
		t.Errorf("the file given as --out now holds %q (%v)", b, err)
	}
}
