package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/gen"
)

var (
	profileCols = []column{{"customers", number}, {"accounts", number}, {"joint_accounts", number}, {"joint_pct", number},
		{"household_customers", number}, {"household_pct", number}}
	balanceCols = []column{{"p10", dollars}, {"p50", dollars}, {"p90", dollars}, {"p99", dollars}, {"max", dollars}}
	shareCols   = []column{{"state", text}, {"customers", number}, {"pct", number}, {"population_pct", number}}
	bucketCols  = []column{{"accounts", number}, {"customers", number}, {"pct", number}}
)

// section is one named result of a multi-part report such as inspect's.
type section struct {
	key string // its name in JSON
	*result
}

// inspect reads the profile of the loaded bank and sets it beside the real US: each
// state's share of customers next to its share of the 2020 Census population and, where the
// client has the map, the states' average balances drawn for w.
func inspect(ctx context.Context, db *bank.DB, limit int, w io.Writer) ([]section, error) {
	p, err := db.Profile(ctx, limit, mapOfStates != nil)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	summary := &result{title: "Bank profile (a household is two or more customers at one address)", cols: profileCols}
	summary.add(p.Customers, p.Accounts, p.JointAccounts, orNull(p.JointPct), p.HouseholdCustomers, orNull(p.HouseholdPct))

	balances := &result{title: "Account balance percentiles", cols: balanceCols}
	cells := make([]any, len(p.Balances))
	for i, b := range p.Balances {
		cells[i] = "null"
		if b != nil {
			cells[i] = *b
		}
	}
	balances.add(cells...)

	population := map[string]float64{}
	for _, sp := range gen.StatePopulations() {
		population[sp.State] = sp.Share
	}
	states := &result{title: fmt.Sprintf("Top %d states by customers, beside their share of the US population", limit), cols: shareCols}
	for _, s := range p.States {
		pop := "null"
		if share, ok := population[s.State]; ok {
			pop = fmt.Sprintf("%.2f", 100*share)
		}
		states.add(s.State, s.Customers, s.Pct, pop)
	}

	buckets := &result{title: "Accounts per customer (joint accounts count for each holder)", cols: bucketCols}
	for _, b := range p.AccountsPerCustomer {
		buckets.add(b.Accounts, b.Customers, b.Pct)
	}
	sections := []section{{"profile", summary}, {"balances", balances}, {"states", states}, {"accounts_per_customer", buckets}}
	if mapOfStates != nil {
		sections = append(sections, section{"state_balances", mapOfStates(p.StateBalances, w)})
	}
	return sections, nil
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// writeSections prints tables one after another, or one JSON object holding each
// section's rows under its key.
func writeSections(w io.Writer, format string, sections []section) error {
	if format != FormatJSON {
		for i, s := range sections {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := s.write(w, format); err != nil {
				return err
			}
		}
		return nil
	}
	var sb strings.Builder
	sb.WriteString("{")
	for i, s := range sections {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "\n%q: ", s.key)
		if err := s.writeJSON(&sb); err != nil {
			return err
		}
		// writeJSON ends with a newline; inside an object the comma comes first.
		str := strings.TrimSuffix(sb.String(), "\n")
		sb.Reset()
		sb.WriteString(str)
	}
	sb.WriteString("\n}\n")
	_, err := io.WriteString(w, sb.String())
	return err
}
