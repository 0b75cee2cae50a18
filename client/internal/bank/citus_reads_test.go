package bank

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
	"funwithbanking/client/internal/pgtest"
)

// readRoutes are the ways a user reads the bank's total on Citus, as the docs describe them:
// each a psql session that reads it readsPerRoute times.
var readRoutes = []struct{ name, role, before, read string }{
	{"bank_reader, autocommit", "bank_reader", "", "SELECT total_balance FROM bank.audit()"},
	{"bank_reader, explicit REPEATABLE READ", "bank_reader", "",
		"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT total_balance FROM bank.audit(); COMMIT"},
	{"owner, autocommit with the documented setting", "postgres", "SET default_transaction_isolation = 'repeatable read'",
		"SELECT total_balance FROM bank.audit()"},
	{"owner, explicit REPEATABLE READ", "postgres", "",
		"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT total_balance FROM bank.audit(); COMMIT"},
	{"owner, writers held off", "postgres", "",
		"BEGIN; LOCK TABLE bank.accounts, bank.customer_accounts IN SHARE MODE; SELECT total_balance FROM bank.audit(); COMMIT"},
}

const readsPerRoute = 60

// amount is a line of psql's that is a sum of money.
var amount = regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)

// readsByEveryRoute: while four writers move money between random accounts (most pairs on
// two workers), every route a user reads the bank's total by, the client's included, sees
// the total the bank holds, every time. The same reads in plain SQL, with no pause, are
// counted too: they can see half a transfer, which is what the routes must never do.
func readsByEveryRoute(t *testing.T) {
	name, db, total, accounts := crossWorkerBank(t)
	stop := make(chan struct{})
	moved := crossWorkerWriters(db, accounts, stop)
	defer func() { close(stop); moved() }()

	for _, r := range readRoutes {
		wrong, errs := readTotals(t, name, r.role, r.before, r.read, total)
		if wrong != 0 || errs != 0 {
			t.Errorf("%s: %d wrong totals, %d errors, of %d reads", r.name, wrong, errs, readsPerRoute)
		}
	}
	for _, role := range []string{"bank_reader", "postgres"} {
		reader, err := Open(context.Background(), strings.Replace(server.DSN(name), "Uid=postgres", "Uid="+role, 1), Options{})
		if err != nil {
			t.Fatal(err)
		}
		wrong := 0
		for range readsPerRoute {
			a, err := reader.Audit(context.Background())
			if err != nil {
				t.Fatalf("the client as %s: %v", role, err)
			}
			if a.TotalBalance.String() != total {
				wrong++
			}
		}
		reader.Close()
		if wrong != 0 {
			t.Errorf("the client as %s: %d wrong totals of %d reads", role, wrong, readsPerRoute)
		}
	}
	plain, _ := readTotals(t, name, "postgres", "",
		"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT sum(balance) FROM bank.accounts; COMMIT", total)
	t.Logf("%d transfers meanwhile; plain SQL with no pause saw a wrong total in %d of %d reads", moved(), plain, readsPerRoute)
}

// readsAcrossWorkerRestart: a worker restarted (immediate shutdown: a crash to its clients)
// while transfers commit across workers may leave a prepared transaction behind, committed
// on the other worker. Until Citus recovers it, a read fails with BK010; it never prints a
// wrong total; once recovered, reads are right again.
func readsAcrossWorkerRestart(t *testing.T) {
	name, db, total, accounts := crossWorkerBank(t)
	stop := make(chan struct{})
	moved := crossWorkerWriters(db, accounts, stop)
	worker := server.Workers()[0]
	waitUntil(t, "100 transfers committed", func() bool { return moved() >= 100 })
	if err := worker.Restart("immediate"); err != nil {
		close(stop)
		t.Fatal(err)
	}
	// The prepared transactions of this bank's on the worker. One seen before and after a
	// read is left over: a read waits for every commit in flight to finish first.
	prepared := func() map[string]bool {
		out, _ := worker.Psql(name, "-A", "-t", "-c", "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE 'citus\\_%'")
		gids := map[string]bool{}
		for _, g := range strings.Fields(out) {
			gids[g] = true
		}
		return gids
	}
	wrong, refused, unrefused, left := 0, 0, 0, len(prepared()) > 0
	for range 20 {
		before := prepared()
		out, err := server.PsqlAs("bank_reader", name, "-A", "-t", "-c", "SELECT total_balance FROM bank.audit()")
		switch got := strings.TrimSpace(out); {
		case err == nil && got != total:
			wrong++
		case err != nil && strings.Contains(out, "awaits recovery"):
			refused++
		case err == nil:
			for g := range prepared() {
				if before[g] {
					unrefused++ // the same prepared transaction before and after this read
					break
				}
			}
		}
	}
	close(stop)
	moved()
	if _, err := server.Psql(name, "-c", "SELECT recover_prepared_transactions()"); err != nil {
		t.Fatal(err)
	}
	after, errs := readTotals(t, name, "bank_reader", "", "SELECT total_balance FROM bank.audit()", total)
	t.Logf("a prepared transaction left on the restarted worker: %v; reads refused meanwhile: %d of 20", left, refused)
	if wrong != 0 || after != 0 || errs != 0 {
		t.Errorf("wrong totals: %d of 20 before recovery, %d of %d after (%d errors)", wrong, after, readsPerRoute, errs)
	}
	if unrefused != 0 {
		t.Errorf("%d reads answered while a prepared transaction awaited recovery", unrefused)
	}
}

// crossWorkerBank makes a bank of 2,000 customers in which no transfer of a cent is ever
// refused, and returns its total and its number of accounts.
func crossWorkerBank(t *testing.T) (string, *DB, string, int64) {
	t.Helper()
	db, name := newBank(t, Options{})
	if _, err := db.Populate(context.Background(), gen.Config{Customers: 2000, MaxAccounts: 4, Seed: 3}, 2, nil); err != nil {
		t.Fatal(err)
	}
	out, err := server.Psql(name, "-A", "-t", "-c", "UPDATE bank.accounts SET balance = greatest(balance, 100)",
		"-c", "BEGIN ISOLATION LEVEL REPEATABLE READ", "-c", "SELECT total_balance, accounts FROM bank.audit()", "-c", "COMMIT")
	if err != nil {
		t.Fatal(err)
	}
	var total string
	var accounts int64
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "|") {
			fmt.Sscanf(strings.Replace(line, "|", " ", 1), "%s %d", &total, &accounts)
		}
	}
	if accounts == 0 {
		t.Fatalf("no total in:\n%s", out)
	}
	return name, db, total, accounts
}

// crossWorkerWriters starts four writers moving a cent between random accounts until stop;
// what it returns tells how many transfers committed so far, and after stop, waits for them.
func crossWorkerWriters(db *DB, accounts int64, stop chan struct{}) func() int64 {
	var moved atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				a, b := 1+rnd.Int64N(accounts), 1+rnd.Int64N(accounts)
				if a == b {
					continue
				}
				if _, _, err := db.Transfer(context.Background(), a, b, money.Cents(1)); err == nil {
					moved.Add(1)
				} else {
					time.Sleep(50 * time.Millisecond) // a restarting worker: try again shortly
				}
			}
		}()
	}
	return func() int64 {
		select {
		case <-stop:
			wg.Wait()
		default:
		}
		return moved.Load()
	}
}

// readTotals reads the total readsPerRoute times in one psql session logged in as role,
// after the statement before (if any), and counts the wrong totals and the errors.
func readTotals(t *testing.T, name, role, before, read, total string) (wrong, errs int) {
	t.Helper()
	args := []string{"-A", "-t", "-v", "ON_ERROR_STOP=0"}
	if before != "" {
		args = append(args, "-c", before)
	}
	for range readsPerRoute {
		args = append(args, "-c", read)
	}
	out, _ := server.PsqlAs(role, name, args...)
	got := 0
	for _, line := range strings.Split(out, "\n") {
		switch line = strings.TrimSpace(line); {
		case strings.HasPrefix(line, "ERROR:"):
			errs++
		case !amount.MatchString(line):
		case line != total:
			wrong++
			got++
		default:
			got++
		}
	}
	if got+errs != readsPerRoute {
		t.Fatalf("%d answers and %d errors from %d reads:\n%s", got, errs, readsPerRoute, out)
	}
	return wrong, errs
}

// readsBesideUnrecoveredCommit: the state a worker's crash can leave, made by hand: a
// transfer's half on one worker committed, its half on the other prepared and recorded on
// the coordinator, as Citus leaves it until its recovery commits it. Reads of the whole
// bank are refused meanwhile (BK010) rather than counting one half; once Citus recovers
// the commit, the total is whole again.
func readsBesideUnrecoveredCommit(t *testing.T) {
	name, _, total, _ := crossWorkerBank(t)
	q := func(s *pgtest.Server, sql string) string {
		out, err := s.Psql(name, "-A", "-t", "-c", sql)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	// Two accounts on different workers, each with its shard and its worker's group.
	where := func(account int) (shard, group string, worker *pgtest.Server) {
		row := strings.Split(q(server, fmt.Sprintf(`SELECT p.shardid, p.groupid, n.nodeport FROM pg_dist_placement p
			JOIN pg_dist_node n USING (groupid) WHERE p.shardid = get_shard_id_for_distribution_column('bank.accounts', %d)`, account)), "|")
		for _, w := range server.Workers() {
			if strconv.Itoa(w.Port) == row[2] {
				return row[0], row[1], w
			}
		}
		t.Fatalf("no worker for account %d: %v", account, row)
		return
	}
	shard1, group1, worker1 := where(1)
	other := 2
	for ; ; other++ {
		if _, g, _ := where(other); g != group1 {
			break
		}
	}
	shard2, _, worker2 := where(other)
	gid := "citus_0_99999_1_1"
	// A prepared transaction of a role that cannot write the bank holds no half transfer:
	// it stops no read.
	q(server, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nogrant') THEN CREATE ROLE nogrant; END IF; END $$")
	q(worker1, "BEGIN; SET LOCAL ROLE nogrant; PREPARE TRANSACTION 'citus_0_88888_1_1'")
	if wrong, errs := readTotals(t, name, "bank_reader", "", "SELECT total_balance FROM bank.audit()", total); wrong != 0 || errs != 0 {
		t.Errorf("beside another role's prepared transaction: %d wrong totals, %d errors", wrong, errs)
	}
	q(worker1, "ROLLBACK PREPARED 'citus_0_88888_1_1'")
	// One of a role that may update only the balance column, which wrote a shard: it does.
	q(server, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'teller') THEN CREATE ROLE teller; END IF; END $$;
		GRANT USAGE ON SCHEMA bank TO teller; GRANT SELECT, UPDATE (balance) ON bank.accounts TO teller`)
	q(worker1, fmt.Sprintf("BEGIN; SET LOCAL ROLE teller; UPDATE bank.accounts_%s SET balance = balance WHERE account_id = 1; PREPARE TRANSACTION 'citus_0_77777_1_1'", shard1))
	if _, errs := readTotals(t, name, "bank_reader", "", "SELECT total_balance FROM bank.audit()", total); errs != readsPerRoute {
		t.Errorf("beside a prepared write of a role with a column's privilege: %d of %d reads refused", errs, readsPerRoute)
	}
	q(worker1, "ROLLBACK PREPARED 'citus_0_77777_1_1'")
	q(worker1, fmt.Sprintf("BEGIN; UPDATE bank.accounts_%s SET balance = balance + 1 WHERE account_id = 1; PREPARE TRANSACTION '%s'", shard1, gid))
	q(worker2, fmt.Sprintf("UPDATE bank.accounts_%s SET balance = balance - 1 WHERE account_id = %d", shard2, other))
	q(server, fmt.Sprintf("INSERT INTO pg_dist_transaction (groupid, gid) VALUES (%s, '%s')", group1, gid))

	for _, route := range readRoutes {
		if _, errs := readTotals(t, name, route.role, route.before, route.read, total); errs != readsPerRoute {
			t.Errorf("%s: %d of %d reads refused while a commit awaits recovery", route.name, errs, readsPerRoute)
		}
	}
	if out, err := server.PsqlAs("bank_reader", name, "-c", "SELECT * FROM bank.audit()"); err == nil || !strings.Contains(out, "awaits recovery") {
		t.Errorf("a read beside an unrecovered commit: %v\n%s", err, out)
	}
	// Nor does a Robinhood that plans under its own lock, or a load, go on.
	for _, sql := range []string{
		"BEGIN; LOCK TABLE bank.accounts, bank.customer_accounts IN SHARE MODE; SELECT * FROM bank.robinhood(); ROLLBACK",
		"BEGIN; SELECT bank.transfer(3, 4, 0.01); SELECT * FROM bank.robinhood(); ROLLBACK",
		"BEGIN; SELECT bank.load_begin(); ROLLBACK",
	} {
		if out, err := server.Psql(name, "-c", "SET statement_timeout = '30s'", "-c", sql); err == nil || !strings.Contains(out, "awaits recovery") {
			t.Errorf("%s, beside an unrecovered commit: %v\n%s", sql, err, out)
		}
	}
	q(server, "SELECT recover_prepared_transactions()")
	if wrong, errs := readTotals(t, name, "bank_reader", "", "SELECT total_balance FROM bank.audit()", total); wrong != 0 || errs != 0 {
		t.Errorf("after recovery: %d wrong totals, %d errors", wrong, errs)
	}
}

// readsOnlyThroughTheCoordinator: the bank is read through the coordinator, where two-phase
// commits can be paused. Only the owner may connect to a worker; there, the read functions
// refuse (BK009). A marker of open snapshots cannot be forged by a lock a writer happens to
// take, and a transaction may read the bank through several functions.
func readsOnlyThroughTheCoordinator(t *testing.T) {
	name, _, total, _ := crossWorkerBank(t)
	worker := server.Workers()[0]
	if out, err := worker.PsqlAs("bank_reader", name, "-c", "SELECT 1"); err == nil || !strings.Contains(out, "CONNECT") {
		t.Errorf("bank_reader connected to a worker: %v\n%s", err, out)
	}
	if out, err := worker.Psql(name, "-c", "BEGIN ISOLATION LEVEL REPEATABLE READ", "-c", "SELECT * FROM bank.audit()"); err == nil || !strings.Contains(out, "through the coordinator") {
		t.Errorf("a read on a worker: %v\n%s", err, out)
	}
	if out, err := server.Psql(name, "-c", "BEGIN ISOLATION LEVEL REPEATABLE READ",
		"-c", "SELECT 1 FROM bank.customers WHERE customer_id = 1 FOR UPDATE",
		"-c", "SELECT count(*) FROM bank.accounts WHERE account_id = 1", "-c", "SELECT * FROM bank.audit()"); err == nil || !strings.Contains(out, "must come first") {
		t.Errorf("a lock on customers taken for a marker: %v\n%s", err, out)
	}
	out, err := server.PsqlAs("bank_reader", name, "-A", "-t", "-c", "BEGIN ISOLATION LEVEL REPEATABLE READ",
		"-c", "SELECT count(*) FROM bank.profile_states()", "-c", "SELECT total_balance FROM bank.audit()",
		"-c", "SELECT count(*) FROM bank.top_customers()", "-c", "COMMIT")
	if err != nil || !strings.Contains(out, total) {
		t.Errorf("three functions in one transaction: %v\n%s", err, out)
	}
	// Written on the workers only, a transfer still has an id to ask about after a lost COMMIT.
	db, err := Open(context.Background(), server.DSN(name), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, xid, err := db.Transfer(context.Background(), 1, 3, money.Cents(1)); err != nil || xid == "" {
		t.Errorf("a transfer on Citus: id %q, %v", xid, err)
	}
}
