package bank

import (
	"context"
	"fmt"
	"os"
	"testing"

	"funwithbanking/client/internal/pgtest"
)

var server *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	server, err = pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the test PostgreSQL:", err)
		os.Exit(1)
	}
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

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
