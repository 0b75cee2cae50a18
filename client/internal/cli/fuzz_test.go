package cli

import (
	"strings"
	"testing"

	"funwithbanking/client/internal/money"
)

// FuzzParsePercent: whatever --percent gets, parsePercent either refuses it or returns
// a canonical decimal in (0, 100] that it accepts again unchanged.
func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{"10", "12.5", "0.0001", "100", "0", "-1", "100.0001", "1e2", " 10", "NaN", "10;DROP", "٣", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parsePercent(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("parsePercent(%q): error spans lines: %q", s, err)
			}
			return
		}
		v, err := money.ParseFixed(got, percentPlaces)
		if err != nil || v <= 0 || v > 100*10_000 {
			t.Fatalf("parsePercent(%q) = %q, which is not in (0, 100]", s, got)
		}
		if again, err := parsePercent(got); err != nil || again != got {
			t.Fatalf("parsePercent(%q) = %q, but parsePercent(%q) = %q, %v", s, got, got, again, err)
		}
	})
}

// FuzzParseTransfer: an accepted transfer has two different accounts from 1 and an
// amount of at least a cent that prints back to what was parsed.
func FuzzParseTransfer(f *testing.F) {
	f.Add(int64(1), int64(2), "12.50")
	f.Add(int64(1), int64(1), "1")
	f.Add(int64(0), int64(-3), "0.001")
	f.Add(int64(9223372036854775807), int64(1), "99999999999999999999")
	f.Add(int64(5), int64(6), "1; DELETE FROM bank.accounts")
	f.Fuzz(func(t *testing.T, from, to int64, amount string) {
		c, err := parseTransfer(from, to, amount)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("parseTransfer(%d, %d, %q): error spans lines: %q", from, to, amount, err)
			}
			return
		}
		if from < 1 || to < 1 || from == to || c < 1 || c > money.MaxCents {
			t.Fatalf("parseTransfer(%d, %d, %q) accepted %d", from, to, amount, c)
		}
		if back, err := money.ParseCents(c.String()); err != nil || back != c {
			t.Fatalf("amount %q parsed to %d, which prints as %q and reads back as %d, %v", amount, c, c, back, err)
		}
	})
}

// TestPrintable: a name with control characters (a psql user can insert one) reaches the
// terminal escaped, one line, as psql shows it.
func TestPrintable(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Zoë", "Zoë"},
		{"O'Connor", "O'Connor"},
		{"\x1b[31mred", `\x1b[31mred`},
		{"two\nlines", `two\x0alines`},
		{"tab\there", `tab\x09here`},
		{"del\x7f", `del\x7f`},
	} {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var sb strings.Builder
	r := &result{cols: []column{{"name", text}}}
	r.add("a\nb")
	if err := r.writeTable(&sb); err != nil || strings.Count(sb.String(), "\n") != 3 {
		t.Errorf("a table with a newline in a cell:\n%s", sb.String())
	}
}
