package bank

import (
	"context"
	"os"
	"testing"

	"funwithbanking/client/internal/pgtest"
)

// server is the PostgreSQL the tests use; citus, the coordinator of a 3-node Citus cluster
// (nil where Citus is not installed). TestCitus points server at citus and runs the
// single-node tests again.
var server, citus *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.RunWithCitus(m, &server, &citus)) }

// newBank opens a fresh database with the schema loaded.
func newBank(t testing.TB, opts Options) (*DB, string) {
	t.Helper()
	name, err := server.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), server.DSN(name), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, name
}
