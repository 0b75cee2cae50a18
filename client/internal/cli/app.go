// Package cli is the client's command line: flags, their validation, and printing what
// the bank's functions return.
package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/dsn"
	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
	"funwithbanking/client/internal/quote"
)

// Defaults of the calls, as the seed's brief states them.
const (
	DefaultLimit   = 10
	DefaultPercent = "10"
	DefaultCount   = 10
	maxSQLInt      = math.MaxInt32 // the functions take integer arguments
	maxJobs        = 256
	percentPlaces  = 4 // percentages are exact to 0.0001
)

// usageError marks a mistake in the command line: exit status 2, like flag parsing.
type usageError struct{ error }

// Run runs the client with args (args[0] is the program name) and returns its exit status
// (exitOK and the others, in exit.go).
func Run(args []string, stdout, stderr io.Writer) int {
	stdout, stderr = guardStream(stdout), guardStream(stderr)
	ctx, stop := notifyStop(context.Background(), stderr)
	defer stop()
	// A write to a closed pipe fails with EPIPE rather than killing the client: it may have
	// committed a change, and must still say so and exit with the status that says so.
	signal.Ignore(syscall.SIGPIPE)
	err := newApp(stdout, stderr).RunContext(ctx, args)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "client: %s\n", oneLine(err.Error()))
	return exitStatus(err)
}

// stopSignals stop the client as Ctrl-C does: SIGTERM is what timeout(1), docker stop
// and systemd send, SIGHUP what a closed terminal sends. Left to their default, they would
// kill a client waiting for its COMMIT's answer, with nothing said.
var stopSignals = map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP"}

// notifyStop returns ctx cancelled by the first stop signal, which it names on stderr:
// statements under way are cancelled, and a COMMIT already sent is still waited for.
func notifyStop(ctx context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 1)
	for s := range stopSignals {
		signal.Notify(sigs, s)
	}
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "client: %s: stopping (a COMMIT already sent is waited for, and its outcome reported)\n", stopSignals[s])
			cancel()
		case <-done:
		}
	}()
	return ctx, func() { signal.Stop(sigs); close(done); cancel() }
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// onUsage makes urfave's flag-parsing errors usage errors (exit status 2). The flag
// package quotes a bad value whole ("invalid value ... for flag -x: why"); ours say why
// with the value cut short, so that a pasted page stays a one-line message.
func onUsage(_ *ucli.Context, err error, _ bool) error {
	if m := invalidValue.FindStringSubmatch(err.Error()); m != nil {
		return usageError{fmt.Errorf("--%s: %s", m[1], m[2])}
	}
	return usageError{err}
}

var invalidValue = regexp.MustCompile(`(?s)^invalid value .* for flag -([a-z-]+): (.*)$`)

func newApp(stdout, stderr io.Writer) *ucli.App {
	app := &ucli.App{
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
			intFlag("port", dsn.DefaultPort, "the bank's port on 127.0.0.1, as setup.sh published it; --dsn overrides", "BANK_PORT"),
			durationFlag("statement-timeout", bank.DefaultStatementTimeout, "the server cancels a statement that runs longer (whole milliseconds)"),
			durationFlag("lock-timeout", bank.DefaultLockTimeout, "the server gives up waiting for a lock after this long (whole milliseconds)"),
		},
		Commands: []*ucli.Command{
			populateCommand(),
			callCommand(),
			inspectCommand(),
			waitCommand(onUsage),
			demoCommand(),
		},
	}
	for _, cmd := range optionalCommands {
		app.Commands = append(app.Commands, cmd())
	}
	noStrayWords(app.Commands)
	return app
}

// optionalCommands are commands whose files register them (bench.go): the deliverable
// archive leaves the bank test out, with the repository's other benchmarks.
var optionalCommands []func() *ucli.Command

// noStrayWords makes every command refuse words it does not take. Flag parsing stops at the
// first word that is not a flag, so "populate junk --customers 5" would otherwise ignore
// both the word and the flags after it, and build the default bank.
func noStrayWords(cmds []*ucli.Command) {
	for _, cmd := range cmds {
		if len(cmd.Subcommands) > 0 {
			noStrayWords(cmd.Subcommands)
			continue
		}
		action := cmd.Action
		cmd.Action = func(c *ucli.Context) error {
			if c.Args().Present() {
				return usageError{fmt.Errorf("%s takes no word %s: flags are --name value, before any other word",
					c.Command.Name, quote.Short(c.Args().First()))}
			}
			return action(c)
		}
	}
}

func populateFlags() []ucli.Flag {
	return []ucli.Flag{
		intFlag("customers", gen.DefaultCustomers, "how many customers to make"),
		intFlag("max-accounts", gen.DefaultMaxAccounts, "each customer holds 1..`M` accounts (random per customer), joint ones included"),
		uintFlag("seed", gen.DefaultSeed, "the same seed makes the same bank"),
		intFlag("jobs", int64(runtime.NumCPU()), "goroutines making data (the data do not depend on it)"),
		oldJobsFlag(),
	}
}

// oldJobsFlag is --jobs by its former name, still taken and no longer shown: --workers is
// bench's connections.
func oldJobsFlag() ucli.Flag {
	f := intFlag("workers", int64(runtime.NumCPU()), "the former name of --jobs")
	f.Hidden = true
	return f
}

func formatFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "format", Value: FormatTable, Usage: "table, json or csv"}
}

func limitFlags() []ucli.Flag {
	return []ucli.Flag{intFlag("limit", DefaultLimit, "how many rows"), formatFlag()}
}

func populateCommand() *ucli.Command {
	return &ucli.Command{
		Name: "populate", Usage: "replace the bank with a seeded mock bank, in one transaction",
		Flags: append(populateFlags(), &ucli.BoolFlag{Name: "dry-run",
			Usage: "make and encode the bank, print what it holds, and load nothing (no database needed)"}),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			cfg, jobs, err := populateConfig(c)
			if err != nil {
				return err
			}
			if c.Bool("dry-run") {
				return dryRun(c, cfg, jobs)
			}
			return withDB(c, func(db *bank.DB) error {
				_, err := populate(c, db, cfg, jobs, c.App.Writer)
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
			cfg, jobs, err := populateConfig(c)
			if err != nil {
				return err
			}
			return withDB(c, func(db *bank.DB) error { return demo(c, db, cfg, jobs, c.App.Writer, c.App.ErrWriter) })
		},
	}
}

func inspectCommand() *ucli.Command {
	return &ucli.Command{
		Name: "inspect", Usage: "profile the loaded bank: states beside the US population, accounts per customer, joint accounts, households, balance percentiles, a map of the states' average balances",
		Flags: limitFlags(), OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			limit := intOf(c, "limit")
			if err := checkRange("limit", limit, 1, maxSQLInt); err != nil {
				return err
			}
			format, err := checkFormat(c)
			if err != nil {
				return err
			}
			return withDB(c, func(db *bank.DB) error {
				sections, err := inspect(c.Context, db, int(limit), c.App.Writer)
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
			topStatesCommand(),
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
			limit := intOf(c, "limit")
			if err := checkRange("limit", limit, 1, maxSQLInt); err != nil {
				return err
			}
			return call(c, func(db *bank.DB) (*result, error) { return run(c.Context, db, int(limit)) })
		},
	}
}

// mapOfStates, set by statemap.go, draws every state's average balance on a map of the US
// for w, for inspect and for call top-states --format map. The deliverable archive leaves
// the map out, as it leaves the bench out: it has none.
var mapOfStates func(rows []bank.StateRow, w io.Writer) *result

// topStatesCommand is a report with, where the client has the map, one more format: map.
func topStatesCommand() *ucli.Command {
	allowed, usage := formats, "table, json or csv"
	if mapOfStates != nil {
		allowed, usage = stateFormats, "table, json, csv, or map: every state on a map of the US"
	}
	return &ucli.Command{
		Name: "top-states", Usage: "states with the highest average customer balance (bank.top_states)", OnUsageError: onUsage,
		Flags: []ucli.Flag{intFlag("limit", DefaultLimit, "how many rows"), &ucli.StringFlag{Name: "format", Value: FormatTable, Usage: usage}},
		Action: func(c *ucli.Context) error {
			limit := intOf(c, "limit")
			if err := checkRange("limit", limit, 1, maxSQLInt); err != nil {
				return err
			}
			format, err := checkFormatIn(c, allowed)
			if err != nil {
				return err
			}
			if format != FormatMap {
				return call(c, func(db *bank.DB) (*result, error) { return topStates(c.Context, db, int(limit)) })
			}
			if c.IsSet("limit") {
				return usageError{fmt.Errorf("--format map draws every state: it takes no --limit")}
			}
			return withDB(c, func(db *bank.DB) error {
				rows, err := db.TopStates(c.Context, bank.EveryState)
				if err != nil {
					return fmt.Errorf("top-states: %w", err)
				}
				return mapOfStates(rows, c.App.Writer).output(c.App.Writer, FormatMap)
			})
		},
	}
}

func robinhoodCommand() *ucli.Command {
	return &ucli.Command{
		Name: "robinhood", Usage: "Operation Robinhood (bank.robinhood), in one transaction",
		OnUsageError: onUsage,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "percent", Value: DefaultPercent, Usage: "share of each donor's largest account, more than 0 and at most 100"},
			intFlag("count", DefaultCount, "how many donors, and how many recipients"),
			formatFlag(),
		},
		Action: func(c *ucli.Context) error {
			percent, err := parsePercent(c.String("percent"))
			if err != nil {
				return err
			}
			count := intOf(c, "count")
			if err := checkRange("count", count, 1, maxSQLInt); err != nil {
				return err
			}
			return call(c, func(db *bank.DB) (*result, error) { return robinhood(c.Context, db, percent, int(count)) })
		},
	}
}

func transferCommand() *ucli.Command {
	return &ucli.Command{
		Name: "transfer", Usage: "move money between two accounts (bank.transfer)",
		OnUsageError: onUsage,
		Flags: []ucli.Flag{
			intFlag("from", 0, "account to take from"),
			intFlag("to", 0, "account to pay into"),
			&ucli.StringFlag{Name: "amount", Usage: "dollars, at most two decimals, e.g. 12.50"},
			formatFlag(),
		},
		Action: func(c *ucli.Context) error {
			if err := requireFlags(c, "from", "to", "amount"); err != nil {
				return err
			}
			from, to := intOf(c, "from"), intOf(c, "to")
			amount, err := parseTransfer(from, to, c.String("amount"))
			if err != nil {
				return err
			}
			return call(c, func(db *bank.DB) (*result, error) { return transfer(c.Context, db, from, to, amount) })
		},
	}
}

// unknownCommand is the Action of the app and of commands that only hold subcommands: with
// no argument it shows their help and, since nothing was done, exits 2; with one, that
// argument named no command.
func unknownCommand(c *ucli.Context) error {
	if !c.Args().Present() {
		if err := ucli.ShowSubcommandHelp(c); err != nil {
			return err
		}
		return usageError{fmt.Errorf("no command given (the list is above)")}
	}
	return usageError{fmt.Errorf("unknown command %s (try --help)", quote.Short(c.Args().First()))}
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

// checkTimeout keeps a server timeout within what PostgreSQL takes: whole milliseconds,
// from 1 to 2^31 - 1. 0 would mean no limit to the server, and less than a millisecond
// would be sent as 0.
func checkTimeout(name string, d time.Duration) error {
	if d < time.Millisecond || d.Milliseconds() > math.MaxInt32 {
		return usageError{fmt.Errorf("--%s must be between 1ms and %s, got %s", name, time.Duration(math.MaxInt32)*time.Millisecond, d)}
	}
	return nil
}

func checkRange(name string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return usageError{fmt.Errorf("--%s must be between %d and %d, got %d", name, lo, hi, v)}
	}
	return nil
}

func populateConfig(c *ucli.Context) (gen.Config, int, error) {
	customers, maxAccounts := intOf(c, "customers"), intOf(c, "max-accounts")
	cfg := gen.Config{Customers: int(customers), MaxAccounts: int(maxAccounts), Seed: uintOf(c, "seed")}
	if err := checkRange("customers", customers, 1, gen.MaxCustomers); err != nil {
		return cfg, 0, err
	}
	if err := checkRange("max-accounts", maxAccounts, 1, gen.MaxMaxAccounts); err != nil {
		return cfg, 0, err
	}
	name := "jobs"
	if c.IsSet("workers") && !c.IsSet("jobs") {
		name = "workers"
	}
	jobs := intOf(c, name)
	if err := checkRange(name, jobs, 1, maxJobs); err != nil {
		return cfg, 0, err
	}
	return cfg, int(jobs), nil
}

// parsePercent accepts more than 0 and at most 100, exact to 0.0001, and returns it as
// the decimal text the function receives.
func parsePercent(s string) (string, error) {
	v, err := money.ParseFixed(s, percentPlaces)
	if err != nil {
		return "", usageError{fmt.Errorf("--percent %s %w", quote.Short(s), err)}
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
		return 0, usageError{fmt.Errorf("amount must be more than 0, got %s", quote.Short(amount))}
	}
	return c, nil
}

func withDB(c *ucli.Context, fn func(*bank.DB) error) error {
	opts := bank.Options{StatementTimeout: durationOf(c, "statement-timeout"), LockTimeout: durationOf(c, "lock-timeout")}
	if err := checkTimeout("statement-timeout", opts.StatementTimeout); err != nil {
		return err
	}
	if err := checkTimeout("lock-timeout", opts.LockTimeout); err != nil {
		return err
	}
	if err := checkRange("port", intOf(c, "port"), 1, 65535); err != nil {
		return err
	}
	db, err := bank.Open(c.Context, dsnOf(c), opts)
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
	return dsn.For(int(intOf(c, "port")), "bank")
}

func checkFormat(c *ucli.Context) (string, error) { return checkFormatIn(c, formats) }

func checkFormatIn(c *ucli.Context, allowed []string) (string, error) {
	format := c.String("format")
	if !slices.Contains(allowed, format) {
		return "", usageError{fmt.Errorf("--format must be one of %s, got %s", strings.Join(allowed, ", "), quote.Short(format))}
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
		if r.note != "" {
			fmt.Fprintf(c.App.ErrWriter, "client: %s\n", r.note)
		}
		return r.output(c.App.Writer, format)
	})
}

// dryRun makes the bank as populate would and prints what it holds: the same line as
// populate's, with nothing loaded.
func dryRun(c *ucli.Context, cfg gen.Config, jobs int) error {
	start := time.Now()
	bar := progressBar(c.App.ErrWriter)
	s, err := bank.Generate(cfg, jobs, bar)
	if bar != nil {
		fmt.Fprint(c.App.ErrWriter, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c.App.Writer, "Made from seed %d, loaded nowhere: %d customers, %d accounts (%d joint), %d holder links, %s in all.\n",
		cfg.Seed, s.Customers, s.Accounts, s.Joint, s.Links, s.Total); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "making took %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// populate loads the bank, prints what it loaded to stdout and how long it took to stderr.
func populate(c *ucli.Context, db *bank.DB, cfg gen.Config, jobs int, stdout io.Writer) (bank.LoadSummary, error) {
	start := time.Now()
	bar := progressBar(c.App.ErrWriter)
	s, err := db.Populate(c.Context, cfg, jobs, bar)
	if bar != nil {
		fmt.Fprint(c.App.ErrWriter, "\r\033[K")
	}
	note, err := settle(c.Context, db, "load", err)
	if err != nil {
		return s, fmt.Errorf("populate: %w", err)
	}
	if note != "" {
		fmt.Fprintf(c.App.ErrWriter, "client: %s\n", note)
	}
	if s.VacuumErr != nil {
		fmt.Fprintf(c.App.ErrWriter, "client: the new bank is committed; the VACUUM of the old one's rows did not finish (%v), autovacuum will reclaim them\n", s.VacuumErr)
	}
	if _, err := fmt.Fprintf(stdout, "Populated from seed %d: %d customers, %d accounts (%d joint), %d holder links, %s in all.\n",
		cfg.Seed, s.Customers, s.Accounts, s.Joint, s.Links, s.Total); err != nil {
		return s, notWritten("load", err)
	}
	fmt.Fprintf(c.App.ErrWriter, "populate took %s\n", time.Since(start).Round(time.Millisecond))
	return s, nil
}
