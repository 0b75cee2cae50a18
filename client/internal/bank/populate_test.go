package bank

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"funwithbanking/client/internal/gen"
)

// TestRepopulateLeavesNoDeadRows: a populate that replaces a bank leaves none of the old
// bank's rows in the tables once it returns (no reader needs them here), and replacing the
// same bank again and again does not grow the tables past the old and the new bank side by
// side, the most MVCC needs while the load runs. Autovacuum is off on the tables, so only
// populate's own VACUUM can pass this.
func TestRepopulateLeavesNoDeadRows(t *testing.T) {
	ctx := context.Background()
	db, name := newBank(t, Options{})
	if _, err := server.Psql(name, "-c", `CREATE EXTENSION pgstattuple`,
		"-c", `ALTER TABLE bank.customers SET (autovacuum_enabled = off)`,
		"-c", `ALTER TABLE bank.accounts SET (autovacuum_enabled = off)`,
		"-c", `ALTER TABLE bank.customer_accounts SET (autovacuum_enabled = off)`); err != nil {
		t.Fatal(err)
	}
	// tables returns the three heaps' dead rows and their size in bytes, exactly (pgstattuple
	// reads every page).
	tables := func() (dead, size int64) {
		t.Helper()
		out, err := server.Psql(name, "-A", "-t", "-F", " ", "-c", `SELECT sum(s.dead_tuple_count), sum(s.table_len)
			FROM unnest(ARRAY['bank.customers', 'bank.accounts', 'bank.customer_accounts']::regclass[]) AS r(rel),
			     LATERAL pgstattuple(r.rel) AS s`)
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(out)
		if len(f) != 2 {
			t.Fatalf("pgstattuple printed %q", out)
		}
		dead, _ = strconv.ParseInt(f[0], 10, 64)
		size, _ = strconv.ParseInt(f[1], 10, 64)
		return dead, size
	}
	populate := func(cfg gen.Config, replaces bool) {
		t.Helper()
		sum, err := db.Populate(ctx, cfg, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Replaced != replaces || sum.VacuumErr != nil {
			t.Fatalf("populate: replaced %v, VACUUM error %v; want replaced %v and no error", sum.Replaced, sum.VacuumErr, replaces)
		}
	}

	cfg := gen.Config{Customers: 3000, MaxAccounts: 6, Seed: 4}
	populate(cfg, false)
	_, fresh := tables()
	for i := range 4 {
		populate(cfg, true)
		dead, size := tables()
		if dead != 0 {
			t.Fatalf("replace %d left %d dead rows", i+1, dead)
		}
		// One page per table of slack: the last page of each bank is partly filled.
		if limit := 2*fresh + 3*8192; size > limit {
			t.Fatalf("replace %d: tables take %d bytes, more than the old and the new bank side by side (%d)", i+1, size, limit)
		}
	}
	// A smaller bank in place of a bigger one: nothing of the bigger one stays behind either.
	populate(gen.Config{Customers: 200, MaxAccounts: 6, Seed: 5}, true)
	if dead, _ := tables(); dead != 0 {
		t.Fatalf("a smaller bank left %d dead rows", dead)
	}
}
