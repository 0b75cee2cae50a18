package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// cutOutput is standard output whose reader stops after lines lines, as `| head -n` does:
// the write that completes the last line is taken whole, and every later one fails as a
// write to a closed pipe does.
type cutOutput struct{ lines, seen int }

func (c *cutOutput) Write(p []byte) (int, error) {
	if c.seen >= c.lines {
		return 0, syscall.EPIPE
	}
	c.seen += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

// TestDemoOutputCut: `client demo | head -3` has loaded the bank when its output breaks,
// and must not say that nothing changed (exit 1): it exits 4 and names what committed, the
// Robinhood's transaction too once it ran. With no reader from the start, it changes
// nothing and says so.
func TestDemoOutputCut(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "demo.golden"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(golden), "\n")
	robinhoodEnd := 0 // the lines up to the end of the Robinhood's table
	for i, l := range lines {
		if strings.HasPrefix(l, "Operation Robinhood") {
			for robinhoodEnd = i; lines[robinhoodEnd] != ""; robinhoodEnd++ {
			}
			break
		}
	}
	for _, tt := range []struct {
		name   string
		lines  int
		code   int
		want   string
		loaded bool
	}{
		{"no reader", 0, 1, "could not write", false},
		{"head -3", 3, 4, "the load committed, but", true},
		{"cut after the Robinhood", robinhoodEnd, 4, "the load and the Robinhood (transaction ", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := newDatabase(t)
			var stderr bytes.Buffer
			code := Run([]string{"client", "--dsn", d, "demo"}, &cutOutput{lines: tt.lines}, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("exit %d (want %d), stderr should say %q:\n%s", code, tt.code, tt.want, stderr.String())
			}
			out, err := server.Psql(dsnDatabase(d), "-A", "-t", "-c", "SELECT count(*) > 0 FROM bank.customers")
			if err != nil {
				t.Fatal(err)
			}
			if loaded := strings.TrimSpace(out) == "t"; loaded != tt.loaded {
				t.Fatalf("the bank was loaded: %v, want %v", loaded, tt.loaded)
			}
		})
	}
}
