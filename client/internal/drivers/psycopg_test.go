package drivers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Debian's Python, which has python3-psycopg; the first python3 on a PATH may be another.
const python = "/usr/bin/python3"

// RequirePsycopgEnv, set to 1 (as CI does), makes a machine without Debian's python3-psycopg
// fail the psycopg test instead of skipping it (with the reason, which make test prints).
const RequirePsycopgEnv = "BANK_REQUIRE_PSYCOPG"

// TestPsycopg runs testdata/psycopg_claims.py against a small bank: one subtest per claim
// of docs/clients.md about psycopg 3, each failing with the script's reason.
func TestPsycopg(t *testing.T) {
	if out, err := exec.Command(python, "-c", "import psycopg").CombinedOutput(); err != nil {
		why := "the psycopg test needs Debian's python3-psycopg (apt-get install python3-psycopg): " +
			strings.TrimSpace(lastLine(string(out), err))
		if os.Getenv(RequirePsycopgEnv) == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	url := newBank(t)
	out, err := exec.Command(python, filepath.Join("testdata", "psycopg_claims.py"), url).CombinedOutput()
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
			t.Errorf("psycopg_claims.py: %s", line)
		}
	}
	// A failed claim has said why; anything else that failed shows the whole output.
	if (err != nil && failed == 0) || claims == 0 {
		t.Errorf("psycopg_claims.py: %v, %d claims\n%s", err, claims, out)
	}
}

// lastLine is the last line of a command's output (Python's exception), or its error.
func lastLine(out string, err error) string {
	if lines := strings.Split(strings.TrimSpace(out), "\n"); lines[len(lines)-1] != "" {
		return lines[len(lines)-1]
	}
	return err.Error()
}
