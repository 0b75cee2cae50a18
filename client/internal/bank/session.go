package bank

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"math/rand/v2"
	"time"

	"funwithbanking/client/internal/money"
)

// Session is one dedicated connection, which every write goes through: the pool re-sends
// a statement on a fresh connection after a bad one, and a transfer whose connection died
// after it committed would happen twice. On a Session the caller sees the loss and decides.
type Session struct {
	conn    *sql.Conn
	retries int64
	quick   *sql.Stmt // QuickTransfer's, prepared on first use: one round trip a call after that
	broken  bool      // the connection was lost: see Close
}

// Session opens a dedicated connection.
func (db *DB) Session(ctx context.Context) (*Session, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, translate(err)
	}
	return &Session{conn: conn}, nil
}

// Close returns the connection to the pool, or drops it if it was lost: disconnecting
// frees a lost connection's statements, and freeing them one by one crashes psqlODBC.
func (s *Session) Close() error {
	if s.broken {
		s.conn.Raw(func(any) error { return driver.ErrBadConn }) // database/sql discards it
		return s.conn.Close()
	}
	if s.quick != nil {
		s.quick.Close()
	}
	return s.conn.Close()
}

// mark notes a lost connection, for Close.
func (s *Session) mark(err error) error {
	if ConnectionLost(err) {
		s.broken = true
	}
	return err
}

// Retries is how many times the session's transactions were retried after a
// serialization failure or a deadlock.
func (s *Session) Retries() int64 { return s.retries }

// Retry policy: only whole transactions, only on serialization failures and deadlocks,
// where PostgreSQL has rolled everything back and running again is safe.
const (
	maxAttempts  = 5
	retryBackoff = 10 * time.Millisecond
)

// retry is the one place that retries. Any other error, a lost connection above all,
// is returned as is: a statement whose outcome is unknown is never sent again.
func (s *Session) retry(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if attempt == maxAttempts || !Retryable(err) {
			return err
		}
		s.retries++
		// Exponential, with full jitter so that the transactions that collided do not
		// collide again in step.
		wait := time.Duration(rand.Int64N(int64(retryBackoff) << attempt))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// Transfer calls bank.transfer(from, to, amount) in a transaction of its own, and returns
// the new balances and the transaction's id. Unlike QuickTransfer, it can say what became of the
// money whatever happens (see write): moved, not moved, or in doubt with the id.
func (s *Session) Transfer(ctx context.Context, from, to int64, amount money.Cents) (TransferResult, string, error) {
	var r TransferResult
	var xid string
	err := s.retry(ctx, func() (err error) {
		xid, err = s.write(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT from_account, from_balance::text, to_account, to_balance::text
				FROM bank.transfer(?, ?, ?::numeric)`, from, to, amount).
				Scan(&r.FromAccount, &r.FromBalance, &r.ToAccount, &r.ToBalance)
		})
		return err
	})
	return r, xid, err
}

// QuickTransfer is Transfer for a caller that needs only whether the money moved: one
// prepared Exec in autocommit, which reads no columns (the driver binds every column of a
// query's result on every call).
func (s *Session) QuickTransfer(ctx context.Context, from, to int64, amount money.Cents) error {
	if s.quick == nil {
		st, err := s.conn.PrepareContext(ctx, `SELECT bank.transfer(?, ?, ?::numeric)`)
		if err != nil {
			return s.mark(translate(err))
		}
		s.quick = st
	}
	err := s.retry(ctx, func() error {
		_, err := s.quick.ExecContext(ctx, from, to, amount)
		return translate(err)
	})
	return s.mark(err)
}

// InDoubtError is a connection lost while COMMIT was on its way: the transaction may have
// committed or not. TxStatus(XID), on another connection, tells which.
type InDoubtError struct {
	XID string
	Err error
}

func (e *InDoubtError) Error() string { return e.Err.Error() }
func (e *InDoubtError) Unwrap() error { return e.Err }

// ErrInterrupted: the caller's context ended (Ctrl-C) before COMMIT was sent, and the
// transaction was rolled back.
var ErrInterrupted = errors.New("interrupted before COMMIT: rolled back, nothing changed")

// write runs fn in one READ COMMITTED transaction that changes the bank, and commits it:
// the one place that decides what the caller may say of the change: committed (nil), not
// committed (an error: nothing changed), or in doubt (*InDoubtError).
func (s *Session) write(ctx context.Context, fn func(*sql.Tx) error) (xid string, err error) {
	// Only fn's statements run under ctx, a Ctrl-C rolling back (ErrInterrupted): with ctx,
	// database/sql would roll back from another goroutine, racing with our COMMIT.
	calm := context.WithoutCancel(ctx)
	tx, err := s.conn.BeginTx(calm, nil)
	if err != nil {
		return "", s.mark(translate(err))
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(calm, "SET TRANSACTION ISOLATION LEVEL "+ReadCommitted); err != nil {
		return "", s.mark(translate(err))
	}
	err = fn(tx)
	if ctx.Err() != nil {
		return "", ErrInterrupted
	}
	if err != nil {
		return "", s.mark(translate(err))
	}
	// The id, to ask TxStatus elsewhere if COMMIT's answer is lost; read last, as it holds
	// back the snapshots the transaction takes (bank.robinhood reads them). A connection
	// lost here is an ordinary failure: COMMIT was never sent.
	if err := tx.QueryRowContext(calm, `SELECT coalesce(bank.transaction_id()::text, '')`).Scan(&xid); err != nil {
		return "", s.mark(translate(err))
	}
	if ctx.Err() != nil {
		return "", ErrInterrupted
	}
	if err := s.mark(translate(tx.Commit())); err != nil { // never cancelled: the caller waits
		// A transaction without an id wrote nothing: whatever became of it, nothing changed.
		if ConnectionLost(err) && xid != "" {
			return xid, &InDoubtError{XID: xid, Err: err}
		}
		return "", err
	}
	return xid, nil
}

// RobinhoodRun is what one Robinhood did, and how.
type RobinhoodRun struct {
	Moves []Move
	XID   string // its transaction: "" if it moved nothing
	// Path is how it ran (bank.robinhood_path): "snapshot, 1 ranking(s), 1 plan(s)" when it
	// held back no transfer, "locked, ..." when it stopped the writers for its last plan.
	Path string
	// Snapshot is the one its moves were planned on (bank.robinhood_snapshot), as
	// pg_current_snapshot() writes it.
	Snapshot string
}

// Robinhood calls bank.robinhood(percent, count) in a transaction of its own (see write).
// percent is a decimal string, validated by the caller and again by the function. On a
// lost COMMIT the error is an *InDoubtError, and the run holds the moves it would make.
func (s *Session) Robinhood(ctx context.Context, percent string, count int) (RobinhoodRun, error) {
	var run RobinhoodRun
	err := s.retry(ctx, func() (err error) {
		run = RobinhoodRun{}
		run.XID, err = s.write(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT from_customer, from_account, to_customer, to_account, amount::text
				FROM bank.robinhood(?::numeric, ?)`, percent, count)
			if err != nil {
				return err
			}
			err = scanAll(rows, func(rows *sql.Rows) error {
				var m Move
				if err := rows.Scan(&m.FromCustomer, &m.FromAccount, &m.ToCustomer, &m.ToAccount, &m.Amount); err != nil {
					return err
				}
				run.Moves = append(run.Moves, m)
				return nil
			})
			if err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT current_setting('bank.robinhood_path'), current_setting('bank.robinhood_snapshot')`).
				Scan(&run.Path, &run.Snapshot)
		})
		return err
	})
	if err != nil && !errors.As(err, new(*InDoubtError)) {
		return RobinhoodRun{XID: run.XID}, err
	}
	return run, err
}

// TxStatus is how a transaction ended, in pg_xact_status's words.
type TxStatus string

const (
	TxCommitted TxStatus = "committed"
	TxAborted   TxStatus = "aborted"
	TxUnknown   TxStatus = "unknown" // the server cannot tell, or cannot be asked
	txRunning   TxStatus = "in progress"
)

// Asking again for a transaction still in progress: one whose connection just died may
// still be finishing on its backend.
const (
	txStatusTries = 100
	txStatusEvery = 50 * time.Millisecond
)

// TxStatus asks how transaction xid ended.
func (s *Session) TxStatus(ctx context.Context, xid string) TxStatus {
	for range txStatusTries {
		var status TxStatus
		err := s.conn.QueryRowContext(ctx, `SELECT coalesce(pg_xact_status(?::xid8), 'unknown')`, xid).Scan(&status)
		if err != nil {
			s.mark(translate(err))
			return TxUnknown
		}
		if status != txRunning {
			return status
		}
		select {
		case <-ctx.Done():
			return TxUnknown
		case <-time.After(txStatusEvery):
		}
	}
	return TxUnknown
}

// Audit calls bank.audit() in a read-only REPEATABLE READ transaction: one snapshot.
func (s *Session) Audit(ctx context.Context) (Audit, error) {
	var a Audit
	err := inTx(ctx, s.conn, RepeatableRead+" READ ONLY", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT customers, accounts, links, total_balance::text, negative_balances
			FROM bank.audit()`).Scan(&a.Customers, &a.Accounts, &a.Links, &a.TotalBalance, &a.NegativeBalances)
	})
	return a, s.mark(err)
}

// Balance is a row of bank.balances().
type Balance struct {
	AccountID int64
	Balance   money.Cents
}

// Balances reads every account's balance, by account_id, in one snapshot.
func (s *Session) Balances(ctx context.Context) ([]Balance, error) {
	var out []Balance
	err := inTx(ctx, s.conn, RepeatableRead+" READ ONLY", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT account_id, balance::text FROM bank.balances()`)
		if err != nil {
			return err
		}
		return scanAll(rows, func(rows *sql.Rows) error {
			var b Balance
			if err := rows.Scan(&b.AccountID, &b.Balance); err != nil {
				return err
			}
			out = append(out, b)
			return nil
		})
	})
	return out, s.mark(err)
}

// withSession runs fn on a connection of its own, for the pool-level calls.
func (db *DB) withSession(ctx context.Context, fn func(*Session) error) error {
	s, err := db.Session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

// Transfer runs one transfer on a connection of its own (see Session).
func (db *DB) Transfer(ctx context.Context, from, to int64, amount money.Cents) (r TransferResult, xid string, err error) {
	err = db.withSession(ctx, func(s *Session) error {
		r, xid, err = s.Transfer(ctx, from, to, amount)
		return err
	})
	return r, xid, err
}

// Robinhood runs Operation Robinhood on a connection of its own (see Session).
func (db *DB) Robinhood(ctx context.Context, percent string, count int) (run RobinhoodRun, err error) {
	err = db.withSession(ctx, func(s *Session) error {
		run, err = s.Robinhood(ctx, percent, count)
		return err
	})
	return run, err
}

// TxStatus asks, on a connection of its own, how transaction xid ended: TxUnknown too
// when the server cannot be reached.
func (db *DB) TxStatus(ctx context.Context, xid string) TxStatus {
	status := TxUnknown
	db.withSession(ctx, func(s *Session) error {
		status = s.TxStatus(ctx, xid)
		return nil
	})
	return status
}

// Audit reads bank.audit() in one snapshot.
func (db *DB) Audit(ctx context.Context) (a Audit, err error) {
	err = db.withSession(ctx, func(s *Session) error {
		a, err = s.Audit(ctx)
		return err
	})
	return a, err
}

// Ping checks that the connection still reaches the server.
func (s *Session) Ping(ctx context.Context) error {
	_, err := s.conn.ExecContext(ctx, "SELECT 1")
	return s.mark(translate(err))
}
