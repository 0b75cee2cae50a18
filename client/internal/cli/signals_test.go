package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"funwithbanking/client/internal/dsn"
)

// stopSignalsTested are the signals that stop the client as Ctrl-C does: SIGTERM is what
// timeout(1), docker stop and systemd send; SIGHUP what a closed terminal sends.
var stopSignalsTested = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// outputDeadline bounds every wait below for what a running client writes or does.
const outputDeadline = 30 * time.Second

// watched is a client's output as it comes, for tests that wait for a line of it.
type watched struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newWatched() *watched { return &watched{changed: make(chan struct{}, 1)} }

func (w *watched) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return w.b.Write(p)
}

func (w *watched) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// waitFor returns once the output holds want, or an error when the process ends (exited
// is closed) or the deadline passes first.
func (w *watched) waitFor(want string, exited <-chan struct{}) error {
	deadline := time.After(outputDeadline)
	for !strings.Contains(w.String(), want) {
		select {
		case <-w.changed:
		case <-exited:
			if strings.Contains(w.String(), want) {
				return nil
			}
			return fmt.Errorf("the client ended without writing %q", want)
		case <-deadline:
			return fmt.Errorf("no %q within %s", want, outputDeadline)
		}
	}
	return nil
}

// started is a client running in the background, its output watched.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr *watched
	exited         chan struct{}
	code           int
}

func startWatched(t *testing.T, d string, args ...string) *started {
	t.Helper()
	s := &started{cmd: exec.Command(binary, args...), stdout: newWatched(), stderr: newWatched(), exited: make(chan struct{})}
	s.cmd.Env = append(os.Environ(), "BANK_DSN="+d)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.cmd.Wait()
		s.code = s.cmd.ProcessState.ExitCode() // -1 when a signal killed it
		close(s.exited)
	}()
	t.Cleanup(func() { s.cmd.Process.Kill(); <-s.exited })
	return s
}

// stop sends sig and waits for the client to say it is stopping.
func (s *started) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if err := s.stderr.waitFor(fmt.Sprintf("client: %s: stopping", signalNames[sig]), s.exited); err != nil {
		select {
		case <-s.exited:
			t.Fatalf("%v: exit %d\n%s%s", err, s.code, s.stdout.String(), s.stderr.String())
		default:
			t.Fatalf("%v\n%s%s", err, s.stdout.String(), s.stderr.String())
		}
	}
}

// wait returns the exit status, -1 when a signal killed the client.
func (s *started) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.exited:
		return s.code
	case <-time.After(outputDeadline):
		t.Fatalf("still running %s later:\n%s%s", outputDeadline, s.stdout.String(), s.stderr.String())
	}
	return 0
}

// TestStopSignals: SIGTERM and SIGHUP stop a call as Ctrl-C does. Before COMMIT, the call
// is rolled back (exit 1, nothing moved); once COMMIT is sent, the client waits for its
// answer and reports it: here the answer is lost and nobody can be asked, so it is in doubt
// (exit 3, the transaction named), and the money did move.
func TestStopSignals(t *testing.T) {
	d, balances := moneyBank(t)
	db := dsnDatabase(d)
	for _, sig := range stopSignalsTested {
		t.Run(signalNames[sig]+" before COMMIT", func(t *testing.T) {
			before := balances()
			holder := openSession(t, db, "BEGIN; SELECT 1 FROM bank.accounts WHERE account_id = 2 FOR UPDATE;")
			waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'second user' AND state = 'idle in transaction'")
			c := startWatched(t, d, "call", "transfer", "--from", "1", "--to", "2", "--amount", "0.01")
			waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bank-client' AND wait_event_type = 'Lock'")
			c.stop(t, sig)
			if code := c.wait(t); code != 1 || !strings.Contains(c.stderr.String(), "interrupted before COMMIT: rolled back, nothing changed") {
				t.Fatalf("exit %d (want 1): %s", code, c.stderr.String())
			}
			holder.send("COMMIT;")
			holder.close()
			if after := balances(); after != before {
				t.Fatal("an interrupted transfer moved money")
			}
		})
		t.Run(signalNames[sig]+" during COMMIT", func(t *testing.T) {
			before := balances()
			p := newCommitCutter(t, true, true)
			held, release := p.holding(t)
			c := startWatched(t, dsn.For(p.port(), db), "call", "transfer", "--from", "3", "--to", "4", "--amount", "0.01")
			select {
			case <-held:
			case <-c.exited:
				t.Fatalf("the client ended before COMMIT: exit %d\n%s", c.code, c.stderr.String())
			}
			c.stop(t, sig)
			release()
			code := c.wait(t)
			if code != 3 || !strings.Contains(c.stderr.String(), "in doubt: the connection was lost during COMMIT of the transfer") ||
				!strings.Contains(c.stderr.String(), "SELECT pg_xact_status('") {
				t.Fatalf("exit %d (want 3, the transaction named):\n%s", code, c.stderr.String())
			}
			waitFor(t, d, "SELECT (count(*) = 0)::int FROM pg_stat_activity WHERE application_name = 'bank-client' AND state <> 'idle'")
			if balances() == before {
				t.Fatal("the COMMIT passed on did not move the money")
			}
		})
	}
}

// signalNames are the names the client gives the signals in its message.
var signalNames = map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP"}
