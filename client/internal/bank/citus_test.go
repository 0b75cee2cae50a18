package bank

import (
	"context"
	"strings"
	"testing"

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

	t.Run("layout", func(t *testing.T) {
		name, err := server.NewDatabase()
		if err != nil {
			t.Fatal(err)
		}
		out, err := server.Psql(name, "-A", "-t", "-c",
			`SELECT logicalrelid::text || ':' || partmethod::text FROM pg_dist_partition ORDER BY 1`, "-c",
			`SELECT 'volatile readers: ' || count(*) FROM pg_proc WHERE pronamespace = 'bank'::regnamespace AND provolatile = 'v' AND proname IN ('top_states', 'ranked_customers', 'top_customers', 'bottom_customers', 'audit', 'balances', 'profile', 'profile_accounts_per_customer')`)
		if err != nil {
			t.Fatal(err)
		}
		want := "accounts:h\ncustomer_accounts:h\ncustomers:n\nvolatile readers: 8\n"
		if out != want {
			t.Fatalf("distributed tables:\n%s\nwant\n%s", out, want)
		}
	})
	t.Run("sql", TestSQLFiles)
	t.Run("crosscheck", TestCrossCheck)
	t.Run("populate atomically", TestPopulateReplacesAtomically)
	t.Run("load guard", TestLoadGuard)
	t.Run("concurrency", TestConcurrentTransfersRobinhoodAndReports)
	t.Run("same as one node", func(t *testing.T) { sameAsSingleNode(t, single, c) })
}

// sameAsSingleNode loads the same seeded bank on both and compares what psql prints for
// every function, byte for byte.
func sameAsSingleNode(t *testing.T, single, cluster *pgtest.Server) {
	calls := []string{
		"SELECT * FROM bank.top_states()", "SELECT * FROM bank.top_customers()",
		"SELECT * FROM bank.bottom_customers()", "SELECT * FROM bank.audit()",
		"SELECT * FROM bank.profile()", "SELECT * FROM bank.profile_states()",
		"SELECT * FROM bank.profile_accounts_per_customer()",
		"SELECT md5(string_agg(account_id || ':' || balance, ',')) FROM bank.balances()",
		"SELECT * FROM bank.robinhood()", "SELECT * FROM bank.transfer(1, 2, 1.00)",
		"SELECT md5(string_agg(account_id || ':' || balance, ',')) FROM bank.balances()",
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
