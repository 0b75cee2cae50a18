package bank

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"math/rand/v2"
	"time"

	"funwithbanking/client/internal/money"
)

// Session is one dedicated connection. Transfers and Robinhood go through a Session, never
// through the pool: database/sql re-sends a statement on a fresh pooled connection when
// the driver reports a bad connection, and a transfer whose connection died after it
// committed would then happen twice. On a Session the caller sees the lost connection and
// decides. (A populate is one transaction on one pooled connection: database/sql never
// re-sends inside a transaction, and a lost one rolls back whole.)
type Session struct {
	conn     *sql.Conn
	retries  int64
	transfer *sql.Stmt // prepared on first use: one round trip a transfer after that
	move     *sql.Stmt // the same call, for Move
	broken   bool      // the connection was lost: see Close
}

// Session opens a dedicated connection.
func (db *DB) Session(ctx context.Context) (*Session, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, translate(err)
	}
	return &Session{conn: conn}, nil
}

// Close returns the connection to the pool, or drops it if it was lost. A lost
// connection's statements are not freed one by one: psqlODBC tears down its side of the
// connection when it notices the loss, and freeing a statement afterwards crashed the
// process here (SIGSEGV in SQLFreeHandle). Disconnecting frees them all.
func (s *Session) Close() error {
	if s.broken {
		s.conn.Raw(func(any) error { return driver.ErrBadConn }) // database/sql discards it
		return s.conn.Close()
	}
	for _, st := range []*sql.Stmt{s.transfer, s.move} {
		if st != nil {
			st.Close()
		}
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

// Transfer calls bank.transfer(from, to, amount): one statement, one round trip, its own
// transaction.
func (s *Session) Transfer(ctx context.Context, from, to int64, amount money.Cents) (TransferResult, error) {
	var r TransferResult
	if s.transfer == nil {
		// Prepared once per connection: database/sql would otherwise prepare, run and
		// close the statement on every call, each a trip through the driver and the server.
		st, err := s.conn.PrepareContext(ctx, `SELECT from_account, from_balance::text, to_account, to_balance::text
			FROM bank.transfer(?, ?, ?::numeric)`)
		if err != nil {
			return r, s.mark(translate(err))
		}
		s.transfer = st
	}
	err := s.retry(ctx, func() error {
		err := s.transfer.QueryRowContext(ctx, from, to, amount).
			Scan(&r.FromAccount, &r.FromBalance, &r.ToAccount, &r.ToBalance)
		return translate(err)
	})
	return r, s.mark(err)
}

// Move is Transfer for a caller that needs only whether the money moved: bank.transfer
// through Exec, which reads no columns. The ODBC driver describes and binds every column
// of a query's result on every call, and that is a fifth of a small transfer's cost in
// the client.
func (s *Session) Move(ctx context.Context, from, to int64, amount money.Cents) error {
	if s.move == nil {
		st, err := s.conn.PrepareContext(ctx, `SELECT bank.transfer(?, ?, ?::numeric)`)
		if err != nil {
			return s.mark(translate(err))
		}
		s.move = st
	}
	err := s.retry(ctx, func() error {
		_, err := s.move.ExecContext(ctx, from, to, amount)
		return translate(err)
	})
	return s.mark(err)
}

// InDoubtError is a lost connection during a transaction whose id is known: ask
// TxStatus(XID) on another connection whether it committed.
type InDoubtError struct {
	XID string
	Err error
}

func (e *InDoubtError) Error() string { return e.Err.Error() }
func (e *InDoubtError) Unwrap() error { return e.Err }

// Robinhood calls bank.robinhood(percent, count) in a READ COMMITTED transaction of its
// own. percent is a decimal string, validated by the caller and again by the function.
// The transaction's id is read first and returned, so that a caller whose connection dies
// can ask TxStatus how it ended: on error, an *InDoubtError carries it.
func (s *Session) Robinhood(ctx context.Context, percent string, count int) ([]Move, string, error) {
	var out []Move
	var xid string
	err := s.retry(ctx, func() error {
		out, xid = out[:0], ""
		return inTx(ctx, s.conn, ReadCommitted, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT from_customer, from_account, to_customer, to_account, amount::text
				FROM bank.robinhood(?::numeric, ?)`, percent, count)
			if err != nil {
				return err
			}
			return scanAll(rows, func(rows *sql.Rows) error {
				var m Move
				if err := rows.Scan(&m.FromCustomer, &m.FromAccount, &m.ToCustomer, &m.ToAccount, &m.Amount); err != nil {
					return err
				}
				out = append(out, m)
				return nil
			})
		})
	})
	s.mark(err)
	if ConnectionLost(err) && xid != "" {
		return nil, "", &InDoubtError{XID: xid, Err: err}
	}
	if err != nil {
		return nil, "", err
	}
	return out, xid, nil
}

// TxStatus asks whether transaction xid "committed", "aborted" or is still "in progress"
// (pg_xact_status); "unknown" when it is too old to tell.
func (s *Session) TxStatus(ctx context.Context, xid string) (string, error) {
	var status string
	err := s.conn.QueryRowContext(ctx, `SELECT coalesce(pg_xact_status(?::xid8), 'unknown')`, xid).Scan(&status)
	return status, s.mark(translate(err))
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
func (db *DB) Transfer(ctx context.Context, from, to int64, amount money.Cents) (r TransferResult, err error) {
	err = db.withSession(ctx, func(s *Session) error {
		r, err = s.Transfer(ctx, from, to, amount)
		return err
	})
	return r, err
}

// Robinhood runs Operation Robinhood on a connection of its own (see Session).
func (db *DB) Robinhood(ctx context.Context, percent string, count int) (moves []Move, err error) {
	err = db.withSession(ctx, func(s *Session) error {
		moves, _, err = s.Robinhood(ctx, percent, count)
		return err
	})
	return moves, err
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
