package workload

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/pgtest"
)

// server is the single-node PostgreSQL; citus, a 3-node Citus cluster's coordinator (nil
// where Citus is not installed).
var server, citus *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.RunWithCitus(m, &server, &citus)) }

// newBank loads a small bank into a database of its own.
func newBank(t *testing.T) (*bank.DB, string) { return newBankOn(t, server) }

func newBankOn(t *testing.T, server *pgtest.Server) (*bank.DB, string) {
	t.Helper()
	name, err := server.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	db, err := bank.Open(context.Background(), server.DSN(name), bank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Populate(context.Background(), gen.Config{Customers: 300, MaxAccounts: 4, Seed: 3}, 2, nil); err != nil {
		t.Fatal(err)
	}
	return db, name
}

// whileRunning runs fault every interval until the bench is done.
func whileRunning(interval time.Duration, fault func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-time.After(interval):
				fault()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// running is a bench started by startBench, stopped by the test once what it needed has
// happened: the tests wait for conditions, not for seconds, so that a busy machine makes
// them slower, not wrong.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	report *Report
	err    error
	mu     sync.Mutex
	last   Progress
	seq    int // progress reports so far
	ticked chan struct{}
}

// startBench runs a bench with cfg until stop (Duration only bounds it), its progress
// reported every 100 ms.
func startBench(db *bank.DB, cfg Config) *running {
	ctx, cancel := context.WithCancel(context.Background())
	b := &running{cancel: cancel, done: make(chan struct{}), ticked: make(chan struct{}, 1)}
	cfg.Duration, cfg.Interval = 10*time.Minute, MinInterval
	go func() {
		defer close(b.done)
		b.report, b.err = Run(ctx, db, cfg, func(p Progress, _ Interval) {
			b.mu.Lock()
			b.last, b.seq = p, b.seq+1
			b.mu.Unlock()
			select {
			case b.ticked <- struct{}{}:
			default:
			}
		})
	}()
	return b
}

// until waits for the bench's progress to satisfy cond, and returns that progress.
func (b *running) until(t *testing.T, what string, cond func(p Progress, seq int) bool) Progress {
	t.Helper()
	bound := time.After(5 * time.Minute) // only a failure waits this long
	for {
		b.mu.Lock()
		p, seq := b.last, b.seq
		b.mu.Unlock()
		if cond(p, seq) {
			return p
		}
		select {
		case <-b.ticked:
		case <-b.done:
			t.Fatalf("the bench ended before %s: %v", what, b.err)
		case <-bound:
			b.stop()
			t.Fatalf("still not %s after 5 minutes: %+v", what, p)
		}
	}
}

// after waits for cond, like until, with no seq.
func (b *running) after(t *testing.T, what string, cond func(Progress) bool) Progress {
	t.Helper()
	return b.until(t, what, func(p Progress, _ int) bool { return cond(p) })
}

// now is a progress counted wholly after the call: the report being made as it is called
// may have counted before, the one after it cannot have.
func (b *running) now(t *testing.T) Progress {
	t.Helper()
	b.mu.Lock()
	from := b.seq
	b.mu.Unlock()
	return b.until(t, "reporting progress", func(_ Progress, seq int) bool { return seq >= from+2 })
}

// stop stops the load and returns the bench's report, after its final check.
func (b *running) stop() (*Report, error) {
	b.cancel()
	<-b.done
	return b.report, b.err
}

func mustPass(t *testing.T, r *Report, err error) {
	t.Helper()
	var sb strings.Builder
	if r != nil {
		r.Write(&sb)
	}
	t.Logf("\n%s", sb.String())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("verdict FAILED")
	}
	if r.Committed == 0 || r.Reads == 0 {
		t.Fatalf("the bench did nothing: %d committed, %d reads", r.Committed, r.Reads)
	}
}

// The load the bench is built for: many writers on few accounts (40), Robinhood often,
// readers throughout. No deadlock or serialization failure reaches a transfer. The same on
// a Citus cluster, where a read spans shards and Citus has no snapshot across them
// (bank.read_lock() stands in): readers' totals must hold there too.
func TestBenchUnderContention(t *testing.T) {
	for _, tt := range []struct {
		name   string
		server func(*testing.T) *pgtest.Server
		every  time.Duration
	}{
		{"one node", func(*testing.T) *pgtest.Server { return server }, 100 * time.Millisecond},
		{"Citus", func(t *testing.T) *pgtest.Server { return pgtest.CitusOrSkip(t, citus) }, 200 * time.Millisecond},
		{"Citus, coordinator in the metadata", func(t *testing.T) *pgtest.Server {
			return pgtest.CitusOrSkip(t, citus).WithCoordinatorInMetadata()
		}, 200 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newBankOn(t, tt.server(t))
			b := startBench(db, Config{Workers: 8, Readers: 2, RobinhoodEvery: tt.every, Seed: 1,
				MaxAmount: DefaultMaxAmount, Accounts: 40})
			b.after(t, "3 s of load with refusals and Robinhoods", func(p Progress) bool {
				return p.Elapsed >= 3*time.Second && p.Refused > 0 && p.Robinhoods >= 2 && p.Reads > 0
			})
			r, err := b.stop()
			mustPass(t, r, err)
			if r.Refused == 0 || r.Robinhoods == 0 {
				t.Errorf("want refusals and Robinhoods, got %d and %d", r.Refused, r.Robinhoods)
			}
			if len(r.ErrorsByCode) != 0 || r.InDoubt != 0 {
				t.Errorf("errors %v, %d in doubt; want none without faults", r.ErrorsByCode, r.InDoubt)
			}
		})
	}
}

// TestBenchCountsTransfers: --transfers N sends N transfers, whether the workers go as fast
// as they can or wait for their slots on a schedule (one worker's running out must not
// cancel another's wait for the last slot), and the run then ends, Robinhood's loop too.
func TestBenchCountsTransfers(t *testing.T) {
	db, _ := newBank(t)
	for _, tt := range []struct {
		workers   int
		transfers int64
		rate      float64
		robinhood time.Duration
	}{
		{3, 500, 0, 0},
		{2, 3, 20, 0}, // --transfers 3 --rate 1 with 2 workers sent 2
		{4, 9, 50, 0},
		{2, 5, 50, 20 * time.Millisecond},
	} {
		t.Run(fmt.Sprintf("%d workers, %d at %g/s", tt.workers, tt.transfers, tt.rate), func(t *testing.T) {
			r, err := Run(context.Background(), db, Config{Workers: tt.workers, Readers: 1, Transfers: tt.transfers,
				Rate: tt.rate, RobinhoodEvery: tt.robinhood, Seed: 2, MaxAmount: 1_00}, nil) // small: most commit
			mustPass(t, r, err)
			if n := r.Committed + r.Refused; n != tt.transfers {
				t.Errorf("%d transfers answered, want %d", n, tt.transfers)
			}
		})
	}
}

// Backends killed mid-transaction: workers reconnect and go on; transfers whose answer
// was lost are in doubt, and the checker decides each.
func TestBenchSurvivesKilledBackends(t *testing.T) {
	db, name := newBank(t)
	b := startBench(db, Config{Workers: 6, Readers: 2, RobinhoodEvery: 150 * time.Millisecond, Seed: 3, MaxAmount: DefaultMaxAmount})
	b.after(t, "a transfer committed", func(p Progress) bool { return p.Committed > 0 })
	kills := 0
	stop := whileRunning(250*time.Millisecond, func() {
		out, err := server.Psql(name, "-A", "-t", "-c", `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'bank-client' AND pid <> pg_backend_pid()`)
		if err == nil && strings.TrimSpace(out) != "0" {
			kills++
		}
	})
	b.after(t, "3 s of kills, and workers reconnected", func(p Progress) bool {
		return p.Elapsed >= 3*time.Second && p.Reconnects >= 3
	})
	stop()
	// And once the kills have stopped, the workers go on.
	at := b.now(t).Committed
	b.after(t, "a transfer committed after the kills", func(p Progress) bool { return p.Committed > at })
	r, err := b.stop()
	mustPass(t, r, err)
	if kills == 0 || r.Reconnects == 0 {
		t.Errorf("%d kill rounds, %d reconnects: the fault was not injected", kills, r.Reconnects)
	}
	for code := range r.ErrorsByCode {
		if !bank.ConnectionLost(&bank.Error{Code: code}) {
			t.Errorf("error %s (%d times) besides lost connections", code, r.ErrorsByCode[code])
		}
	}
}

// The server restarted during a bench, fast (clean shutdown) and immediate (crash and
// recovery): the bench waits, resumes, and every committed transfer survived.
func TestBenchSurvivesRestart(t *testing.T) {
	for _, mode := range []string{"fast", "immediate"} {
		t.Run(mode, func(t *testing.T) {
			db, _ := newBank(t)
			b := startBench(db, Config{Workers: 6, Readers: 2, RobinhoodEvery: 200 * time.Millisecond, Seed: 4,
				MaxAmount: DefaultMaxAmount, Accounts: 80})
			b.after(t, "a transfer committed", func(p Progress) bool { return p.Committed > 0 })
			if err := server.Restart(mode); err != nil {
				b.stop()
				t.Fatal(err)
			}
			committedAtRestart := b.now(t).Committed
			b.after(t, "a transfer committed after the restart", func(p Progress) bool {
				return p.Committed > committedAtRestart && p.Reconnects > 0
			})
			report, runErr := b.stop()
			mustPass(t, report, runErr)
			if report.Reconnects == 0 {
				t.Error("no reconnects: the restart did not reach the bench")
			}
			if report.Committed <= committedAtRestart {
				t.Errorf("no transfer committed after the restart (%d before, %d in all)", committedAtRestart, report.Committed)
			}
		})
	}
}

// A bench stopped while its workers wait for the server to come back ends with the
// checker's verdict on the bank, not with "could not reconnect": stopping it was asked for.
func TestBenchStoppedWhileReconnecting(t *testing.T) {
	db, name := newBank(t)
	b := startBench(db, Config{Workers: 4, Readers: 1, Seed: 6, MaxAmount: DefaultMaxAmount})
	// The reader has read and every worker has sent a transfer: one still opening its first
	// session when the server goes would wait out its whole reconnect time before it counted.
	b.after(t, "a transfer committed and a read", func(p Progress) bool { return p.Committed > 0 && p.Reads > 0 })
	for bound := time.Now().Add(5 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		out, err := server.Psql(name, "-A", "-t", "-c", `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'bank-client' AND query LIKE '%transfer(%'`)
		if err != nil {
			b.stop()
			t.Fatal(out)
		}
		if n, _ := strconv.Atoi(strings.TrimSpace(out)); n >= 4 {
			break
		}
		if time.Now().After(bound) {
			b.stop()
			t.Fatalf("after 5 minutes, %s of the 4 workers had sent a transfer", strings.TrimSpace(out))
		}
	}
	if err := server.Down(); err != nil {
		b.stop()
		t.Fatal(err)
	}
	b.after(t, "every worker and the reader reconnecting", func(p Progress) bool { return p.Reconnects >= 5 })
	// Back up for the final check; the workers are still between tries (50 ms to 1 s).
	if err := server.Up(); err != nil {
		b.stop()
		t.Fatal(err)
	}
	r, err := b.stop()
	mustPass(t, r, err)
}

// The checker is not a formality: money that appears outside the bench's transfers is
// caught by the readers and by the final per-account check.
func TestBenchCatchesMoneyFromNowhere(t *testing.T) {
	db, name := newBank(t)
	b := startBench(db, Config{Workers: 2, Readers: 1, Seed: 5, MaxAmount: DefaultMaxAmount, Accounts: 20})
	b.after(t, "a read", func(p Progress) bool { return p.Reads > 0 })
	if _, err := server.Psql(name, "-c", "UPDATE bank.accounts SET balance = balance + 0.01 WHERE account_id = 5"); err != nil {
		b.stop()
		t.Fatal(err)
	}
	// The one reader's next read may have begun before the money appeared; the one after not.
	at := b.now(t).Reads
	b.after(t, "two more reads", func(p Progress) bool { return p.Reads >= at+2 })
	r, err := b.stop()
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(r.Violations, "\n")
	for _, want := range []string{"account 5 holds", "0.01 unaccounted for", "read "} {
		if !strings.Contains(joined, want) {
			t.Errorf("violations lack %q:\n%s", want, joined)
		}
	}
	if r.OK() {
		t.Error("verdict OK after money appeared")
	}
}

// On Citus, four readers open their snapshots through bank.read_gate() while transfers
// commit across nodes, and Citus's distributed deadlock detector looks every 200 ms:
// every read sees the starting total, and no transfer is cancelled as a deadlock (each
// locks its two rows in key order, so none is real), so there is nothing to retry. A gate
// session without a distributed transaction id would be lumped with the others and cancel
// transfers here.
func TestCitusGatedReaders(t *testing.T) {
	c := pgtest.CitusOrSkip(t, citus)
	for _, s := range []*pgtest.Server{c, c.WithCoordinatorInMetadata()} {
		t.Run(s.Layout(), func(t *testing.T) {
			db, name := newBankOn(t, s)
			if out, err := s.Psql(name, "-c", "ALTER DATABASE "+name+" SET deadlock_timeout = '100ms'"); err != nil {
				t.Fatal(out)
			}
			b := startBench(db, Config{Workers: 4, Readers: 4, Seed: 5, MaxAmount: DefaultMaxAmount})
			b.after(t, "4 s of load, 20 reads and 100 transfers", func(p Progress) bool {
				return p.Elapsed >= 4*time.Second && p.Reads >= 20 && p.Committed >= 100
			})
			r, err := b.stop()
			mustPass(t, r, err)
			if r.Retries != 0 || len(r.ErrorsByCode) != 0 {
				t.Errorf("%d retries, errors %v: want none", r.Retries, r.ErrorsByCode)
			}
			if r.Reads < 20 || r.Committed < 100 {
				t.Errorf("only %d reads and %d transfers", r.Reads, r.Committed)
			}
		})
	}
}
