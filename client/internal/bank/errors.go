package bank

import (
	"errors"
	"fmt"
	"strings"

	"github.com/alexbrainman/odbc"
)

// Error is a refusal or failure reported by the database, with its SQLSTATE.
type Error struct {
	Code    string // SQLSTATE: ours are BK001..BK007 (see db/procedures.sql)
	Message string
}

func (e *Error) Error() string { return e.Message }

// Our SQLSTATEs, documented in db/procedures.sql.
const (
	CodeUnknownAccount    = "BK001"
	CodeSameAccount       = "BK002"
	CodeInvalidAmount     = "BK003"
	CodeInsufficientFunds = "BK004"
	CodeInvalidArgument   = "BK005"
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
	var oe *odbc.Error
	if !errors.As(err, &oe) || len(oe.Diag) == 0 {
		return err
	}
	d := oe.Diag[0]
	msg := cleanMessage(d.Message)
	switch {
	case strings.HasPrefix(d.State, "BK"):
		return &Error{Code: d.State, Message: msg}
	case d.State == "IM002" || (d.State == "01000" && strings.Contains(msg, "file not found")):
		return fmt.Errorf("the ODBC driver named in the DSN is not installed or registered (%s): "+
			"on Debian/Ubuntu apt-get install unixodbc odbc-postgresql; on macOS brew install psqlodbc", msg)
	case d.State == "08001" || d.State == "08S01" || strings.HasPrefix(d.State, "08"):
		return fmt.Errorf("cannot reach the database (%s): is PostgreSQL running, and does --dsn (or BANK_DSN) point at it? ./setup.sh starts one", msg)
	case d.State == "3D000":
		return fmt.Errorf("%s: create it, or point --dsn at the bank's database", msg)
	case d.State == "3F000" || d.State == "42883" || d.State == "42P01":
		return fmt.Errorf("%w (%s)", ErrNoSchema, msg)
	case d.State == "57014":
		return &Error{Code: d.State, Message: "the statement took longer than the statement timeout and was cancelled: " + msg}
	case d.State == "55P03":
		return &Error{Code: d.State, Message: "gave up waiting for a lock (lock timeout): " + msg}
	}
	return &Error{Code: d.State, Message: msg}
}

// cleanMessage keeps the server's own words: psqlODBC prefixes "ERROR: " and appends
// the driver's generic trailer on its own line.
func cleanMessage(m string) string {
	m, _, _ = strings.Cut(m, ";\n")
	m, _, _ = strings.Cut(m, "\n")
	m = strings.TrimPrefix(m, "ERROR:")
	return strings.TrimSpace(m)
}

// Code returns err's SQLSTATE, or "" when it did not come from the database.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
