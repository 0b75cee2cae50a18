package bank

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"funwithbanking/client/internal/gen"
	"funwithbanking/client/internal/money"
)

// change is one committed transaction's effect on the balances, with its id.
type change struct {
	xid   uint64
	delta map[int64]money.Cents
}

// snapshot is pg_current_snapshot() as Go reads it: xmin:xmax:xip,...
type snapshot struct {
	xmin, xmax uint64
	xip        map[uint64]bool
}

func parseSnapshot(t *testing.T, s string) snapshot {
	t.Helper()
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		t.Fatalf("snapshot %q", s)
	}
	snap := snapshot{xip: map[uint64]bool{}}
	var err error
	if snap.xmin, err = strconv.ParseUint(parts[0], 10, 64); err != nil {
		t.Fatal(err)
	}
	if snap.xmax, err = strconv.ParseUint(parts[1], 10, 64); err != nil {
		t.Fatal(err)
	}
	for _, x := range strings.Split(parts[2], ",") {
		if x != "" {
			v, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			snap.xip[v] = true
		}
	}
	return snap
}

// sees is pg_visible_in_snapshot for a committed transaction.
func (s snapshot) sees(xid uint64) bool {
	return xid < s.xmin || (xid < s.xmax && !s.xip[xid])
}

func parseXID(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("transaction id %q: %v", s, err)
	}
	return v
}

// TestRobinhoodUnderTransferFlood: Robinhood runs again and again while transfers hammer
// the same accounts, a Jepsen-style check of its promise. Every transfer and Robinhood is
// logged with its transaction id; the balances each Robinhood planned on are rebuilt from
// the starting bank and the transactions its snapshot sees, and its moves must be exactly
// what the Go model computes from them. At the end every account holds exactly its start
// plus every committed change: nothing lost, nothing twice.
func TestRobinhoodUnderTransferFlood(t *testing.T) {
	// margin 0 keeps 20 holders at each end of 1,000, so transfers often push someone from
	// outside past the bounds and the bank is ranked again; 30 keeps 50, so the correction
	// decides; 1,000 plans from the whole bank every time; no tries takes the lock at once.
	for _, tt := range []struct{ margin, tries int }{{0, 5}, {30, 5}, {1000, 5}, {30, 0}} {
		t.Run(fmt.Sprintf("margin %d, tries %d", tt.margin, tt.tries), func(t *testing.T) {
			robinhoodUnderTransferFlood(t, tt.margin, tt.tries)
		})
	}
}

func robinhoodUnderTransferFlood(t *testing.T, margin, tries int) {
	ctx := context.Background()
	db, _ := newBank(t, Options{})
	cfg := gen.Config{Customers: 1000, MaxAccounts: 3, Seed: 12}
	if _, err := db.Populate(ctx, cfg, 2, nil); err != nil {
		t.Fatal(err)
	}
	m := newModel(t, cfg)
	start := map[int64]money.Cents{}
	for id, a := range m.accounts {
		start[id] = a.Balance
	}
	stop := make(chan struct{})
	wait, committed := flood(t, db, 8, int64(len(m.accounts)), false, stop)

	type run struct {
		RobinhoodRun
		snap snapshot
	}
	var runs []run
	paths := map[string]int{}
	for i := range 6 {
		// Transfers go on between the Robinhoods, as during them.
		from := committed.Load()
		waitUntil(t, "a transfer committed", func() bool { return committed.Load() > from })
		var r run
		err := db.withSession(ctx, func(s *Session) error {
			var err error
			r.XID, err = s.write(ctx, func(tx *sql.Tx) error {
				rows, err := tx.QueryContext(ctx, `SELECT from_customer, from_account, to_customer, to_account, amount::text
					FROM bank.robinhood_run(10, 10, ?, ?)`, 20+margin, tries)
				if err != nil {
					return err
				}
				if err := scanAll(rows, func(rows *sql.Rows) error {
					var mv Move
					if err := rows.Scan(&mv.FromCustomer, &mv.FromAccount, &mv.ToCustomer, &mv.ToAccount, &mv.Amount); err != nil {
						return err
					}
					r.Moves = append(r.Moves, mv)
					return nil
				}); err != nil {
					return err
				}
				return tx.QueryRowContext(ctx, `SELECT current_setting('bank.robinhood_path'), current_setting('bank.robinhood_snapshot')`).
					Scan(&r.Path, &r.Snapshot)
			})
			return err
		})
		if err != nil {
			close(stop)
			wait()
			t.Fatalf("robinhood %d: %v", i, err)
		}
		r.snap = parseSnapshot(t, r.Snapshot)
		paths[strings.SplitN(r.Path, ",", 2)[0]]++
		runs = append(runs, r)
	}
	close(stop)
	log := wait()
	if len(log) == 0 {
		t.Fatal("no transfer committed during the Robinhoods")
	}
	for _, r := range runs {
		if r.XID == "" {
			continue
		}
		c := change{parseXID(t, r.XID), map[int64]money.Cents{}}
		for _, mv := range r.Moves {
			c.delta[mv.FromAccount] -= mv.Amount
			c.delta[mv.ToAccount] += mv.Amount
		}
		log = append(log, c)
	}

	for i, r := range runs {
		for id, a := range m.accounts {
			a.Balance = start[id]
		}
		own := uint64(0) // a Robinhood whose first claim failed has its id in the snapshot of its next plan
		if r.XID != "" {
			own = parseXID(t, r.XID)
		}
		for _, c := range log {
			if r.snap.sees(c.xid) && c.xid != own {
				for id, d := range c.delta {
					m.accounts[id].Balance += d
				}
			}
		}
		if want := m.robinhood(10, 10); !reflect.DeepEqual(r.Moves, want) {
			t.Errorf("robinhood %d (%s) moved\n%v\nbut on the bank its snapshot saw the model moves\n%v", i, r.Path, r.Moves, want)
		}
	}

	end := map[int64]money.Cents{}
	for id, c := range start {
		end[id] = c
	}
	for _, c := range log {
		for id, d := range c.delta {
			end[id] += d
		}
	}
	balances, err := db.withBalances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range balances {
		if end[b.AccountID] != b.Balance {
			t.Errorf("account %d holds %s; its start and every committed change give %s", b.AccountID, b.Balance, end[b.AccountID])
		}
	}
	t.Logf("%d transfers; Robinhood paths %v", len(log)-len(runs), paths)
	if want := "snapshot"; tries == 0 {
		if paths["locked"] != len(runs) {
			t.Errorf("with no tries every Robinhood should take the lock; paths %v", paths)
		}
	} else if margin >= 30 && paths[want] == 0 {
		t.Errorf("no Robinhood ran without the lock; paths %v", paths)
	}
}

// withBalances reads every balance in one snapshot.
func (db *DB) withBalances(ctx context.Context) (b []Balance, err error) {
	err = db.withSession(ctx, func(s *Session) error {
		b, err = s.Balances(ctx)
		return err
	})
	return b, err
}
