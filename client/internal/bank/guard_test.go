package bank

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"funwithbanking/client/internal/gen"
)

// TestLoadGuard: a load committed before bank.load_finish() would leave the bank empty and
// without its keys. Every way of sending that COMMIT, under the simple protocol and the
// extended one (pgbench -M extended), on one node and on Citus, fails on the constraint
// load_unfinished and changes nothing; a load begun and rolled back in one query string is
// fine; and populate works after each attempt.
func TestLoadGuard(t *testing.T) {
	db, name := newBank(t, Options{})
	ctx := context.Background()
	if _, err := db.Populate(ctx, gen.Config{Customers: 50, MaxAccounts: 3, Seed: 4}, 1, nil); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		out, err := server.Psql(name, "-A", "-t", "-c", "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM bank.audit(); COMMIT", "-c",
			`SELECT count(*) FROM pg_constraint WHERE contype IN ('p', 'f')
			 AND conrelid IN ('bank.customers'::regclass, 'bank.accounts'::regclass, 'bank.customer_accounts'::regclass)`)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := state()
	if !strings.HasSuffix(before, "\n5\n") {
		t.Fatalf("want 5 keys to start with:\n%s", before)
	}
	refused := []struct{ what, args string }{
		{"autocommit", "SELECT bank.load_begin()"},
		{"BEGIN ... COMMIT in one query string", "BEGIN; SELECT bank.load_begin(); COMMIT;"},
		{"BEGIN ... COMMIT as separate statements", "BEGIN\x00SELECT bank.load_begin()\x00COMMIT"},
		{"a session setting that once stood for a transaction block", "SET bank.loading = on\x00SELECT bank.load_begin()"},
	}
	for _, tt := range refused {
		var args []string
		for _, s := range strings.Split(tt.args, "\x00") {
			args = append(args, "-c", s)
		}
		out, err := server.Psql(name, append([]string{"-v", "VERBOSITY=verbose"}, args...)...)
		if err == nil || !strings.Contains(out, "23P01") || !strings.Contains(out, "load_unfinished") {
			t.Errorf("%s: want 23P01 on load_unfinished, got %v\n%s", tt.what, err, out)
		}
		if after := state(); after != before {
			t.Errorf("%s changed the bank:\n%s\nbecame\n%s", tt.what, before, after)
		}
	}

	// The extended protocol (Parse, Bind, Execute: JDBC, pgx, psqlODBC's server-side
	// prepare), in autocommit.
	file := filepath.Join(t.TempDir(), "load.sql")
	if err := os.WriteFile(file, []byte("SELECT bank.load_begin();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(server.BinDir, "pgbench"), "-n", "-t", "1", "-M", "extended",
		"-h", "127.0.0.1", "-p", strconv.Itoa(server.Port), "-U", "postgres", "-f", file, name).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "load_unfinished") {
		t.Errorf("pgbench -M extended: want a refusal, got %v\n%s", err, out)
	}
	if after := state(); after != before {
		t.Errorf("pgbench -M extended changed the bank:\n%s\nbecame\n%s", before, after)
	}

	if out, err := server.Psql(name, "-c", "BEGIN; SELECT bank.load_begin(); ROLLBACK;"); err != nil {
		t.Errorf("a load begun and rolled back in one query string was refused: %v\n%s", err, out)
	}
	if after := state(); after != before {
		t.Errorf("a rolled-back load changed the bank:\n%s\nbecame\n%s", before, after)
	}
	if _, err := db.Populate(ctx, gen.Config{Customers: 50, MaxAccounts: 3, Seed: 4}, 1, nil); err != nil {
		t.Fatalf("populate after the refused commits: %v", err)
	}
	if after := state(); after != before {
		t.Errorf("populating the same seed again gave another bank:\n%s\nbecame\n%s", before, after)
	}
}

// TestHugeTotals: every account at the largest balance makes the bank's total, and each
// customer's, larger than an int64 of cents. The reports still answer, and the client
// reads every total exactly as psql prints it.
func TestHugeTotals(t *testing.T) {
	db, name := newBank(t, Options{})
	ctx := context.Background()
	if _, err := db.Populate(ctx, gen.Config{Customers: 2000, MaxAccounts: 10, Seed: 2}, 2, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Psql(name, "-c", "UPDATE bank.accounts SET balance = 9999999999999.99"); err != nil {
		t.Fatal(err)
	}
	psql := func(q string) string {
		out, err := server.Psql(name, "-A", "-t", "-c", q)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	a, err := db.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := psql("SELECT total_balance FROM bank.audit()"); a.TotalBalance.String() != want || len(want) < 21 {
		t.Errorf("audit total %s, psql %s", a.TotalBalance, want)
	}
	if _, err := a.TotalBalance.Cents(); err == nil {
		t.Errorf("the total %s fits an int64 of cents: the test needs a bigger bank", a.TotalBalance)
	}
	top, err := db.TopCustomers(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := psql("SELECT total_balance FROM bank.top_customers(1)"); len(top) != 1 || top[0].TotalBalance.String() != want {
		t.Errorf("top customer %v, psql %s", top, want)
	}
	states, err := db.TopStates(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := psql("SELECT avg_balance FROM bank.top_states(1)"); len(states) != 1 || states[0].AvgBalance.String() != want {
		t.Errorf("top state %v, psql %s", states, want)
	}
}
