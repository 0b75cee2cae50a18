// Package money holds exact decimal amounts as integers: dollars as cents, percentages
// as hundredths of a percent. Nothing here ever passes through a float.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
// scaled by 10^places, refusing more than places decimals rather than rounding them away,
// and anything that is not digits with at most one point (no signs, exponents, spaces,
// "NaN" or "Inf": strconv would accept some of those).
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
	// 18 digits always fit in an int64; more than that is beyond any amount we hold.
	if len(whole)+places > 18 {
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
		return 0, fmt.Errorf("amount %q %w", s, err)
	}
	if Cents(v) > MaxCents {
		return 0, fmt.Errorf("amount %q %w (at most %s)", s, errTooBig, MaxCents)
	}
	return Cents(v), nil
}

// String renders dollars with exactly two decimals, as numeric(15,2) prints them.
func (c Cents) String() string { return FormatFixed(int64(c), 2) }
