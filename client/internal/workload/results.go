package workload

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// results is what results.json holds (docs/reliability.md): the run's configuration and
// totals, latencies by operation and outcome, the series, the Robinhoods, each read's
// total, and the verdict with the first and worst problem of each kind, as Jepsen's.
type results struct {
	Config         resultsConfig                       `json:"config"`
	ElapsedSeconds float64                             `json:"elapsed_seconds"`
	Interrupted    bool                                `json:"interrupted"`
	Accounts       int                                 `json:"accounts"`
	StartTotal     string                              `json:"start_total"`
	Totals         resultsTotals                       `json:"totals"`
	Operations     map[string]map[string]latencyDigest `json:"operations"`
	Intervals      []resultsInterval                   `json:"intervals"`
	Robinhoods     []resultsSpan                       `json:"robinhoods"`
	Reads          []resultsRead                       `json:"reads"`
	EventsKept     int                                 `json:"events_kept"`
	EventsDropped  int64                               `json:"events_dropped"`
	Checker        resultsChecker                      `json:"checker"`
}

type resultsConfig struct {
	Workers               int     `json:"workers"`
	Readers               int     `json:"readers"`
	DurationSeconds       float64 `json:"duration_seconds"`
	Transfers             int64   `json:"transfers"`
	RobinhoodEverySeconds float64 `json:"robinhood_every_seconds"`
	Seed                  uint64  `json:"seed"`
	MaxAmount             string  `json:"max_amount"`
	AccountsPicked        int     `json:"accounts_picked"`
	Rate                  float64 `json:"rate"`
	IntervalSeconds       float64 `json:"interval_seconds"`
}

type resultsTotals struct {
	Committed          int64 `json:"committed"`
	Refused            int64 `json:"refused"`
	InDoubt            int64 `json:"in_doubt"`
	InDoubtHappened    int   `json:"in_doubt_happened"`
	InDoubtNotHappened int   `json:"in_doubt_not_happened"`
	RobinhoodsLost     int64 `json:"robinhoods_lost"`
	// Robinhoods whose end the bank could not tell, decided by their movements.
	RobinhoodsInDoubt            int64            `json:"robinhoods_in_doubt"`
	RobinhoodsInDoubtHappened    int              `json:"robinhoods_in_doubt_happened"`
	RobinhoodsInDoubtNotHappened int              `json:"robinhoods_in_doubt_not_happened"`
	Reads                        int64            `json:"reads"`
	Robinhoods                   int64            `json:"robinhoods"`
	RobinhoodMoves               int64            `json:"robinhood_moves"`
	Retries                      int64            `json:"retries"`
	Reconnects                   int64            `json:"reconnects"`
	ErrorsByCode                 map[string]int64 `json:"errors_by_code"`
}

// latencyDigest is one operation type and outcome: how many, and their latency.
type latencyDigest struct {
	Count  int     `json:"count"`
	P50ms  float64 `json:"p50_ms"`
	P90ms  float64 `json:"p90_ms"`
	P99ms  float64 `json:"p99_ms"`
	P999ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
}

type resultsInterval struct {
	StartSeconds float64  `json:"start_s"`
	EndSeconds   float64  `json:"end_s"`
	Committed    int64    `json:"committed"`
	Refused      int64    `json:"refused"`
	InDoubt      int64    `json:"in_doubt"`
	Errors       int64    `json:"errors"`
	Reads        int64    `json:"reads"`
	Robinhoods   int64    `json:"robinhoods"`
	P50ms        float64  `json:"p50_ms"`
	P95ms        float64  `json:"p95_ms"`
	P99ms        float64  `json:"p99_ms"`
	MaxMs        float64  `json:"max_ms"`
	Marks        []string `json:"marks"`
}

type resultsSpan struct {
	StartSeconds float64 `json:"start_s"`
	EndSeconds   float64 `json:"end_s"`
	Outcome      string  `json:"outcome"`
	Path         string  `json:"path"`
}

type resultsRead struct {
	AtSeconds float64 `json:"at_s"`
	Total     string  `json:"total"`
}

type resultsChecker struct {
	OK         bool                      `json:"ok"`
	Violations []string                  `json:"violations"`
	Kinds      map[string]resultsProblem `json:"kinds"`
}

// resultsProblem is one kind of problem: how many, the first, and the worst (for reads,
// the total furthest from the start; for the others, the first).
type resultsProblem struct {
	Count int    `json:"count"`
	First string `json:"first"`
	Worst string `json:"worst"`
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// digest is the count and latency percentiles (nearest rank) of d, which it sorts.
func digest(d []time.Duration) latencyDigest {
	slices.Sort(d)
	rank := func(p float64) float64 { return millis(nearestRank(d, p)) }
	return latencyDigest{Count: len(d), P50ms: rank(0.50), P90ms: rank(0.90), P99ms: rank(0.99),
		P999ms: rank(0.999), MaxMs: millis(d[len(d)-1])}
}

// problemKind names a violation's kind by how the bench words it.
func problemKind(v string) string {
	switch {
	case strings.HasPrefix(v, "read "):
		return "wrong read"
	case strings.HasPrefix(v, "account "):
		return "wrong balance"
	case strings.HasPrefix(v, "the final audit"):
		return "final audit"
	case strings.HasPrefix(v, "could not reconnect"):
		return "lost connection"
	}
	return "other"
}

func (r *Report) results() results {
	spans, reads, worstRead := r.spansAndReads()
	return results{
		Config:         resultsConfigOf(r.Config),
		ElapsedSeconds: r.Elapsed.Seconds(), Interrupted: r.Interrupted, Accounts: r.Accounts,
		StartTotal: r.StartTotal.String(),
		Totals:     r.totals(),
		Operations: r.operations(),
		Intervals:  resultsIntervals(r.Intervals), Robinhoods: spans, Reads: reads,
		EventsKept: len(r.Events), EventsDropped: r.EventsDropped,
		Checker: r.verdictResults(worstRead),
	}
}

func resultsConfigOf(c Config) resultsConfig {
	return resultsConfig{Workers: c.Workers, Readers: c.Readers, DurationSeconds: c.Duration.Seconds(),
		Transfers: c.Transfers, RobinhoodEverySeconds: c.RobinhoodEvery.Seconds(), Seed: c.Seed,
		MaxAmount: c.MaxAmount.String(), AccountsPicked: c.Accounts, Rate: c.Rate, IntervalSeconds: c.Interval.Seconds()}
}

func (r *Report) totals() resultsTotals {
	t := resultsTotals{Committed: r.Committed, Refused: r.Refused, InDoubt: r.InDoubt,
		InDoubtHappened: r.InDoubtHappened, InDoubtNotHappened: r.InDoubtNotHappened, Reads: r.Reads,
		RobinhoodsLost: r.RobinhoodsLost, RobinhoodsInDoubt: r.InDoubtRobinhoods,
		RobinhoodsInDoubtHappened: r.RobinhoodsInDoubtHappened, RobinhoodsInDoubtNotHappened: r.RobinhoodsInDoubtNotHappened,
		Robinhoods: r.Robinhoods, RobinhoodMoves: r.RobinhoodMoves, Retries: r.Retries,
		Reconnects: r.Reconnects, ErrorsByCode: r.ErrorsByCode}
	if t.ErrorsByCode == nil {
		t.ErrorsByCode = map[string]int64{}
	}
	return t
}

// operations digests the latencies of each operation type and outcome.
func (r *Report) operations() map[string]map[string]latencyDigest {
	byKind := map[string]map[string][]time.Duration{}
	for _, e := range r.Events {
		if byKind[e.Op] == nil {
			byKind[e.Op] = map[string][]time.Duration{}
		}
		byKind[e.Op][e.Outcome] = append(byKind[e.Op][e.Outcome], e.Latency)
	}
	out := map[string]map[string]latencyDigest{}
	for op, outcomes := range byKind {
		out[op] = map[string]latencyDigest{}
		for outcome, d := range outcomes {
			out[op][outcome] = digest(d)
		}
	}
	return out
}

// spansAndReads lists each Robinhood's span and each read's total, and words the read
// whose total is furthest from the start ("" when none strays).
func (r *Report) spansAndReads() ([]resultsSpan, []resultsRead, string) {
	spans, reads := []resultsSpan{}, []resultsRead{}
	start, _ := new(big.Rat).SetString(r.StartTotal.String())
	var worstRead string
	var worstGap *big.Rat
	for _, e := range r.Events {
		switch {
		case e.Op == OpRobinhood:
			spans = append(spans, resultsSpan{e.At.Seconds(), e.End().Seconds(), e.Outcome, e.Path})
		case e.Op == OpRead && e.Outcome == OutcomeOK:
			reads = append(reads, resultsRead{e.End().Seconds(), e.Total.String()})
			seen, ok := new(big.Rat).SetString(e.Total.String())
			if !ok || start == nil {
				continue
			}
			if gap := new(big.Rat).Abs(new(big.Rat).Sub(seen, start)); gap.Sign() > 0 && (worstGap == nil || gap.Cmp(worstGap) > 0) {
				worstGap = gap
				worstRead = fmt.Sprintf("a read at %.3fs saw a total of %s, start %s", e.End().Seconds(), e.Total, r.StartTotal)
			}
		}
	}
	return spans, reads, worstRead
}

func resultsIntervals(ivs []Interval) []resultsInterval {
	out := []resultsInterval{}
	for _, iv := range ivs {
		marks := iv.Marks
		if marks == nil {
			marks = []string{}
		}
		out = append(out, resultsInterval{StartSeconds: iv.Start.Seconds(), EndSeconds: iv.End.Seconds(),
			Committed: iv.Committed, Refused: iv.Refused, InDoubt: iv.InDoubt, Errors: iv.Errors, Reads: iv.Reads,
			Robinhoods: iv.Robinhoods, P50ms: millis(iv.Latency[0]), P95ms: millis(iv.Latency[1]),
			P99ms: millis(iv.Latency[2]), MaxMs: millis(iv.Latency[3]), Marks: marks})
	}
	return out
}

// verdictResults is the verdict with the first and worst problem of each kind.
func (r *Report) verdictResults(worstRead string) resultsChecker {
	c := resultsChecker{OK: r.OK(), Violations: append([]string{}, r.Violations...), Kinds: map[string]resultsProblem{}}
	for _, v := range r.Violations {
		k := problemKind(v)
		p := c.Kinds[k]
		if p.Count == 0 {
			p.First, p.Worst = v, v
		}
		p.Count++
		c.Kinds[k] = p
	}
	if p, ok := c.Kinds["wrong read"]; ok && worstRead != "" {
		p.Worst = worstRead
		c.Kinds["wrong read"] = p
	}
	return c
}

// The files --out holds: results.json, and each picture in each format.
var (
	resultsFile    = "results.json"
	pictureNames   = []string{"latency", "rate", "bank"}
	pictureFormats = []string{"png", "svg"}
)

// outputFiles names every file WriteResults writes.
func outputFiles() []string {
	names := []string{resultsFile}
	for _, p := range pictureNames {
		for _, f := range pictureFormats {
			names = append(names, p+"."+f)
		}
	}
	return names
}

// PrepareOut makes dir if need be and checks, before a run, that WriteResults can write
// there: a folder where a file can be made, none of whose results' names is a folder.
func PrepareOut(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("no file can be made there: %w", err)
	}
	probe.Close()
	os.Remove(probe.Name())
	for _, name := range outputFiles() {
		if fi, err := os.Lstat(filepath.Join(dir, name)); err == nil && fi.IsDir() {
			return fmt.Errorf("%s there is a folder", name)
		}
	}
	return nil
}

// WriteResults writes results.json and the pictures into dir, made if need be.
func (r *Report) WriteResults(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	b, err := json.MarshalIndent(r.results(), "", "  ")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	err = replaceFile(dir, resultsFile, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return r.writePictures(dir)
}

// replaceFile writes name in dir through a new file of its own, then renames it over
// name: whatever name was, a symlink included, it is replaced, and nothing it pointed at
// is written. A reader sees the old file or the new one, never half of one.
func replaceFile(dir, name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails once renamed
	err = write(f)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}
