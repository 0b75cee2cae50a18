package drivers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Debian's Python, which has python3-psycopg and python3-asyncpg; the first python3 on a
// PATH may be another.
const python = "/usr/bin/python3"

// RequirePsycopgEnv and RequireAsyncpgEnv, set to 1 (as CI does), make a machine without
// Debian's python3-psycopg or python3-asyncpg fail that driver's test instead of skipping it
// (with the reason, which make test prints).
const (
	RequirePsycopgEnv = "BANK_REQUIRE_PSYCOPG"
	RequireAsyncpgEnv = "BANK_REQUIRE_ASYNCPG"
)

// TestPsycopg runs testdata/psycopg_claims.py: one subtest per claim of docs/clients.md
// about psycopg 3, each failing with the script's reason.
func TestPsycopg(t *testing.T) {
	pythonClaims(t, "psycopg", "python3-psycopg", RequirePsycopgEnv, "psycopg_claims.py")
}

// TestAsyncpg runs testdata/asyncpg_claims.py, as TestPsycopg does for psycopg.
func TestAsyncpg(t *testing.T) {
	pythonClaims(t, "asyncpg", "python3-asyncpg", RequireAsyncpgEnv, "asyncpg_claims.py")
}

// pythonClaims runs a claims script against a small bank. The script prints the driver's
// version, then "ok NAME" or "FAIL NAME: why" for each claim.
func pythonClaims(t *testing.T, module, debianPackage, requireEnv, script string) {
	if out, err := exec.Command(python, "-c", "import "+module).CombinedOutput(); err != nil {
		why := "the " + module + " test needs Debian's " + debianPackage + " (apt-get install " + debianPackage + "): " +
			lastLine(string(out), err)
		if os.Getenv(requireEnv) == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	out, err := exec.Command(python, filepath.Join("testdata", script), newBank(t)).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[0]) // the versions
	claims, failed := 0, 0
	for _, line := range lines[1:] {
		verdict, rest, _ := strings.Cut(line, " ")
		name, why, _ := strings.Cut(rest, ": ")
		switch verdict {
		case "ok", "FAIL":
			claims++
			if verdict == "FAIL" {
				failed++
			}
			t.Run(name, func(t *testing.T) {
				if verdict == "FAIL" {
					t.Error(why)
				}
			})
		default:
			t.Errorf("%s: %s", script, line)
		}
	}
	// A failed claim has said why; anything else that failed shows the whole output.
	if (err != nil && failed == 0) || claims == 0 {
		t.Errorf("%s: %v, %d claims\n%s", script, err, claims, out)
	}
}

// lastLine is the last line of a command's output (Python's exception), or its error.
func lastLine(out string, err error) string {
	if lines := strings.Split(strings.TrimSpace(out), "\n"); lines[len(lines)-1] != "" {
		return lines[len(lines)-1]
	}
	return err.Error()
}
