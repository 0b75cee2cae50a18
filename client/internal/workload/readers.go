package workload

import (
	"context"
	"fmt"
	"time"

	"funwithbanking/client/internal/bank"
)

// maxReadViolations: a wrong read is listed while the run has fewer problems than this;
// one fault can spoil thousands of reads.
const maxReadViolations = 10

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
		if err != nil {
			s.ended(Event{Op: OpRead, Outcome: OutcomeError}, began)
			if !w.fail(err) {
				return
			}
			continue
		}
		s.ended(Event{Op: OpRead, Outcome: OutcomeOK, Total: a.TotalBalance}, began)
		s.checkRead(s.counts.reads.Add(1), a)
	}
}

// checkRead records read n if it broke an invariant.
func (s *runner) checkRead(n int64, a bank.Audit) {
	if a.TotalBalance == s.start.TotalBalance && a.NegativeBalances == 0 && a.Accounts == s.start.Accounts {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) < maxReadViolations {
		s.violations = append(s.violations, fmt.Sprintf(
			"read %d saw %d accounts holding %s with %d negative, want %d accounts holding %s with none",
			n, a.Accounts, a.TotalBalance, a.NegativeBalances, s.start.Accounts, s.start.TotalBalance))
	}
}
