package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/quote"
)

// Integer flags read base 10 and nothing else. urfave's own integer flags take Go's
// prefixes: 010 is octal 8 and 0x10 is 16, so a zero-padded account number would name
// another account, and a seed or port another one than typed.

// decimal is the value of a signed integer flag.
type decimal struct{ v int64 }

func (d *decimal) Set(s string) error {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return notDecimal(s, err)
	}
	d.v = v
	return nil
}

func (d *decimal) String() string { return strconv.FormatInt(d.v, 10) }

// udecimal is the value of an unsigned integer flag (seeds).
type udecimal struct{ v uint64 }

func (d *udecimal) Set(s string) error {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "+"), 10, 64)
	if err != nil {
		return notDecimal(s, err)
	}
	d.v = v
	return nil
}

func (d *udecimal) String() string { return strconv.FormatUint(d.v, 10) }

func notDecimal(s string, err error) error {
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return fmt.Errorf("%s is out of range", quote.Short(s))
	}
	return fmt.Errorf("%s is not a whole number in base 10", quote.Short(s))
}

func intFlag(name string, value int64, usage string, env ...string) *ucli.GenericFlag {
	return &ucli.GenericFlag{Name: name, Value: &decimal{value}, Usage: usage, EnvVars: env}
}

func uintFlag(name string, value uint64, usage string) *ucli.GenericFlag {
	return &ucli.GenericFlag{Name: name, Value: &udecimal{value}, Usage: usage}
}

// intOf and uintOf read the flags above, from this command or any parent.
func intOf(c *ucli.Context, name string) int64 { return c.Generic(name).(*decimal).v }

func uintOf(c *ucli.Context, name string) uint64 { return c.Generic(name).(*udecimal).v }

// duration is the value of a duration flag: Go's notation (300ms, 1.5s, 2m), with our
// message when it is not one.
type duration struct{ v time.Duration }

func (d *duration) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%s is not a duration such as 300ms, 1.5s or 2m", quote.Short(s))
	}
	d.v = v
	return nil
}

func (d *duration) String() string { return d.v.String() }

func durationFlag(name string, value time.Duration, usage string) *ucli.GenericFlag {
	return &ucli.GenericFlag{Name: name, Value: &duration{value}, Usage: usage}
}

func durationOf(c *ucli.Context, name string) time.Duration { return c.Generic(name).(*duration).v }
