package bank

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"funwithbanking/client/internal/money"
)

// Money crosses ODBC as text: the driver would turn numeric into float64.

// StateRow is a row of bank.top_states().
type StateRow struct {
	State      string
	Customers  int64
	AvgBalance money.Cents
}

// CustomerRow is a row of bank.top_customers() and bank.bottom_customers().
type CustomerRow struct {
	CustomerID          int64
	FirstName, LastName string
	State               string
	Accounts            int64
	TotalBalance        money.Cents
}

// Move is a row of bank.robinhood(): one movement of money.
type Move struct {
	FromCustomer, FromAccount int64
	ToCustomer, ToAccount     int64
	Amount                    money.Cents
}

// TransferResult is the row bank.transfer() returns.
type TransferResult struct {
	FromAccount int64
	FromBalance money.Cents
	ToAccount   int64
	ToBalance   money.Cents
}

// Audit is the row bank.audit() returns.
type Audit struct {
	Customers, Accounts, Links int64
	TotalBalance               money.Cents
	NegativeBalances           int64
}

// TopStates calls bank.top_states(limit).
func (db *DB) TopStates(ctx context.Context, limit int) ([]StateRow, error) {
	var out []StateRow
	err := db.query(ctx, `SELECT state, customers, avg_balance::text FROM bank.top_states(?)`,
		[]any{limit}, func(rows *sql.Rows) error {
			var r StateRow
			var avg string
			if err := rows.Scan(&r.State, &r.Customers, &avg); err != nil {
				return err
			}
			out = append(out, r)
			return parseMoney(avg, &out[len(out)-1].AvgBalance)
		})
	return out, err
}

// TopCustomers calls bank.top_customers(limit).
func (db *DB) TopCustomers(ctx context.Context, limit int) ([]CustomerRow, error) {
	return db.customers(ctx, "bank.top_customers", limit)
}

// BottomCustomers calls bank.bottom_customers(limit).
func (db *DB) BottomCustomers(ctx context.Context, limit int) ([]CustomerRow, error) {
	return db.customers(ctx, "bank.bottom_customers", limit)
}

func (db *DB) customers(ctx context.Context, fn string, limit int) ([]CustomerRow, error) {
	var out []CustomerRow
	q := fmt.Sprintf(`SELECT customer_id, first_name, last_name, state, accounts, total_balance::text FROM %s(?)`, fn)
	err := db.query(ctx, q, []any{limit}, func(rows *sql.Rows) error {
		var r CustomerRow
		var total string
		if err := rows.Scan(&r.CustomerID, &r.FirstName, &r.LastName, &r.State, &r.Accounts, &total); err != nil {
			return err
		}
		out = append(out, r)
		return parseMoney(total, &out[len(out)-1].TotalBalance)
	})
	return out, err
}

// Robinhood calls bank.robinhood(percent, count) in a READ COMMITTED transaction of its
// own. percent is a decimal string, validated by the caller and again by the function.
func (db *DB) Robinhood(ctx context.Context, percent string, count int) ([]Move, error) {
	var out []Move
	err := db.inTx(ctx, ReadCommitted, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT from_customer, from_account, to_customer, to_account, amount::text
			FROM bank.robinhood(?::numeric, ?)`, percent, count)
		if err != nil {
			return err
		}
		return scanAll(rows, func(rows *sql.Rows) error {
			var m Move
			var amount string
			if err := rows.Scan(&m.FromCustomer, &m.FromAccount, &m.ToCustomer, &m.ToAccount, &amount); err != nil {
				return err
			}
			out = append(out, m)
			return parseMoney(amount, &out[len(out)-1].Amount)
		})
	})
	return out, err
}

// Transfer calls bank.transfer(from, to, amount): one statement, one round trip.
func (db *DB) Transfer(ctx context.Context, from, to int64, amount money.Cents) (TransferResult, error) {
	var r TransferResult
	var fromBal, toBal string
	err := db.sql.QueryRowContext(ctx, `SELECT from_account, from_balance::text, to_account, to_balance::text
		FROM bank.transfer(?, ?, ?::numeric)`, from, to, amount.String()).
		Scan(&r.FromAccount, &fromBal, &r.ToAccount, &toBal)
	if err != nil {
		return r, translate(err)
	}
	if err := parseMoney(fromBal, &r.FromBalance); err != nil {
		return r, err
	}
	return r, parseMoney(toBal, &r.ToBalance)
}

// Audit calls bank.audit().
func (db *DB) Audit(ctx context.Context) (Audit, error) {
	var a Audit
	var total string
	err := db.sql.QueryRowContext(ctx, `SELECT customers, accounts, links, total_balance::text, negative_balances
		FROM bank.audit()`).Scan(&a.Customers, &a.Accounts, &a.Links, &total, &a.NegativeBalances)
	if err != nil {
		return a, translate(err)
	}
	return a, parseMoney(total, &a.TotalBalance)
}

func (db *DB) query(ctx context.Context, q string, args []any, each func(*sql.Rows) error) error {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return translate(err)
	}
	return translate(scanAll(rows, each))
}

func scanAll(rows *sql.Rows, each func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// parseMoney reads a numeric rendered as text, such as "1234.50".
func parseMoney(s string, dst *money.Cents) error {
	neg := strings.HasPrefix(s, "-")
	c, err := money.ParseFixed(strings.TrimPrefix(s, "-"), 2)
	if err != nil {
		return fmt.Errorf("unexpected money value %q from the database: %w", s, err)
	}
	if neg {
		c = -c
	}
	*dst = money.Cents(c)
	return nil
}
