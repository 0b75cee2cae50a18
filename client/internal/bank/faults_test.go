package bank

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// flood runs transfer goroutines on accounts 1..accounts until stop is closed, each on a
// Session of its own, and fails the test on any error but a refusal (or, when allowed,
// an unknown account). What it returns waits for them and gives every transfer that
// committed, with its transaction id; committed counts them as they commit.
func flood(t *testing.T, db *DB, workers int, accounts int64, allowUnknown bool, stop <-chan struct{}) (wait func() []change, committed *atomic.Int64) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var log []change
	committed = new(atomic.Int64)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			s, err := db.Session(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				from, to := 1+r.Int64N(accounts), 1+r.Int64N(accounts)
				if from == to {
					continue
				}
				amount := money.Cents(1 + r.Int64N(100_000))
				_, xid, err := s.Transfer(ctx, from, to, amount)
				switch c := Code(err); {
				case err == nil:
					mu.Lock()
					log = append(log, change{parseXID(t, xid), map[int64]money.Cents{from: -amount, to: amount}})
					mu.Unlock()
					committed.Add(1)
				case c == CodeInsufficientFunds, allowUnknown && c == CodeUnknownAccount:
				default:
					t.Errorf("transfer %d -> %d: %v (SQLSTATE %s)", from, to, err, c)
					return
				}
			}
		}()
	}
	return func() []change { wg.Wait(); return log }, committed
}

// waitUntil polls cond until it holds; only a failure waits out the bound.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for bound := time.Now().Add(5 * time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(bound) {
			t.Fatalf("still not %s after 5 minutes", what)
		}
	}
}

// auditReaders starts n goroutines that read bank.audit() (one snapshot each), and also
// run also (if not nil) with what each read, until stop is closed. The function it returns waits for them and
// counts each distinct audit seen.
func auditReaders(t *testing.T, db *DB, n int, stop <-chan struct{}, also func(Audit) error) func() map[Audit]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[Audit]int{}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				a, err := db.Audit(context.Background())
				if err == nil && also != nil {
					err = also(a)
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[a]++
				mu.Unlock()
			}
		}()
	}
	return func() map[Audit]int { wg.Wait(); return seen }
}

// TestConcurrentPopulates: two populates at once, while transfers run and readers audit.
// Readers only ever see a whole bank (the old one or either new one), and the end state is
// one complete bank: the one whose load committed last.
func TestConcurrentPopulates(t *testing.T) {
	ctx := context.Background()
	db, _ := newBank(t, Options{})
	banks := []gen.Config{
		{Customers: 800, MaxAccounts: 3, Seed: 21},
		{Customers: 1500, MaxAccounts: 4, Seed: 22},
		{Customers: 1100, MaxAccounts: 5, Seed: 23},
	}
	whole := map[Audit]int{} // audit of each complete bank -> its index
	for i := len(banks) - 1; i >= 0; i-- {
		if _, err := db.Populate(ctx, banks[i], 2, nil); err != nil {
			t.Fatal(err)
		}
		a, err := db.Audit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		whole[a] = i
	}
	// banks[0] is loaded now. Transfers on ids every bank has; they conserve each total.
	stop := make(chan struct{})
	wait, committed := flood(t, db, 4, 1000, true, stop)
	var readsMu sync.Mutex
	readOf := map[Audit]int{}
	readers := auditReaders(t, db, 2, stop, func(a Audit) error {
		readsMu.Lock()
		readOf[a]++
		readsMu.Unlock()
		return nil
	})
	// The loads begin once a transfer has committed and a reader has seen banks[0]; they end
	// once a transfer has committed and a reader has seen the last load's bank.
	waitUntil(t, "a transfer and a read before the loads", func() bool {
		readsMu.Lock()
		defer readsMu.Unlock()
		return committed.Load() > 0 && len(readOf) > 0
	})
	var loads sync.WaitGroup
	finished := make([]time.Time, len(banks))
	for i := 1; i < len(banks); i++ {
		loads.Add(1)
		go func() {
			defer loads.Done()
			// Committed, not returned: a load's VACUUM after its commit may wait for the
			// other load.
			sum, err := db.Populate(ctx, banks[i], 2, nil)
			if err != nil {
				t.Errorf("populate %d: %v", i, err)
			}
			finished[i] = sum.CommittedAt
		}()
	}
	loads.Wait()
	end, err := db.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := committed.Load()
	waitUntil(t, "a transfer and a read of the end state after the loads", func() bool {
		readsMu.Lock()
		defer readsMu.Unlock()
		return committed.Load() > before && readOf[end] > 0
	})
	close(stop)
	seen := readers()
	transfers := len(wait())

	reads := 0
	for a, n := range seen {
		reads += n
		if _, ok := whole[a]; !ok {
			t.Errorf("a reader saw %+v (%d times), which is none of the whole banks", a, n)
		}
	}
	last := 1
	if finished[2].After(finished[1]) {
		last = 2
	}
	if i, ok := whole[end]; !ok || i != last {
		t.Fatalf("the end state %+v is bank %d (ok=%v), want bank %d, whose load committed last", end, i, ok, last)
	}
	t.Logf("%d reads saw %d distinct whole banks; %d transfers committed meanwhile", reads, len(seen), transfers)
	if transfers == 0 || len(seen) < 2 {
		t.Errorf("the test did not exercise what it claims: %d transfers, %d banks seen", transfers, len(seen))
	}
}
