package cli

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// session is a psql session held open on its standard input: what a second user does
// while the client runs.
type session struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out bytes.Buffer
}

func openSession(t *testing.T, db string, setup string) *session {
	t.Helper()
	s := &session{cmd: exec.Command(server.BinDir+"/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
		"-p", strconv.Itoa(server.Port), "-U", "postgres", "-d", db, "-c", "SET application_name = 'second user'", "-f", "-")}
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	var err error
	if s.in, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.send(setup)
	t.Cleanup(func() { s.close() })
	return s
}

func (s *session) send(sql string) { io.WriteString(s.in, sql+"\n") }

func (s *session) close() error {
	s.in.Close()
	return s.cmd.Wait()
}

// startClient runs the client in the background; wait sends it the signals given, if any,
// and returns what it printed.
func startClient(t *testing.T, d string, args ...string) (wait func(...os.Signal) run) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "BANK_DSN="+d)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func(signals ...os.Signal) run {
		for _, sig := range signals {
			cmd.Process.Signal(sig)
		}
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return run{out.String(), errOut.String(), code}
	}
}

// TestRobinhoodCorrects: through the client, a Robinhood whose planned account a transfer
// takes between the plan and the claim plans again from its kept ranking, corrected for
// what changed (two plans, one ranking), and still conserves the money.
func TestRobinhoodCorrects(t *testing.T) {
	d := newDatabase(t)
	if r := client(t, d, "populate", "--customers", "3000", "--max-accounts", "4"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	db := dsnDatabase(d)
	before := psqlCSV(t, db)("SELECT total_balance FROM bank.audit()")
	// An account the plan will move: the first of those it claims.
	target := strings.TrimSpace(psqlCSV(t, db)(
		"SELECT (bank.robinhood_plan(10, 10, 1020)).accounts[1]"))
	// Another user writes it and holds the row until the Robinhood waits for it.
	other := openSession(t, db, "BEGIN; UPDATE bank.accounts SET balance = balance WHERE account_id = "+target+";")
	wait := startClient(t, d, "call", "robinhood")
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bank-client' AND wait_event_type = 'Lock'")
	other.send("COMMIT;")
	r := wait()
	if r.code != 0 || !strings.Contains(r.stderr, "(snapshot, 1 ranking(s), 2 plan(s))") {
		t.Fatalf("exit %d; want a second plan, corrected, without the lock:\n%s", r.code, r.stderr)
	}
	if after := psqlCSV(t, db)("SELECT total_balance FROM bank.audit()"); after != before {
		t.Fatalf("the bank held %s and now holds %s", before, after)
	}
}

// TestRobinhoodBesideVacuum: a VACUUM holds SHARE UPDATE EXCLUSIVE on accounts (an
// anti-wraparound autovacuum too, and never yields it). Robinhood's usual path does not
// conflict with it. Its last resort, EXCLUSIVE on the accounts, waits for it as any lock
// does, in the queue the deadlock detector sees, and transfers that come after queue behind
// it; all go on once the VACUUM ends.
func TestRobinhoodBesideVacuum(t *testing.T) {
	d, balances := moneyBank(t)
	db := dsnDatabase(d)
	vacuum := openSession(t, db, "BEGIN; LOCK TABLE bank.accounts IN SHARE UPDATE EXCLUSIVE MODE;")
	waitFor(t, d, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'second user' AND l.mode = 'ShareUpdateExclusiveLock' AND l.granted")

	if r := client(t, d, "call", "robinhood"); r.code != 0 || !strings.Contains(r.stderr, "(snapshot, ") {
		t.Fatalf("robinhood beside a VACUUM: exit %d\n%s", r.code, r.stderr)
	}

	// No tries: straight to the lock, which waits for the VACUUM; a transfer after it waits too.
	locked := openSession(t, db, "SET application_name = 'locked robinhood'; SET lock_timeout = '60s';"+
		" BEGIN; SELECT count(*) FROM bank.robinhood_run(10, 10, 1020, 0); SELECT current_setting('bank.robinhood_path'); COMMIT;")
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'locked robinhood' AND wait_event_type = 'Lock'")
	before := balances()
	transfer := startClient(t, d, "call", "transfer", "--from", "1", "--to", "2", "--amount", "0.01")
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bank-client' AND wait_event_type = 'Lock'")
	vacuum.send("COMMIT;")
	if err := locked.close(); err != nil || !strings.Contains(locked.out.String(), "locked, 1 ranking(s), 1 plan(s)") {
		t.Fatalf("the locked Robinhood: %v\n%s", err, locked.out.String())
	}
	if r := transfer(); r.code != 0 || balances() == before {
		t.Fatalf("the transfer queued behind the Robinhood: exit %d: %s", r.code, r.stderr)
	}
}

// transfersPass makes five transfers, each allowed to wait 2 s for a lock at most: all must
// commit, and the balances must move.
func transfersPass(t *testing.T, d string, balances func() string, when string) {
	t.Helper()
	before := balances()
	for i := range 5 {
		if r := client(t, d, "--lock-timeout", "2s", "call", "transfer", "--from", "1", "--to", "2", "--amount", "0.01"); r.code != 0 {
			t.Fatalf("transfer %d %s: exit %d: %s", i, when, r.code, r.stderr)
		}
	}
	if balances() == before {
		t.Fatalf("the transfers %s moved nothing", when)
	}
}
