package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// demo does what the seed's test script did, and proves the money was conserved. Its
// standard output depends only on the seed and flags; timings go to stderr. It stops at
// the first failure, output cut short included: once the load has committed, the error
// names every change that did (exit 4, or 3 and 5, never 1).
func demo(c *ucli.Context, db *bank.DB, cfg gen.Config, jobs int, stdout, stderr io.Writer) error {
	start := time.Now()
	// With nobody reading, nothing is loaded.
	if _, err := fmt.Fprintf(stdout, "Fun With Banking: %d customers, 1 to %d accounts each, seed %d\n\n",
		cfg.Customers, cfg.MaxAccounts, cfg.Seed); err != nil {
		return fmt.Errorf("could not write the result, so nothing was loaded: %w", err)
	}
	sum, err := populate(c, db, cfg, jobs, stdout)
	if err != nil {
		return err
	}
	d := &demoRun{ctx: c.Context, db: db, w: stdout, committed: []string{"load"}}
	if err := d.run(sum); err != nil {
		return d.fail(err)
	}
	fmt.Fprintf(stderr, "demo took %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// demoRun is a demo past its load: where it writes, and what it has committed so far.
type demoRun struct {
	ctx       context.Context
	db        *bank.DB
	w         io.Writer
	committed []string // "load", then "Robinhood (transaction 1234)"
}

// writeFailed is a write of the demo's output that failed.
type writeFailed struct{ err error }

func (e writeFailed) Error() string { return e.err.Error() }

// fail says what became of the bank when a step after the load failed: an in-doubt
// Robinhood stays in doubt (3), a check that found the bank wrong is one (5), and
// anything else leaves committed changes unreported (4).
func (d *demoRun) fail(err error) error {
	what := strings.Join(d.committed, " and the ")
	var doubt inDoubt
	var wrong wrongBank
	var write writeFailed
	switch {
	case errors.As(err, &doubt):
		return fmt.Errorf("the %s committed; %w", what, err)
	case errors.As(err, &wrong):
		return wrongBank{what, wrong.err}
	case errors.As(err, &write):
		return notWritten(what, write.err)
	}
	return unreported{what, "the demo could not finish", err}
}

func (d *demoRun) printf(format string, args ...any) error {
	if _, err := fmt.Fprintf(d.w, format, args...); err != nil {
		return writeFailed{err}
	}
	return nil
}

// show writes a result after a blank line.
func (d *demoRun) show(r *result) error {
	if err := d.printf("\n"); err != nil {
		return err
	}
	if err := r.write(d.w, FormatTable); err != nil {
		return writeFailed{err}
	}
	return nil
}

// run audits the loaded bank, reports, runs Robinhood, reports and audits again.
func (d *demoRun) run(sum bank.LoadSummary) error {
	before, err := d.db.Audit(d.ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if before.TotalBalance != money.TotalOf(sum.Total) || before.Customers != sum.Customers || before.Accounts != sum.Accounts || before.Links != sum.Links {
		return wrongBank{err: fmt.Errorf("the database holds %+v, but the client loaded %+v", before, sum)}
	}
	if err := d.show(auditResult("Audit before Robinhood", before)); err != nil {
		return err
	}
	if err := d.reports(); err != nil {
		return err
	}
	r, err := robinhood(d.ctx, d.db, DefaultPercent, DefaultCount)
	if err != nil {
		return err
	}
	d.committed = append(d.committed, r.changed)
	if err := d.show(r); err != nil {
		return err
	}
	if err := d.reports(); err != nil {
		return err
	}
	after, err := d.db.Audit(d.ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := d.show(auditResult("Audit after Robinhood", after)); err != nil {
		return err
	}
	if after != before {
		return wrongBank{err: fmt.Errorf("robinhood did not conserve the bank: before %+v, after %+v", before, after)}
	}
	return d.printf("\nMoney conserved: %s before and after Robinhood, to the cent; no negative balances.\n", after.TotalBalance)
}

// reports shows the three reports of the seed's script.
func (d *demoRun) reports() error {
	for _, report := range []func() (*result, error){
		func() (*result, error) { return topStates(d.ctx, d.db, DefaultLimit) },
		func() (*result, error) { return customers(d.ctx, d.db, DefaultLimit, true) },
		func() (*result, error) { return customers(d.ctx, d.db, DefaultLimit, false) },
	} {
		r, err := report()
		if err != nil {
			return err
		}
		if err := d.show(r); err != nil {
			return err
		}
	}
	return nil
}
