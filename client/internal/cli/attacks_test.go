package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"funwithbanking/client/internal/pgtest"
)

// TestPopulateBesideIdleReader: a reader left idle in a transaction holds the tables; a
// populate waits for it, in short tries, without holding transfers in the queue behind its
// own request, and loads once the reader is gone.
func TestPopulateBesideIdleReader(t *testing.T) {
	d, balances := moneyBank(t)
	db := dsnDatabase(d)
	reader := openSession(t, db, "SET ROLE bank_reader; BEGIN; SELECT count(*) FROM bank.accounts;")
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'second user' AND state = 'idle in transaction'")
	load := startClient(t, d, "--lock-timeout", "60s", "populate", "--customers", "40", "--max-accounts", "3", "--seed", "7")
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bank-client' AND query LIKE '%load_begin%' AND state = 'active'")
	transfersPass(t, d, balances, "while a populate waits for a reader")
	reader.send("COMMIT;")
	if r := load(); r.code != 0 || !strings.HasPrefix(r.stdout, "Populated from seed 7:") {
		t.Fatalf("the populate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRobinhoodAfterWrites: a transaction transfers, then calls robinhood, while another
// caller's transfer holds one of Robinhood's accounts and waits for a row the first
// transaction holds. Robinhood waits for that account, a wait the deadlock detector sees:
// it ends the cycle by failing the other caller's transfer, which the client runs again
// once the first transaction commits; both succeed.
func TestRobinhoodAfterWrites(t *testing.T) {
	d, _ := moneyBank(t)
	db := dsnDatabase(d)
	q := psqlCSV(t, db)
	// target: the lowest account Robinhood will move; below and top: the two highest it
	// will not. The other caller locks target first (lower id), then waits for top.
	row := strings.Split(strings.TrimSpace(q(`WITH p AS (SELECT (bank.robinhood_plan(10, 10, 1020)).accounts),
		o AS (SELECT account_id FROM bank.accounts WHERE account_id <> ALL ((SELECT accounts FROM p)::bigint[]) ORDER BY account_id DESC LIMIT 2)
		SELECT (SELECT min(a) FROM unnest((SELECT accounts FROM p)) a), min(account_id), max(account_id) FROM o`)), ",")
	target, below, top := row[0], row[1], row[2]
	first := openSession(t, db, "SET application_name = 'first'; SET deadlock_timeout = '10s'; BEGIN; SELECT bank.transfer("+below+", "+top+", 0.01);")
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'first' AND state = 'idle in transaction'")
	// The other caller locks the target, then waits for the first transaction's row.
	other := startClient(t, d, "call", "transfer", "--from", target, "--to", top, "--amount", "0.01")
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bank-client' AND wait_event_type = 'Lock'")
	first.send("SELECT * FROM bank.robinhood(); COMMIT;")
	err := first.close()
	if r := other(); r.code != 0 {
		t.Fatalf("the other caller's transfer: exit %d: %s", r.code, r.stderr)
	}
	if out := first.out.String(); err != nil || strings.Contains(out, "ERROR") {
		t.Fatalf("the first transaction's Robinhood (%v):\n%s", err, out)
	}
}

// TestReloadUnderLoad: loading db/procedures.sql again on a live bank, as a fix is deployed,
// gives no caller an error: transfers, Robinhoods and readers run throughout.
func TestReloadUnderLoad(t *testing.T) {
	d, _ := moneyBank(t)
	// The bench runs until the reloads are done, however long they take: then Ctrl-C.
	bench := startClient(t, d, "bench", "--duration", "10m", "--workers", "4", "--readers", "2", "--robinhood-every", "300ms")
	// Reload only once the bench's workers and readers are at work.
	waitFor(t, d, "SELECT (count(*) >= 6)::int FROM pg_stat_activity WHERE application_name = 'bank-client'")
	procedures := filepath.Join(pgtest.RepoRoot(), "db", "procedures.sql")
	for range 4 {
		if out, err := server.Psql(dsnDatabase(d), "-f", procedures); err != nil {
			t.Fatalf("reload: %v\n%s", err, out)
		}
	}
	r := bench(os.Interrupt)
	if r.code != 0 || !strings.Contains(r.stdout, "errors       none") || !strings.Contains(r.stdout, "verdict      OK") {
		t.Fatalf("the bench during the reloads: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestReloadBesideIdleReader: a reload that changes nothing takes no lock a reader holds.
// Replacing the view would wait for this reader (and, with a report holding one table and
// wanting the view, deadlock with it).
func TestReloadBesideIdleReader(t *testing.T) {
	d, _ := moneyBank(t)
	db := dsnDatabase(d)
	openSession(t, db, "SET ROLE bank_reader; BEGIN; SELECT count(*) FROM bank.customers, bank.customer_totals WHERE false;")
	waitFor(t, d, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'second user' AND state = 'idle in transaction'")
	procedures := filepath.Join(pgtest.RepoRoot(), "db", "procedures.sql")
	if out, err := server.Psql(db, "-c", "SET lock_timeout = '2s'", "-f", procedures); err != nil {
		t.Fatalf("a reload beside an idle reader: %v\n%s", err, out)
	}
}

// TestReloadRestores: what a reload leaves alone when unchanged, it makes again when it
// differs.
func TestReloadRestores(t *testing.T) {
	d, _ := moneyBank(t)
	db := dsnDatabase(d)
	q := psqlCSV(t, db)
	want := q("SELECT pg_get_viewdef('bank.customer_totals')")
	q(`CREATE OR REPLACE VIEW bank.customer_totals AS
		SELECT ca.customer_id, count(*)::integer AS accounts, sum(a.balance) + 1 AS total
		FROM bank.customer_accounts ca JOIN bank.accounts a USING (account_id) GROUP BY ca.customer_id`)
	procedures := filepath.Join(pgtest.RepoRoot(), "db", "procedures.sql")
	if out, err := server.Psql(db, "-f", procedures); err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	if got := q("SELECT pg_get_viewdef('bank.customer_totals')"); got != want || !strings.Contains(want, "sum(a.balance) AS total") {
		t.Fatalf("after a reload:\n%s\nwant:\n%s", got, want)
	}
}
