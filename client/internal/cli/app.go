// Package cli is the client's command line: flags, their validation, and printing what
// the bank's functions return.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/dsn"
	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// Defaults of the calls, as the seed's brief states them.
const (
	DefaultLimit   = 10
	DefaultPercent = "10"
	DefaultCount   = 10
	maxSQLInt      = math.MaxInt32 // the functions take integer arguments
	maxWorkers     = 256
	percentPlaces  = 4 // percentages are exact to 0.0001
)

// usageError marks a mistake in the command line: exit status 2, like flag parsing.
type usageError struct{ error }

// Run runs the client with args (args[0] is the program name) and returns its exit status:
// 0 on success, 1 when the work failed, 2 for a bad command line.
func Run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := newApp(stdout, stderr).RunContext(ctx, args)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "client: %s\n", oneLine(err.Error()))
	var ue usageError
	var help ucli.ExitCoder // urfave's own help command says "No help topic for ..." so
	if errors.As(err, &ue) || errors.As(err, &help) {
		return 2
	}
	return 1
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// onUsage makes urfave's flag-parsing errors usage errors (exit status 2).
func onUsage(_ *ucli.Context, err error, _ bool) error { return usageError{err} }

func newApp(stdout, stderr io.Writer) *ucli.App {
	return &ucli.App{
		Name:           "client",
		Usage:          "Fun With Banking: fill the bank with seeded mock data and call its functions over ODBC",
		Writer:         stdout,
		ErrWriter:      stderr,
		OnUsageError:   onUsage,
		ExitErrHandler: func(*ucli.Context, error) {}, // Run reports errors, in one line
		// An unknown command reaches the app's Action (or a parent command's, below), which
		// returns it as a usage error: Run reports it, and deferred cleanup still runs.
		Action: unknownCommand,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "dsn", EnvVars: []string{"BANK_DSN"}, Usage: "ODBC connection string (default: the bank on 127.0.0.1 at --port)"},
			&ucli.IntFlag{Name: "port", Value: dsn.DefaultPort, EnvVars: []string{"BANK_PORT"}, Usage: "the bank's port on 127.0.0.1, as setup.sh published it; --dsn overrides"},
			&ucli.DurationFlag{Name: "statement-timeout", Value: bank.DefaultStatementTimeout, Usage: "the server cancels a statement that runs longer"},
			&ucli.DurationFlag{Name: "lock-timeout", Value: bank.DefaultLockTimeout, Usage: "the server gives up waiting for a lock after this long"},
		},
		Commands: []*ucli.Command{
			populateCommand(),
			callCommand(),
			inspectCommand(),
			benchCommand(onUsage),
			waitCommand(onUsage),
			demoCommand(),
		},
	}
}

func populateFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.IntFlag{Name: "customers", Value: gen.DefaultCustomers, Usage: "how many customers to make"},
		&ucli.IntFlag{Name: "max-accounts", Value: gen.DefaultMaxAccounts, Usage: "each customer holds 1..`M` accounts (random per customer), joint ones included"},
		&ucli.Uint64Flag{Name: "seed", Value: gen.DefaultSeed, Usage: "the same seed makes the same bank"},
		&ucli.IntFlag{Name: "workers", Value: runtime.NumCPU(), Usage: "goroutines making data (the data do not depend on it)"},
	}
}

func formatFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "format", Value: FormatTable, Usage: "table, json or csv"}
}

func limitFlags() []ucli.Flag {
	return []ucli.Flag{&ucli.IntFlag{Name: "limit", Value: DefaultLimit, Usage: "how many rows"}, formatFlag()}
}

func populateCommand() *ucli.Command {
	return &ucli.Command{
		Name: "populate", Usage: "replace the bank with a seeded mock bank, in one transaction",
		Flags: populateFlags(), OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			cfg, workers, err := populateConfig(c)
			if err != nil {
				return err
			}
			return withDB(c, func(db *bank.DB) error {
				_, err := populate(c, db, cfg, workers, c.App.Writer)
				return err
			})
		},
	}
}

func demoCommand() *ucli.Command {
	return &ucli.Command{
		Name: "demo", Usage: "populate, report, Robinhood, report again, and audit: what the seed's test script did",
		Flags: populateFlags(), OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			cfg, workers, err := populateConfig(c)
			if err != nil {
				return err
			}
			return withDB(c, func(db *bank.DB) error { return demo(c, db, cfg, workers, c.App.Writer, c.App.ErrWriter) })
		},
	}
}

func inspectCommand() *ucli.Command {
	return &ucli.Command{
		Name: "inspect", Usage: "profile the loaded bank: states beside the US population, accounts per customer, joint accounts, households, balance percentiles",
		Flags: limitFlags(), OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			limit := c.Int("limit")
			if err := checkRange("limit", limit, 1, maxSQLInt); err != nil {
				return err
			}
			format, err := checkFormat(c)
			if err != nil {
				return err
			}
			return withDB(c, func(db *bank.DB) error {
				sections, err := inspect(c.Context, db, limit)
				if err != nil {
					return err
				}
				return writeSections(c.App.Writer, format, sections)
			})
		},
	}
}

// callCommand holds one subcommand per function of the bank.
func callCommand() *ucli.Command {
	return &ucli.Command{
		Name: "call", Usage: "call one of the bank's functions and print what it returns",
		OnUsageError: onUsage, Action: unknownCommand,
		Subcommands: []*ucli.Command{
			reportCommand("top-states", "states with the highest average customer balance (bank.top_states)",
				func(ctx context.Context, db *bank.DB, limit int) (*result, error) { return topStates(ctx, db, limit) }),
			reportCommand("top-customers", "customers with the highest total balance (bank.top_customers)",
				func(ctx context.Context, db *bank.DB, limit int) (*result, error) {
					return customers(ctx, db, limit, true)
				}),
			reportCommand("bottom-customers", "customers with the lowest total balance (bank.bottom_customers)",
				func(ctx context.Context, db *bank.DB, limit int) (*result, error) {
					return customers(ctx, db, limit, false)
				}),
			robinhoodCommand(),
			transferCommand(),
			{
				Name: "audit", Usage: "count everything and add up all the money (bank.audit)",
				OnUsageError: onUsage,
				Flags:        []ucli.Flag{formatFlag()},
				Action: func(c *ucli.Context) error {
					return call(c, func(db *bank.DB) (*result, error) { return audit(c.Context, db) })
				},
			},
		},
	}
}

func reportCommand(name, usage string, run func(context.Context, *bank.DB, int) (*result, error)) *ucli.Command {
	return &ucli.Command{
		Name: name, Usage: usage, Flags: limitFlags(), OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			limit := c.Int("limit")
			if err := checkRange("limit", limit, 1, maxSQLInt); err != nil {
				return err
			}
			return call(c, func(db *bank.DB) (*result, error) { return run(c.Context, db, limit) })
		},
	}
}

func robinhoodCommand() *ucli.Command {
	return &ucli.Command{
		Name: "robinhood", Usage: "Operation Robinhood (bank.robinhood), in one transaction",
		OnUsageError: onUsage,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "percent", Value: DefaultPercent, Usage: "share of each donor's largest account, more than 0 and at most 100"},
			&ucli.IntFlag{Name: "count", Value: DefaultCount, Usage: "how many donors, and how many recipients"},
			formatFlag(),
		},
		Action: func(c *ucli.Context) error {
			percent, err := parsePercent(c.String("percent"))
			if err != nil {
				return err
			}
			count := c.Int("count")
			if err := checkRange("count", count, 1, maxSQLInt); err != nil {
				return err
			}
			return call(c, func(db *bank.DB) (*result, error) { return robinhood(c.Context, db, percent, count) })
		},
	}
}

func transferCommand() *ucli.Command {
	return &ucli.Command{
		Name: "transfer", Usage: "move money between two accounts (bank.transfer)",
		OnUsageError: onUsage,
		Flags: []ucli.Flag{
			&ucli.Int64Flag{Name: "from", Usage: "account to take from"},
			&ucli.Int64Flag{Name: "to", Usage: "account to pay into"},
			&ucli.StringFlag{Name: "amount", Usage: "dollars, at most two decimals, e.g. 12.50"},
			formatFlag(),
		},
		Action: func(c *ucli.Context) error {
			if err := requireFlags(c, "from", "to", "amount"); err != nil {
				return err
			}
			from, to := c.Int64("from"), c.Int64("to")
			amount, err := parseTransfer(from, to, c.String("amount"))
			if err != nil {
				return err
			}
			return call(c, func(db *bank.DB) (*result, error) { return transfer(c.Context, db, from, to, amount) })
		},
	}
}

// unknownCommand is the Action of the app and of commands that only hold subcommands: with
// no argument it shows their help; with one, that argument named no command.
func unknownCommand(c *ucli.Context) error {
	if !c.Args().Present() {
		return ucli.ShowSubcommandHelp(c)
	}
	return usageError{fmt.Errorf("unknown command %q (try --help)", c.Args().First())}
}

// Validation, apart from parsing: urfave has turned text into numbers; here we decide
// whether the numbers make sense, before anything touches the database.

// requireFlags is ours rather than urfave's Required, whose error is not a usage error.
func requireFlags(c *ucli.Context, names ...string) error {
	var missing []string
	for _, n := range names {
		if !c.IsSet(n) {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usageError{fmt.Errorf("missing %s (see --help)", strings.Join(missing, ", "))}
	}
	return nil
}

func checkRange(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return usageError{fmt.Errorf("--%s must be between %d and %d, got %d", name, lo, hi, v)}
	}
	return nil
}

func populateConfig(c *ucli.Context) (gen.Config, int, error) {
	cfg := gen.Config{Customers: c.Int("customers"), MaxAccounts: c.Int("max-accounts"), Seed: c.Uint64("seed")}
	if err := checkRange("customers", cfg.Customers, 1, gen.MaxCustomers); err != nil {
		return cfg, 0, err
	}
	if err := checkRange("max-accounts", cfg.MaxAccounts, 1, gen.MaxMaxAccounts); err != nil {
		return cfg, 0, err
	}
	workers := c.Int("workers")
	if err := checkRange("workers", workers, 1, maxWorkers); err != nil {
		return cfg, 0, err
	}
	return cfg, workers, nil
}

// parsePercent accepts more than 0 and at most 100, exact to 0.0001, and returns it as
// the decimal text the function receives.
func parsePercent(s string) (string, error) {
	v, err := money.ParseFixed(s, percentPlaces)
	if err != nil {
		return "", usageError{fmt.Errorf("--percent %q %w", s, err)}
	}
	if v <= 0 || v > 100*10_000 {
		return "", usageError{fmt.Errorf("--percent must be more than 0 and at most 100, got %s", s)}
	}
	return money.FormatFixed(v, percentPlaces), nil
}

func parseTransfer(from, to int64, amount string) (money.Cents, error) {
	if from < 1 || to < 1 {
		return 0, usageError{fmt.Errorf("--from and --to are account ids, whole numbers from 1; got %d and %d", from, to)}
	}
	if from == to {
		return 0, usageError{fmt.Errorf("--from and --to are both account %d: a transfer needs two accounts", from)}
	}
	c, err := money.ParseCents(amount)
	if err != nil {
		return 0, usageError{err}
	}
	if c == 0 {
		return 0, usageError{fmt.Errorf("amount must be more than 0, got %q", amount)}
	}
	return c, nil
}

func withDB(c *ucli.Context, fn func(*bank.DB) error) error {
	db, err := bank.Open(c.Context, dsnOf(c), bank.Options{
		StatementTimeout: c.Duration("statement-timeout"),
		LockTimeout:      c.Duration("lock-timeout"),
	})
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// dsnOf is --dsn (or BANK_DSN) when given, else the bank on 127.0.0.1 at --port (or
// BANK_PORT): after `BANK_PORT=55432 ./setup.sh`, the same BANK_PORT reaches it.
func dsnOf(c *ucli.Context) string {
	if d := c.String("dsn"); d != "" {
		return d
	}
	return dsn.For(c.Int("port"), "bank")
}

func checkFormat(c *ucli.Context) (string, error) {
	format := c.String("format")
	if !slices.Contains(formats, format) {
		return "", usageError{fmt.Errorf("--format must be one of %s, got %q", strings.Join(formats, ", "), format)}
	}
	return format, nil
}

func call(c *ucli.Context, fn func(*bank.DB) (*result, error)) error {
	format, err := checkFormat(c)
	if err != nil {
		return err
	}
	return withDB(c, func(db *bank.DB) error {
		r, err := fn(db)
		if err != nil {
			return err
		}
		return r.write(c.App.Writer, format)
	})
}

// populate loads the bank, prints what it loaded to stdout and how long it took to stderr.
func populate(c *ucli.Context, db *bank.DB, cfg gen.Config, workers int, stdout io.Writer) (bank.LoadSummary, error) {
	start := time.Now()
	bar := progressBar(c.App.ErrWriter)
	s, err := db.Populate(c.Context, cfg, workers, bar)
	if bar != nil {
		fmt.Fprint(c.App.ErrWriter, "\r\033[K")
	}
	if err != nil {
		return s, fmt.Errorf("populate: %w", err)
	}
	fmt.Fprintf(stdout, "Populated from seed %d: %d customers, %d accounts (%d joint), %d holder links, %s in all.\n",
		cfg.Seed, s.Customers, s.Accounts, s.Joint, s.Links, s.Total)
	fmt.Fprintf(c.App.ErrWriter, "populate took %s\n", time.Since(start).Round(time.Millisecond))
	return s, nil
}
