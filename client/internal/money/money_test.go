package money

import (
	"math"
	"strings"
	"testing"
)

func TestParseCents(t *testing.T) {
	tests := []struct {
		in      string
		want    Cents
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "12", want: 1200},
		{in: "12.3", want: 1230},
		{in: "12.34", want: 1234},
		{in: "12.340", want: 1234},
		{in: "0.07", want: 7},
		{in: ".5", want: 50},
		{in: "5.", want: 500},
		{in: "007.10", want: 710},
		{in: "9999999999999.99", want: MaxCents},
		{in: "", wantErr: "is empty"},
		{in: ".", wantErr: "not a decimal"},
		{in: "-1", wantErr: "negative"},
		{in: "+1", wantErr: "not a decimal"},
		{in: "1e3", wantErr: "not a decimal"},
		{in: "NaN", wantErr: "not a decimal"},
		{in: "Inf", wantErr: "not a decimal"},
		{in: " 1", wantErr: "not a decimal"},
		{in: "1,000", wantErr: "not a decimal"},
		{in: "1.2.3", wantErr: "not a decimal"},
		{in: "0.005", wantErr: "too many decimal places"},
		{in: "10000000000000", wantErr: "too large"},
		{in: "99999999999999999999999", wantErr: "too large"},
		{in: "1; DROP TABLE bank.accounts", wantErr: "not a decimal"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCents(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCents(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCents(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatFixed(t *testing.T) {
	tests := []struct {
		v      int64
		places int
		want   string
	}{
		{0, 2, "0.00"}, {7, 2, "0.07"}, {1234, 2, "12.34"}, {-5, 2, "-0.05"},
		{100000, 4, "10.0000"}, {42, 0, "42"},
	}
	for _, tt := range tests {
		if got := FormatFixed(tt.v, tt.places); got != tt.want {
			t.Errorf("FormatFixed(%d, %d) = %q, want %q", tt.v, tt.places, got, tt.want)
		}
	}
}

// FuzzParseCents: whatever the input, a parsed amount prints back to a string that
// parses to the same amount, and is never negative or beyond numeric(15,2).
func FuzzParseCents(f *testing.F) {
	for _, s := range []string{"0", "12.34", ".5", "5.", "0.005", "-1", "9999999999999.99", "1e3", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCents(s)
		if err != nil {
			return
		}
		if c < 0 || c > MaxCents {
			t.Fatalf("ParseCents(%q) = %d: out of range", s, c)
		}
		back, err := ParseCents(c.String())
		if err != nil || back != c {
			t.Fatalf("ParseCents(%q) = %d, but %q parses to %d, %v", s, c, c.String(), back, err)
		}
	})
}

// FuzzAppend: Append writes exactly what String does, for every int64 (the bulk load
// sends one, the rest of the client prints the other).
func FuzzAppend(f *testing.F) {
	for _, c := range []int64{0, 5, 10, 99, 100, 12345, -1, -105, math.MaxInt64, math.MinInt64} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c int64) {
		if got, want := string(Cents(c).Append([]byte("x"))), "x"+Cents(c).String(); got != want {
			t.Fatalf("Append(%d) = %q, want %q", c, got, want)
		}
	})
}

func TestTotal(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "0", want: "0.00"},
		{in: "-0.00", want: "0.00"},
		{in: "12.5", want: "12.50"},
		{in: "007.10", want: "7.10"},
		{in: "-3.05", want: "-3.05"},
		// Past an int64 of cents: a sum of balances has no bound.
		{in: "110000000000000000000.01", want: "110000000000000000000.01"},
		{in: "1.005", wantErr: "too many decimal places"},
		{in: "NaN", wantErr: "not a decimal"},
		{in: "1e5", wantErr: "not a decimal"},
		{in: "", wantErr: "not a decimal"},
		{in: "--1", wantErr: "not a decimal"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Total
			err := got.Scan([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Scan(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("Scan(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
	big, _ := ParseTotal("92233720368547758.08") // one cent more than an int64 of cents
	if _, err := big.Cents(); err == nil {
		t.Error("Cents() of a total beyond int64 did not fail")
	}
	if big.Cmp(TotalOf(MaxCents)) != 1 || TotalOf(5).Cmp(TotalOf(7)) != -1 || TotalOf(7).Cmp(TotalOf(7)) != 0 {
		t.Error("Cmp orders totals wrongly")
	}
	if TotalOf(1234) != (Total{"12.34"}) {
		t.Error("TotalOf is not canonical")
	}
	var c Cents
	if err := c.Scan(float64(1.5)); err == nil || !strings.Contains(err.Error(), "cast it to text") {
		t.Errorf("Scan of a float64 = %v; want a refusal", err)
	}
	if err := c.Scan("-12.34"); err != nil || c != -1234 {
		t.Errorf("Scan(-12.34) = %v, %v", c, err)
	}
	if v, err := Cents(1234).Value(); err != nil || v != "12.34" {
		t.Errorf("Value() = %v, %v", v, err)
	}
}

func FuzzTotal(f *testing.F) {
	for _, s := range []string{"0", "12.34", "-1.5", "99999999999999999999.99", "1.", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseTotal(s)
		if err != nil {
			return
		}
		// Canonical: parsing its own text gives it back.
		b, err := ParseTotal(a.String())
		if err != nil || a != b || a.Cmp(b) != 0 {
			t.Fatalf("%q -> %q -> %q, %v", s, a, b, err)
		}
	})
}

func TestGroupThousands(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"0", "0"}, {"999", "999"}, {"1000", "1,000"}, {"-1234567.89", "-1,234,567.89"},
		{"123456", "123,456"}, {"12345.5", "12,345.5"},
	} {
		if got := GroupThousands(tt.in); got != tt.want {
			t.Errorf("GroupThousands(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
