package workload

import (
	"context"
	"math/rand/v2"
	"time"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/money"
)

// transfers sends transfers between random accounts until the run ends, or with
// cfg.Transfers set, until none is left to send. Worker n's are seeded by (seed, n), like
// the generator's batches: it always tries the same ones in the same order.
func (s *runner) transfers(runCtx context.Context, n int) {
	r := rand.New(rand.NewPCG(s.cfg.Seed, uint64(n)))
	w, ok := s.newWorker(runCtx)
	defer w.close()
	if !ok {
		return
	}
	for runCtx.Err() == nil {
		// A worker that finds none left only stops itself: the others still send theirs,
		// waiting for their slots if need be.
		if s.cfg.Transfers > 0 && s.sent.Add(1) > s.cfg.Transfers {
			return
		}
		t := s.pick(r)
		began, ok := s.schedule(runCtx)
		if !ok || !w.transfer(t, began) {
			return
		}
	}
}

// pick draws a transfer between two different accounts, of 0.01 up to MaxAmount.
func (s *runner) pick(r *rand.Rand) Transfer {
	i := r.IntN(len(s.ids))
	j := r.IntN(len(s.ids) - 1)
	if j >= i {
		j++
	}
	return Transfer{From: s.ids[i], To: s.ids[j], Amount: 1 + money.Cents(r.Int64N(int64(s.cfg.MaxAmount)))}
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

// transfer sends t, meant to start at began; false when the connection is gone for good.
func (w *worker) transfer(t Transfer, began time.Time) bool {
	s := w.run
	err := w.sess.QuickTransfer(w.call, t.From, t.To, t.Amount)
	outcome := writeOutcome(err)
	s.ended(Event{Op: OpTransfer, Outcome: outcome}, began)
	switch outcome {
	case OutcomeOK:
		s.ledger.transferCommitted(t)
		w.answered(func() { s.ledger.transferUnsure(t) })
		return true
	case OutcomeRefused:
		s.counts.refused.Add(1)
		w.answered(nil)
		return true
	case OutcomeInDoubt:
		s.ledger.transferInDoubt(t)
	}
	return w.fail(err)
}

// writeOutcome is how a write ended, as its error says: a lost connection leaves it in doubt.
func writeOutcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case bank.Code(err) == bank.CodeInsufficientFunds:
		return OutcomeRefused
	case bank.ConnectionLost(err):
		return OutcomeInDoubt
	}
	return OutcomeError
}
