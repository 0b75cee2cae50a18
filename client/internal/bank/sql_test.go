package bank

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"funwithbanking/client/internal/pgtest"
)

var checkCall = regexp.MustCompile(`(?m)^SELECT pg_temp\.(is|throws)\(`)

// TestSQLFiles runs each db/test/*.sql with psql, as a psql user would, on a fresh bank;
// on one node, db/test/one_node/*.sql too (the steps Citus does without: TestCitus says so).
func TestSQLFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(pgtest.RepoRoot(), "db", "test", "*.sql"))
	oneNode, _ := filepath.Glob(filepath.Join(pgtest.RepoRoot(), "db", "test", "one_node", "*.sql"))
	if len(files) == 0 || len(oneNode) == 0 {
		t.Fatal("no db/test/*.sql or db/test/one_node/*.sql")
	}
	if !server.Citus() {
		files = append(files, oneNode...)
	} else {
		t.Logf("on Citus, not run (one node only): %v", oneNode)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			name, err := server.NewDatabase()
			if err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Every check is a statement of its own that starts a line.
			want := len(checkCall.FindAll(src, -1))
			out, err := server.Psql(name, "-f", f)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(out, "NOTICE:  ok - "); n != want || !strings.Contains(out, "all checks passed") {
				t.Fatalf("%d of %d checks passed, or no closing line:\n%s", n, want, out)
			}
		})
	}
}
