package bank

import (
	"context"
	"database/sql"
	"fmt"

	"funwithbanking/client/internal/money"
)

// Money crosses ODBC as text (the driver would turn numeric into float64): each query casts
// it, and money.Cents and money.Total scan themselves from that text.

// StateRow is a row of bank.top_states().
type StateRow struct {
	State      string
	Customers  int64
	AvgBalance money.Total
}

// CustomerRow is a row of bank.top_customers() and bank.bottom_customers().
type CustomerRow struct {
	CustomerID          int64
	FirstName, LastName string
	State               string
	Accounts            int64
	TotalBalance        money.Total
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
	TotalBalance               money.Total
	NegativeBalances           int64
}

// TopStates calls bank.top_states(limit).
func (db *DB) TopStates(ctx context.Context, limit int) ([]StateRow, error) {
	var out []StateRow
	err := db.query(ctx, `SELECT state, customers, avg_balance::text FROM bank.top_states(?)`,
		[]any{limit}, func(rows *sql.Rows) error {
			var r StateRow
			if err := rows.Scan(&r.State, &r.Customers, &r.AvgBalance); err != nil {
				return err
			}
			out = append(out, r)
			return nil
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
		if err := rows.Scan(&r.CustomerID, &r.FirstName, &r.LastName, &r.State, &r.Accounts, &r.TotalBalance); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// query reads in a REPEATABLE READ transaction of its own: on Citus, the only kind in which
// bank.read_snapshot() can give a read across shards one consistent snapshot.
func (db *DB) query(ctx context.Context, q string, args []any, each func(*sql.Rows) error) error {
	return db.inTx(ctx, RepeatableRead+" READ ONLY", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		return scanAll(rows, each)
	})
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
