package pgxclaims

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// code is the SQLSTATE of a server's error, "ok" for none, or the error itself.
func code(err error) string {
	var pg *pgconn.PgError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &pg):
		return pg.Code
	}
	return err.Error()
}

const transfer = "SELECT to_balance::text FROM bank.transfer($1, $2, $3)"

// TestPgxAmounts: what each Go type bound as the amount moves. pgx sends a float64 as its
// shortest decimal, an integer as whole dollars, a string as the decimal it spells.
func TestPgxAmounts(t *testing.T) {
	url := newBank(t)
	conn := connect(t, url)
	ctx := context.Background()
	tenth, fifth := 0.1, 0.2 // variables: Go would add constants exactly
	for _, tt := range []struct {
		name     string
		from, to int
		amount   any
		want     string // the receiving balance after, or the SQLSTATE
	}{
		{"float64 literal arrives as its shortest decimal", 1, 2, 19.99, "69.99"},
		{"float64 sum 0.1+0.2 is 0.30000000000000004", 1, 2, tenth + fifth, "BK003"},
		{"int64 2500 is 2,500 dollars", 4, 3, int64(2500), "2500.00"},
		{"string", 1, 2, "0.10", "50.10"},
		{"pgtype.Numeric 1050e-2", 1, 2, pgtype.Numeric{Int: big.NewInt(1050), Exp: -2, Valid: true}, "60.50"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			var got string
			err = tx.QueryRow(ctx, transfer, tt.from, tt.to, tt.amount).Scan(&got)
			if err != nil {
				got = code(err)
			}
			if got != tt.want {
				t.Errorf("transfer(%d, %d, %#v): %s, want %s", tt.from, tt.to, tt.amount, got, tt.want)
			}
		})
	}
}

// TestPgxErrors: our codes arrive as *pgconn.PgError's Code, from Exec at once and from
// Query only through the rows (Query itself returns no error).
func TestPgxErrors(t *testing.T) {
	conn := connect(t, newBank(t))
	ctx := context.Background()
	for _, tt := range []struct {
		from, to int
		amount   string
		want     string
	}{
		{1, 99, "1.00", "BK001"},
		{1, 1, "1.00", "BK002"},
		{1, 2, "0.001", "BK003"},
		{2, 1, "1000.00", "BK004"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			if _, err := conn.Exec(ctx, transfer, tt.from, tt.to, tt.amount); code(err) != tt.want {
				t.Errorf("Exec: %v, want a *pgconn.PgError with Code %s", err, tt.want)
			}
			rows, err := conn.Query(ctx, transfer, tt.from, tt.to, tt.amount)
			if err != nil {
				t.Fatalf("Query returned %v; the refusal was expected from the rows", err)
			}
			for rows.Next() {
			}
			if code(rows.Err()) != tt.want {
				t.Errorf("rows.Err(): %v, want %s", rows.Err(), tt.want)
			}
		})
	}
}

// TestPgxReadingMoney: a float64 takes a numeric silently and loses the total's cents; a
// pgtype.Numeric or a string takes it exactly, but a zero comes back as "0", not "0.00".
func TestPgxReadingMoney(t *testing.T) {
	conn := connect(t, newBank(t))
	ctx := context.Background()
	asFloat := func(q string) (string, error) {
		var f float64
		err := conn.QueryRow(ctx, q).Scan(&f)
		return fmt.Sprintf("%.2f", f), err
	}
	asNumeric := func(q string) (string, error) {
		var n pgtype.Numeric
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			return "", err
		}
		v, err := n.Value()
		return fmt.Sprint(v), err
	}
	asString := func(q string) (string, error) {
		var s string
		err := conn.QueryRow(ctx, q).Scan(&s)
		return s, err
	}
	const total = "SELECT total_balance FROM bank.audit()"
	const zero = "SELECT balance FROM bank.accounts WHERE account_id = 3"
	for _, tt := range []struct {
		name, query string
		read        func(string) (string, error)
		want        string
	}{
		{"total as float64 is a cent off", total, asFloat, "100000000001049.91"},
		{"total as pgtype.Numeric", total, asNumeric, bankTotal},
		{"total as string", total, asString, bankTotal},
		{"0.00 as pgtype.Numeric", zero, asNumeric, "0"},
		{"0.00 as string", zero, asString, "0"},
		{"0.00 cast to text", "SELECT balance::text FROM bank.accounts WHERE account_id = 3", asString, "0.00"},
		{"0.00 as float64", zero, asFloat, "0.00"},
		{"the largest balance as float64", "SELECT balance FROM bank.accounts WHERE account_id = 4", asFloat, "9999999999999.99"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.read(tt.query)
			if err != nil || got != tt.want {
				t.Errorf("%s: %q (error %v), want %q", tt.query, got, err, tt.want)
			}
		})
	}
}

// TestPgxTransactions: after a refusal a transaction is aborted: what follows fails (25P02)
// and Commit returns pgx.ErrTxCommitRollback, having kept nothing. Outside a transaction
// each Exec commits on its own, and a refusal leaves the calls before it committed.
func TestPgxTransactions(t *testing.T) {
	url := newBank(t)
	conn := connect(t, url)
	ctx := context.Background()

	t.Run("refusal in a transaction", func(t *testing.T) {
		before := balances(t, url)
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tr := range [][3]any{{1, 2, "1.00"}, {2, 3, "1000.00"}, {1, 3, "1.00"}} {
			_, err := tx.Exec(ctx, transfer, tr[:]...)
			got = append(got, code(err))
		}
		if fmt.Sprint(got) != "[ok BK004 25P02]" {
			t.Errorf("the three transfers: %v, want [ok BK004 25P02]", got)
		}
		if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxCommitRollback) {
			t.Errorf("Commit: %v, want pgx.ErrTxCommitRollback", err)
		}
		if after := balances(t, url); after != before {
			t.Errorf("the rolled-back transaction changed the bank:\n%s\n%s", before, after)
		}
	})
	t.Run("autocommit", func(t *testing.T) {
		before := balance(t, url, 1)
		if _, err := conn.Exec(ctx, transfer, 1, 2, "1.00"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, transfer, 2, 3, "1000.00"); code(err) != "BK004" {
			t.Fatalf("the second transfer: %v, want BK004", err)
		}
		if after := balance(t, url, 1); after == before {
			t.Errorf("the first transfer did not commit: account 1 still holds %s", after)
		}
	})
}

// TestPgxBatch: a Batch outside a transaction is one implicit transaction in every query
// exec mode: the entry before a refusal reports success, and nothing of the batch is kept.
func TestPgxBatch(t *testing.T) {
	url := newBank(t)
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg, err := pgx.ParseConfig(url)
			if err != nil {
				t.Fatal(err)
			}
			cfg.DefaultQueryExecMode = mode
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			before := balances(t, url)
			b := &pgx.Batch{}
			b.Queue(transfer, 1, 2, "1.00")
			b.Queue(transfer, 2, 3, "1000.00")
			b.Queue(transfer, 1, 3, "1.00")
			results := conn.SendBatch(ctx, b)
			first, _ := results.Exec()
			_, second := results.Exec()
			results.Close()
			if first.String() != "SELECT 1" || code(second) != "BK004" {
				t.Errorf("the batch's first two entries: %q and %v, want SELECT 1 and BK004", first, second)
			}
			if after := balances(t, url); after != before {
				t.Errorf("a batch with a refusal kept some of its transfers:\n%s\n%s", before, after)
			}
		})
	}
}

// TestPgxIsolation: the level asked for in pgx.TxOptions is the transaction's; Robinhood
// refuses REPEATABLE READ (BK006) and runs at the default, READ COMMITTED.
func TestPgxIsolation(t *testing.T) {
	conn := connect(t, newBank(t))
	ctx := context.Background()
	for _, tt := range []struct {
		opts      pgx.TxOptions
		level     string
		robinhood string
	}{
		{pgx.TxOptions{}, "read committed", "ok"},
		{pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, "repeatable read", "BK006"},
	} {
		t.Run(tt.level, func(t *testing.T) {
			tx, err := conn.BeginTx(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			var level, total string
			if err := tx.QueryRow(ctx, "SELECT current_setting('transaction_isolation'), total_balance::text FROM bank.audit()").Scan(&level, &total); err != nil {
				t.Fatal(err)
			}
			if level != tt.level || total != bankTotal {
				t.Errorf("level %q, total %s; want %q, %s", level, total, tt.level, bankTotal)
			}
			if _, err := tx.Exec(ctx, "SELECT * FROM bank.robinhood()"); code(err) != tt.robinhood {
				t.Errorf("robinhood at %s: %v, want %s", level, err, tt.robinhood)
			}
		})
	}
}
