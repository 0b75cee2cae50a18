package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/bank"
)

// Exit statuses. A script can tell from the status alone what became of the bank: a
// transfer that exits 1 did not happen and may be sent again; one that exits 0 or 4
// happened and must not be; one that exits 3 must be looked up first. A command that makes
// several changes (demo, bench) exits 1 only if none of them committed.
const (
	exitOK         = 0 // done: what was to change changed
	exitFailed     = 1 // failed: nothing changed
	exitUsage      = 2 // a bad command line: nothing was sent
	exitInDoubt    = 3 // COMMIT was sent and its answer lost: the message names the transaction to look up
	exitUnreported = 4 // committed, but the command could not finish: its result unwritten, or a later step failed
	exitWrongBank  = 5 // a check found the bank wrong: bench's verdict FAILED, demo's audits disagreeing
)

// settleTimeout bounds how long a call whose COMMIT lost its connection waits to learn
// how it ended, before it reports it in doubt.
const settleTimeout = 15 * time.Second

// inDoubt is a change whose COMMIT was sent but whose end nobody could tell us.
type inDoubt struct {
	what, xid string
	err       error
}

func (e inDoubt) Error() string {
	return fmt.Sprintf("in doubt: the connection was lost during COMMIT of the %s (%v) and the bank could not be asked "+
		"how it ended; do not send it again before checking: SELECT pg_xact_status('%s') says committed or aborted",
		e.what, e.err, e.xid)
}

// unreported is a change that committed, after which the command could not finish: why
// says what failed, its result's writing or a later step.
type unreported struct {
	what, why string
	err       error
}

func (e unreported) Error() string {
	return fmt.Sprintf("the %s committed, but %s: %v", e.what, e.why, e.err)
}

// notWritten is a change that committed, and whose result could not be written.
func notWritten(what string, err error) unreported {
	return unreported{what, "its result could not be written", err}
}

// wrongBank is a check that found the bank wrong; what names the changes that committed
// before it ("" when none did).
type wrongBank struct {
	what string
	err  error
}

func (e wrongBank) Error() string {
	if e.what == "" {
		return e.err.Error()
	}
	return fmt.Sprintf("the %s committed, and %v", e.what, e.err)
}

// exitStatus maps what Run's command returned to the exit status.
func exitStatus(err error) int {
	var ue usageError
	var help ucli.ExitCoder // urfave's own help command says "No help topic for ..." so
	var doubt inDoubt
	var wrong wrongBank
	var lost unreported
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &help):
		return exitUsage
	case errors.As(err, &doubt):
		return exitInDoubt
	case errors.As(err, &wrong):
		return exitWrongBank
	case errors.As(err, &lost):
		return exitUnreported
	}
	return exitFailed
}

// settle decides what to say of a change whose COMMIT lost its connection, asking the bank
// on a new connection: a note when it committed, an error saying nothing changed when it
// aborted, inDoubt when nobody can tell. Any other error is returned as it is.
func settle(ctx context.Context, db *bank.DB, what string, err error) (note string, _ error) {
	var d *bank.InDoubtError
	if !errors.As(err, &d) {
		return "", err
	}
	// Not cancelled by a Ctrl-C: having sent COMMIT, the client owes the user its end.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	return settled(what, d, db.TxStatus(ctx, d.XID))
}

func settled(what string, d *bank.InDoubtError, status bank.TxStatus) (string, error) {
	switch status {
	case bank.TxCommitted:
		return fmt.Sprintf("the connection was lost during COMMIT (%v); the bank says transaction %s committed", d.Err, d.XID), nil
	case bank.TxAborted:
		return "", fmt.Errorf("the connection was lost during COMMIT (%v); the bank says transaction %s was rolled back: nothing changed", d.Err, d.XID)
	}
	return "", inDoubt{what, d.XID, d.Err}
}
