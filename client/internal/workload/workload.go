// Package workload is the bank test behind `client bench`, after Jepsen's bank workload
// and CockroachDB's `workload run bank`: workers move money between random accounts while Robinhood runs now
// and then and readers check, snapshot by snapshot, that the total never changes and no
// balance goes negative. At the end, Check proves nothing was lost: every account's balance
// is its start plus every movement that committed.
package workload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"funwithbanking/client/internal/bank"
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

	robinhoodPercent = "10"
	robinhoodCount   = 10
	// reconnectFor is how long a worker keeps trying to reach a server that went away
	// (a restart, a failover) before it gives up.
	reconnectFor = 2 * time.Minute
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
	// InDoubtRobinhoods committed (or could not tell), and the rest aborted.
	RobinhoodsLost, InDoubtRobinhoods int64
	// RobinhoodPhantoms answered with their movements, yet the server says they aborted:
	// the connection died between the answer and the commit (see transfers).
	RobinhoodPhantoms int64
	Verdict
	// Every operation, in the order they ended (up to maxEvents; EventsDropped past it),
	// and what ended in each interval.
	Events        []Event
	EventsDropped int64
	Intervals     []Interval
}

// runner is what the goroutines of one run share.
type runner struct {
	db     *bank.DB
	cfg    Config
	parent context.Context // the caller's: cancelled by Ctrl-C
	start  bank.Audit
	ids    []int64 // the accounts transfers pick from

	committed, refused, inDoubt, reads, robinhoods, errs, reconnects, sent atomic.Int64
	robinhoodLost, robinhoodPhantoms                                       atomic.Int64
	robinhoodBusy                                                          atomic.Bool

	mu                sync.Mutex
	tally             map[int64]money.Cents
	doubtful          []Transfer
	inDoubtRobinhoods int64
	moves             int64
	retries           int64
	byCode            map[string]int64
	violations        []string
	events            []Event
	eventsDropped     int64

	began  time.Time
	period time.Duration // between scheduled transfers; 0: none
	slot   atomic.Int64  // the next scheduled transfer
}

// record keeps one operation.
func (s *runner) record(e Event) {
	s.mu.Lock()
	if len(s.events) < maxEvents {
		s.events = append(s.events, e)
	} else {
		s.eventsDropped++
	}
	s.mu.Unlock()
}

// since is how long ago, from the start of the run, t was.
func (s *runner) since(t time.Time) time.Duration { return t.Sub(s.began) }

// Run runs the bench on the bank db reaches, calling progress at the end of every
// interval with the totals so far and what ended in it, and returns its report. Cancelling ctx stops the load early; the final check still runs.
// An error means the bench could not run or could not check, not that the bank is wrong:
// that is the report's verdict.
func Run(ctx context.Context, db *bank.DB, cfg Config, progress func(Progress, Interval)) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	// Statements are never cancelled from the client (the driver cannot, and a cancelled
	// read of a committed transfer's answer would make it look in doubt); the server's
	// statement timeout bounds them. ctx only tells the loops to stop.
	call := context.WithoutCancel(ctx)
	s := &runner{db: db, cfg: cfg, parent: ctx, tally: map[int64]money.Cents{}, byCode: map[string]int64{}}

	sess, err := db.Session(call)
	if err != nil {
		return nil, err
	}
	startBalances, err := sess.Balances(call)
	if err == nil {
		s.start, err = sess.Audit(call)
	}
	sess.Close()
	if err != nil {
		return nil, err
	}
	if len(startBalances) < 2 {
		return nil, errors.New("the bank needs at least 2 accounts: run client populate first")
	}
	for _, b := range startBalances {
		s.ids = append(s.ids, b.AccountID)
	}
	if cfg.Accounts > 0 && cfg.Accounts < len(s.ids) {
		s.ids = s.ids[:cfg.Accounts]
	}

	runCtx, stop := context.WithCancel(ctx)
	if cfg.Transfers == 0 {
		stop() // replaced, not leaked
		runCtx, stop = context.WithTimeout(ctx, cfg.Duration)
	}
	defer stop()
	s.began = time.Now()
	if cfg.Rate > 0 {
		s.period = time.Duration(float64(time.Second) / cfg.Rate)
	}
	var load, readers sync.WaitGroup
	for w := range cfg.Workers {
		load.Add(1)
		go func() { defer load.Done(); s.transfers(runCtx, stop, w) }()
	}
	if cfg.RobinhoodEvery > 0 {
		load.Add(1)
		go func() { defer load.Done(); s.robinhood(runCtx) }()
	}
	readCtx, stopReaders := context.WithCancel(context.Background())
	for range cfg.Readers {
		readers.Add(1)
		go func() { defer readers.Done(); s.reader(readCtx) }()
	}
	done := make(chan struct{})
	var printer sync.WaitGroup
	if progress != nil {
		printer.Add(1)
		go func() {
			defer printer.Done()
			tick := time.NewTicker(cfg.Interval)
			defer tick.Stop()
			seen, from := 0, time.Duration(0)
			for {
				select {
				case <-tick.C:
					to := time.Since(s.began)
					s.mu.Lock()
					ended := slices.Clone(s.events[seen:])
					seen = len(s.events)
					s.mu.Unlock()
					iv := summarize(ended, from, to)
					if s.robinhoodBusy.Load() {
						iv.mark("robinhood")
					}
					progress(s.progress(to), iv)
					from = to
				case <-done:
					return
				}
			}
		}()
	}
	load.Wait()
	elapsed := time.Since(s.began)
	stopReaders()
	readers.Wait()
	close(done)
	printer.Wait() // no progress line after the report

	r := &Report{
		Config: cfg, Interrupted: ctx.Err() != nil,
		Progress: s.progress(elapsed), Retries: s.retries, RobinhoodMoves: s.moves,
		ErrorsByCode: s.byCode, StartTotal: s.start.TotalBalance, Accounts: len(startBalances),
		InDoubtRobinhoods: s.inDoubtRobinhoods, RobinhoodsLost: s.robinhoodLost.Load(),
		RobinhoodPhantoms: s.robinhoodPhantoms.Load(),
	}
	s.mu.Lock()
	var latencies []time.Duration
	for _, e := range s.events {
		if e.Op == OpTransfer && (e.Outcome == OutcomeOK || e.Outcome == OutcomeRefused) {
			latencies = append(latencies, e.Latency)
		}
	}
	r.Events, r.EventsDropped = s.events, s.eventsDropped
	s.mu.Unlock()
	r.Latency = percentiles(latencies)
	r.Intervals = intervals(r.Events, cfg.Interval, elapsed)

	// The final check, on a connection that may have to wait for a restarted server.
	sess, err = s.connect(call)
	if err != nil {
		return r, fmt.Errorf("final check: %w", err)
	}
	defer sess.Close()
	final, err := sess.Balances(call)
	if err != nil {
		return r, fmt.Errorf("final check: %w", err)
	}
	end, err := sess.Audit(call)
	if err != nil {
		return r, fmt.Errorf("final check: %w", err)
	}
	r.Verdict = Check(startBalances, final, s.tally, s.doubtful, int(s.inDoubtRobinhoods), robinhoodCount)
	r.Violations = append(s.violations, r.Violations...)
	if end.TotalBalance != s.start.TotalBalance || end.NegativeBalances != 0 {
		r.Violations = append(r.Violations, fmt.Sprintf("the final audit shows a total of %s (start %s) and %d negative balances",
			end.TotalBalance, s.start.TotalBalance, end.NegativeBalances))
	}
	return r, nil
}

func (s *runner) progress(elapsed time.Duration) Progress {
	return Progress{
		Elapsed: elapsed, Committed: s.committed.Load(), Refused: s.refused.Load(), InDoubt: s.inDoubt.Load(),
		Reads: s.reads.Load(), Robinhoods: s.robinhoods.Load(), Errors: s.errs.Load(), Reconnects: s.reconnects.Load(),
	}
}

// connect opens a session, waiting with backoff while the server is away (restarting),
// for up to reconnectFor, or until the caller gives up.
func (s *runner) connect(ctx context.Context) (*bank.Session, error) {
	deadline := time.Now().Add(reconnectFor)
	wait := 50 * time.Millisecond
	for {
		sess, err := s.db.Session(ctx)
		if err == nil {
			if err = sess.Ping(ctx); err == nil {
				return sess, nil
			}
			sess.Close()
		}
		if !bank.ConnectionLost(err) || time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-time.After(wait):
		case <-s.parent.Done():
			return nil, err
		}
		wait = min(2*wait, time.Second)
	}
}

// failed records an error that is not a refusal; a lost connection is replaced.
func (s *runner) failed(ctx context.Context, sess **bank.Session, err error) (ok bool) {
	code := bank.Code(err)
	if code == "" {
		code = "other"
	}
	s.errs.Add(1)
	s.mu.Lock()
	s.byCode[code]++
	s.mu.Unlock()
	if !bank.ConnectionLost(err) {
		return true
	}
	s.closeSession(*sess)
	s.reconnects.Add(1)
	next, err := s.connect(ctx)
	if err != nil {
		s.mu.Lock()
		s.violations = append(s.violations, fmt.Sprintf("could not reconnect: %v", err))
		s.mu.Unlock()
		*sess = nil
		return false
	}
	*sess = next
	return true
}

// worker is one goroutine's dedicated connection: opened at its start, replaced when it
// is lost, closed at its end.
type worker struct {
	run  *runner
	call context.Context // never cancelled: see Run
	sess *bank.Session   // nil once the connection is gone for good
}

// newWorker connects; false (the failure recorded) when it cannot.
func (s *runner) newWorker(runCtx context.Context) (*worker, bool) {
	w := &worker{run: s, call: context.WithoutCancel(runCtx)}
	sess, err := s.connect(w.call)
	if err != nil {
		s.failed(w.call, &w.sess, err)
		return w, false
	}
	w.sess = sess
	return w, true
}

// fail records an error; false when the connection is lost and cannot be replaced.
func (w *worker) fail(err error) bool { return w.run.failed(w.call, &w.sess, err) }

// lastAnswerLost reports whether the server went away after the last answer, which makes
// that answer's commit doubtful (see "An answer is not a commit" below).
func (w *worker) lastAnswerLost() bool {
	return w.sess != nil && bank.ConnectionLost(w.sess.Ping(w.call))
}

func (w *worker) close() {
	if w.sess != nil {
		w.run.closeSession(w.sess)
	}
}

func (s *runner) closeSession(sess *bank.Session) {
	if sess == nil {
		return
	}
	s.mu.Lock()
	s.retries += sess.Retries()
	s.mu.Unlock()
	sess.Close()
}

// An answer is not a commit. In autocommit, PostgreSQL sends a statement's rows first and
// commits at the end of the exchange; psqlODBC hands the rows over even when the backend
// dies between the two. We saw it here: a Robinhood returned its movements and a nil
// error, and pg_xact_status then said its transaction had aborted. The next exchange on
// the same connection settles it: an answer means the server lived on, so the earlier
// commit happened; a lost connection means the earlier one is in doubt as well.
// So each loop keeps its last answered transaction as suspect until the next exchange.

func (s *runner) transfers(runCtx context.Context, stop context.CancelFunc, n int) {
	// Seeded per worker, like the generator's batches: worker n always tries the same
	// transfers in the same order.
	r := rand.New(rand.NewPCG(s.cfg.Seed, uint64(n)))
	tally := map[int64]money.Cents{}
	var suspect *Transfer
	doubt := func(t Transfer) {
		s.inDoubt.Add(1)
		s.mu.Lock()
		s.doubtful = append(s.doubtful, t)
		s.mu.Unlock()
	}
	unconfirm := func() {
		if suspect != nil {
			tally[suspect.From] += suspect.Amount
			tally[suspect.To] -= suspect.Amount
			s.committed.Add(-1)
			doubt(*suspect)
			suspect = nil
		}
	}
	w, ok := s.newWorker(runCtx)
	defer func() {
		if suspect != nil && w.lastAnswerLost() {
			unconfirm()
		}
		w.close()
		s.mu.Lock()
		for id, d := range tally {
			s.tally[id] += d
		}
		s.mu.Unlock()
	}()
	if !ok {
		return
	}
	for runCtx.Err() == nil {
		if s.cfg.Transfers > 0 && s.sent.Add(1) > s.cfg.Transfers {
			stop()
			return
		}
		i := r.IntN(len(s.ids))
		j := r.IntN(len(s.ids) - 1)
		if j >= i {
			j++
		}
		t := Transfer{From: s.ids[i], To: s.ids[j], Amount: 1 + money.Cents(r.Int64N(int64(s.cfg.MaxAmount)))}
		began, ok := s.schedule(runCtx)
		if !ok {
			return
		}
		err := w.sess.QuickTransfer(w.call, t.From, t.To, t.Amount)
		e := Event{At: s.since(began), Latency: time.Since(began), Op: OpTransfer, Outcome: OutcomeOK}
		switch {
		case err == nil:
			s.record(e)
			s.committed.Add(1)
			tally[t.From] -= t.Amount
			tally[t.To] += t.Amount
			suspect = &t
		case bank.Code(err) == bank.CodeInsufficientFunds:
			e.Outcome = OutcomeRefused
			s.record(e)
			s.refused.Add(1)
			suspect = nil
		case bank.ConnectionLost(err):
			e.Outcome = OutcomeInDoubt
			s.record(e)
			unconfirm()
			doubt(t)
			if !w.fail(err) {
				return
			}
		default:
			e.Outcome = OutcomeError
			s.record(e)
			suspect = nil
			if !w.fail(err) {
				return
			}
		}
	}
}

// schedule is when the next transfer was meant to start: now, or with a rate set, its
// slot in the run's schedule, waited for if it is still ahead. False when the run ended
// while waiting.
func (s *runner) schedule(runCtx context.Context) (time.Time, bool) {
	if s.period == 0 {
		return time.Now(), true
	}
	due := s.began.Add(time.Duration(s.slot.Add(1)-1) * s.period)
	if wait := time.Until(due); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-runCtx.Done():
			return due, false
		}
	}
	return due, true
}

// robinhoodRun is one Robinhood whose moves are in the tally.
type robinhoodRun struct {
	xid   string
	moves []bank.Move
}

func (s *runner) robinhood(runCtx context.Context) {
	call := context.WithoutCancel(runCtx)
	var suspect *robinhoodRun
	apply := func(moves []bank.Move, sign money.Cents) {
		s.mu.Lock()
		for _, m := range moves {
			s.tally[m.FromAccount] -= sign * m.Amount
			s.tally[m.ToAccount] += sign * m.Amount
		}
		s.mu.Unlock()
	}
	// settle asks the server how a Robinhood whose connection died ended. One that
	// committed keeps its moves in the tally (if we know them) or leaves moves we do not
	// know, for the checker to allow for.
	settle := func(sess *bank.Session, xid string, known *robinhoodRun) {
		if known == nil {
			s.robinhoodLost.Add(1)
		}
		status := bank.TxAborted // without a transaction id, COMMIT was never sent
		if xid != "" {
			status = sess.TxStatus(call, xid)
		}
		switch {
		case status == bank.TxCommitted && known != nil:
		case status == bank.TxAborted && known != nil:
			apply(known.moves, -1)
			s.robinhoods.Add(-1)
			s.robinhoodPhantoms.Add(1)
		case status != bank.TxAborted:
			s.mu.Lock()
			s.inDoubtRobinhoods++
			s.mu.Unlock()
		}
	}
	w, ok := s.newWorker(runCtx)
	defer func() {
		if suspect != nil && w.lastAnswerLost() {
			if next, err := s.connect(call); err == nil {
				settle(next, suspect.xid, suspect)
				next.Close()
			}
		}
		w.close()
	}()
	if !ok {
		return
	}
	tick := time.NewTicker(s.cfg.RobinhoodEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-runCtx.Done():
			return
		}
		// A tick that came while the last Robinhood ran is still there when the run has
		// ended meanwhile, and select picks either.
		if runCtx.Err() != nil {
			return
		}
		began := time.Now()
		s.robinhoodBusy.Store(true)
		run, err := w.sess.Robinhood(call, robinhoodPercent, robinhoodCount)
		s.robinhoodBusy.Store(false)
		e := Event{At: s.since(began), Latency: time.Since(began), Op: OpRobinhood, Outcome: OutcomeOK, Path: run.Path}
		if bank.ConnectionLost(err) {
			e.Outcome = OutcomeInDoubt
		} else if err != nil {
			e.Outcome = OutcomeError
		}
		s.record(e)
		moves, xid := run.Moves, run.XID
		switch {
		case err == nil:
			s.robinhoods.Add(1)
			apply(moves, 1)
			s.mu.Lock()
			s.moves += int64(len(moves))
			s.mu.Unlock()
			suspect = &robinhoodRun{xid, moves}
		case bank.ConnectionLost(err):
			if !w.fail(err) {
				return
			}
			if suspect != nil {
				settle(w.sess, suspect.xid, suspect)
				suspect = nil
			}
			var d *bank.InDoubtError
			if errors.As(err, &d) {
				xid = d.XID
			}
			settle(w.sess, xid, nil)
		default:
			suspect = nil
			if !w.fail(err) {
				return
			}
		}
	}
}

// reader checks the Jepsen invariants on one snapshot after another: the total is the
// starting total to the cent, no balance is negative, no account came or went.
func (s *runner) reader(ctx context.Context) {
	w, ok := s.newWorker(ctx)
	defer w.close()
	if !ok {
		return
	}
	for ctx.Err() == nil {
		began := time.Now()
		a, err := w.sess.Audit(w.call)
		e := Event{At: s.since(began), Latency: time.Since(began), Op: OpRead, Outcome: OutcomeOK, Total: a.TotalBalance}
		if err != nil {
			e.Outcome = OutcomeError
			s.record(e)
			if !w.fail(err) {
				return
			}
			continue
		}
		s.record(e)
		n := s.reads.Add(1)
		if a.TotalBalance != s.start.TotalBalance || a.NegativeBalances != 0 || a.Accounts != s.start.Accounts {
			s.mu.Lock()
			if len(s.violations) < 10 {
				s.violations = append(s.violations, fmt.Sprintf(
					"read %d saw %d accounts holding %s with %d negative, want %d accounts holding %s with none",
					n, a.Accounts, a.TotalBalance, a.NegativeBalances, s.start.Accounts, s.start.TotalBalance))
			}
			s.mu.Unlock()
		}
	}
}

// percentiles returns p50, p95 and p99 by nearest rank, and the longest: a stall (a
// transfer held back by a lock) shows there and nowhere else.
func percentiles(d []time.Duration) [4]time.Duration {
	var out [4]time.Duration
	if len(d) == 0 {
		return out
	}
	slices.Sort(d)
	for i, p := range []float64{0.50, 0.95, 0.99} {
		k := int(p*float64(len(d)) + 0.5)
		out[i] = d[min(max(k-1, 0), len(d)-1)]
	}
	out[3] = d[len(d)-1]
	return out
}
