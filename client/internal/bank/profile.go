package bank

import (
	"context"
	"database/sql"

	"funwithbanking/client/internal/money"
)

// Profile is what bank.profile(), bank.profile_states() and
// bank.profile_accounts_per_customer() say of a bank, read in one snapshot. Percentages
// are the server's exact decimal text; percentiles are nil for an empty bank.
type Profile struct {
	Customers, Accounts, JointAccounts int64
	JointPct                           string
	HouseholdCustomers                 int64
	HouseholdPct                       string
	// BalanceP10, P50, P90, P99 and Max of account balances, in that order.
	Balances [5]*money.Cents

	States              []StateShare
	AccountsPerCustomer []AccountsBucket
	// StateBalances is bank.top_states() of every state: each one's average customer balance.
	StateBalances []StateRow
}

// EveryState is a top_states limit above the number of states a bank can have.
const EveryState = 100

// StateShare is a row of bank.profile_states().
type StateShare struct {
	State     string
	Customers int64
	Pct       string
}

// AccountsBucket is a row of bank.profile_accounts_per_customer().
type AccountsBucket struct {
	Accounts  int64
	Customers int64
	Pct       string
}

// Profile reads the bank's profile, with its states limited to the top limit and, if
// balances, every state's average balance, in one read-only REPEATABLE READ transaction,
// so that its parts describe the same bank even while a populate or transfers run.
func (db *DB) Profile(ctx context.Context, limit int, balances bool) (Profile, error) {
	var p Profile
	err := db.inTx(ctx, RepeatableRead+" READ ONLY", func(tx *sql.Tx) error {
		if err := p.readSummary(ctx, tx); err != nil {
			return err
		}
		if err := p.readStates(ctx, tx, limit); err != nil {
			return err
		}
		if balances {
			if err := p.readStateBalances(ctx, tx); err != nil {
				return err
			}
		}
		return p.readBuckets(ctx, tx)
	})
	return p, err
}

// readStates reads bank.profile_states(limit).
func (p *Profile) readStates(ctx context.Context, tx *sql.Tx, limit int) error {
	return queryRows(ctx, tx, `SELECT state, customers, pct::text FROM bank.profile_states(?)`, []any{limit},
		func(rows *sql.Rows) error {
			var s StateShare
			if err := rows.Scan(&s.State, &s.Customers, &s.Pct); err != nil {
				return err
			}
			p.States = append(p.States, s)
			return nil
		})
}

// readStateBalances reads bank.top_states() of every state.
func (p *Profile) readStateBalances(ctx context.Context, tx *sql.Tx) error {
	return queryRows(ctx, tx, `SELECT state, customers, avg_balance::text FROM bank.top_states(?)`, []any{EveryState},
		func(rows *sql.Rows) error {
			var r StateRow
			if err := rows.Scan(&r.State, &r.Customers, &r.AvgBalance); err != nil {
				return err
			}
			p.StateBalances = append(p.StateBalances, r)
			return nil
		})
}

// readBuckets reads bank.profile_accounts_per_customer().
func (p *Profile) readBuckets(ctx context.Context, tx *sql.Tx) error {
	return queryRows(ctx, tx, `SELECT accounts, customers, pct::text FROM bank.profile_accounts_per_customer()`, nil,
		func(rows *sql.Rows) error {
			var b AccountsBucket
			if err := rows.Scan(&b.Accounts, &b.Customers, &b.Pct); err != nil {
				return err
			}
			p.AccountsPerCustomer = append(p.AccountsPerCustomer, b)
			return nil
		})
}

// readSummary reads bank.profile(): the counts and the balance percentiles.
func (p *Profile) readSummary(ctx context.Context, tx *sql.Tx) error {
	var jointPct, householdPct sql.NullString
	var bal [5]sql.Null[money.Cents]
	err := tx.QueryRowContext(ctx, `SELECT customers, accounts, joint_accounts, joint_pct::text,
		household_customers, household_pct::text, balance_p10::text, balance_p50::text,
		balance_p90::text, balance_p99::text, balance_max::text FROM bank.profile()`).
		Scan(&p.Customers, &p.Accounts, &p.JointAccounts, &jointPct, &p.HouseholdCustomers, &householdPct,
			&bal[0], &bal[1], &bal[2], &bal[3], &bal[4])
	if err != nil {
		return err
	}
	p.JointPct, p.HouseholdPct = jointPct.String, householdPct.String
	for i, b := range bal {
		if b.Valid {
			p.Balances[i] = &b.V
		}
	}
	return nil
}

func queryRows(ctx context.Context, tx *sql.Tx, q string, args []any, each func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	return scanAll(rows, each)
}
