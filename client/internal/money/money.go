// Package money holds exact decimal amounts: a balance or an amount as integer cents
// (Cents), a sum of balances as exact decimal text of any size (Total), and fixed-point
// numbers of any scale such as the CLI's percentages (ParseFixed, FormatFixed). Nothing
// here ever passes through a float. Cents and Total convert themselves at the database
// boundary (sql.Scanner, driver.Valuer), from numeric read as text.
package money

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"funwithbanking/client/internal/quote"
)

// Cents is an amount of money in cents.
type Cents int64

// MaxCents is the largest amount a numeric(15,2) column holds: 9,999,999,999,999.99.
const MaxCents Cents = 999_999_999_999_999

var (
	errEmpty   = errors.New("is empty")
	errSyntax  = errors.New("is not a decimal number")
	errTooBig  = errors.New("is too large")
	errPlaces  = errors.New("has too many decimal places")
	errNegSign = errors.New("must not be negative")
)

// ParseFixed parses a plain non-negative decimal ("12", "12.5", "0.07") into an integer
// scaled by 10^places, refusing more decimals rather than rounding, and anything but digits
// with at most one point (strconv would take some signs, exponents, spaces, NaN or Inf).
func ParseFixed(s string, places int) (int64, error) {
	if s == "" {
		return 0, errEmpty
	}
	if s[0] == '-' {
		return 0, errNegSign
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, errSyntax
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, errSyntax
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > places {
		return 0, errPlaces
	}
	whole = strings.TrimLeft(whole, "0")
	// Past 19 digits nothing fits an int64; at 19, ParseInt tells.
	if len(whole)+places > 19 {
		return 0, errTooBig
	}
	digits := whole + frac + strings.Repeat("0", places-len(frac))
	if digits == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, errTooBig
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatFixed renders v/10^places with exactly places decimals.
func FormatFixed(v int64, places int) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign = "-"
		u = uint64(-v)
	}
	s := strconv.FormatUint(u, 10)
	if places == 0 {
		return sign + s
	}
	if len(s) <= places {
		s = strings.Repeat("0", places-len(s)+1) + s
	}
	return sign + s[:len(s)-places] + "." + s[len(s)-places:]
}

// ParseCents parses a dollar amount with at most two decimals: "12.34", "5", "0.07".
func ParseCents(s string) (Cents, error) {
	v, err := ParseFixed(s, 2)
	if err != nil {
		return 0, fmt.Errorf("amount %s %w", quote.Short(s), err)
	}
	if Cents(v) > MaxCents {
		return 0, fmt.Errorf("amount %s %w (at most %s)", quote.Short(s), errTooBig, MaxCents)
	}
	return Cents(v), nil
}

// String renders dollars with exactly two decimals, as numeric(15,2) prints them.
func (c Cents) String() string { return FormatFixed(int64(c), 2) }

// Append appends c as String writes it, without allocating: the bulk load writes millions.
func (c Cents) Append(b []byte) []byte {
	u := uint64(c)
	if c < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	return append(b, '.', byte('0'+u/10%10), byte('0'+u%10))
}

// parseSigned is ParseFixed with an optional leading minus sign.
func parseSigned(s string, places int) (int64, error) {
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		v, err := ParseFixed(rest, places)
		return -v, err
	}
	return ParseFixed(s, places)
}

// fromDB reads a numeric the way our queries return it: as text (the ODBC driver would
// turn numeric into float64, so every query casts money to text).
func fromDB(src any) (string, error) {
	switch v := src.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case nil:
		return "", errors.New("NULL money value from the database")
	default:
		return "", fmt.Errorf("money from the database as %T: cast it to text in the query", src)
	}
}

// Scan reads a balance or an amount (numeric(15,2) as text, a sign allowed).
func (c *Cents) Scan(src any) error {
	s, err := fromDB(src)
	if err != nil {
		return err
	}
	v, err := parseSigned(s, 2)
	if err != nil {
		return fmt.Errorf("unexpected money value %q from the database: %w", s, err)
	}
	*c = Cents(v)
	return nil
}

// Value sends the amount as exact decimal text, for a numeric parameter.
func (c Cents) Value() (driver.Value, error) { return c.String(), nil }

// Total is a sum of balances, exact to the cent and of any size: such a sum is unbounded
// in SQL and may pass an int64 of cents. Kept as canonical text ("-12.30", "0.00"), two
// Totals are equal exactly when == says so.
type Total struct{ s string }

// TotalOf is c as a Total.
func TotalOf(c Cents) Total { return Total{c.String()} }

// ParseTotal reads a decimal with at most two significant decimals and an optional
// leading minus sign, of any length.
func ParseTotal(s string) (Total, error) {
	neg := false
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		neg, s = true, rest
	}
	whole, frac, _ := strings.Cut(s, ".")
	if (whole == "" && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return Total{}, errSyntax
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 2 {
		return Total{}, errPlaces
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	t := whole + "." + frac + strings.Repeat("0", 2-len(frac))
	if neg && t != "0.00" {
		t = "-" + t
	}
	return Total{t}, nil
}

// String renders the total with exactly two decimals.
func (t Total) String() string {
	if t.s == "" {
		return "0.00"
	}
	return t.s
}

// Cents is the total as Cents, when it fits.
func (t Total) Cents() (Cents, error) {
	v, err := parseSigned(t.String(), 2)
	return Cents(v), err
}

// Cmp compares two totals: -1, 0 or +1.
func (t Total) Cmp(u Total) int { return t.big().Cmp(u.big()) }

func (t Total) big() *big.Int {
	n, _ := new(big.Int).SetString(strings.Replace(t.String(), ".", "", 1), 10)
	return n
}

// Scan reads a numeric sum as text.
func (t *Total) Scan(src any) error {
	s, err := fromDB(src)
	if err != nil {
		return err
	}
	v, err := ParseTotal(s)
	if err != nil {
		return fmt.Errorf("unexpected money total %q from the database: %w", s, err)
	}
	*t = v
	return nil
}

// Value sends the total as exact decimal text.
func (t Total) Value() (driver.Value, error) { return t.String(), nil }

// GroupThousands puts a comma between each three digits of a number's whole part.
func GroupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}
