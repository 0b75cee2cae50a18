package cli

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"funwithbanking/client/internal/dsn"
)

// A bank of 40 customers for the tests below, and a reader of every balance.
func moneyBank(t *testing.T) (string, func() string) {
	t.Helper()
	d := newDatabase(t)
	if r := client(t, d, "populate", "--customers", "40", "--max-accounts", "3"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	balances := func() string {
		t.Helper()
		out, err := server.Psql(dsnDatabase(d), "-A", "-t", "-c",
			"SELECT string_agg(account_id || ':' || balance, ',' ORDER BY account_id) FROM bank.accounts")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return d, balances
}

func balanceOf(t *testing.T, d string, account string) string {
	t.Helper()
	out, err := server.Psql(dsnDatabase(d), "-A", "-t", "-c", "SELECT balance FROM bank.accounts WHERE account_id = "+account)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// TestIntegersAreBase10: every integer flag reads base 10. A leading zero is a zero, not
// octal; Go's other prefixes and exponents are refused.
func TestIntegersAreBase10(t *testing.T) {
	d, balances := moneyBank(t)
	for _, tt := range []struct {
		from string
		want string // the account debited, or "" for a refusal with exit 2
	}{
		{"010", "10"}, {"08", "8"}, {"+5", "5"}, {" 5", "5"}, {"0000000000000000000007", "7"},
		{"0x10", ""}, {"0b11", ""}, {"0o7", ""}, {"1e3", ""}, {"1_000", ""}, {"5.0", ""}, {"", ""},
	} {
		t.Run(tt.from, func(t *testing.T) {
			before := balances()
			var debited string
			if tt.want != "" {
				debited = balanceOf(t, d, tt.want)
			}
			r := client(t, d, "call", "transfer", "--from", tt.from, "--to", "2", "--amount", "0.01", "--format", "csv")
			if tt.want == "" {
				if r.code != 2 || !strings.Contains(r.stderr, "--from") || balances() != before {
					t.Fatalf("exit %d (want 2, and nothing moved): %s", r.code, r.stderr)
				}
				return
			}
			if r.code != 0 || !strings.HasPrefix(strings.SplitN(r.stdout, "\n", 3)[1], tt.want+",") {
				t.Fatalf("exit %d, want a transfer from account %s:\n%s%s", r.code, tt.want, r.stdout, r.stderr)
			}
			if after := balanceOf(t, d, tt.want); after == debited {
				t.Fatalf("account %s still holds %s", tt.want, after)
			}
		})
	}
	for _, args := range [][]string{
		{"populate", "--seed", "0x10"}, {"--port", "0x1538", "call", "audit"}, {"call", "top-states", "--limit", "1e1"},
	} {
		if r := client(t, d, args...); r.code != 2 || !strings.Contains(r.stderr, "base 10") {
			t.Errorf("%v: exit %d (want 2): %s", args, r.code, r.stderr)
		}
	}
	// 010 as a seed is seed 10.
	r := client(t, d, "populate", "--customers", "5", "--seed", "010")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Populated from seed 10:") {
		t.Fatalf("--seed 010: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

// clientWithStdout runs the client with standard output on f (nil: closed).
func clientWithStdout(t *testing.T, d string, f *os.File, args ...string) run {
	t.Helper()
	cmd := exec.Command(binary, args...)
	if f == nil {
		// A nil Stdout is /dev/null to exec: the shell closes descriptor 1 (>&-) instead.
		cmd = exec.Command("sh", append([]string{"-c", `exec "$0" "$@" >&-`, binary}, args...)...)
	} else {
		cmd.Stdout = f
	}
	cmd.Env = append(os.Environ(), "BANK_DSN="+d)
	return runCmd(t, cmd)
}

// brokenPipe is a pipe whose reader is gone: writes fail with EPIPE (and would kill a
// program that lets SIGPIPE do so, before it could say what it had committed).
func brokenPipe(t *testing.T) *os.File {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

// TestOutputLostAfterCommit: when the result of a change cannot be written, the exit
// status and the message still say that the change happened (4), so that a script does
// not send it again; a read that cannot write its result fails (1).
func TestOutputLostAfterCommit(t *testing.T) {
	d, balances := moneyBank(t)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	for _, tt := range []struct {
		args    []string
		out     *os.File
		code    int
		want    string
		changes bool
	}{
		{[]string{"call", "transfer", "--from", "1", "--to", "2", "--amount", "1.00"}, full, 4, "the transfer (transaction ", true},
		{[]string{"call", "transfer", "--from", "1", "--to", "2", "--amount", "1.00"}, nil, 4, "the transfer (transaction ", true},
		{[]string{"call", "robinhood", "--format", "json"}, full, 4, "the Robinhood (transaction ", true},
		{[]string{"call", "robinhood", "--format", "csv"}, brokenPipe(t), 4, "the Robinhood (transaction ", true},
		{[]string{"populate", "--customers", "40", "--max-accounts", "3", "--seed", "9"}, full, 4, "the load committed", true},
		{[]string{"call", "audit"}, full, 1, "could not write the result", false},
	} {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			before := balances()
			r := clientWithStdout(t, d, tt.out, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") > 2 {
				t.Fatalf("exit %d (want %d), stderr should say %q:\n%s", r.code, tt.code, tt.want, r.stderr)
			}
			if changed := balances() != before; changed != tt.changes {
				t.Fatalf("the bank changed: %v, want %v", changed, tt.changes)
			}
		})
	}
}

// TestInterruptedTransfer: Ctrl-C while a transfer waits for a row lock stops it before
// COMMIT: exit 1, "nothing changed", and once the lock is gone the money has not moved.
func TestInterruptedTransfer(t *testing.T) {
	d, balances := moneyBank(t)
	before := balances()
	// The lock is held until the transfer has been interrupted, however long that takes.
	holder := openSession(t, dsnDatabase(d), "BEGIN; SELECT 1 FROM bank.accounts WHERE account_id = 2 FOR UPDATE;")
	waitFor(t, d, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'second user' AND l.locktype = 'transactionid'")

	cmd := exec.Command(binary, "call", "transfer", "--from", "1", "--to", "2", "--amount", "0.01")
	cmd.Env = append(os.Environ(), "BANK_DSN="+d)
	var stderr bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bank-client' AND wait_event_type = 'Lock'")
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 1 || !strings.Contains(stderr.String(), "interrupted before COMMIT: rolled back, nothing changed") {
		t.Fatalf("exit %d (want 1): %s", code, stderr.String())
	}
	holder.send("COMMIT;")
	if err := holder.close(); err != nil {
		t.Fatalf("the lock's holder: %v\n%s", err, holder.out.String())
	}
	if after := balances(); after != before {
		t.Fatal("an interrupted transfer moved money")
	}
}

// waitFor polls q in database d until it returns a count above zero.
func waitFor(t *testing.T, d, q string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := server.Psql(dsnDatabase(d), "-A", "-t", "-c", q)
		if err == nil && strings.TrimSpace(out) != "0" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for: %s", q)
}

// commitCutter is a TCP proxy in front of the server that loses the first COMMIT it sees:
// it either passes it on and then drops the connection (the transaction commits, and the
// client never hears so), or drops the connection without passing it on (the transaction
// rolls back); with refuse, it also refuses every later connection, so that nobody can ask.
type commitCutter struct {
	ln      net.Listener
	forward bool
	refuse  bool
	mu      sync.Mutex
	cut     bool
}

func newCommitCutter(t *testing.T, forward, refuse bool) *commitCutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &commitCutter{ln: ln, forward: forward, refuse: refuse}
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *commitCutter) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *commitCutter) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refused := p.cut && p.refuse
		p.mu.Unlock()
		if refused {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(server.Port))
		if err != nil {
			c.Close()
			continue
		}
		go func() { io.Copy(c, s); c.Close() }()
		go p.upstream(c, s)
	}
}

func (p *commitCutter) upstream(c, s net.Conn) {
	defer s.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		chunk := buf[:n]
		p.mu.Lock()
		cut := !p.cut && bytes.Contains(chunk, []byte("COMMIT\x00"))
		if cut {
			p.cut = true
		}
		p.mu.Unlock()
		if cut {
			c.Close() // the client hears nothing more
			if p.forward {
				s.Write(chunk)
				time.Sleep(300 * time.Millisecond) // the server reads COMMIT before it sees the connection go
			}
			return
		}
		if _, err := s.Write(chunk); err != nil {
			return
		}
	}
}

// TestCommitLost: a connection lost during COMMIT is settled by asking the bank how the
// transaction ended: committed (exit 0, the result, and a note), rolled back (exit 1,
// nothing changed), or nobody can tell (exit 3, the transaction id to look up).
func TestCommitLost(t *testing.T) {
	d, balances := moneyBank(t)
	db := dsnDatabase(d)
	for _, tt := range []struct {
		name            string
		forward, refuse bool
		code            int
		want            string
		moved           bool
	}{
		{"committed", true, false, 0, "the bank says transaction", true},
		{"rolled back", false, false, 1, "was rolled back: nothing changed", false},
		{"nobody to ask", true, true, 3, "in doubt: the connection was lost during COMMIT of the transfer", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := balances()
			p := newCommitCutter(t, tt.forward, tt.refuse)
			r := client(t, dsn.For(p.port(), db), "call", "transfer", "--from", "3", "--to", "4", "--amount", "0.01")
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d (want %d), stderr should say %q:\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if tt.code == 0 && !strings.Contains(r.stdout, "Transferred 0.01 from account 3 to account 4") {
				t.Errorf("a transfer that committed printed no result:\n%s", r.stdout)
			}
			if tt.code == 3 && !strings.Contains(r.stderr, "SELECT pg_xact_status('") {
				t.Errorf("an in-doubt transfer does not say how to settle it: %s", r.stderr)
			}
			// Wait out the backend whose client went away, then look.
			waitFor(t, d, "SELECT (count(*) = 0)::int FROM pg_stat_activity WHERE application_name = 'bank-client' AND state <> 'idle'")
			if moved := balances() != before; moved != tt.moved {
				t.Fatalf("money moved: %v, want %v", moved, tt.moved)
			}
		})
	}
}
