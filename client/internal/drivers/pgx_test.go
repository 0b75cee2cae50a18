package drivers

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPgx runs testdata/pgx, the pgx claims, against a small bank they copy, one subtest
// here for each of theirs. They are a module of their own: pgx in the bank's go.mod would
// enter the deliverable archive's go.sum, which has no room for it under 100 KB.
func TestPgx(t *testing.T) {
	cmd := exec.Command("go", "test", "-count=1", "-json", ".")
	cmd.Dir = filepath.Join("testdata", "pgx")
	cmd.Env = append(os.Environ(), "BANK_PGX_TEMPLATE="+newBank(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()

	// go test -json: one event a line; a test's output, then its verdict.
	type event struct{ Action, Test, Output string }
	output := map[string]*strings.Builder{}
	var order []string
	verdict := map[string]string{}
	var pkg strings.Builder
	for _, line := range bytes.Split(out, []byte("\n")) {
		var e event
		if json.Unmarshal(line, &e) != nil {
			continue
		}
		switch {
		case e.Test == "":
			pkg.WriteString(e.Output)
		case e.Action == "run":
			order = append(order, e.Test)
			output[e.Test] = &strings.Builder{}
		case e.Action == "output":
			output[e.Test].WriteString(e.Output)
		case e.Action == "pass" || e.Action == "fail" || e.Action == "skip":
			verdict[e.Test] = e.Action
		}
	}
	// The top-level tests here, their subtests inside them.
	for _, top := range order {
		if strings.Contains(top, "/") {
			continue
		}
		t.Run(top, func(t *testing.T) {
			sub := false
			for _, name := range order {
				if child, ok := strings.CutPrefix(name, top+"/"); ok {
					sub = true
					t.Run(child, func(t *testing.T) { report(t, verdict[name], output[name].String()) })
				}
			}
			if !sub || verdict[top] != "fail" {
				report(t, verdict[top], output[top].String())
			}
		})
	}
	if err != nil && !strings.Contains(string(out), `"Action":"fail","Package"`) || len(order) == 0 {
		t.Fatalf("go test in testdata/pgx: %v\n%s%s", err, pkg.String(), stderr.String())
	}
}

// report gives t the verdict and output of the test it stands for, less the lines that
// announce tests and verdicts, which t's own would repeat (and make test would count twice).
func report(t *testing.T, verdict, output string) {
	var kept []string
	for _, line := range strings.Split(strings.TrimRight(output, "\n"), "\n") {
		if l := strings.TrimSpace(line); !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- ") {
			kept = append(kept, line)
		}
	}
	output = strings.Join(kept, "\n")
	switch verdict {
	case "pass":
	case "skip":
		t.Skip(output)
	case "fail":
		t.Error(output)
	default:
		t.Errorf("no verdict:\n%s", output)
	}
}
