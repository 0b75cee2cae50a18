package cli

import (
	"fmt"
	"io"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/money"
	"funwithbanking/client/internal/workload"
)

func benchCommand(onUsage ucli.OnUsageErrorFunc) *ucli.Command {
	return &ucli.Command{
		Name:  "bench",
		Usage: "move money between random accounts from many connections while readers check the total; then prove nothing was lost",
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "workers", Value: workload.DefaultWorkers, Usage: "connections sending transfers"},
			&ucli.IntFlag{Name: "readers", Value: workload.DefaultReaders, Usage: "connections checking the total in one snapshot after another"},
			&ucli.DurationFlag{Name: "duration", Value: workload.DefaultDuration, Usage: "how long to run"},
			&ucli.Int64Flag{Name: "transfers", Usage: "send this many transfers in all, instead of running for --duration"},
			&ucli.DurationFlag{Name: "robinhood-every", Value: workload.DefaultRobinhoodEvery, Usage: "run Operation Robinhood this often (0: never)"},
			&ucli.Uint64Flag{Name: "seed", Value: workload.DefaultSeed, Usage: "seeds each worker's choice of accounts and amounts"},
			&ucli.StringFlag{Name: "max-amount", Value: workload.DefaultMaxAmount.String(), Usage: "each transfer moves 0.01 up to this many dollars"},
			&ucli.IntFlag{Name: "accounts", Usage: "pick among the first N accounts only (0: all); fewer means more contention"},
		},
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			cfg, err := benchConfig(c)
			if err != nil {
				return err
			}
			return withDB(c, func(db *bank.DB) error {
				progress := progressLine(c.App.ErrWriter)
				r, err := workload.Run(c.Context, db, cfg, progress)
				if progress != nil {
					fmt.Fprint(c.App.ErrWriter, "\r\033[K")
				}
				if r != nil {
					if werr := r.Write(c.App.Writer); werr != nil && err == nil {
						err = werr
					}
				}
				if err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				if !r.OK() {
					return fmt.Errorf("bench: %d invariant violations (the report above lists them)", len(r.Violations))
				}
				return nil
			})
		},
	}
}

func benchConfig(c *ucli.Context) (workload.Config, error) {
	cfg := workload.Config{
		Workers: c.Int("workers"), Readers: c.Int("readers"), Duration: c.Duration("duration"),
		Transfers: c.Int64("transfers"), RobinhoodEvery: c.Duration("robinhood-every"),
		Seed: c.Uint64("seed"), Accounts: c.Int("accounts"),
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

// progressLine rewrites one status line on a terminal; it is nil, and the bench quiet,
// when stderr is a file or a pipe.
func progressLine(w io.Writer) func(workload.Progress) {
	if !isTerminal(w) {
		return nil
	}
	return func(p workload.Progress) {
		fmt.Fprintf(w, "\r\033[K%5.0fs  %d committed (%.0f/s)  %d refused  %d reads  %d robinhoods  %d in doubt  %d errors",
			p.Elapsed.Seconds(), p.Committed, float64(p.Committed)/max(p.Elapsed.Seconds(), 1e-9), p.Refused,
			p.Reads, p.Robinhoods, p.InDoubt, p.Errors)
	}
}
