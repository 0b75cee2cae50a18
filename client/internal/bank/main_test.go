package bank

import (
	"context"
	"os"
	"testing"

	"funwithbanking/client/internal/pgtest"
)

var server *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &server)) }

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
