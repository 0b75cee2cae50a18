package bank

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// TestConcurrentTransfersRobinhoodAndReports: goroutines move money between random
// accounts while Robinhood and the reports run. Every reader sees the starting total to
// the cent, no error but "insufficient funds" reaches a transfer (no deadlock, no
// serialization failure), and at the end the total is unchanged and nothing is negative.
func TestConcurrentTransfersRobinhoodAndReports(t *testing.T) {
	const (
		transferWorkers = 12
		transfersEach   = 250
		robinhoods      = 8
	)
	ctx := context.Background()
	db, _ := newBank(t, Options{MaxConns: transferWorkers + 4})
	cfg := gen.Config{Customers: 300, MaxAccounts: 4, Seed: 9}
	sum, err := db.Populate(ctx, cfg, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, err := db.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var (
		wg                     sync.WaitGroup
		committed, refused     atomic.Int64
		stopReaders            = make(chan struct{})
		errs                   = make(chan error, 100)
		readerChecks, robinRun atomic.Int64
	)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for w := range transferWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for range transfersEach {
				// A small pool of accounts, so that transfers collide with each other and with Robinhood.
				from, to := 1+r.Int64N(40), 1+r.Int64N(40)
				if from == to {
					continue
				}
				amount := money.Cents(1 + r.Int64N(2_000_000))
				_, _, err := db.Transfer(ctx, from, to, amount)
				switch Code(err) {
				case "":
					if err != nil {
						fail(err)
						return
					}
					committed.Add(1)
				case CodeInsufficientFunds:
					refused.Add(1)
				default:
					fail(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range robinhoods {
			if _, err := db.Robinhood(ctx, "10", 10); err != nil {
				fail(err)
				return
			}
			robinRun.Add(1)
		}
	}()
	readers := auditReaders(t, db, 2, stopReaders, func(Audit) error {
		_, err := db.TopCustomers(ctx, 10)
		return err
	})
	wg.Wait()
	close(stopReaders)
	seen := readers()
	for a, n := range seen {
		if a != before {
			t.Errorf("a reader saw %+v (%d times); the bank is %+v", a, n, before)
		}
		readerChecks.Add(int64(n))
	}
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v (SQLSTATE %q)", err, Code(err))
	}

	after, err := db.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before || after.TotalBalance != money.TotalOf(sum.Total) {
		t.Fatalf("after the storm audit = %+v, want %+v", after, before)
	}
	if committed.Load() == 0 || refused.Load() == 0 || robinRun.Load() != robinhoods || readerChecks.Load() == 0 {
		t.Fatalf("the storm did not exercise everything: %d committed, %d refused, %d robinhoods, %d reads",
			committed.Load(), refused.Load(), robinRun.Load(), readerChecks.Load())
	}
	t.Logf("%d transfers committed, %d refused, %d robinhoods, %d consistent reads",
		committed.Load(), refused.Load(), robinRun.Load(), readerChecks.Load())
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if err := server.NewEmptyDatabase("no_schema"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dsn, want string
	}{
		{"no schema", server.DSN("no_schema"), "no bank schema"},
		{"no database", server.DSN("no_such_db"), "does not exist"},
		{"no server", "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Database=bank;Uid=postgres;", "cannot reach the database"},
		{"no driver", "Driver={No Such Driver};Server=127.0.0.1;Port=1;Database=bank;", "ODBC driver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(ctx, tt.dsn, Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: %v; want it to say %q", err, tt.want)
			}
		})
	}
}
