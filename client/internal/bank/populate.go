package bank

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// The bulk-load statements. The odbc driver binds one parameter set per statement, so a
// whole batch travels as one array literal per column and unnest turns it back into rows.
// Each batch is encoded on the generator's goroutines, in parallel with the load, so the
// literals carry nothing that depends on earlier batches: ids come from the batch's first
// id plus each row's ordinal, and account ids in the links from an offset passed apart.
// Timestamps travel as Unix seconds: to_timestamp of a bigint costs the server less than
// parsing date text, and the load is the server's work to save.
const (
	insertCustomers = `INSERT INTO bank.customers
		(customer_id, first_name, last_name, street_address, city, state, zip, created_at)
		SELECT ?::bigint + r.n - 1, r.first_name, r.last_name, r.street, r.city, r.state, r.zip, to_timestamp(r.t)
		FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[])
			WITH ORDINALITY AS r(first_name, last_name, street, city, state, zip, t, n)`
	insertAccounts = `INSERT INTO bank.accounts (account_id, balance, created_at)
		SELECT ?::bigint + r.n, r.balance, to_timestamp(r.t)
		FROM unnest(?::numeric[], ?::bigint[]) WITH ORDINALITY AS r(balance, t, n)`
	insertLinks = `INSERT INTO bank.customer_accounts (customer_id, account_id)
		SELECT r.customer_id, ?::bigint + r.account
		FROM unnest(?::bigint[], ?::bigint[]) AS r(customer_id, account)`
)

// LoadSummary describes what Populate loaded.
type LoadSummary struct {
	Customers, Accounts, Links, Joint int64
	Total                             money.Cents
}

// Populate replaces the bank with the one cfg describes, in one transaction: concurrent
// readers see the old bank or the new one, and a failure leaves the old one untouched.
// progress, if not nil, is called after each batch with what has been loaded so far.
func (db *DB) Populate(ctx context.Context, cfg gen.Config, workers int, progress func(done, total int, loaded LoadSummary)) (LoadSummary, error) {
	var sum LoadSummary
	if err := cfg.Validate(); err != nil {
		return sum, err
	}
	err := db.withSession(ctx, func(s *Session) error {
		_, err := s.write(ctx, func(tx *sql.Tx) error { return load(ctx, tx, cfg, workers, &sum, progress) })
		return err
	})
	return sum, err
}

// load runs in Populate's transaction: load_begin, the batches, load_finish.
func load(ctx context.Context, tx *sql.Tx, cfg gen.Config, workers int, sum *LoadSummary, progress func(done, total int, loaded LoadSummary)) error {
	// The setting is what bank.load_begin() on Citus takes for proof of a transaction block.
	if _, err := tx.ExecContext(ctx, "SELECT set_config('bank.loading', 'on', true)"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "SELECT bank.load_begin()"); err != nil {
		return err
	}
	var stmts [3]*sql.Stmt
	for i, q := range []string{insertCustomers, insertAccounts, insertLinks} {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		stmts[i] = st
	}
	var accountOffset int64
	err := gen.StreamPrepared(cfg, workers, encode, func(b *gen.Batch, enc encoded) error {
		args := [3][]any{
			append([]any{b.Customers[0].ID}, enc.customers...),
			append([]any{accountOffset}, enc.accounts...),
			append([]any{accountOffset}, enc.links...),
		}
		for i := range args {
			if _, err := stmts[i].ExecContext(ctx, args[i]...); err != nil {
				return err
			}
		}
		accountOffset += int64(len(b.Accounts))
		sum.add(b)
		if progress != nil {
			progress(b.Index+1, cfg.Batches(), *sum)
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "SELECT bank.load_finish()")
	return err
}

func (s *LoadSummary) add(b *gen.Batch) {
	s.Customers += int64(len(b.Customers))
	s.Accounts += int64(len(b.Accounts))
	for _, a := range b.Accounts {
		s.Links += int64(len(a.Holders))
		s.Total += a.Balance
		if len(a.Holders) > 1 {
			s.Joint++
		}
	}
}

// encoded is a batch as the array-literal arguments of the three inserts, without the
// leading id or offset argument.
type encoded struct {
	customers, accounts, links []any
}

// encode writes a batch's columns as array literals. It runs on the generator's goroutines
// (see gen.StreamPrepared), so it sees the batch's own account ids, 1..len(Accounts).
func encode(b *gen.Batch) encoded {
	var c [7]arrayBuilder
	for _, cu := range b.Customers {
		c[0].text(cu.FirstName)
		c[1].text(cu.LastName)
		c[2].text(cu.Street)
		c[3].text(cu.City)
		c[4].text(cu.State)
		c[5].text(cu.Zip)
		c[6].int(cu.CreatedAt.Unix())
	}
	var a [2]arrayBuilder
	var l [2]arrayBuilder
	for _, ac := range b.Accounts {
		a[0].raw(ac.Balance.String())
		a[1].int(ac.CreatedAt.Unix())
		for _, h := range ac.Holders {
			l[0].int(h)
			l[1].int(ac.ID)
		}
	}
	args := func(cols []arrayBuilder) []any {
		out := make([]any, len(cols))
		for i := range cols {
			out[i] = cols[i].String()
		}
		return out
	}
	return encoded{args(c[:]), args(a[:]), args(l[:])}
}

// arrayBuilder writes a PostgreSQL array literal: {1,2,3} or {"a","b \"c\""}.
type arrayBuilder struct {
	sb strings.Builder
	n  int
}

func (b *arrayBuilder) sep() {
	if b.n == 0 {
		b.sb.WriteByte('{')
	} else {
		b.sb.WriteByte(',')
	}
	b.n++
}

func (b *arrayBuilder) raw(s string) { b.sep(); b.sb.WriteString(s) }

func (b *arrayBuilder) int(v int64) { b.raw(strconv.FormatInt(v, 10)) }

// text quotes every element, so that commas, braces, quotes, backslashes, spaces and the
// word NULL all arrive as written.
func (b *arrayBuilder) text(s string) {
	b.sep()
	b.sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.sb.WriteByte('\\')
		}
		b.sb.WriteByte(s[i])
	}
	b.sb.WriteByte('"')
}

func (b *arrayBuilder) String() string {
	if b.n == 0 {
		return "{}"
	}
	return b.sb.String() + "}"
}
