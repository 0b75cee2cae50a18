package cli

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pyodbc runs testdata/pyodbc_client.py with Debian's Python, whose python3-pyodbc is the
// second, independent ODBC client these tests call the bank with.
func pyodbc(t *testing.T, args ...string) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import pyodbc").Run(); err != nil {
		t.Fatalf("the pyodbc tests need Debian's python3-pyodbc (apt-get install python3-pyodbc): %v", err)
	}
	out, err := exec.Command(python, append([]string{filepath.Join("testdata", "pyodbc_client.py")}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("pyodbc_client.py %v: %v\n%s", args[1:], err, out)
	}
	return string(out)
}

// TestOtherODBCClient calls every function through pyodbc, with the DSN the README gives
// other clients, and compares the rows with psql's, money to the cent. A transfer refused
// inside a pyodbc transaction must abort that transaction: nothing of it commits.
func TestOtherODBCClient(t *testing.T) {
	ourDSN := newDatabase(t)
	db := dsnDatabase(ourDSN)
	if r := client(t, ourDSN, "populate", "--customers", "300", "--seed", "8"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	readmeDSN := ourDSN + "Protocol=7.4-0;"
	psql := psqlCSV(t, db)
	for _, q := range []string{
		"SELECT * FROM bank.top_states()", "SELECT * FROM bank.top_customers()",
		"SELECT * FROM bank.bottom_customers(15)", "SELECT * FROM bank.audit()",
		"SELECT * FROM bank.balances()", "SELECT * FROM bank.profile()",
		"SELECT * FROM bank.profile_states(51)", "SELECT * FROM bank.profile_accounts_per_customer()",
	} {
		want := psql(q)
		if got := pyodbc(t, readmeDSN, "query", q); got != want {
			t.Errorf("%s:\npyodbc\n%s\npsql\n%s", q, got, want)
		}
	}
	// The writers: psql's answer in a transaction it rolls back, then pyodbc's, committed.
	for _, q := range []string{"SELECT * FROM bank.robinhood(12.5, 7)", "SELECT * FROM bank.transfer(3, 4, 1.25)"} {
		want, err := server.Psql(db, "-A", "-t", "-F", ",", "-c", "BEGIN", "-c", q, "-c", "ROLLBACK")
		if err != nil {
			t.Fatal(err)
		}
		if got := pyodbc(t, readmeDSN, "query", q); got != want || strings.Count(got, "\n") < 1 {
			t.Errorf("%s:\npyodbc\n%s\npsql\n%s", q, got, want)
		}
	}

	before := psql("SELECT * FROM bank.audit()") + psql("SELECT md5(string_agg(account_id || ':' || balance, ',')) FROM bank.balances()")
	out := pyodbc(t, readmeDSN, "refused", "5", "6")
	for _, want := range []string{"first transfer: 5,", "refused transfer: BK004", "third transfer: 25P02"} {
		if !strings.Contains(out, want) {
			t.Errorf("with Protocol=7.4-0, want %q in:\n%s", want, out)
		}
	}
	after := psql("SELECT * FROM bank.audit()") + psql("SELECT md5(string_agg(account_id || ':' || balance, ',')) FROM bank.balances()")
	if after != before {
		t.Errorf("a transaction with a refused transfer committed part of itself:\n%s", out)
	}
}
