// Package dsn holds the one ODBC connection string the client, setup.sh's output, the test
// harness and the README use. It is a leaf package so that the test harness, which the
// bank package's own tests import, can share it without an import cycle.
package dsn

import "fmt"

// DefaultPort is where setup.sh publishes the bank unless BANK_PORT says otherwise.
const DefaultPort = 5432

// For is the connection string for database db on 127.0.0.1:port: psqlODBC registered as
// "PostgreSQL Unicode", passwordless as user postgres.
func For(port int, db string) string {
	return fmt.Sprintf("Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=%d;Database=%s;Uid=postgres;", port, db)
}
