// Package workload is the bank test behind `client bench`, after Jepsen's bank workload
// and CockroachDB's `workload run bank`: workers move money between random accounts while
// Robinhood runs now and then and readers check, snapshot by snapshot, that the total never
// changes and no balance goes negative. At the end, Check proves nothing was lost: every
// account's balance is its start plus every movement that committed.
package workload

import (
	"fmt"
	"time"

	"funwithbanking/client/internal/money"
)

// Defaults of a Config.
const (
	DefaultWorkers        = 8
	DefaultReaders        = 2
	DefaultDuration       = 10 * time.Second
	DefaultRobinhoodEvery = 2 * time.Second
	DefaultSeed           = 1
	DefaultInterval       = time.Second
	// DefaultMaxAmount is twice the median balance the generator makes, so that a good
	// share of transfers are refused for insufficient funds.
	DefaultMaxAmount money.Cents = 5_000_00

	MaxWorkers  = 256
	MaxReaders  = 64
	MaxDuration = 24 * time.Hour
	MaxRate     = 1_000_000
	MinInterval = 100 * time.Millisecond
)

// Config says what load to run.
type Config struct {
	Workers        int
	Readers        int
	Duration       time.Duration // how long to run, unless Transfers is set
	Transfers      int64         // how many transfers to send in all; 0: run for Duration
	RobinhoodEvery time.Duration // 0: never
	Seed           uint64
	MaxAmount      money.Cents // each transfer moves 0.01..MaxAmount
	Accounts       int         // transfers pick among the first Accounts accounts; 0: all
	// Rate is how many transfers to start per second, in all, each on a schedule; 0: as
	// fast as the workers go. Latency is then measured from each transfer's slot.
	Rate     float64
	Interval time.Duration // of the progress lines and the results' series; 0: DefaultInterval
}

// Validate reports the first thing wrong with c, in words a user can act on.
func (c Config) Validate() error {
	switch {
	case c.Workers < 1 || c.Workers > MaxWorkers:
		return fmt.Errorf("workers must be between 1 and %d, got %d", MaxWorkers, c.Workers)
	case c.Readers < 0 || c.Readers > MaxReaders:
		return fmt.Errorf("readers must be between 0 and %d, got %d", MaxReaders, c.Readers)
	case c.Transfers < 0:
		return fmt.Errorf("transfers must not be negative, got %d", c.Transfers)
	case c.Transfers == 0 && (c.Duration <= 0 || c.Duration > MaxDuration):
		return fmt.Errorf("duration must be more than 0 and at most %s, got %s", MaxDuration, c.Duration)
	case c.RobinhoodEvery < 0:
		return fmt.Errorf("robinhood-every must not be negative, got %s", c.RobinhoodEvery)
	case c.MaxAmount < 1:
		return fmt.Errorf("max-amount must be at least 0.01, got %s", c.MaxAmount)
	case c.Accounts < 0 || c.Accounts == 1:
		return fmt.Errorf("accounts must be 0 (all) or at least 2, got %d", c.Accounts)
	case !(c.Rate >= 0 && c.Rate <= MaxRate): // NaN too
		return fmt.Errorf("rate must be between 0 (no schedule) and %d transfers/s, got %g", MaxRate, c.Rate)
	case c.Interval != 0 && (c.Interval < MinInterval || c.Interval > MaxDuration):
		return fmt.Errorf("progress must be at least %s, got %s", MinInterval, c.Interval)
	}
	return nil
}

// Progress is what a running bench has done so far.
type Progress struct {
	Elapsed                            time.Duration
	Committed, Refused, InDoubt, Reads int64
	Robinhoods, Errors, Reconnects     int64
}

// Report is the bench's summary and verdict.
type Report struct {
	Config      Config
	Interrupted bool // stopped early by the caller (Ctrl-C)
	Progress
	Retries        int64
	RobinhoodMoves int64
	ErrorsByCode   map[string]int64 // SQLSTATE → count; refusals (BK004) are not errors
	Latency        [4]time.Duration // p50, p95, p99 and max of committed and refused transfers
	StartTotal     money.Total
	Accounts       int
	// RobinhoodsLost lost their connection before the answer; of those, the server said
	// LostRobinhoodsCommitted committed. InDoubtRobinhoods are the ones, answered or not,
	// whose end it could not tell: the checker decides them by their movements.
	RobinhoodsLost, LostRobinhoodsCommitted, InDoubtRobinhoods int64
	// RobinhoodPhantoms answered with their movements, yet the server says they aborted:
	// the connection died between the answer and the commit.
	RobinhoodPhantoms int64
	Verdict
	// Every operation, in the order they ended (up to maxEvents; EventsDropped past it),
	// and what ended in each interval.
	Events        []Event
	EventsDropped int64
	Intervals     []Interval
}
