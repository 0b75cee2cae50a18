package workload

import (
	"context"
	"fmt"
	"os"
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
			r, err := Run(context.Background(), db, Config{Workers: 8, Readers: 2, Duration: 3 * time.Second,
				RobinhoodEvery: tt.every, Seed: 1, MaxAmount: DefaultMaxAmount, Accounts: 40}, nil)
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
	kills := 0
	stop := whileRunning(250*time.Millisecond, func() {
		out, err := server.Psql(name, "-A", "-t", "-c", `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'bank-client' AND pid <> pg_backend_pid()`)
		if err == nil && strings.TrimSpace(out) != "0" {
			kills++
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(3*time.Second, func() { stop(); time.Sleep(500 * time.Millisecond); cancel() })
	r, err := Run(ctx, db, Config{Workers: 6, Readers: 2, Duration: time.Minute, RobinhoodEvery: 150 * time.Millisecond,
		Seed: 3, MaxAmount: DefaultMaxAmount}, nil)
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
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var committedAtRestart int64
			var report *Report
			var runErr error
			done := make(chan struct{})
			var progressMu sync.Mutex
			var last Progress
			go func() {
				defer close(done)
				report, runErr = Run(ctx, db, Config{Workers: 6, Readers: 2, Duration: time.Minute,
					RobinhoodEvery: 200 * time.Millisecond, Seed: 4, MaxAmount: DefaultMaxAmount, Accounts: 80},
					func(p Progress, _ Interval) { progressMu.Lock(); last = p; progressMu.Unlock() })
			}()
			time.Sleep(1500 * time.Millisecond)
			if err := server.Restart(mode); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1200 * time.Millisecond) // progress is reported once a second
			progressMu.Lock()
			committedAtRestart = last.Committed
			progressMu.Unlock()
			time.Sleep(2 * time.Second)
			cancel()
			<-done
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

// The checker is not a formality: money that appears outside the bench's transfers is
// caught by the readers and by the final per-account check.
func TestBenchCatchesMoneyFromNowhere(t *testing.T) {
	db, name := newBank(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(700*time.Millisecond, func() {
		if _, err := server.Psql(name, "-c", "UPDATE bank.accounts SET balance = balance + 0.01 WHERE account_id = 5"); err != nil {
			panic(err)
		}
		time.AfterFunc(500*time.Millisecond, cancel)
	})
	r, err := Run(ctx, db, Config{Workers: 2, Readers: 1, Duration: time.Minute, Seed: 5, MaxAmount: DefaultMaxAmount, Accounts: 20}, nil)
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
			r, err := Run(context.Background(), db, Config{Workers: 4, Readers: 4, Duration: 4 * time.Second,
				Seed: 5, MaxAmount: DefaultMaxAmount}, nil)
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
