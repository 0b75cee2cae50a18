// Package drivers holds no code: its tests put each claim of docs/clients.md to pgx and to
// psycopg 3, against a throwaway server with the bank's schema and a small bank.
package drivers

import (
	"fmt"
	"os"
	"testing"

	"funwithbanking/client/internal/pgtest"
)

var server *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &server)) }

// smallBank: accounts 1 to 3 hold 1,000.00, 50.00 and 0.00; accounts 4 to 13 hold the largest
// balance each, so that the bank's total (100000000001049.90) passes 2^46 dollars, past which
// a float64 no longer holds every cent. Customer i holds account i.
const smallBank = `
INSERT INTO bank.customers
    SELECT i, 'Ann', 'Lee', i || ' Main St', 'Fresno', 'CA', '93701', '2020-01-01' FROM generate_series(1, 13) i;
INSERT INTO bank.accounts VALUES (1, 1000.00, '2020-01-02'), (2, 50.00, '2020-01-02'), (3, 0.00, '2020-01-02');
INSERT INTO bank.accounts SELECT i, 9999999999999.99, '2020-01-02' FROM generate_series(4, 13) i;
INSERT INTO bank.customer_accounts SELECT i, i FROM generate_series(1, 13) i;`

// newBank makes a database with the schema and smallBank, and returns its URL, which pgx
// and libpq (psycopg) both take.
func newBank(t *testing.T) string {
	t.Helper()
	name, err := server.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Psql(name, "-c", smallBank); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", server.Port, name)
}
