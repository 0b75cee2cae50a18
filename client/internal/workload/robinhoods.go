package workload

import (
	"context"
	"time"
)

// robinhoods runs Operation Robinhood every cfg.RobinhoodEvery until the run ends.
func (s *runner) robinhoods(runCtx context.Context) {
	w, ok := s.newWorker(runCtx)
	defer w.close()
	if !ok {
		return
	}
	tick := time.NewTicker(s.cfg.RobinhoodEvery)
	defer tick.Stop()
	for ticked(runCtx, tick.C) && w.robinhood() {
	}
}

// ticked waits for the next tick; false when the run ends first. A tick that came while
// the last Robinhood ran is still there after the run's end, and select picks either.
func ticked(runCtx context.Context, tick <-chan time.Time) bool {
	select {
	case <-tick:
		return runCtx.Err() == nil
	case <-runCtx.Done():
		return false
	}
}

// robinhood runs one Robinhood; false when the connection is gone for good.
func (w *worker) robinhood() bool {
	s := w.run
	began := time.Now()
	s.robinhoodBusy.Store(true)
	run, err := w.sess.Robinhood(w.call, robinhoodPercent, robinhoodCount)
	s.robinhoodBusy.Store(false)
	outcome := writeOutcome(err)
	s.ended(Event{Op: OpRobinhood, Outcome: outcome, Path: run.Path}, began)
	switch outcome {
	case OutcomeOK:
		s.ledger.robinhoodCommitted(run)
		w.answered(func() { s.ledger.robinhoodUnsure(run) })
		return true
	case OutcomeInDoubt:
		s.ledger.robinhoodLost(run) // its transaction is set once COMMIT was sent
	}
	return w.fail(err)
}
