package workload

import (
	"sync"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/money"
)

// ledger is the run's own account of the bank: every movement it holds committed, and
// what it cannot be sure of, transactions in doubt for the checker to decide and
// Robinhoods to look up once the load is over.
type ledger struct {
	counts *counts // committed, in doubt and Robinhoods, as the progress lines show them

	mu      sync.Mutex
	tally   map[int64]money.Cents // committed movements, by account
	inDoubt []Doubt
	unsure  []robinhoodRun // to look up
	moves   int64          // Robinhood movements committed
	// Robinhoods whose answer was lost, and of those the ones the server says committed;
	// Robinhoods the server could not say the end of (the checker decides them by their
	// movements); and ones that answered yet never committed.
	robinhoodsLost, lostCommitted, inDoubtRobinhoods, robinhoodPhantoms int64
}

// robinhoodRun is a Robinhood to look up: one that answered, its movements in the tally,
// and whose connection died before the next answer; or one whose answer was lost, its
// movements the ones it was about to commit.
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
	l.inDoubt = append(l.inDoubt, Doubt{Moves: []Transfer{t}})
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
	l.addMoves(run.Moves, 1)
	l.mu.Unlock()
}

// addMoves adds a Robinhood's movements to the tally (sign 1), or takes them back (-1).
func (l *ledger) addMoves(moves []bank.Move, sign money.Cents) {
	for _, m := range moves {
		l.add(m.FromAccount, m.ToAccount, sign*m.Amount)
	}
	l.moves += int64(sign) * int64(len(moves))
}

// robinhoodUnsure: a committed Robinhood's connection died before the next answer.
func (l *ledger) robinhoodUnsure(run bank.RobinhoodRun) {
	l.mu.Lock()
	l.unsure = append(l.unsure, robinhoodRun{xid: run.XID, answered: true, moves: run.Moves})
	l.mu.Unlock()
}

// robinhoodLost: the connection died before a Robinhood's answer; run holds the
// movements it was committing, and its transaction once COMMIT was sent.
func (l *ledger) robinhoodLost(run bank.RobinhoodRun) {
	l.mu.Lock()
	l.robinhoodsLost++
	l.unsure = append(l.unsure, robinhoodRun{xid: run.XID, moves: run.Moves})
	l.mu.Unlock()
}

// lookUp asks status how each Robinhood the run is unsure of ended. One that committed is
// in the tally, one that aborted is not, and one the server cannot tell of is in doubt,
// its movements for the checker to find whole or not at all. The load is over.
func (l *ledger) lookUp(status func(xid string) bank.TxStatus) {
	for _, r := range l.unsure {
		s := bank.TxAborted // without a transaction id, COMMIT was never sent
		if r.xid != "" {
			s = status(r.xid)
		}
		if r.answered && s != bank.TxCommitted { // its movements are in the tally
			l.addMoves(r.moves, -1)
			l.counts.robinhoods.Add(-1)
		}
		switch {
		case s == bank.TxCommitted && !r.answered:
			l.addMoves(r.moves, 1)
			l.counts.robinhoods.Add(1)
			l.lostCommitted++
		case s == bank.TxAborted && r.answered:
			l.robinhoodPhantoms++
		case s != bank.TxCommitted && s != bank.TxAborted:
			l.inDoubtRobinhoods++
			l.inDoubt = append(l.inDoubt, Doubt{Robinhood: true, Moves: transfersOf(r.moves)})
		}
	}
	l.unsure = nil
}

// transfersOf is a Robinhood's movements as the checker weighs them.
func transfersOf(moves []bank.Move) []Transfer {
	out := make([]Transfer, len(moves))
	for i, m := range moves {
		out[i] = Transfer{From: m.FromAccount, To: m.ToAccount, Amount: m.Amount}
	}
	return out
}

// check is the verdict on the final balances, after lookUp.
func (l *ledger) check(start, final []bank.Balance) Verdict {
	return Check(start, final, l.tally, l.inDoubt)
}
