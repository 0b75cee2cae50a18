package workload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"funwithbanking/client/internal/bank"
)

// What the bench's Robinhoods ask for: the default of `client call robinhood`.
const (
	robinhoodPercent = "10"
	robinhoodCount   = 10
)

// runner is what the goroutines of one run share.
type runner struct {
	db     *bank.DB
	cfg    Config
	parent context.Context // the caller's: cancelled by Ctrl-C
	start  bank.Audit
	ids    []int64 // the accounts transfers pick from

	counts        counts
	ledger        *ledger
	sent          atomic.Int64 // transfers started, against cfg.Transfers
	robinhoodBusy atomic.Bool

	mu            sync.Mutex
	retries       int64
	byCode        map[string]int64
	violations    []string
	events        []Event
	eventsDropped int64

	began  time.Time
	period time.Duration // between scheduled transfers; 0: none
	slot   atomic.Int64  // the next scheduled transfer
}

// counts are what a run has done so far, read by the progress lines while it runs.
type counts struct {
	committed, refused, inDoubt, reads, robinhoods, errs, reconnects atomic.Int64
}

func (c *counts) progress(elapsed time.Duration) Progress {
	return Progress{
		Elapsed: elapsed, Committed: c.committed.Load(), Refused: c.refused.Load(), InDoubt: c.inDoubt.Load(),
		Reads: c.reads.Load(), Robinhoods: c.robinhoods.Load(), Errors: c.errs.Load(), Reconnects: c.reconnects.Load(),
	}
}

// Run runs the bench on the bank db reaches, calling progress after every interval, and
// returns its report. Cancelling ctx stops the load; the final check still runs. An error
// means the bench could not run or check; whether the bank is right is the verdict.
func Run(ctx context.Context, db *bank.DB, cfg Config, progress func(Progress, Interval)) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	s, start, err := begin(ctx, db, cfg)
	if err != nil {
		return nil, err
	}
	elapsed := s.load(ctx, progress)
	return s.finish(ctx, start, elapsed)
}

// begin reads the bank as the run finds it: every balance, for the final check, and the
// audit every read must match.
func begin(ctx context.Context, db *bank.DB, cfg Config) (*runner, []bank.Balance, error) {
	call := context.WithoutCancel(ctx) // as worker.call
	sess, err := db.Session(call)
	if err != nil {
		return nil, nil, err
	}
	defer sess.Close()
	balances, err := sess.Balances(call)
	if err != nil {
		return nil, nil, err
	}
	s := &runner{db: db, cfg: cfg, parent: ctx, byCode: map[string]int64{}}
	if s.start, err = sess.Audit(call); err != nil {
		return nil, nil, err
	}
	if len(balances) < 2 {
		return nil, nil, errors.New("the bank needs at least 2 accounts: run client populate first")
	}
	s.ledger = newLedger(&s.counts)
	for _, b := range balances {
		s.ids = append(s.ids, b.AccountID)
	}
	if cfg.Accounts > 0 && cfg.Accounts < len(s.ids) {
		s.ids = s.ids[:cfg.Accounts]
	}
	if cfg.Rate > 0 {
		s.period = time.Duration(float64(time.Second) / cfg.Rate)
	}
	return s, balances, nil
}

// load runs the workers, the Robinhoods, the readers and the progress lines until the
// run's end, and returns how long the writers ran. The run ends at its duration, when the
// caller cancels ctx, or once every worker has sent its share of cfg.Transfers; Robinhood
// then stops, and the readers after the writers.
func (s *runner) load(ctx context.Context, progress func(Progress, Interval)) time.Duration {
	runCtx, stop := context.WithCancel(ctx)
	if s.cfg.Transfers == 0 {
		stop() // replaced, not leaked
		runCtx, stop = context.WithTimeout(ctx, s.cfg.Duration)
	}
	defer stop()
	robinhoodCtx, stopRobinhood := context.WithCancel(runCtx)
	defer stopRobinhood()
	readCtx, stopReaders := context.WithCancel(context.Background())
	defer stopReaders()
	s.began = time.Now()
	var workers, robinhood, readers, printer sync.WaitGroup
	for n := range s.cfg.Workers {
		goWith(&workers, func() { s.transfers(runCtx, n) })
	}
	if s.cfg.RobinhoodEvery > 0 {
		goWith(&robinhood, func() { s.robinhoods(robinhoodCtx) })
	}
	for range s.cfg.Readers {
		goWith(&readers, func() { s.reader(readCtx) })
	}
	done := make(chan struct{})
	if progress != nil {
		goWith(&printer, func() { s.tell(progress, done) })
	}
	workers.Wait()
	stopRobinhood()
	robinhood.Wait()
	elapsed := time.Since(s.began)
	stopReaders()
	readers.Wait()
	close(done)
	printer.Wait() // no progress line after the report
	return elapsed
}

// goWith runs f on a goroutine that wg waits for.
func goWith(wg *sync.WaitGroup, f func()) {
	wg.Add(1)
	go func() { defer wg.Done(); f() }()
}

// tell calls progress at the end of every interval, with what ended in it, until done.
func (s *runner) tell(progress func(Progress, Interval), done <-chan struct{}) {
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	seen, from := 0, time.Duration(0)
	for {
		select {
		case <-tick.C:
		case <-done:
			return
		}
		to := time.Since(s.began)
		s.mu.Lock()
		ended := slices.Clone(s.events[seen:])
		seen = len(s.events)
		s.mu.Unlock()
		iv := summarize(ended, from, to)
		if s.robinhoodBusy.Load() {
			iv.mark("robinhood")
		}
		progress(s.counts.progress(to), iv)
		from = to
	}
}

// finish looks up the Robinhoods the run is unsure of, then checks the final balances
// against the ledger, on a connection that may have to wait for a restarted server.
func (s *runner) finish(ctx context.Context, start []bank.Balance, elapsed time.Duration) (*Report, error) {
	interrupted := ctx.Err() != nil
	call := context.WithoutCancel(ctx)
	sess, err := s.connect(call)
	if err != nil {
		return s.report(start, elapsed, interrupted), fmt.Errorf("final check: %w", err)
	}
	defer sess.Close()
	s.ledger.lookUp(func(xid string) bank.TxStatus { return sess.TxStatus(call, xid) })
	r := s.report(start, elapsed, interrupted)
	final, err := sess.Balances(call)
	if err != nil {
		return r, fmt.Errorf("final check: %w", err)
	}
	end, err := sess.Audit(call)
	if err != nil {
		return r, fmt.Errorf("final check: %w", err)
	}
	v := s.ledger.check(start, final)
	v.Violations = append(r.Violations, v.Violations...)
	r.Verdict = v
	if end.TotalBalance != s.start.TotalBalance || end.NegativeBalances != 0 {
		r.Violations = append(r.Violations, fmt.Sprintf("the final audit shows a total of %s (start %s) and %d negative balances",
			end.TotalBalance, s.start.TotalBalance, end.NegativeBalances))
	}
	return r, nil
}

// report is the run's summary, without the verdict. Every goroutine of the run has ended.
func (s *runner) report(start []bank.Balance, elapsed time.Duration, interrupted bool) *Report {
	l := s.ledger
	r := &Report{
		Config: s.cfg, Interrupted: interrupted, Progress: s.counts.progress(elapsed),
		Retries: s.retries, RobinhoodMoves: l.moves, ErrorsByCode: s.byCode,
		StartTotal: s.start.TotalBalance, Accounts: len(start),
		RobinhoodsLost: l.robinhoodsLost, LostRobinhoodsCommitted: l.lostCommitted,
		InDoubtRobinhoods: l.inDoubtRobinhoods, RobinhoodPhantoms: l.robinhoodPhantoms,
		Events: s.events, EventsDropped: s.eventsDropped,
		// What broke while the load ran stands even if the final check cannot run.
		Verdict: Verdict{Violations: slices.Clone(s.violations)},
	}
	var latencies []time.Duration
	for _, e := range r.Events {
		if e.Op == OpTransfer && (e.Outcome == OutcomeOK || e.Outcome == OutcomeRefused) {
			latencies = append(latencies, e.Latency)
		}
	}
	r.Latency = percentiles(latencies)
	r.Intervals = intervals(r.Events, s.cfg.Interval, elapsed)
	return r
}

// ended records an operation that began at began and has just ended.
func (s *runner) ended(e Event, began time.Time) {
	e.At, e.Latency = began.Sub(s.began), time.Since(began)
	s.mu.Lock()
	if len(s.events) < maxEvents {
		s.events = append(s.events, e)
	} else {
		s.eventsDropped++
	}
	s.mu.Unlock()
}

// violate records a broken invariant.
func (s *runner) violate(format string, args ...any) {
	s.mu.Lock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}
