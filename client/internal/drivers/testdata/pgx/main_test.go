// Package pgxclaims puts each claim of docs/clients.md about pgx to pgx. It is a module of
// its own, so that neither the bank's go.mod nor its deliverable archive carries pgx; the
// test TestPgx in client/internal/drivers starts the server, makes the bank and runs it.
package pgxclaims

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TemplateEnv names the database with the schema and the small bank that each test copies
// (a URL); client/internal/drivers sets it.
const TemplateEnv = "BANK_PGX_TEMPLATE"

var template *url.URL

func TestMain(m *testing.M) {
	u, err := url.Parse(os.Getenv(TemplateEnv))
	if err != nil || u.Path == "" {
		fmt.Fprintf(os.Stderr, "%s does not name a database: run these through go test ./client/internal/drivers\n", TemplateEnv)
		os.Exit(1)
	}
	template = u
	os.Exit(m.Run())
}

// The template's total, as psql prints it; transfers and Robinhood keep it. Ten accounts at
// the largest balance take it past 2^46 dollars, where a float64 no longer holds every cent.
const bankTotal = "100000000001049.90"

var copies atomic.Int64

// newBank copies the template into a database of the test's own and returns its URL:
// accounts 1 to 3 hold 1,000.00, 50.00 and 0.00, accounts 4 to 13 the largest balance.
func newBank(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	admin := *template
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("%s_%d", strings.TrimPrefix(template.Path, "/"), copies.Add(1))
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, strings.TrimPrefix(template.Path, "/"))); err != nil {
		t.Fatal(err)
	}
	u := *template
	u.Path = "/" + name
	return u.String()
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// balances is every account's balance as the server prints it, by account_id.
func balances(t *testing.T, url string) string {
	t.Helper()
	var s string
	err := connect(t, url).QueryRow(context.Background(),
		"SELECT string_agg(account_id || ':' || balance, ' ' ORDER BY account_id) FROM bank.accounts").Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// balance is one account's balance as the server prints it.
func balance(t *testing.T, url string, account int) string {
	t.Helper()
	for _, b := range strings.Fields(balances(t, url)) {
		if id, amount, _ := strings.Cut(b, ":"); id == fmt.Sprint(account) {
			return amount
		}
	}
	t.Fatalf("no account %d", account)
	return ""
}
