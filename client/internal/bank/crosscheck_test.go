package bank

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// model is the bank as the generator made it, held in Go to recompute every answer the
// SQL functions give, independently of SQL.
type model struct {
	customers map[int64]gen.Customer
	accounts  map[int64]*gen.Account
	holds     map[int64][]int64 // customer -> accounts
}

func newModel(t *testing.T, cfg gen.Config) *model {
	t.Helper()
	m := &model{customers: map[int64]gen.Customer{}, accounts: map[int64]*gen.Account{}, holds: map[int64][]int64{}}
	err := gen.Stream(cfg, 3, func(b *gen.Batch) error {
		for _, c := range b.Customers {
			m.customers[c.ID] = c
		}
		for i := range b.Accounts {
			a := b.Accounts[i]
			m.accounts[a.ID] = &a
			for _, h := range a.Holders {
				m.holds[h] = append(m.holds[h], a.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *model) total(c int64) money.Cents {
	var s money.Cents
	for _, a := range m.holds[c] {
		s += m.accounts[a].Balance
	}
	return s
}

func (m *model) ranked(richestFirst bool) []CustomerRow {
	var rows []CustomerRow
	for id, c := range m.customers {
		rows = append(rows, CustomerRow{id, c.FirstName, c.LastName, c.State, int64(len(m.holds[id])), money.TotalOf(m.total(id))})
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if c := a.TotalBalance.Cmp(b.TotalBalance); c != 0 {
			return (c > 0) == richestFirst
		}
		return a.CustomerID < b.CustomerID
	})
	return rows
}

func (m *model) topStates(limit int) []StateRow {
	sums, counts := map[string]int64{}, map[string]int64{}
	for id, c := range m.customers {
		sums[c.State] += int64(m.total(id))
		counts[c.State]++
	}
	var rows []StateRow
	for s := range sums {
		// Round half away from zero, as numeric's round() does (sums are never negative).
		avg := (2*sums[s] + counts[s]) / (2 * counts[s])
		rows = append(rows, StateRow{s, counts[s], money.TotalOf(money.Cents(avg))})
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		// Compare exact averages: sumA/nA > sumB/nB.
		l, r := sums[a.State]*counts[b.State], sums[b.State]*counts[a.State]
		if l != r {
			return l > r
		}
		return a.State < b.State
	})
	return rows[:min(limit, len(rows))]
}

// robinhood recomputes the movements of bank.robinhood(percent, count), percent whole.
func (m *model) robinhood(percent int64, count int) []Move {
	var holders []CustomerRow
	for _, r := range m.ranked(true) {
		if r.Accounts > 0 {
			holders = append(holders, r)
		}
	}
	donors := min(count, len(holders)-1)
	if donors < 1 {
		return nil
	}
	// The poorest of the others, ties by the lower id. (Walking the richest-first list
	// backwards would take the higher id of a tie at the cut: a bug this model once had,
	// found by TestRobinhoodUnderTransferFlood.)
	recipients := slices.Clone(holders[donors:])
	sort.SliceStable(recipients, func(i, j int) bool {
		a, b := recipients[i], recipients[j]
		if c := a.TotalBalance.Cmp(b.TotalBalance); c != 0 {
			return c < 0
		}
		return a.CustomerID < b.CustomerID
	})
	recipients = recipients[:min(count, len(recipients))]
	oldest := func(c int64) int64 {
		best := int64(0)
		for _, a := range m.holds[c] {
			x := m.accounts[a]
			if best == 0 || x.CreatedAt.Before(m.accounts[best].CreatedAt) ||
				(x.CreatedAt.Equal(m.accounts[best].CreatedAt) && a < best) {
				best = a
			}
		}
		return best
	}
	var moves []Move
	gave := map[int64]bool{}
	n := int64(len(recipients))
	for _, d := range holders[:donors] {
		best := int64(0)
		for _, a := range m.holds[d.CustomerID] {
			if best == 0 || m.accounts[a].Balance > m.accounts[best].Balance ||
				(m.accounts[a].Balance == m.accounts[best].Balance && a < best) {
				best = a
			}
		}
		if gave[best] {
			continue
		}
		gave[best] = true
		cents := int64(m.accounts[best].Balance) * percent / 100
		for i, r := range recipients {
			share := cents / n
			if int64(i) < cents%n {
				share++
			}
			to := oldest(r.CustomerID)
			if share > 0 && to != best {
				moves = append(moves, Move{d.CustomerID, best, r.CustomerID, to, money.Cents(share)})
			}
		}
	}
	return moves
}

// TestCrossCheck populates a bank of several batches and compares every report and
// Robinhood's movements with what Go computes from the generated data.
func TestCrossCheck(t *testing.T) {
	ctx := context.Background()
	db, _ := newBank(t, Options{})
	for _, cfg := range []gen.Config{
		{Customers: 2500, MaxAccounts: 10, Seed: 5},
		{Customers: 15, MaxAccounts: 3, Seed: 6}, // fewer than 2 x 10: fewer recipients
	} {
		t.Run(fmt.Sprintf("%d customers", cfg.Customers), func(t *testing.T) {
			m := newModel(t, cfg)
			sum, err := db.Populate(ctx, cfg, 4, nil)
			if err != nil {
				t.Fatal(err)
			}
			audit, err := db.Audit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := Audit{int64(len(m.customers)), int64(len(m.accounts)), sum.Links, money.TotalOf(sum.Total), 0}
			if audit != want || sum.Customers != int64(cfg.Customers) {
				t.Fatalf("audit = %+v, want %+v", audit, want)
			}

			states, err := db.TopStates(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if w := m.topStates(10); !reflect.DeepEqual(states, w) {
				t.Errorf("top_states:\n got  %v\n want %v", states, w)
			}
			for _, top := range []bool{true, false} {
				fetch := db.TopCustomers
				if !top {
					fetch = db.BottomCustomers
				}
				got, err := fetch(ctx, 10)
				if err != nil {
					t.Fatal(err)
				}
				w := m.ranked(top)
				if !reflect.DeepEqual(got, w[:min(10, len(w))]) {
					t.Errorf("ranking (richest first: %v):\n got  %v\n want %v", top, got, w[:10])
				}
			}

			wantMoves := m.robinhood(10, 10)
			run, err := db.Robinhood(ctx, "10", 10)
			if err != nil {
				t.Fatal(err)
			}
			moves := run.Moves
			if !reflect.DeepEqual(moves, wantMoves) {
				t.Fatalf("robinhood:\n got  %v\n want %v", moves, wantMoves)
			}
			if len(moves) == 0 {
				t.Fatal("robinhood moved nothing")
			}
			after, err := db.Audit(ctx)
			if err != nil || after != audit {
				t.Fatalf("after robinhood audit = %+v, %v; want %+v", after, err, audit)
			}
		})
	}
}

// TestPopulateReplacesAtomically: a load that fails half-way leaves the old bank exactly
// as it was, and readers during a load see the old bank or the new one, never a mix.
func TestPopulateReplacesAtomically(t *testing.T) {
	ctx := context.Background()
	db, _ := newBank(t, Options{})
	old := gen.Config{Customers: 1200, MaxAccounts: 5, Seed: 1}
	if _, err := db.Populate(ctx, old, 2, nil); err != nil {
		t.Fatal(err)
	}
	before, err := db.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Cancel after the first of many batches: Populate fails and rolls back.
	cctx, cancel := context.WithCancel(ctx)
	_, err = db.Populate(cctx, gen.Config{Customers: 5000, MaxAccounts: 5, Seed: 2}, 2, func(done, _ int, _ LoadSummary) {
		if done == 1 {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("a cancelled populate succeeded")
	}
	if a, err := db.Audit(ctx); err != nil || a != before {
		t.Fatalf("after a failed populate audit = %+v, %v; want the old bank %+v", a, err, before)
	}

	// Readers call audit (one snapshot each) while a new bank loads.
	next := gen.Config{Customers: 6000, MaxAccounts: 5, Seed: 3}
	done, read := make(chan error, 1), make(chan struct{})
	go func() {
		<-read // the load begins once a reader has read the old bank
		sum, err := db.Populate(ctx, next, 2, nil)
		if err == nil && (!sum.Replaced || sum.VacuumErr != nil) {
			err = fmt.Errorf("replaced %v, VACUUM error %v; want replaced and no error", sum.Replaced, sum.VacuumErr)
		}
		done <- err
	}()
	seen := map[Audit]int{}
	for loading := true; loading; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			loading = false
		default:
		}
		a, err := db.Audit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 {
			close(read)
		}
		seen[a]++
	}
	after, _ := db.Audit(ctx)
	for a, n := range seen {
		if a != before && a != after {
			t.Fatalf("a reader saw %+v (%d times): neither the old bank %+v nor the new %+v", a, n, before, after)
		}
	}
	if after.Customers != int64(next.Customers) {
		t.Fatalf("new bank has %d customers, want %d", after.Customers, next.Customers)
	}
}

// TestArrayLiteralRoundTrip: text with quotes, backslashes, braces, commas, spaces,
// apostrophes, accents and the word NULL survives the bulk-load encoding and ODBC intact.
func TestArrayLiteralRoundTrip(t *testing.T) {
	db, _ := newBank(t, Options{})
	in := []string{`O'Connor`, `say "hi"`, `back\slash`, `{braces}`, `a,b`, ` padded `, `NULL`, `Zoë Ñúñez`, `日本`, ``}
	var b arrayBuilder
	for _, s := range in {
		b.text(s)
	}
	var out []string
	err := db.query(context.Background(), `SELECT u FROM unnest(?::text[]) WITH ORDINALITY AS t(u, i) ORDER BY i`,
		[]any{b.String()}, func(rows *sql.Rows) error {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			out = append(out, s)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip through %s:\n got  %q\n want %q", b.String(), out, in)
	}
}
