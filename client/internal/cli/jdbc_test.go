package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// jdbcJar is Debian's pgjdbc (libpostgresql-jdbc-java).
const jdbcJar = "/usr/share/java/postgresql.jar"

// RequireJDBCEnv, set to 1 (as CI does), makes a machine without Java and pgjdbc fail the
// JDBC test instead of skipping it (with the reason, which make test prints).
const RequireJDBCEnv = "BANK_REQUIRE_JDBC"

// jdbc runs testdata/JdbcClient.java with Java's source launcher and Debian's pgjdbc.
func jdbc(t *testing.T, url string, args ...string) string {
	t.Helper()
	out, err := exec.Command("java", append([]string{"-cp", jdbcJar, filepath.Join("testdata", "JdbcClient.java"), url}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("JdbcClient.java %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestJDBCClient: a Java user with pgjdbc gets every report equal to psql's, money exact as
// BigDecimal, our BK codes as SQLSTATEs, and the traps the README warns of (how to bind an
// amount, autosave, batches) behave as it says.
func TestJDBCClient(t *testing.T) {
	_, errJava := exec.LookPath("java")
	_, errJar := os.Stat(jdbcJar)
	if errJava != nil || errJar != nil {
		why := "the JDBC test needs Java and Debian's pgjdbc: apt-get install default-jdk-headless libpostgresql-jdbc-java"
		if os.Getenv(RequireJDBCEnv) == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	ourDSN := newDatabase(t)
	db := dsnDatabase(ourDSN)
	if r := client(t, ourDSN, "populate", "--customers", "300", "--seed", "8"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	url := "jdbc:postgresql://127.0.0.1:" + strconv.Itoa(server.Port) + "/" + db
	psql := psqlCSV(t, db)
	for _, q := range []string{
		"SELECT * FROM bank.top_states()", "SELECT * FROM bank.top_customers()",
		"SELECT * FROM bank.bottom_customers(15)", "SELECT * FROM bank.audit()",
		"SELECT * FROM bank.balances()", "SELECT * FROM bank.profile()",
	} {
		if got, want := jdbc(t, url, "query", q), psql(q); got != want {
			t.Errorf("%s:\njdbc\n%s\npsql\n%s", q, got, want)
		}
	}

	balance := func() string {
		return strings.TrimSpace(psql("SELECT balance FROM bank.accounts WHERE account_id = 1"))
	}
	for _, tt := range []struct{ url, form, want string }{
		{url, "bigdecimal", "bigdecimal: ok "},
		{url, "cast", "cast: ok "},
		{url, "string", "string: 42883"},
		{url, "double", "double: 42883"},
		{url + "?stringtype=unspecified", "string", "string: ok "},
	} {
		before := balance()
		got := jdbc(t, tt.url, "amount", tt.form)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s with %s: %q, want %q...", tt.form, tt.url, got, tt.want)
		}
		if moved := balance() != before; moved != strings.Contains(tt.want, "ok") {
			t.Errorf("%s with %s: the money moved: %v", tt.form, tt.url, moved)
		}
	}

	audit := func() string {
		return psql("SELECT md5(string_agg(account_id || ':' || balance, ',')) FROM bank.balances()")
	}
	for _, tt := range []struct {
		url, want string
		same      bool // the bank as it was
	}{
		// A refused transfer aborts the transaction: the next statement fails, COMMIT rolls back.
		{url, "ok\nBK004\n25P02\ncommit: ok\n", true},
		// autosave=always rolls back to a savepoint around each statement: the refusal is
		// undone alone, and the rest of the transaction commits.
		{url + "?autosave=always", "ok\nBK004\nok\ncommit: ok\n", false},
	} {
		before := audit()
		if got := jdbc(t, tt.url, "refused"); got != tt.want {
			t.Errorf("a transaction with a refusal, %s:\n%s\nwant\n%s", tt.url, got, tt.want)
		}
		if same := audit() == before; same != tt.same {
			t.Errorf("a transaction with a refusal, %s: the bank unchanged %v, want %v", tt.url, same, tt.same)
		}
	}
	before := balance()
	third := func() string {
		return strings.TrimSpace(psql("SELECT balance FROM bank.accounts WHERE account_id = 3"))
	}
	thirdBefore := third()
	got := jdbc(t, url, "batch")
	t.Logf("an autocommit batch with a refusal: %s", strings.TrimSpace(got))
	if !strings.Contains(got, "BK004") || balance() == before || third() != thirdBefore {
		t.Errorf("an autocommit batch with a refusal: %q; want the first transfer committed and the third never run", got)
	}
	for _, tt := range []struct{ level, want string }{
		{"read uncommitted", "read uncommitted: "},
		{"repeatable read", "repeatable read: BK006"},
	} {
		if got := jdbc(t, url, "robinhood", tt.level); !strings.HasPrefix(got, tt.want) || strings.Contains(got, "BK006") != strings.Contains(tt.want, "BK006") {
			t.Errorf("robinhood at %s: %q, want %q...", tt.level, got, tt.want)
		}
	}
}
