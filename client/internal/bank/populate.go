package bank

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// The bulk-load statements. The odbc driver binds one parameter set per statement, so a
// whole batch travels as one array literal per column and unnest turns it back into rows.
const (
	insertCustomers = `INSERT INTO bank.customers
		(customer_id, first_name, last_name, street_address, city, state, zip, created_at)
		SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[])`
	insertAccounts = `INSERT INTO bank.accounts (account_id, balance, created_at)
		SELECT * FROM unnest(?::bigint[], ?::numeric[], ?::timestamptz[])`
	insertLinks = `INSERT INTO bank.customer_accounts (customer_id, account_id)
		SELECT * FROM unnest(?::bigint[], ?::bigint[])`
)

// LoadSummary describes what Populate loaded.
type LoadSummary struct {
	Customers, Accounts, Links, Joint int64
	Total                             money.Cents
}

// Populate replaces the bank with the one cfg describes, in one transaction: concurrent
// readers see the old bank or the new one, and a failure leaves the old one untouched.
// progress, if not nil, is called after each batch.
func (db *DB) Populate(ctx context.Context, cfg gen.Config, workers int, progress func(done, total int)) (LoadSummary, error) {
	var sum LoadSummary
	if err := cfg.Validate(); err != nil {
		return sum, err
	}
	err := db.inTx(ctx, ReadCommitted, func(tx *sql.Tx) error {
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
		var enc encoder
		err := gen.Stream(cfg, workers, func(b *gen.Batch) error {
			for i, args := range enc.batch(b) {
				if _, err := stmts[i].ExecContext(ctx, args...); err != nil {
					return err
				}
			}
			sum.add(b)
			if progress != nil {
				progress(b.Index+1, cfg.Batches())
			}
			return ctx.Err()
		})
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "SELECT bank.load_finish()")
		return err
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

// encoder turns a batch into the array literals of the three inserts, reusing its buffers.
type encoder struct {
	cols [13]arrayBuilder
}

// batch returns the arguments of insertCustomers, insertAccounts and insertLinks.
func (e *encoder) batch(b *gen.Batch) [3][]any {
	for i := range e.cols {
		e.cols[i].reset()
	}
	c := e.cols[:8]
	for _, cu := range b.Customers {
		c[0].int(cu.ID)
		c[1].text(cu.FirstName)
		c[2].text(cu.LastName)
		c[3].text(cu.Street)
		c[4].text(cu.City)
		c[5].text(cu.State)
		c[6].text(cu.Zip)
		c[7].time(cu.CreatedAt)
	}
	a, l := e.cols[8:11], e.cols[11:13]
	for _, ac := range b.Accounts {
		a[0].int(ac.ID)
		a[1].raw(ac.Balance.String())
		a[2].time(ac.CreatedAt)
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
	return [3][]any{args(c), args(a), args(l)}
}

// arrayBuilder writes a PostgreSQL array literal: {1,2,3} or {"a","b \"c\""}.
type arrayBuilder struct {
	sb strings.Builder
	n  int
}

func (b *arrayBuilder) reset() { b.sb.Reset(); b.n = 0 }

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

func (b *arrayBuilder) time(t time.Time) { b.raw(t.UTC().Format("2006-01-02 15:04:05Z07:00")) }

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
