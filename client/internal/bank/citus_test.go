package bank

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/pgtest"
)

// TestCitus runs the SQL tests, the cross-check, the atomic load and the concurrency test
// again on a Citus cluster (a coordinator and two workers, the bank distributed by
// db/citus/distribute.sql): every answer must equal a single node's. Both layouts: the
// coordinator outside Citus's metadata (setup.sh --citus), and in it, as Citus's own guide
// and managed Citus set a cluster up.
func TestCitus(t *testing.T) {
	c := pgtest.CitusOrSkip(t, citus)
	for _, layout := range []*pgtest.Server{c, c.WithCoordinatorInMetadata()} {
		t.Run(layout.Layout(), func(t *testing.T) { citusLayout(t, layout) })
	}
}

func citusLayout(t *testing.T, c *pgtest.Server) {
	single := server
	server = c
	t.Cleanup(func() { server = single })

	// A reload of db/procedures.sql, as a fix is deployed, keeps the Citus steps: the read
	// functions still run as the owner, and a READ COMMITTED read is still refused.
	t.Run("layout", func(t *testing.T) {
		name, err := server.NewDatabase()
		if err != nil {
			t.Fatal(err)
		}
		procedures := filepath.Join(pgtest.RepoRoot(), "db", "procedures.sql")
		for _, when := range []string{"as distributed", "after a reload", "after a reload from standard input"} {
			switch when {
			case "after a reload":
				if out, err := server.Psql(name, "-f", procedures); err != nil {
					t.Fatalf("reload: %v\n%s", err, out)
				}
			case "after a reload from standard input":
				// psql looks for the Citus file in its own folder then, finds none, and
				// (ON_ERROR_STOP off) carries on: the file's own check must roll it back.
				in, err := os.Open(procedures)
				if err != nil {
					t.Fatal(err)
				}
				psql := exec.Command(filepath.Join(server.BinDir, "psql"), "-X", "-q", "-h", "127.0.0.1",
					"-p", strconv.Itoa(server.Port), "-U", "postgres", "-d", name)
				psql.Stdin, psql.Dir = in, t.TempDir()
				out, _ := psql.CombinedOutput()
				in.Close()
				if !strings.Contains(string(out), "db/citus/functions.sql was not loaded") {
					t.Fatalf("a reload from standard input on Citus:\n%s", out)
				}
			}
			out, err := server.Psql(name, "-A", "-t", "-c",
				`SELECT logicalrelid::text || ':' || partmethod::text FROM pg_dist_partition ORDER BY 1`, "-c",
				`SELECT 'readers as the owner: ' || count(*) FROM pg_proc WHERE pronamespace = 'bank'::regnamespace AND prosecdef AND proname IN ('top_states', 'ranked_customers', 'top_customers', 'bottom_customers', 'audit', 'balances', 'profile', 'profile_states', 'profile_accounts_per_customer')`, "-c",
				`SELECT 'bank_reader reads at ' || array_to_string(setconfig, ',') FROM pg_db_role_setting WHERE setrole = 'bank_reader'::regrole AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`)
			if err != nil {
				t.Fatal(err)
			}
			want := "accounts:h\ncustomer_accounts:h\ncustomers:n\nreaders as the owner: 9\nbank_reader reads at default_transaction_isolation=repeatable read\n"
			if out != want {
				t.Fatalf("%s:\n%s\nwant\n%s", when, out, want)
			}
			if out, err := server.Psql(name, "-c", "SELECT * FROM bank.audit()"); err == nil || !strings.Contains(out, "BK009") && !strings.Contains(out, "REPEATABLE READ") {
				t.Fatalf("%s, a READ COMMITTED read: %v\n%s", when, err, out)
			}
		}
	})
	t.Run("sql", TestSQLFiles)
	t.Run("crosscheck", TestCrossCheck)
	t.Run("populate atomically", TestPopulateReplacesAtomically)
	t.Run("load guard", TestLoadGuard)
	t.Run("concurrency", TestConcurrentTransfersRobinhoodAndReports)
	t.Run("same as one node", func(t *testing.T) { sameAsSingleNode(t, single, c) })
	t.Run("a reader holds no writer", readerHoldsNoWriter)
	t.Run("robinhood plans on a snapshot", robinhoodOnSnapshot)
	t.Run("isolation", TestIsolation)
	t.Run("reads by every route", readsByEveryRoute)
	t.Run("reads across a worker's restart", readsAcrossWorkerRestart)
	t.Run("reads beside an unrecovered commit", readsBesideUnrecoveredCommit)
	t.Run("reads only through the coordinator", readsOnlyThroughTheCoordinator)
}

// robinhoodOnSnapshot: on Citus, a Robinhood plans in a consistent snapshot of every node
// and locks only the accounts it moves; one in a transaction that already moved money
// plans under the lock instead, as its plan could not see its own changes.
func robinhoodOnSnapshot(t *testing.T) {
	name, err := server.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), server.DSN(name), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Populate(context.Background(), gen.Config{Customers: 300, MaxAccounts: 4, Seed: 8}, 2, nil)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The last: a second Robinhood in the same statement, after transfers.
	for _, tt := range []struct{ run, want string }{
		{"SELECT count(*) FROM bank.robinhood();", "snapshot, 1 ranking(s), 1 plan(s)"},
		{"SELECT bank.transfer(1, 2, 0.01); SELECT count(*) FROM bank.robinhood();", "locked, 1 ranking(s), 1 plan(s)"},
		{"DO $$ BEGIN PERFORM bank.robinhood(); PERFORM bank.transfer(1, 2, 0.01); PERFORM bank.robinhood(); END $$;",
			"locked, 1 ranking(s), 1 plan(s)"},
	} {
		out, err := server.Psql(name, "-A", "-t", "-c", "BEGIN; "+tt.run+" SELECT current_setting('bank.robinhood_path'); ROLLBACK")
		if err != nil || !strings.HasSuffix(strings.TrimSpace(out), tt.want) {
			t.Errorf("%q: %v\n%s\nwant the path %q", tt.run, err, out, tt.want)
		}
	}
}

// readerHoldsNoWriter: bank_reader, idle in a transaction after a consistent read of the
// whole bank, holds nothing a transfer waits for, on any node; at READ COMMITTED it is
// refused rather than served by a lock it could hold for as long as it likes.
func readerHoldsNoWriter(t *testing.T) {
	name, err := server.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), server.DSN(name), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Populate(context.Background(), gen.Config{Customers: 200, MaxAccounts: 4, Seed: 5}, 2, nil)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	idle := exec.Command(filepath.Join(server.BinDir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
		"-p", strconv.Itoa(server.Port), "-U", "postgres", "-d", name)
	var idleOut strings.Builder
	idle.Stdout, idle.Stderr = &idleOut, &idleOut
	in, err := idle.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := idle.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(in, "SET application_name = 'idle reader'; SET ROLE bank_reader; BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM bank.audit();")
	defer func() { in.Close(); idle.Wait() }()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		out, err := server.Psql(name, "-A", "-t", "-c", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'idle reader' AND state = 'idle in transaction'")
		if err == nil && strings.TrimSpace(out) == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reader never went idle: %s", idleOut.String())
		}
	}
	// Transfers between neighbouring accounts: on two workers about half the time. One held
	// back by the reader would wait for it to end, which it does not: the statement timeout
	// turns that wait into a failure (a busy machine never makes one transfer take 20 s).
	args := []string{"-c", "SET statement_timeout = '20s'"}
	for a := 1; a <= 40; a++ {
		args = append(args, "-c", fmt.Sprintf("SELECT bank.transfer(%d, %d, 0.01)", a, a+1))
	}
	if out, err := server.Psql(name, args...); err != nil {
		t.Fatalf("transfers beside an idle reader: %v\n%s", err, out)
	}
	out, err := server.Psql(name, "-c", "SET ROLE bank_reader", "-c", "SET default_transaction_isolation = 'read committed'",
		"-c", "SELECT * FROM bank.audit()")
	if err == nil || !strings.Contains(out, "REPEATABLE READ") {
		t.Fatalf("bank_reader at READ COMMITTED should be refused (BK009): %v\n%s", err, out)
	}
	out, err = server.Psql(name, "-c", "SET ROLE bank_reader", "-c", "SET default_transaction_isolation = 'read committed'",
		"-c", "SET bank.snapshot = 'open'", "-c", "SELECT * FROM bank.audit()")
	if err == nil || !strings.Contains(out, "REPEATABLE READ") {
		t.Fatalf("no setting lets bank_reader read at READ COMMITTED (BK009): %v\n%s", err, out)
	}
}

// sameAsSingleNode loads the same seeded bank on both and compares what psql prints for
// every function, byte for byte.
func sameAsSingleNode(t *testing.T, single, cluster *pgtest.Server) {
	// Reads of every account as the docs show them on Citus: first in a REPEATABLE READ
	// transaction (bank.read_snapshot()).
	rr := func(q string) string { return "BEGIN ISOLATION LEVEL REPEATABLE READ; " + q + "; COMMIT" }
	calls := []string{
		rr("SELECT * FROM bank.top_states()"), rr("SELECT * FROM bank.top_customers()"),
		rr("SELECT * FROM bank.bottom_customers()"), rr("SELECT * FROM bank.audit()"),
		rr("SELECT * FROM bank.profile()"), rr("SELECT * FROM bank.profile_states()"),
		rr("SELECT * FROM bank.profile_accounts_per_customer()"),
		rr("SELECT md5(string_agg(account_id || ':' || balance, ',')) FROM bank.balances()"),
		"SELECT * FROM bank.robinhood()", "SELECT * FROM bank.transfer(1, 2, 1.00)",
		rr("SELECT md5(string_agg(account_id || ':' || balance, ',')) FROM bank.balances()"),
	}
	outputs := make([]string, 2)
	for i, s := range []*pgtest.Server{single, cluster} {
		name, err := s.NewDatabase()
		if err != nil {
			t.Fatal(err)
		}
		db, err := Open(context.Background(), s.DSN(name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.Populate(context.Background(), gen.Config{Customers: 3000, MaxAccounts: 10, Seed: 11}, 2, nil)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"-A"}
		for _, q := range calls {
			args = append(args, "-c", q)
		}
		if outputs[i], err = s.Psql(name, args...); err != nil {
			t.Fatal(err)
		}
	}
	if outputs[0] != outputs[1] {
		t.Fatalf("Citus answers differ from a single node's:\n--- single node\n%s\n--- Citus\n%s", outputs[0], outputs[1])
	}
	if n := strings.Count(outputs[0], "\n"); n < 60 {
		t.Fatalf("only %d lines of answers:\n%s", n, outputs[0])
	}
}
