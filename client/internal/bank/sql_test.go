package bank

import (
	"path/filepath"
	"strings"
	"testing"

	"funwithbanking/client/internal/pgtest"
)

// TestSQLFiles runs each db/test/*.sql with psql, as a psql user would, on a fresh bank.
func TestSQLFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(pgtest.RepoRoot(), "db", "test", "*.sql"))
	if len(files) == 0 {
		t.Fatal("no db/test/*.sql")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			name, err := server.NewDatabase()
			if err != nil {
				t.Fatal(err)
			}
			out, err := server.Psql(name, "-f", f)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(out, "NOTICE:  ok - "); n < 10 || !strings.Contains(out, "all checks passed") {
				t.Fatalf("%d checks passed and no closing line:\n%s", n, out)
			}
		})
	}
}
