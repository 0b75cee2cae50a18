package workload

import (
	"context"
	"sync"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/money"
)

// ledger is the run's own account of the bank: every movement it holds committed, and
// what it cannot be sure of, transfers in doubt for the checker to decide and Robinhoods
// to look up once the load is over.
type ledger struct {
	counts *counts // committed, in doubt and Robinhoods, as the progress lines show them

	mu      sync.Mutex
	tally   map[int64]money.Cents // committed movements, by account
	inDoubt []Transfer
	unsure  []robinhoodRun // to look up
	moves   int64          // Robinhood movements committed
	// Robinhoods whose answer was lost; of those looked up, the ones the server says
	// committed (or cannot tell of), and the ones that answered yet never committed.
	robinhoodsLost, inDoubtRobinhoods, robinhoodPhantoms int64
}

// robinhoodRun is a Robinhood to look up: one that answered, its movements in the tally,
// and whose connection died before the next answer; or one whose answer was lost.
type robinhoodRun struct {
	xid      string // "" when COMMIT was never sent
	answered bool
	moves    []bank.Move
}

func newLedger(c *counts) *ledger { return &ledger{counts: c, tally: map[int64]money.Cents{}} }

// add moves amount between two accounts in the tally; a negative amount takes it back.
func (l *ledger) add(from, to int64, amount money.Cents) {
	l.tally[from] -= amount
	l.tally[to] += amount
}

func (l *ledger) transferCommitted(t Transfer) {
	l.counts.committed.Add(1)
	l.mu.Lock()
	l.add(t.From, t.To, t.Amount)
	l.mu.Unlock()
}

// transferInDoubt: the connection died before the transfer's answer.
func (l *ledger) transferInDoubt(t Transfer) {
	l.counts.inDoubt.Add(1)
	l.mu.Lock()
	l.inDoubt = append(l.inDoubt, t)
	l.mu.Unlock()
}

// transferUnsure takes back a committed transfer whose connection died before the next
// answer: it is in doubt after all.
func (l *ledger) transferUnsure(t Transfer) {
	l.counts.committed.Add(-1)
	l.mu.Lock()
	l.add(t.From, t.To, -t.Amount)
	l.mu.Unlock()
	l.transferInDoubt(t)
}

func (l *ledger) robinhoodCommitted(run bank.RobinhoodRun) {
	l.counts.robinhoods.Add(1)
	l.mu.Lock()
	for _, m := range run.Moves {
		l.add(m.FromAccount, m.ToAccount, m.Amount)
	}
	l.moves += int64(len(run.Moves))
	l.mu.Unlock()
}

// robinhoodUnsure: a committed Robinhood's connection died before the next answer.
func (l *ledger) robinhoodUnsure(run bank.RobinhoodRun) {
	l.mu.Lock()
	l.unsure = append(l.unsure, robinhoodRun{xid: run.XID, answered: true, moves: run.Moves})
	l.mu.Unlock()
}

// robinhoodLost: the connection died before a Robinhood's answer.
func (l *ledger) robinhoodLost(xid string) {
	l.mu.Lock()
	l.robinhoodsLost++
	l.unsure = append(l.unsure, robinhoodRun{xid: xid})
	l.mu.Unlock()
}

// lookUp asks the server how each Robinhood the run is unsure of ended. One that answered
// but never committed is taken back; one the server says committed unseen, or cannot tell
// of, leaves movements the checker allows for. The load is over: nothing else runs.
func (l *ledger) lookUp(ctx context.Context, sess *bank.Session) {
	for _, r := range l.unsure {
		status := bank.TxAborted // without a transaction id, COMMIT was never sent
		if r.xid != "" {
			status = sess.TxStatus(ctx, r.xid)
		}
		switch {
		case r.answered && status == bank.TxCommitted:
		case r.answered && status == bank.TxAborted:
			for _, m := range r.moves {
				l.add(m.FromAccount, m.ToAccount, -m.Amount)
			}
			l.counts.robinhoods.Add(-1)
			l.robinhoodPhantoms++
		case status != bank.TxAborted:
			l.inDoubtRobinhoods++
		}
	}
	l.unsure = nil
}

// check is the verdict on the final balances, after lookUp.
func (l *ledger) check(start, final []bank.Balance) Verdict {
	return Check(start, final, l.tally, l.inDoubt, int(l.inDoubtRobinhoods), robinhoodCount)
}
