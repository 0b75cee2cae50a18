package bank

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/pgtest"
)

var checkCall = regexp.MustCompile(`(?m)^SELECT pg_temp\.(is|throws)\(`)

// TestSQLFiles runs each db/test/*.sql with psql, as a psql user would, on a fresh bank;
// on one node, db/test/one_node/*.sql too (the steps Citus does without: TestCitus says so).
func TestSQLFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(pgtest.RepoRoot(), "db", "test", "*.sql"))
	oneNode, _ := filepath.Glob(filepath.Join(pgtest.RepoRoot(), "db", "test", "one_node", "*.sql"))
	if len(files) == 0 || len(oneNode) == 0 {
		t.Fatal("no db/test/*.sql or db/test/one_node/*.sql")
	}
	if !server.Citus() {
		files = append(files, oneNode...)
	} else {
		t.Logf("on Citus, not run (one node only): %v", oneNode)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			name, err := server.NewDatabase()
			if err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Every check is a statement of its own that starts a line.
			want := len(checkCall.FindAll(src, -1))
			out, err := server.Psql(name, "-f", f)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(out, "NOTICE:  ok - "); n != want || !strings.Contains(out, "all checks passed") {
				t.Fatalf("%d of %d checks passed, or no closing line:\n%s", n, want, out)
			}
		})
	}
}

// TestSQLFilesOnTheDemoBank runs the README's verification command on the bank the demo
// leaves (1,000 customers, seed 42): every check passes, and the bank is as it was.
func TestSQLFilesOnTheDemoBank(t *testing.T) {
	db, name := newBank(t, Options{})
	if _, err := db.Populate(context.Background(), gen.Config{Customers: 1000, MaxAccounts: 10, Seed: 42}, 2, nil); err != nil {
		t.Fatal(err)
	}
	const fingerprint = `SELECT md5(string_agg(a.account_id || ':' || a.balance, ',' ORDER BY a.account_id))
		|| (SELECT count(*) FROM bank.customers) || (SELECT count(*) FROM bank.customer_accounts) FROM bank.accounts a`
	before, err := server.Psql(name, "-A", "-t", "-c", fingerprint)
	if err != nil {
		t.Fatal(before)
	}
	out, err := server.Psql(name, "-v", "ON_ERROR_STOP=1", "-f", filepath.Join(pgtest.RepoRoot(), "db", "test", "functions_test.sql"))
	if err != nil || !strings.Contains(out, "all checks passed") {
		t.Fatalf("on the demo's bank: %v\n%s", err, out)
	}
	if after, _ := server.Psql(name, "-A", "-t", "-c", fingerprint); after != before {
		t.Fatalf("the tests changed the bank: %s before, %s after", before, after)
	}
}
