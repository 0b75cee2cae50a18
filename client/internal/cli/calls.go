package cli

import (
	"context"
	"fmt"
	"strings"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/money"
)

// What each call prints: its columns, and the result built from the function's rows.

var (
	stateCols    = []column{{"state", text}, {"customers", number}, {"avg_balance", dollars}}
	customerCols = []column{{"customer_id", number}, {"first_name", text}, {"last_name", text},
		{"state", text}, {"accounts", number}, {"total_balance", dollars}}
	moveCols = []column{{"from_customer", number}, {"from_account", number}, {"to_customer", number},
		{"to_account", number}, {"amount", dollars}}
	transferCols = []column{{"from_account", number}, {"from_balance", dollars}, {"to_account", number}, {"to_balance", dollars}}
	auditCols    = []column{{"customers", number}, {"accounts", number}, {"links", number},
		{"total_balance", dollars}, {"negative_balances", number}}
)

func topStates(ctx context.Context, db *bank.DB, limit int) (*result, error) {
	rows, err := db.TopStates(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("top-states: %w", err)
	}
	r := &result{title: fmt.Sprintf("Top %d states by average customer balance", limit), cols: stateCols}
	for _, s := range rows {
		r.add(s.State, s.Customers, s.AvgBalance)
	}
	return r, nil
}

func customers(ctx context.Context, db *bank.DB, limit int, top bool) (*result, error) {
	fetch, name, title := db.TopCustomers, "top-customers", "Top %d customers by total balance"
	if !top {
		fetch, name, title = db.BottomCustomers, "bottom-customers", "Bottom %d customers by total balance"
	}
	rows, err := fetch(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r := &result{title: fmt.Sprintf(title, limit), cols: customerCols}
	for _, cu := range rows {
		r.add(cu.CustomerID, cu.FirstName, cu.LastName, cu.State, cu.Accounts, cu.TotalBalance)
	}
	return r, nil
}

func robinhood(ctx context.Context, db *bank.DB, percent string, count int) (*result, error) {
	run, err := db.Robinhood(ctx, percent, count)
	note, err := settle(ctx, db, "Robinhood", err)
	if err != nil {
		return nil, fmt.Errorf("robinhood: %w", err)
	}
	var moved money.Cents
	for _, m := range run.Moves {
		moved += m.Amount
	}
	if note != "" {
		note += "; "
	}
	note += fmt.Sprintf("robinhood moved %s in %d movement(s) (%s)", moved, len(run.Moves), run.Path)
	if run.XID != "" {
		note += ", committed as transaction " + run.XID
	}
	r := &result{
		title: fmt.Sprintf("Operation Robinhood: %s%% of the largest account of each of the %d richest, to the %d poorest",
			trimDecimal(percent), count, count),
		cols: moveCols, note: note, changed: committed("Robinhood", run.XID),
	}
	for _, m := range run.Moves {
		r.add(m.FromCustomer, m.FromAccount, m.ToCustomer, m.ToAccount, m.Amount)
	}
	return r, nil
}

// committed names a change for messages: "transfer (transaction 1234)".
func committed(what, xid string) string {
	if xid == "" {
		return what
	}
	return fmt.Sprintf("%s (transaction %s)", what, xid)
}

// trimDecimal drops trailing zeros after a decimal point: "12.5000" is "12.5", "10.0000" is "10".
func trimDecimal(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

func transfer(ctx context.Context, db *bank.DB, from, to int64, amount money.Cents) (*result, error) {
	t, xid, err := db.Transfer(ctx, from, to, amount)
	note, err := settle(ctx, db, "transfer", err)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	r := &result{title: fmt.Sprintf("Transferred %s from account %d to account %d", amount, from, to), cols: transferCols,
		note: note, changed: committed("transfer", xid)}
	r.add(t.FromAccount, t.FromBalance, t.ToAccount, t.ToBalance)
	return r, nil
}

func audit(ctx context.Context, db *bank.DB) (*result, error) {
	a, err := db.Audit(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return auditResult("Audit", a), nil
}

func auditResult(title string, a bank.Audit) *result {
	r := &result{title: title, cols: auditCols}
	r.add(a.Customers, a.Accounts, a.Links, a.TotalBalance, a.NegativeBalances)
	return r
}
