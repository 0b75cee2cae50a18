package cli

import (
	"errors"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/money"
	"funwithbanking/client/internal/quote"
	"funwithbanking/client/internal/workload"
)

func init() {
	optionalCommands = append(optionalCommands, func() *ucli.Command { return benchCommand(onUsage) })
}

func benchCommand(onUsage ucli.OnUsageErrorFunc) *ucli.Command {
	return &ucli.Command{
		Name:  "bench",
		Usage: "move money between random accounts from many connections while readers check the total; then prove nothing was lost",
		Flags: []ucli.Flag{
			intFlag("workers", workload.DefaultWorkers, "connections sending transfers"),
			intFlag("readers", workload.DefaultReaders, "connections checking the total in one snapshot after another"),
			durationFlag("duration", workload.DefaultDuration, "how long to run"),
			intFlag("transfers", 0, "send this many transfers in all, instead of running for --duration"),
			durationFlag("robinhood-every", workload.DefaultRobinhoodEvery, "run Operation Robinhood this often (0: never)"),
			uintFlag("seed", workload.DefaultSeed, "seeds each worker's choice of accounts and amounts"),
			&ucli.StringFlag{Name: "max-amount", Value: workload.DefaultMaxAmount.String(), Usage: "each transfer moves 0.01 up to this many dollars"},
			intFlag("accounts", 0, "pick among the first N accounts only (0: all); fewer means more contention"),
			intFlag("rate", 0, "start this many transfers per second in all, on a schedule, latency counted from each one's slot (0: as fast as the workers go)"),
			durationFlag("progress", 0, "print a line every interval on stderr (default: 1s on a terminal, none otherwise)"),
			&ucli.StringFlag{Name: "out", Usage: "write results.json and the pictures (latency, rate, bank; PNG and SVG) into this folder"},
		},
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			cfg, err := benchConfig(c)
			if err != nil {
				return err
			}
			if err := checkOut(c.String("out")); err != nil {
				return err
			}
			return withDB(c, func(db *bank.DB) error { return bench(c, db, cfg) })
		},
	}
}

// bench runs the bank test and writes its report, and with --out its results. Its error
// says what became of the bank, as benchOutcome decides.
func bench(c *ucli.Context, db *bank.DB, cfg workload.Config) error {
	var progress func(workload.Progress, workload.Interval)
	if c.IsSet("progress") && durationOf(c, "progress") > 0 || !c.IsSet("progress") && isTerminal(c.App.ErrWriter) {
		progress = workload.ProgressLines(c.App.ErrWriter)
	}
	r, err := workload.Run(c.Context, db, cfg, progress)
	if r == nil {
		return fmt.Errorf("bench: %w", err)
	}
	werr := r.Write(c.App.Writer)
	if out := c.String("out"); out != "" {
		werr = errors.Join(werr, r.WriteResults(out))
	}
	return benchOutcome(r, err, werr)
}

// benchOutcome is the error of a run that sent its load: a verdict of FAILED (exit 5)
// before a check that could not run or a report that could not be written, which exit 4
// once anything committed, and 1 only when nothing did.
func benchOutcome(r *workload.Report, runErr, writeErr error) error {
	what := benchChanges(r)
	switch {
	case !r.OK():
		found := "the bench found " + plural(int64(len(r.Violations)), "problem")
		err := fmt.Errorf("%s (its report lists them)", found)
		if werr := errors.Join(runErr, writeErr); werr != nil {
			err = fmt.Errorf("%s, and could not report them all: %w", found, werr)
		}
		return fmt.Errorf("bench: %w", wrongBank{what, err})
	case what == "" && (runErr != nil || writeErr != nil):
		return fmt.Errorf("bench: %w (nothing committed)", errors.Join(runErr, writeErr))
	case runErr != nil:
		return fmt.Errorf("bench: %w", unreported{what, "its check could not run", runErr})
	case writeErr != nil:
		return fmt.Errorf("bench: %w", notWritten(what, writeErr))
	}
	return nil
}

// benchChanges names what a run committed, or may have: "" when nothing.
func benchChanges(r *workload.Report) string {
	doubt := r.InDoubt + r.RobinhoodsLost
	if r.Committed == 0 && r.Robinhoods == 0 && doubt == 0 {
		return ""
	}
	what := fmt.Sprintf("bench's %s and %s", plural(r.Committed, "transfer"), plural(r.Robinhoods, "Robinhood"))
	if doubt > 0 {
		what += fmt.Sprintf(" (besides %d in doubt)", doubt)
	}
	return what
}

func benchConfig(c *ucli.Context) (workload.Config, error) {
	cfg := workload.Config{
		Workers: int(intOf(c, "workers")), Readers: int(intOf(c, "readers")), Duration: durationOf(c, "duration"),
		Transfers: intOf(c, "transfers"), RobinhoodEvery: durationOf(c, "robinhood-every"),
		Seed: uintOf(c, "seed"), Accounts: int(intOf(c, "accounts")),
		Rate: float64(intOf(c, "rate")), Interval: durationOf(c, "progress"),
	}
	if c.IsSet("duration") && c.IsSet("transfers") {
		return cfg, usageError{fmt.Errorf("give --duration or --transfers, not both")}
	}
	amount, err := money.ParseCents(c.String("max-amount"))
	if err != nil {
		return cfg, usageError{fmt.Errorf("--max-amount: %w", err)}
	}
	cfg.MaxAmount = amount
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{fmt.Errorf("--%w", err)}
	}
	return cfg, nil
}

// plural is "1 transfer", "2 transfers".
func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// checkOut makes --out's folder and checks that the results can be written there before
// the run, rather than after its transfers have committed.
func checkOut(dir string) error {
	if dir == "" {
		return nil
	}
	if err := workload.PrepareOut(dir); err != nil {
		return usageError{fmt.Errorf("--out %s: %w", quote.Short(dir), err)}
	}
	return nil
}
