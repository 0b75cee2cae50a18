package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/pgtest"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files in testdata/")
	server *pgtest.Server
	binary string
)

// The tests run the real binary: exit codes, stderr and stack traces are what a user sees.
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "bank-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "client")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = filepath.Join(pgtest.RepoRoot(), "client")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Run(m, &server)
	os.RemoveAll(dir)
	os.Exit(code)
}

type run struct {
	stdout, stderr string
	code           int
}

func client(t *testing.T, dsn string, args ...string) run {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "BANK_DSN="+dsn)
	return runCmd(t, cmd)
}

// runCmd runs cmd to its end, with what it writes to stdout and stderr caught unless they
// are set already, and returns that with its exit status.
func runCmd(t *testing.T, cmd *exec.Cmd) run {
	t.Helper()
	var out, errOut bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	cmd.Stderr = &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return run{out.String(), errOut.String(), code}
}

func newDatabase(t *testing.T) string {
	t.Helper()
	name, err := server.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	return server.DSN(name)
}

// psqlCSV returns a function that runs a query in database db with psql and returns its
// rows as comma-separated lines, as the client's --format csv prints them (less the header).
func psqlCSV(t *testing.T, db string) func(q string) string {
	return func(q string) string {
		t.Helper()
		out, err := server.Psql(db, "-A", "-t", "-F", ",", "-c", q)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// TestDemoGolden: `client demo` prints the same bytes on every run for a seed, and those
// bytes are the ones in testdata/demo.golden (rerun with -update after an intended change).
func TestDemoGolden(t *testing.T) {
	dsn := newDatabase(t)
	first := client(t, dsn, "demo")
	if first.code != 0 {
		t.Fatalf("demo exited %d: %s", first.code, first.stderr)
	}
	again := client(t, dsn, "demo", "--jobs", "1")
	if again.code != 0 || again.stdout != first.stdout {
		t.Fatalf("a second demo (1 job, same database) printed something else (exit %d):\n%s", again.code, again.stdout)
	}
	path := filepath.Join("testdata", "demo.golden")
	if *update {
		if err := os.WriteFile(path, []byte(first.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if first.stdout != string(want) {
		t.Errorf("demo output differs from %s:\n%s", path, first.stdout)
	}
	for _, s := range []string{"Operation Robinhood", "Money conserved", "Top 10 states", "Bottom 10 customers"} {
		if !strings.Contains(first.stdout, s) {
			t.Errorf("demo output lacks %q", s)
		}
	}
}

// TestCalls: each call prints its function's answer in every format, the same as psql gets.
func TestCalls(t *testing.T) {
	dsn := newDatabase(t)
	if r := client(t, dsn, "populate", "--customers", "50", "--max-accounts", "3", "--seed", "4"); r.code != 0 ||
		!strings.HasPrefix(r.stdout, "Populated from seed 4: 50 customers") {
		t.Fatalf("populate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	psql := psqlCSV(t, dsnDatabase(dsn))
	for _, tt := range []struct{ args, sql string }{
		{"call top-states --limit 3", "SELECT * FROM bank.top_states(3)"},
		{"call top-customers --limit 4", "SELECT * FROM bank.top_customers(4)"},
		{"call bottom-customers", "SELECT * FROM bank.bottom_customers()"},
		{"call audit", "SELECT * FROM bank.audit()"},
	} {
		t.Run(tt.args, func(t *testing.T) {
			r := client(t, dsn, append(strings.Fields(tt.args), "--format", "csv")...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			_, body, _ := strings.Cut(r.stdout, "\n") // drop the CSV header
			if body != psql(tt.sql) {
				t.Errorf("client printed\n%s\npsql printed\n%s", body, psql(tt.sql))
			}
			for _, format := range []string{"table", "json"} {
				if r := client(t, dsn, append(strings.Fields(tt.args), "--format", format)...); r.code != 0 || r.stdout == "" {
					t.Errorf("--format %s: exit %d: %s", format, r.code, r.stderr)
				}
			}
		})
	}
	checkMap(t, client(t, dsn, "call", "top-states", "--format", "map"), "top-states-map.golden")
	r := client(t, dsn, "call", "transfer", "--from", "1", "--to", "2", "--amount", "0.01", "--format", "json")
	// Ids are JSON numbers; money is a JSON string of its exact decimal.
	if r.code != 0 || !strings.Contains(r.stdout, `"from_account": 1`) || !regexp.MustCompile(`"from_balance": "[0-9]+\.[0-9]{2}"`).MatchString(r.stdout) {
		t.Fatalf("transfer: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = client(t, dsn, "call", "robinhood", "--percent", "12.5", "--count", "3", "--format", "csv")
	if r.code != 0 || strings.Count(r.stdout, "\n") < 2 {
		t.Fatalf("robinhood: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// checkMap compares a map the client drew (not on a terminal: digits, no colour) with
// testdata/golden, and checks that it draws every state once.
func checkMap(t *testing.T, r run, golden string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("the map: exit %d: %s", r.code, r.stderr)
	}
	for _, s := range gen.StatePopulations() {
		if n := len(regexp.MustCompile(`\b`+s.State+`[0-9.]( |\n)`).FindAllString(r.stdout, -1)); n != 1 {
			t.Errorf("the map draws %s %d times:\n%s", s.State, n, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Errorf("a map written to a pipe holds escape sequences:\n%q", r.stdout)
	}
	path := filepath.Join("testdata", golden)
	if *update {
		if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(path); err != nil || r.stdout != string(want) {
		t.Errorf("the map differs from %s (%v):\n%s", path, err, r.stdout)
	}
}

func dsnDatabase(dsn string) string {
	_, rest, _ := strings.Cut(dsn, "Database=")
	name, _, _ := strings.Cut(rest, ";")
	return name
}

// TestBadInput: every bad command line and every unusable database gets one line on
// stderr naming the problem, a non-zero exit, no stack trace, and an unchanged bank.
func TestBadInput(t *testing.T) {
	dsn := newDatabase(t)
	if r := client(t, dsn, "populate", "--customers", "40", "--max-accounts", "3"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	audit := func() string {
		r := client(t, dsn, "call", "audit", "--format", "csv")
		if r.code != 0 {
			t.Fatalf("audit: %s", r.stderr)
		}
		return r.stdout
	}
	accounts := func() string {
		out, err := server.Psql(dsnDatabase(dsn), "-A", "-t", "-c", "SELECT string_agg(account_id || ':' || balance, ',' ORDER BY account_id) FROM bank.accounts")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	noSchema := "no_schema_db"
	if err := server.NewEmptyDatabase(noSchema); err != nil {
		t.Fatal(err)
	}
	before, balances := audit(), accounts()
	tests := []struct {
		args string
		dsn  string
		code int
		want string
	}{
		{"populate --customers 0", "", 2, "--customers must be between 1 and"},
		{"populate --customers -5", "", 2, "--customers must be between 1 and"},
		{"populate --customers abc", "", 2, "is not a whole number in base 10"},
		{"populate --customers 99999999999", "", 2, "--customers must be between 1 and"},
		{"populate --max-accounts 0", "", 2, "--max-accounts must be between 1 and"},
		{"populate --max-accounts 1000", "", 2, "--max-accounts must be between 1 and"},
		{"populate --jobs 0", "", 2, "--jobs must be between"},
		{"populate --jobs 257", "", 2, "--jobs must be between"},
		{"populate --workers 0", "", 2, "--workers must be between"}, // --jobs's former name
		{"populate --seed -1", "", 2, "is not a whole number in base 10"},
		{"populate --bogus", "", 2, "flag provided but not defined"},
		{"call top-states --limit 0", "", 2, "--limit must be between 1 and"},
		{"call top-customers --limit 3000000000", "", 2, "--limit must be between 1 and"},
		{"call bottom-customers --limit ten", "", 2, "is not a whole number in base 10"},
		{"call top-states --format xml", "", 2, "--format must be one of table, json, csv, map"},
		{"call top-states --format map --limit 3", "", 2, "--format map draws every state: it takes no --limit"},
		{"call top-customers --format map", "", 2, "--format must be one of table, json, csv, got"},
		{"inspect --limit 0", "", 2, "--limit must be between 1 and"},
		{"bench --workers 0", "", 2, "--workers must be between 1 and"},
		{"bench --readers -1", "", 2, "--readers must be between 0 and"},
		{"bench --duration 0s", "", 2, "--duration must be more than 0"},
		{"bench --duration soon", "", 2, `--duration: "soon" is not a duration`},
		{"--statement-timeout 500us call audit", "", 2, "--statement-timeout must be between 1ms and"},
		{"--lock-timeout 0 call audit", "", 2, "--lock-timeout must be between 1ms and"},
		{"--lock-timeout -1s call audit", "", 2, "--lock-timeout must be between 1ms and"},
		{"--statement-timeout 1000h call audit", "", 2, "--statement-timeout must be between 1ms and"},
		{"--port 99999999 call audit", "", 2, "--port must be between 1 and 65535"},
		{"bench --duration 1s --transfers 5", "", 2, "give --duration or --transfers, not both"},
		{"bench --transfers -5", "", 2, "--transfers must not be negative"},
		{"bench --max-amount 0.001", "", 2, "too many decimal places"},
		{"bench --max-amount 0", "", 2, "--max-amount must be at least 0.01"},
		{"bench --accounts 1", "", 2, "--accounts must be 0 (all) or at least 2"},
		{"bench --rate -1", "", 2, "--rate must be between 0 (no schedule) and"},
		{"bench --rate 0x10", "", 2, `--rate: "0x10" is not a whole number in base 10`},
		{"bench --progress 10ms", "", 2, "--progress must be at least 100ms"},
		{"inspect --format yaml", "", 2, "--format must be one of"},
		{"call robinhood --percent 0", "", 2, "--percent must be more than 0"},
		{"call robinhood --percent 100.5", "", 2, "--percent must be more than 0"},
		{"call robinhood --percent ten", "", 2, "is not a decimal number"},
		{"call robinhood --percent 1e1", "", 2, "is not a decimal number"},
		{"call robinhood --percent 0.00001", "", 2, "too many decimal places"},
		{"call robinhood --count 0", "", 2, "--count must be between 1 and"},
		{"call transfer --from 1 --to 1 --amount 5", "", 2, "a transfer needs two accounts"},
		{"call transfer --from 0 --to 1 --amount 5", "", 2, "whole numbers from 1"},
		{"call transfer --from 1 --to 2 --amount 0", "", 2, "amount must be more than 0"},
		{"call transfer --from 1 --to 2 --amount=-5", "", 2, "must not be negative"},
		{"call transfer --from 1 --to 2 --amount 0.001", "", 2, "too many decimal places"},
		{"call transfer --from 1 --to 2 --amount 1;DROP", "", 2, "is not a decimal number"},
		{"call transfer --from 1 --to 2 --amount 99999999999999", "", 2, "too large"},
		{"call transfer --from 1 --to 2", "", 2, "missing --amount"},
		{"call transfer --from 1 --to 999999 --amount 5", "", 1, "account 999999 does not exist"},
		{"call transfer --from 1 --to 2 --amount 9999999999999", "", 1, "insufficient funds"},
		{"call nosuch", "", 2, "unknown command"},
		{"call", "", 2, "no command given"},
		{"populate junk --customers 5", "", 2, `populate takes no word "junk"`},
		{"call transfer --from 1 --to 2 --amount " + strings.Repeat("9", 100_000), "", 2, "(100000 characters)"},
		{"call robinhood --percent 1" + strings.Repeat("0", 100_000), "", 2, "(100001 characters)"},
		{"call audit --format " + strings.Repeat("x", 100_000), "", 2, "(100000 characters)"},
		{"bench --max-amount " + strings.Repeat("1", 100_000), "", 2, "(100000 characters)"},
		{"call transfer --to 2 --amount 1 --from " + strings.Repeat("1", 100_000), "", 2, "(100000 characters)"},
		{"call robinhood --percent 1 now --count 1", "", 2, `robinhood takes no word "now"`},
		{"", "", 2, "no command given"},
		{"nosuch", "", 2, "unknown command"},
		{"help nosuch", "", 2, "No help topic for 'nosuch'"},
		{"wait --timeout 0s", "", 2, "--timeout must be more than 0"},
		{"wait --timeout 300ms", "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Database=bank;Uid=postgres;", 1, "the bank did not answer within 300ms"},
		{"--bogus call audit", "", 2, "flag provided but not defined"},
		{"call audit", "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Database=bank;Uid=postgres;", 1, "cannot reach the database"},
		{"call audit", "Driver={No Such Driver};Server=127.0.0.1;Database=bank;", 1, "ODBC driver"},
		{"call audit", server.DSN(noSchema), 1, "no bank schema"},
		{"populate --customers 5", server.DSN(noSchema), 1, "no bank schema"},
		{"call audit", server.DSN("no_such_database"), 1, "does not exist"},
		{"call audit", server.DSN("bank") + "Protocol=7.4-2;", 1, "the DSN sets Protocol=7.4-2: the client needs 7.4-0"},
		{"call audit", server.DSN("bank") + "Protocol=7.4;", 1, "the DSN sets Protocol=7.4: the client needs 7.4-0"},
		{"call audit", strings.Replace(server.DSN("bank"), "Uid=postgres", "Uid=nosuchrole", 1), 1, "the server refused the login"},
		{"wait --timeout 60s", strings.Replace(server.DSN("bank"), "Uid=postgres", "Uid=nosuchrole", 1), 1, "the server refused the login"},
	}
	for _, tt := range tests {
		t.Run(shortName(tt.args), func(t *testing.T) {
			d := dsn
			if tt.dsn != "" {
				d = tt.dsn
			}
			r := client(t, d, strings.Fields(tt.args)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines[0]) > 300 {
				t.Errorf("a %d-character message: %.80s...", len(lines[0]), lines[0])
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "client: ") || !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr should be one line 'client: ...%s...', got:\n%s", tt.want, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace on stderr:\n%s", r.stderr)
			}
		})
	}
	if after := audit(); after != before {
		t.Errorf("bad input changed the bank: audit %q became %q", before, after)
	}
	if after := accounts(); after != balances {
		t.Error("bad input changed some balance")
	}
}

// TestPort: without a DSN, the client reaches the database bank on 127.0.0.1 at --port or
// BANK_PORT, which is how setup.sh's BANK_PORT is reused.
func TestPort(t *testing.T) {
	if err := server.NewNamedDatabase("bank"); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(server.Port)
	for _, tt := range []struct {
		env  string
		args []string
	}{
		{"BANK_PORT=" + port, []string{"call", "audit"}},
		{"BANK_PORT=1", []string{"--port", port, "call", "audit"}},
	} {
		cmd := exec.Command(binary, tt.args...)
		cmd.Env = append(os.Environ(), "BANK_DSN=", tt.env)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "total_balance") {
			t.Errorf("%s client %v: %v\n%s", tt.env, tt.args, err, out)
		}
	}
	r := client(t, "", "--port", "1", "call", "audit")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot reach the database") {
		t.Errorf("--port 1: exit %d, %s", r.code, r.stderr)
	}
}

// TestInspect: the profile the client prints is the functions' answer, read in one
// snapshot, with each state's Census share beside it; an empty bank profiles too.
func TestInspect(t *testing.T) {
	dsn := newDatabase(t)
	psql := psqlCSV(t, dsnDatabase(dsn))
	if r := client(t, dsn, "inspect", "--format", "json"); r.code != 0 || !strings.Contains(r.stdout, `"p50": null`) {
		t.Fatalf("inspect of an empty bank: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := client(t, dsn, "populate", "--customers", "3000", "--seed", "5"); r.code != 0 {
		t.Fatalf("populate: exit %d: %s", r.code, r.stderr)
	}
	r := client(t, dsn, "inspect", "--format", "json", "--limit", "51")
	if r.code != 0 {
		t.Fatalf("inspect: exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		Profile  []map[string]json.Number
		Balances []map[string]json.Number
		States   []struct {
			State         string
			Customers     json.Number
			Pct           json.Number
			PopulationPct json.Number `json:"population_pct"`
		}
		StateBalances []struct {
			State      string
			Customers  json.Number
			AvgBalance string `json:"avg_balance"`
			Quintile   json.Number
		} `json:"state_balances"`
		AccountsPerCustomer []map[string]json.Number `json:"accounts_per_customer"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("inspect printed invalid JSON: %v\n%s", err, r.stdout)
	}
	p, b := got.Profile[0], got.Balances[0]
	line := strings.Join([]string{string(p["customers"]), string(p["accounts"]), string(p["joint_accounts"]),
		string(p["joint_pct"]), string(p["household_customers"]), string(p["household_pct"]),
		string(b["p10"]), string(b["p50"]), string(b["p90"]), string(b["p99"]), string(b["max"])}, ",") + "\n"
	if want := psql("SELECT * FROM bank.profile()"); line != want {
		t.Errorf("inspect's profile is\n%s, psql's is\n%s", line, want)
	}
	population := map[string]string{}
	for _, sp := range gen.StatePopulations() {
		population[sp.State] = fmt.Sprintf("%.2f", 100*sp.Share)
	}
	var states strings.Builder
	for _, s := range got.States {
		fmt.Fprintf(&states, "%s,%s,%s\n", s.State, s.Customers, s.Pct)
		if string(s.PopulationPct) != population[s.State] {
			t.Errorf("%s: population_pct %s, want %s", s.State, s.PopulationPct, population[s.State])
		}
	}
	if want := psql("SELECT * FROM bank.profile_states(51)"); states.String() != want {
		t.Errorf("inspect's states are\n%s, psql's are\n%s", states.String(), want)
	}
	var balances strings.Builder
	for _, s := range got.StateBalances {
		fmt.Fprintf(&balances, "%s,%s,%s\n", s.State, s.Customers, s.AvgBalance)
		if q, err := s.Quintile.Int64(); err != nil || q < 1 || q > 5 {
			t.Errorf("%s: quintile %s, want 1 to 5", s.State, s.Quintile)
		}
	}
	if want := psql("SELECT * FROM bank.top_states(51)"); balances.String() != want {
		t.Errorf("inspect's state balances are\n%s, psql's top_states are\n%s", balances.String(), want)
	}
	if len(got.AccountsPerCustomer) != gen.DefaultMaxAccounts {
		t.Errorf("accounts per customer has %d rows, want %d", len(got.AccountsPerCustomer), gen.DefaultMaxAccounts)
	}
	r = client(t, dsn, "inspect")
	if r.code != 0 || !strings.Contains(r.stdout, "Account balance percentiles") {
		t.Errorf("inspect as a table: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// As a table, the state balances end inspect: the map call top-states --format map draws.
	_, drawn, _ := strings.Cut(r.stdout, "\n\nAverage customer balance by state")
	if m := client(t, dsn, "call", "top-states", "--format", "map"); m.code != 0 || "Average customer balance by state"+drawn != m.stdout {
		t.Errorf("inspect's map is\n%s\ncall top-states --format map drew\n%s", drawn, m.stdout)
	}
}

// TestNothingHangs: a call that waits on a lock gives up at --lock-timeout, and one that
// runs too long at --statement-timeout, each with one clear line.
func TestNothingHangs(t *testing.T) {
	dsn := newDatabase(t)
	if r := client(t, dsn, "populate", "--customers", "20"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	// The lock is held until both calls have given up, however long they take.
	openSession(t, dsnDatabase(dsn), "BEGIN; LOCK bank.accounts IN ACCESS EXCLUSIVE MODE;")
	waitFor(t, dsn, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'second user' AND l.mode = 'AccessExclusiveLock' AND l.granted")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--lock-timeout", "300ms", "call", "transfer", "--from", "1", "--to", "2", "--amount", "1"}, "gave up waiting for a lock"},
		{[]string{"--statement-timeout", "300ms", "--lock-timeout", "1m", "call", "audit"}, "took longer than the statement timeout"},
	} {
		r := client(t, dsn, tt.args...)
		if r.code != 1 || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// TestReadOnlyRole: bank_reader, connected over ODBC like any user, may run the reports
// but is refused a transfer and Robinhood, and the balances stay as they were.
func TestReadOnlyRole(t *testing.T) {
	dsn := newDatabase(t)
	if r := client(t, dsn, "populate", "--customers", "30"); r.code != 0 {
		t.Fatalf("populate: %s", r.stderr)
	}
	before := client(t, dsn, "call", "audit", "--format", "csv").stdout
	reader := strings.Replace(dsn, "Uid=postgres;", "Uid=bank_reader;", 1)
	for _, args := range [][]string{{"call", "top-states"}, {"call", "bottom-customers"}, {"call", "audit"}, {"inspect"}} {
		if r := client(t, reader, args...); r.code != 0 {
			t.Errorf("bank_reader %v: exit %d: %s", args, r.code, r.stderr)
		}
	}
	for _, args := range [][]string{
		{"call", "transfer", "--from", "1", "--to", "2", "--amount", "1"},
		{"call", "robinhood"},
		{"populate", "--customers", "5"},
	} {
		r := client(t, reader, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "permission denied") {
			t.Errorf("bank_reader %v: exit %d, stderr %q; want a refusal", args, r.code, r.stderr)
		}
	}
	if after := client(t, dsn, "call", "audit", "--format", "csv").stdout; after != before {
		t.Errorf("audit changed under bank_reader:\n%s\n%s", before, after)
	}
}

// shortName keeps a subtest's name readable when its arguments hold a pasted page.
func shortName(args string) string {
	if len(args) > 60 {
		return args[:60] + "..."
	}
	return args
}

// TestDryRun: populate --dry-run makes the very bank populate loads (the demo's, in
// testdata/demo.golden) and needs no database to do it.
func TestDryRun(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "demo.golden"))
	if err != nil {
		t.Fatal(err)
	}
	var loaded string
	for _, line := range strings.Split(string(golden), "\n") {
		if rest, ok := strings.CutPrefix(line, "Populated from seed 42: "); ok {
			loaded = rest
		}
	}
	if loaded == "" {
		t.Fatal("demo.golden has no populate line")
	}
	for _, jobs := range []string{"--jobs=1", "--jobs=3", "--workers=2"} {
		r := client(t, "Driver={no such driver}", "populate", "--dry-run", jobs)
		if want := "Made from seed 42, loaded nowhere: " + loaded + "\n"; r.code != 0 || r.stdout != want {
			t.Errorf("%s: exit %d, printed %q, want %q (stderr %q)", jobs, r.code, r.stdout, want, r.stderr)
		}
	}
}
