package cli

import (
	"fmt"
	"io"
	"time"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// demo does what the seed's test script did, and proves the money was conserved. Its
// standard output depends only on the seed and flags; timings go to stderr.
func demo(c *ucli.Context, db *bank.DB, cfg gen.Config, jobs int, stdout, stderr io.Writer) error {
	ctx := c.Context
	start := time.Now()
	fmt.Fprintf(stdout, "Fun With Banking: %d customers, 1 to %d accounts each, seed %d\n\n", cfg.Customers, cfg.MaxAccounts, cfg.Seed)
	sum, err := populate(c, db, cfg, jobs, stdout)
	if err != nil {
		return err
	}

	before, err := db.Audit(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if before.TotalBalance != money.TotalOf(sum.Total) || before.Customers != sum.Customers || before.Accounts != sum.Accounts || before.Links != sum.Links {
		return fmt.Errorf("the database holds %+v, but the client loaded %+v", before, sum)
	}
	show := func(r *result, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		return r.write(stdout, FormatTable)
	}
	reports := func() error {
		if err := show(topStates(ctx, db, DefaultLimit)); err != nil {
			return err
		}
		if err := show(customers(ctx, db, DefaultLimit, true)); err != nil {
			return err
		}
		return show(customers(ctx, db, DefaultLimit, false))
	}
	if err := show(auditResult("Audit before Robinhood", before), nil); err != nil {
		return err
	}
	if err := reports(); err != nil {
		return err
	}
	if err := show(robinhood(ctx, db, DefaultPercent, DefaultCount)); err != nil {
		return err
	}
	if err := reports(); err != nil {
		return err
	}

	after, err := db.Audit(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fmt.Fprintln(stdout)
	if err := auditResult("Audit after Robinhood", after).write(stdout, FormatTable); err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("robinhood did not conserve the bank: before %+v, after %+v", before, after)
	}
	fmt.Fprintf(stdout, "\nMoney conserved: %s before and after Robinhood, to the cent; no negative balances.\n", after.TotalBalance)
	fmt.Fprintf(stderr, "demo took %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
