package bank

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// The bulk-load statements: the driver binds one parameter set per statement, so a batch
// travels as one array literal per column for unnest. Ids are an offset passed apart plus
// each row's ordinal, so that batches encode in parallel (docs/performance.md).
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
	// Replaced: the load deleted an earlier bank, whose rows the VACUUM after the commit
	// reclaimed. VacuumErr is that VACUUM's failure; the new bank is committed either way.
	Replaced  bool
	VacuumErr error
	// CommittedAt is when the load's COMMIT returned, before that VACUUM.
	CommittedAt time.Time
}

// vacuum reclaims a replaced bank's DELETEd rows after the commit (docs/performance.md).
// One table a statement, in the bank's lock order: a VACUUM of several tables locks them
// all while it lists them, and would deadlock with a load taking them in order.
var vacuum = [...]string{"VACUUM bank.customers", "VACUUM bank.accounts", "VACUUM bank.customer_accounts"}

// Populate replaces the bank with the one cfg describes, in one transaction: concurrent
// readers see the old bank or the new one, and a failure leaves the old one untouched.
// progress, if not nil, is called after each batch with what has been loaded so far.
func (db *DB) Populate(ctx context.Context, cfg gen.Config, jobs int, progress func(done, total int, loaded LoadSummary)) (LoadSummary, error) {
	var sum LoadSummary
	if err := cfg.Validate(); err != nil {
		return sum, err
	}
	err := db.withSession(ctx, func(s *Session) error {
		if _, err := s.write(ctx, func(tx *sql.Tx) error { return load(ctx, tx, cfg, jobs, &sum, progress) }); err != nil {
			return err
		}
		sum.CommittedAt = time.Now()
		if sum.Replaced {
			sum.VacuumErr = s.vacuum(ctx)
		}
		return nil
	})
	return sum, err
}

// vacuum runs the statements of vacuum, outside any transaction, until one fails.
func (s *Session) vacuum(ctx context.Context) error {
	for _, q := range vacuum {
		// Through Query, which the driver cancels when ctx ends (Exec it does not).
		rows, err := s.conn.QueryContext(ctx, q)
		if err == nil {
			err = rows.Close()
		} else if noResultSet(err) {
			err = nil
		}
		if err != nil {
			return s.mark(translate(err))
		}
	}
	return nil
}

// load runs in Populate's transaction: load_begin, the batches, load_finish.
func load(ctx context.Context, tx *sql.Tx, cfg gen.Config, jobs int, sum *LoadSummary, progress func(done, total int, loaded LoadSummary)) error {
	if _, err := tx.ExecContext(ctx, "SELECT bank.load_begin()"); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, "SELECT current_setting('bank.load_replaced') = 'on'").Scan(&sum.Replaced); err != nil {
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
	err := gen.StreamPrepared(cfg, jobs, encode, func(b *gen.Batch, enc encoded) error {
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

// Generate makes and encodes the bank cfg describes, as Populate does, and sends it
// nowhere: what a seed makes, and what making it costs the client alone.
func Generate(cfg gen.Config, jobs int, progress func(done, total int, made LoadSummary)) (LoadSummary, error) {
	var sum LoadSummary
	if err := cfg.Validate(); err != nil {
		return sum, err
	}
	err := gen.StreamPrepared(cfg, jobs, encode, func(b *gen.Batch, _ encoded) error {
		sum.add(b)
		if progress != nil {
			progress(b.Index+1, cfg.Batches(), sum)
		}
		return nil
	})
	return sum, err
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

// encode writes a batch's columns as array literals, on the generator's goroutines (so
// with the batch's own account ids, 1..len(Accounts)). The client's busiest code in a
// load, it appends into buffers sized up front and formats numbers in place.
func encode(b *gen.Batch) encoded {
	var c [7]arrayBuilder
	for i, per := range [7]int{12, 12, 28, 14, 5, 8, 11} { // bytes per element, about
		c[i].grow(len(b.Customers) * per)
	}
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
	a[0].grow(len(b.Accounts) * 10)
	a[1].grow(len(b.Accounts) * 11)
	var l [2]arrayBuilder
	l[0].grow(len(b.Accounts) * 12)
	l[1].grow(len(b.Accounts) * 12)
	for _, ac := range b.Accounts {
		a[0].cents(ac.Balance)
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
	buf []byte
}

func (b *arrayBuilder) grow(n int) { b.buf = make([]byte, 0, n+2) }

func (b *arrayBuilder) sep() {
	if len(b.buf) == 0 {
		b.buf = append(b.buf, '{')
	} else {
		b.buf = append(b.buf, ',')
	}
}

func (b *arrayBuilder) int(v int64) { b.sep(); b.buf = strconv.AppendInt(b.buf, v, 10) }

func (b *arrayBuilder) cents(c money.Cents) { b.sep(); b.buf = c.Append(b.buf) }

// text quotes every element, so that commas, braces, quotes, backslashes, spaces and the
// word NULL all arrive as written.
func (b *arrayBuilder) text(s string) {
	b.sep()
	b.buf = append(b.buf, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.buf = append(b.buf, '\\')
		}
		b.buf = append(b.buf, s[i])
	}
	b.buf = append(b.buf, '"')
}

func (b *arrayBuilder) String() string {
	if len(b.buf) == 0 {
		return "{}"
	}
	return string(append(b.buf, '}'))
}
