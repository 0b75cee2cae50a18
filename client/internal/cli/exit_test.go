package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"funwithbanking/client/internal/workload"
)

// TestExitStatus: what each kind of error exits with, wrapped as the commands wrap them.
func TestExitStatus(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errors.New("refused"), exitFailed},
		{usageError{errors.New("--limit")}, exitUsage},
		{fmt.Errorf("transfer: %w", inDoubt{"transfer", "1234", errors.New("lost")}), exitInDoubt},
		{fmt.Errorf("the load committed; %w", inDoubt{"Robinhood", "1234", errors.New("lost")}), exitInDoubt},
		{fmt.Errorf("bench: %w", wrongBank{"bench's 5 transfers", errors.New("2 problems")}), exitWrongBank},
		{notWritten("transfer (transaction 1234)", errors.New("broken pipe")), exitUnreported},
		{fmt.Errorf("bench: %w", unreported{"load", "its check could not run", errors.New("gone")}), exitUnreported},
	} {
		if got := exitStatus(tt.err); got != tt.want {
			t.Errorf("exitStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestBenchOutcome: a bench exits 1 only when nothing committed; a FAILED verdict exits 5
// whatever else went wrong; a committed run whose check or report failed exits 4.
func TestBenchOutcome(t *testing.T) {
	committed := workload.Report{Progress: workload.Progress{Committed: 7, Robinhoods: 1}}
	failed := committed
	failed.Violations = []string{"account 5 holds 10.01, want 10.00"}
	inDoubtOnly := workload.Report{Progress: workload.Progress{InDoubt: 2}}
	broken, gone := errors.New("no space left on device"), errors.New("final check: the server is gone")
	for _, tt := range []struct {
		name             string
		r                workload.Report
		runErr, writeErr error
		want             int
		words            string
	}{
		{"OK", committed, nil, nil, exitOK, ""},
		{"OK, nothing committed", workload.Report{}, nil, nil, exitOK, ""},
		{"report unwritten", committed, nil, broken, exitUnreported, "the bench's 7 transfers and 1 Robinhood committed, but its result could not be written"},
		{"report unwritten, nothing committed", workload.Report{}, nil, broken, exitFailed, "(nothing committed)"},
		{"check could not run", committed, gone, nil, exitUnreported, "committed, but its check could not run"},
		{"check could not run, in doubt only", inDoubtOnly, gone, nil, exitUnreported, "(besides 2 in doubt)"},
		{"check could not run, nothing committed", workload.Report{}, gone, nil, exitFailed, "(nothing committed)"},
		{"FAILED", failed, nil, nil, exitWrongBank, "committed, and the bench found 1 problem (its report lists them)"},
		{"FAILED, report unwritten", failed, nil, broken, exitWrongBank, "could not report them all"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := benchOutcome(&tt.r, tt.runErr, tt.writeErr)
			if got := exitStatus(err); got != tt.want || err != nil && !strings.Contains(err.Error(), tt.words) {
				t.Errorf("exit %d (want %d): %v; want it to say %q", got, tt.want, err, tt.words)
			}
		})
	}
}
