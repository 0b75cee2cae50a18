package workload

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"funwithbanking/client/internal/money"
)

// fakeReport is a run of the given length without a database: transfers at rate a second
// from 8 workers, latencies spread over two decades with a stall now and then, a read
// every 10 ms, and a Robinhood every 2 s, all seeded.
func fakeReport(elapsed time.Duration, rate int) *Report {
	r := rand.New(rand.NewPCG(1, 2))
	start, _ := money.ParseTotal("40504452.16")
	rep := &Report{Config: Config{Workers: 8, Readers: 2, Duration: elapsed, RobinhoodEvery: 2 * time.Second,
		Seed: 1, MaxAmount: DefaultMaxAmount, Interval: DefaultInterval}, StartTotal: start, Accounts: 5112}
	rep.Elapsed = elapsed
	n := int(elapsed.Seconds() * float64(rate))
	for i := range n {
		at := time.Duration(float64(elapsed) * float64(i) / float64(n))
		lat := time.Duration(float64(time.Millisecond) * 0.1 * float64(int(1)<<r.IntN(8)) * (1 + r.Float64()))
		if r.IntN(500) == 0 {
			lat *= 40 // a stall
		}
		outcome := OutcomeOK
		if r.IntN(5) < 2 {
			outcome = OutcomeRefused
		}
		rep.Events = append(rep.Events, Event{At: at, Latency: lat, Op: OpTransfer, Outcome: outcome})
	}
	for at := time.Duration(0); at < elapsed; at += 10 * time.Millisecond {
		rep.Events = append(rep.Events, Event{At: at, Latency: 3 * time.Millisecond, Op: OpRead, Outcome: OutcomeOK, Total: start})
	}
	for at := 2 * time.Second; at < elapsed; at += 2 * time.Second {
		rep.Events = append(rep.Events, Event{At: at, Latency: 300 * time.Millisecond, Op: OpRobinhood, Outcome: OutcomeOK,
			Path: "snapshot, 1 ranking(s), 1 plan(s)"})
	}
	rep.Committed, rep.Refused = int64(n*3/5), int64(n*2/5)
	rep.Intervals = intervals(rep.Events, rep.Config.Interval, elapsed)
	return rep
}

// TestWriteResultsBesideSymlinks: a symlink in the results' folder named like one of its
// files is replaced by the file; its target, somebody else's, is left as it was, and a
// dangling one's target is not made.
func TestWriteResultsBesideSymlinks(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	victim := filepath.Join(elsewhere, "precious")
	if err := os.WriteFile(victim, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	absent := filepath.Join(elsewhere, "absent")
	for name, target := range map[string]string{"results.json": victim, "latency.png": victim, "rate.svg": absent} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fakeReport(2*time.Second, 100).WriteResults(dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "keep me\n" {
		t.Errorf("a symlink's target now holds %d bytes (%v)", len(b), err)
	}
	if _, err := os.Lstat(absent); !os.IsNotExist(err) {
		t.Errorf("a dangling symlink's target was made (%v)", err)
	}
	for _, name := range []string{"results.json", "latency.png", "rate.svg"} {
		if fi, err := os.Lstat(filepath.Join(dir, name)); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: %v, want a regular file", name, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil || !json.Valid(b) {
		t.Errorf("results.json: %v", err)
	}
}
