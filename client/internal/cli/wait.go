package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	ucli "github.com/urfave/cli/v2"

	"funwithbanking/client/internal/bank"
)

// DefaultWait bounds how long `client wait` keeps trying: a container's first start runs
// initdb and loads the schema before PostgreSQL listens on TCP.
const DefaultWait = 90 * time.Second

// waitRetryEvery is short because a container's database opens in well under a second
// once its schema is loaded, and each try costs one refused connection.
const waitRetryEvery = 200 * time.Millisecond

func waitCommand(onUsage ucli.OnUsageErrorFunc) *ucli.Command {
	return &ucli.Command{
		Name:         "wait",
		Usage:        "wait until the bank answers over ODBC with its schema loaded (what setup.sh calls ready)",
		OnUsageError: onUsage,
		Flags: []ucli.Flag{
			durationFlag("timeout", DefaultWait, "give up after this long"),
		},
		Action: func(c *ucli.Context) error {
			timeout := durationOf(c, "timeout")
			if timeout <= 0 {
				return usageError{fmt.Errorf("--timeout must be more than 0, got %s", timeout)}
			}
			return waitReady(c.Context, dsnOf(c), timeout)
		},
	}
}

// waitReady opens the bank as every command does until that succeeds. A TCP probe would
// not do: Docker's port proxy accepts connections at once, and the image's entrypoint
// loads the schema on a server that does not listen on TCP yet.
func waitReady(ctx context.Context, dsn string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(waitRetryEvery)
	defer tick.Stop()
	for {
		db, err := bank.Open(ctx, dsn, bank.Options{})
		if err == nil {
			return db.Close()
		}
		if bank.Code(err) == bank.CodeLoginRefused {
			return err // a refusal stays a refusal: no point waiting
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("the bank did not answer within %s; last: %w", timeout, err)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}
