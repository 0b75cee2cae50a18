package bank

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"funwithbanking/client/internal/pgtest"
)

// The settings each schedule runs under: PostgreSQL's defaults (no lock or statement
// timeout), and the client's.
var isolationSettings = []struct{ name, options string }{
	{"postgres-defaults", ""},
	{"client-settings", "-c lock_timeout=30s -c statement_timeout=300s"},
}

// TestIsolation runs the isolation specs of db/test/isolation with PostgreSQL's own tester
// (pg_isolation_regress): one_node_schedule on one node, citus_schedule on Citus. Each
// spec's expected output says which step waits for which and what each sees.
func TestIsolation(t *testing.T) {
	regress, err := isolationRegress(server.BinDir)
	if err != nil {
		t.Fatal(err)
	}
	schedule := "one_node_schedule"
	if server.Citus() {
		schedule = "citus_schedule"
	}
	for _, s := range isolationSettings {
		t.Run(s.name, func(t *testing.T) {
			name, err := server.NewDatabase()
			if err != nil {
				t.Fatal(err)
			}
			setup := []string{"-f", filepath.Join(isolationDir(), "bank.sql")}
			if server.Citus() {
				// Citus's own tester function also sees waits on the workers.
				setup = append(setup, "-c", "SELECT citus_internal.replace_isolation_tester_func()")
			}
			if out, err := server.Psql(name, setup...); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			out := t.TempDir()
			cmd := exec.Command(regress, "--use-existing", "--host=127.0.0.1", "--port="+strconv.Itoa(server.Port),
				"--user=postgres", "--dbname="+name, "--inputdir="+isolationDir(), "--outputdir="+out,
				"--schedule="+filepath.Join(isolationDir(), schedule))
			// A step that neither ends nor waits on a lock (a spin) fails the run within a minute.
			cmd.Env = append(os.Environ(), "PGOPTIONS="+s.options, "PGISOLATIONTIMEOUT=60")
			log, err := cmd.CombinedOutput()
			if err != nil {
				diffs, _ := os.ReadFile(filepath.Join(out, "regression.diffs"))
				t.Fatalf("%v\n%s\n%s", err, log, diffs)
			}
			t.Logf("%s", log)
		})
	}
}

// isolationDir holds the specs, their expected outputs and the schedules.
func isolationDir() string { return filepath.Join(pgtest.RepoRoot(), "db", "test", "isolation") }

// isolationRegress finds pg_isolation_regress where Debian's postgresql-client installs it,
// beside PGXS.
func isolationRegress(binDir string) (string, error) {
	out, err := exec.Command(filepath.Join(binDir, "pg_config"), "--pkglibdir").Output()
	if err != nil {
		return "", err
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "pgxs", "src", "test", "isolation", "pg_isolation_regress")
	if _, err := os.Stat(path); err != nil {
		return "", err
	}
	return path, nil
}
