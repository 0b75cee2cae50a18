// Package bank is the client's only door to the database: it opens ODBC connections,
// bulk-loads generated banks, and calls the functions of db/procedures.sql. It holds no
// DDL and no report logic; those live in SQL.
package bank

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	_ "github.com/alexbrainman/odbc" // registers the "odbc" driver
)

// Server-side limits for every session. The ODBC driver cancels a query (SQLCancel) when
// its context ends, but not an Exec or a prepared statement: for those only the server can
// stop a statement that runs or waits too long.
const (
	DefaultStatementTimeout = 5 * time.Minute
	DefaultLockTimeout      = 30 * time.Second
)

// Options tune a connection pool.
type Options struct {
	StatementTimeout time.Duration
	LockTimeout      time.Duration
	MaxConns         int // 0: database/sql's default (unlimited)
}

// DB is a pool of ODBC connections to a bank.
type DB struct {
	sql *sql.DB
}

// Open connects to the bank at dsn and checks that the server answers and has our schema.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.StatementTimeout == 0 {
		opts.StatementTimeout = DefaultStatementTimeout
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if err := checkProtocol(dsn); err != nil {
		return nil, err
	}
	// sql.Open("odbc") only to reach the registered driver; our connector does the opening.
	probe, err := sql.Open("odbc", "")
	if err != nil {
		return nil, err
	}
	c := &connector{dsn: withRollbackLevel(dsn), driver: probe.Driver(), setup: []string{
		// Whole milliseconds, formatted from numbers: nothing here comes from text input.
		fmt.Sprintf("SET statement_timeout = %d", opts.StatementTimeout.Milliseconds()),
		fmt.Sprintf("SET lock_timeout = %d", opts.LockTimeout.Milliseconds()),
		"SET application_name = 'bank-client'",
	}}
	probe.Close()
	db := &DB{sql: sql.OpenDB(c)}
	if opts.MaxConns > 0 {
		db.sql.SetMaxOpenConns(opts.MaxConns)
		db.sql.SetMaxIdleConns(opts.MaxConns)
	}
	if err := db.checkSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// RollbackLevel is the psqlODBC Protocol setting the client uses, and the README gives
// other clients: errors abort the transaction, as PostgreSQL itself has it.
const RollbackLevel = "7.4-0"

// withRollbackLevel adds Protocol=7.4-0 unless the DSN sets one: a failed statement then
// aborts its transaction, as in psql (the README's "Other clients" says what the other
// levels do instead).
func withRollbackLevel(dsn string) string {
	if _, set := protocolOf(dsn); set {
		return dsn
	}
	if dsn != "" && !strings.HasSuffix(dsn, ";") {
		dsn += ";"
	}
	return dsn + "Protocol=" + RollbackLevel + ";"
}

// checkProtocol refuses the rollback levels at which psqlODBC runs each statement in a
// SAVEPOINT (7.4-2, and 7.4 meaning it): PostgreSQL refuses SET TRANSACTION there, and a
// refused statement would not stop the rest of its transaction from committing.
func checkProtocol(dsn string) error {
	if v, set := protocolOf(dsn); set && v != "7.4-0" && v != "7.4-1" {
		return fmt.Errorf("the DSN sets Protocol=%s: the client needs 7.4-0 (or 7.4-1), where a failed statement "+
			"aborts its transaction; leave Protocol out and the client sets 7.4-0", v)
	}
	return nil
}

// protocolOf is the Protocol a DSN sets, if it sets one (keys are case-insensitive).
func protocolOf(dsn string) (string, bool) {
	for _, kv := range strings.Split(dsn, ";") {
		if k, v, _ := strings.Cut(kv, "="); strings.EqualFold(strings.TrimSpace(k), "protocol") {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// Close closes every connection.
func (db *DB) Close() error { return db.sql.Close() }

// checkSchema makes the first connection, so that an unreachable server, a missing
// driver or a database without our functions is reported before any work starts.
func (db *DB) checkSchema(ctx context.Context) error {
	var n int
	err := db.sql.QueryRowContext(ctx,
		`SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
		 WHERE n.nspname = 'bank' AND p.proname IN ('audit', 'load_begin', 'robinhood', 'transfer')`).Scan(&n)
	if err != nil {
		return translate(err)
	}
	if n < 4 {
		return ErrNoSchema
	}
	return nil
}

// connector opens ODBC connections and applies the session settings to each, so that
// every connection the pool ever makes has the same timeouts.
type connector struct {
	dsn    string
	driver driver.Driver
	setup  []string
}

func (c *connector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	for _, q := range c.setup {
		if err := execRaw(conn, q); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

func (c *connector) Driver() driver.Driver { return c.driver }

func execRaw(conn driver.Conn, q string) error {
	st, err := conn.Prepare(q)
	if err != nil {
		return err
	}
	defer st.Close()
	if sc, ok := st.(driver.StmtExecContext); ok {
		_, err = sc.ExecContext(context.Background(), nil)
		return err
	}
	//lint:ignore SA1019 the odbc driver's statements have no ExecContext
	_, err = st.Exec(nil)
	return err
}

// Isolation levels, sent as SET TRANSACTION: the odbc driver has no BeginTx options.
const (
	ReadCommitted  = "READ COMMITTED"
	RepeatableRead = "REPEATABLE READ"
)

// beginner is what can start a transaction: the pool, or one dedicated connection.
type beginner interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}

// inTx runs fn in one transaction at the given isolation level: commit if fn succeeds,
// roll back otherwise. Every multi-statement unit of work goes through here.
func inTx(ctx context.Context, on beginner, isolation string, fn func(*sql.Tx) error) error {
	tx, err := on.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL "+isolation); err != nil {
		return translate(err)
	}
	if err := fn(tx); err != nil {
		return translate(err)
	}
	return translate(tx.Commit())
}

func (db *DB) inTx(ctx context.Context, isolation string, fn func(*sql.Tx) error) error {
	return inTx(ctx, db.sql, isolation, fn)
}
