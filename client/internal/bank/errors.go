package bank

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/alexbrainman/odbc"
)

// Error is a refusal or failure reported by the database, with its SQLSTATE.
type Error struct {
	Code    string // SQLSTATE: ours are class BK (the list heads db/procedures.sql)
	Message string
}

func (e *Error) Error() string { return e.Message }

// The SQLSTATEs of ours that callers act on (the full list heads db/procedures.sql): a
// refused transfer is an answer, not a failure, for the bench and the tests.
const (
	CodeUnknownAccount    = "BK001"
	CodeInsufficientFunds = "BK004"
)

var (
	// ErrNoSchema: connected, but the database lacks db/init.sql and db/procedures.sql.
	ErrNoSchema = errors.New("the database has no bank schema: load db/init.sql then db/procedures.sql into it (./setup.sh does)")
)

// translate turns a driver error into one line a user can act on. It is the only place
// that looks inside *odbc.Error.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return &Error{Code: CodeConnectionLost, Message: "lost the connection to the database"}
	}
	var oe *odbc.Error
	if !errors.As(err, &oe) || len(oe.Diag) == 0 {
		return err
	}
	d := oe.Diag[0]
	msg := cleanMessage(d.Message)
	switch {
	case d.State == "HY000" && lostConnection(msg):
		return &Error{Code: CodeConnectionLost, Message: "lost the connection to the database (" + msg + ")"}
	case strings.HasPrefix(d.State, "BK"):
		return &Error{Code: d.State, Message: msg}
	case d.State == "IM002" || (d.State == "01000" && strings.Contains(msg, "file not found")):
		return fmt.Errorf("the ODBC driver named in the DSN is not installed or registered (%s): "+
			"on Debian/Ubuntu apt-get install unixodbc odbc-postgresql; on macOS brew install psqlodbc", msg)
	case strings.HasPrefix(d.State, "08") && refusedLogin(msg):
		// The server answered and said no: waiting or retrying will not change that.
		return &Error{Code: CodeLoginRefused, Message: "the server refused the login (" + msg +
			"): check the user, password and database in --dsn (or BANK_DSN), or the --port (BANK_PORT) it reached"}
	case strings.HasPrefix(d.State, "08"):
		return &Error{Code: d.State, Message: "cannot reach the database (" + msg +
			"): is PostgreSQL running, and do --port (BANK_PORT) or --dsn (BANK_DSN) point at it? ./setup.sh starts one"}
	case d.State == "3D000":
		return fmt.Errorf("%s: create it, or point --dsn (BANK_DSN) or --port (BANK_PORT) at the bank's database", msg)
	case d.State == "3F000" || d.State == "42883" || d.State == "42P01":
		return fmt.Errorf("%w (%s)", ErrNoSchema, msg)
	case d.State == "57014" && strings.Contains(msg, "statement timeout"):
		return &Error{Code: d.State, Message: "the statement took longer than the statement timeout and was cancelled: " + msg}
	case d.State == "57014":
		return &Error{Code: d.State, Message: "the statement was cancelled (pg_cancel_backend, or an interrupt): " + msg}
	case d.State == "55P03":
		return &Error{Code: d.State, Message: "gave up waiting for a lock (lock timeout): " + msg}
	case d.State == "23P01" && strings.Contains(msg, "load_unfinished"):
		return &Error{Code: d.State, Message: "a load begun with bank.load_begin() must end with bank.load_finish() " +
			"before COMMIT; nothing was changed"}
	}
	return &Error{Code: d.State, Message: msg}
}

// psqlODBC reports a connection that died under it with the generic SQLSTATE HY000; only
// its words tell. These are the ones seen when the server terminated the backend, shut
// down or restarted.
var lostConnectionWords = []string{
	"connection has been lost",
	"server closed the connection unexpectedly",
	"terminating connection",
	"connection dead",
	"could not send",
	"no connection to the server",
}

func lostConnection(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range lostConnectionWords {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// cleanMessage keeps the server's own words: psqlODBC prefixes "ERROR: " and appends
// the driver's generic trailer on its own line.
func cleanMessage(m string) string {
	m, _, _ = strings.Cut(m, ";\n")
	m, _, _ = strings.Cut(m, "\n")
	m = strings.TrimPrefix(m, "ERROR:")
	return strings.TrimSpace(m)
}

// CodeLoginRefused is SQLSTATE 28000 (invalid_authorization_specification), which we give
// to a login the server refused: psqlODBC reports it as 08001, like an unreachable server.
const CodeLoginRefused = "28000"

// refusedLogin: psqlODBC's words when the server answered a login with a refusal.
func refusedLogin(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "password authentication failed") || strings.Contains(m, "no password supplied") ||
		strings.Contains(m, "does not exist") || strings.Contains(m, "no pg_hba.conf entry") ||
		strings.Contains(m, "authentication failed")
}

// CodeConnectionLost is SQLSTATE 08006 (connection_failure), which we also give to a
// connection the driver reports as broken without a SQLSTATE of its own.
const CodeConnectionLost = "08006"

// Retryable reports whether err is a serialization failure (40001) or a deadlock (40P01):
// PostgreSQL rolled the whole transaction back, so running it again is safe.
func Retryable(err error) bool {
	c := Code(err)
	return c == "40001" || c == "40P01"
}

// ConnectionLost reports whether err means the connection is gone: the driver's bad
// connection, SQLSTATE class 08, or the server shutting down or terminating the backend
// (57P01..57P03). A write that fails so may or may not have committed.
func ConnectionLost(err error) bool {
	c := Code(err)
	return strings.HasPrefix(c, "08") || c == "57P01" || c == "57P02" || c == "57P03"
}

// Code returns err's SQLSTATE, or "" when it did not come from the database.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// noResultSet is the driver's answer to a Query whose statement ran and returned no rows
// (VACUUM, say): success, for a caller that used Query only to be able to cancel it.
func noResultSet(err error) bool { return err.Error() == "Stmt did not create a result set" }
