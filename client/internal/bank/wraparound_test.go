package bank

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"funwithbanking/client/internal/pgtest"
)

// edge is 2^32 - 1,000,000: a correction whose snapshot's next id lies at edge, edge+1 or
// edge+2 is where a window computed as "a million ids past the newest" lands on the special
// ids 0, 1 and 2.
const edge = 1<<32 - 1_000_000

// TestRobinhoodCorrectsAtTheWraparoundEdge: a transfer holds the richest customer's account,
// moves half of it away (customer 2 becomes the richest) and commits as the transaction
// just below the edge, while a Robinhood waits for that account; the Robinhood's correction
// then takes its snapshot at the edge. It must see the transfer and take from customer 2.
func TestRobinhoodCorrectsAtTheWraparoundEdge(t *testing.T) {
	s, err := pgtest.StartAtXid(edge - 20_000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	name, err := s.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	q := func(sql string) string {
		out, err := s.Psql(name, "-A", "-t", "-c", sql)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	if out, err := s.Psql(name, "-f", filepath.Join(isolationDir(), "bank.sql"), "-c", "SELECT isolation_bank()"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Use up ids until the next one is edge - 1: the transfer's.
	last, _ := strconv.ParseUint(q("SELECT txid_current()"), 10, 64)
	q(fmt.Sprintf("DO $$ BEGIN FOR i IN 1..%d LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$", edge-2-last))

	transfer := psqlSession(t, s, name)
	transfer.send("BEGIN; SELECT bank.transfer(1, 3, 500.00); SELECT 'xid ' || pg_current_xact_id();")
	if got := transfer.line(t, "xid "); got != fmt.Sprint(edge-1) {
		t.Fatalf("the transfer's transaction is %s, not %d: something else took an id", got, edge-1)
	}
	robinhood := psqlSession(t, s, name)
	robinhood.send("SET application_name = 'robinhood'; BEGIN; SELECT 'moves ' || string_agg(m::text, ' ') FROM bank.robinhood(10, 1) m;" +
		" SELECT 'path ' || current_setting('bank.robinhood_path'); SELECT 'snapshot ' || current_setting('bank.robinhood_snapshot'); COMMIT;")
	for deadline := time.Now().Add(30 * time.Second); q("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'robinhood' AND wait_event_type = 'Lock'") != "1"; {
		if time.Now().After(deadline) {
			t.Fatal("the Robinhood never waited for the transfer's account")
		}
		time.Sleep(20 * time.Millisecond)
	}
	transfer.send("COMMIT;")
	moves, path, snap := robinhood.line(t, "moves "), robinhood.line(t, "path "), robinhood.line(t, "snapshot ")
	xmax, _ := strconv.ParseUint(strings.Split(snap, ":")[1], 10, 64)
	if xmax < edge || xmax > edge+2 {
		t.Fatalf("the correction's snapshot %s is not at the edge %d: the test missed its mark", snap, edge)
	}
	if moves != "(2,2,6,6,90.00)" || path != "snapshot, 1 ranking(s), 2 plan(s)" {
		t.Errorf("at the edge (snapshot %s), Robinhood moved %s (%s); want customer 2 to give 90.00 to customer 6, corrected",
			snap, moves, path)
	}
}

// session is a psql process fed line by line, whose output is read as it comes.
type session struct {
	in  io.WriteCloser
	out *bufio.Scanner
	cmd *exec.Cmd
}

func psqlSession(t *testing.T, s *pgtest.Server, db string) *session {
	t.Helper()
	cmd := exec.Command(filepath.Join(s.BinDir, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", db)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	return &session{in: in, out: bufio.NewScanner(out), cmd: cmd}
}

func (s *session) send(sql string) { fmt.Fprintln(s.in, sql) }

// line returns what follows prefix on the next line that starts with it; an error line or
// the end of the output fails the test.
func (s *session) line(t *testing.T, prefix string) string {
	t.Helper()
	for s.out.Scan() {
		l := s.out.Text()
		if strings.HasPrefix(l, prefix) {
			return strings.TrimPrefix(l, prefix)
		}
		if strings.Contains(l, "ERROR") {
			t.Fatalf("psql: %s", l)
		}
	}
	t.Fatalf("psql ended before a line starting %q", prefix)
	return ""
}
