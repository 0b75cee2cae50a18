package workload

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/money"
)

func balances(pairs ...int64) []bank.Balance {
	var out []bank.Balance
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, bank.Balance{AccountID: pairs[i], Balance: money.Cents(pairs[i+1])})
	}
	return out
}

// inDoubtTransfers are transfers in doubt, each on its own.
func inDoubtTransfers(ts ...Transfer) []Doubt {
	var out []Doubt
	for _, t := range ts {
		out = append(out, Doubt{Moves: []Transfer{t}})
	}
	return out
}

// inDoubtRobinhood is a Robinhood in doubt, moves its movements.
func inDoubtRobinhood(moves ...Transfer) Doubt { return Doubt{Robinhood: true, Moves: moves} }

// checkStart is the bank TestCheck's cases start from.
var checkStart = balances(1, 1000, 2, 1000, 3, 1000, 4, 1000)

// checkCases: final balances, the tally, the transactions in doubt, and what the checker
// must find of them.
var checkCases = []struct {
	name          string
	final         []bank.Balance
	tally         map[int64]money.Cents
	inDoubt       []Doubt
	wantViolation string // "" for none
	happened, not int
	rhHappened    int
	rhNot         int
}{
	{name: "untouched", final: checkStart},
	{name: "committed transfer", final: balances(1, 900, 2, 1100, 3, 1000, 4, 1000),
		tally: map[int64]money.Cents{1: -100, 2: 100}},
	{name: "money appeared", final: balances(1, 1000, 2, 1001, 3, 1000, 4, 1000),
		wantViolation: "account 2 holds 10.01, want 10.00"},
	{name: "a committed transfer lost", final: checkStart, tally: map[int64]money.Cents{1: -100, 2: 100},
		wantViolation: "account 1 holds 10.00, want 9.00"},
	{name: "in doubt, happened", final: balances(1, 900, 2, 1100, 3, 1000, 4, 1000),
		inDoubt: inDoubtTransfers(Transfer{1, 2, 100}), happened: 1},
	{name: "in doubt, did not happen", final: checkStart, inDoubt: inDoubtTransfers(Transfer{1, 2, 100}), not: 1},
	{name: "in doubt, half happened", final: balances(1, 900, 2, 1000, 3, 1000, 4, 1000),
		inDoubt: inDoubtTransfers(Transfer{1, 2, 100}), wantViolation: "no set of them happening, each whole, explains"},
	{name: "entangled in doubt: the second happened", final: balances(1, 1000, 2, 950, 3, 1050, 4, 1000),
		inDoubt: inDoubtTransfers(Transfer{1, 2, 100}, Transfer{2, 3, 50}), happened: 1, not: 1},
	{name: "two apart, one each way", final: balances(1, 900, 2, 1100, 3, 1000, 4, 1000),
		inDoubt: inDoubtTransfers(Transfer{1, 2, 100}, Transfer{3, 4, 7}), happened: 1, not: 1},
	{name: "robinhood in doubt, happened", final: balances(1, 800, 2, 1100, 3, 1100, 4, 1000),
		inDoubt: []Doubt{inDoubtRobinhood(Transfer{1, 2, 100}, Transfer{1, 3, 100})}, rhHappened: 1},
	{name: "robinhood in doubt, did not happen", final: checkStart,
		inDoubt: []Doubt{inDoubtRobinhood(Transfer{1, 2, 100}, Transfer{1, 3, 100})}, rhNot: 1},
	{name: "robinhood in doubt, half happened", final: balances(1, 900, 2, 1100, 3, 1000, 4, 1000),
		inDoubt: []Doubt{inDoubtRobinhood(Transfer{1, 2, 100}, Transfer{1, 3, 100})}, wantViolation: "each whole, explains"},
	{name: "robinhood in doubt cannot explain created money", final: balances(1, 800, 2, 1100, 3, 1101, 4, 1000),
		inDoubt: []Doubt{inDoubtRobinhood(Transfer{1, 2, 100}, Transfer{1, 3, 100})}, wantViolation: "unaccounted for"},
	{name: "a lost transfer is no Robinhood in doubt", final: checkStart, tally: map[int64]money.Cents{1: -100, 2: 100},
		inDoubt: []Doubt{inDoubtRobinhood(Transfer{3, 4, 50})}, wantViolation: "account 1 holds 10.00, want 9.00"},
	{name: "a Robinhood in doubt is its own movements, not any that conserve money",
		final: balances(1, 1000, 2, 900, 3, 1000, 4, 1100), inDoubt: []Doubt{inDoubtRobinhood(Transfer{1, 3, 100})},
		wantViolation: "account 2 holds 9.00, want 10.00"},
	{name: "a Robinhood and a transfer in doubt, entangled", final: balances(1, 800, 2, 1100, 3, 1000, 4, 1100),
		inDoubt: append(inDoubtTransfers(Transfer{2, 3, 50}), inDoubtRobinhood(Transfer{1, 2, 100}, Transfer{1, 4, 100})), not: 1, rhHappened: 1},
	{name: "account disappeared", final: balances(1, 1000, 2, 1000, 3, 1000), wantViolation: "account 4 disappeared"},
	{name: "account appeared", final: balances(1, 1000, 2, 1000, 3, 1000, 4, 1000, 5, 0), wantViolation: "account 5 appeared"},
	{name: "negative", final: balances(1, -100, 2, 2100, 3, 1000, 4, 1000),
		tally: map[int64]money.Cents{1: -1100, 2: 1100}, wantViolation: "account 1 ended negative"},
}

// TestCheck: the checker's verdict on each of checkCases.
func TestCheck(t *testing.T) {
	for _, tt := range checkCases {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(checkStart, tt.final, tt.tally, tt.inDoubt)
			joined := strings.Join(got.Violations, "\n")
			if tt.wantViolation == "" && joined != "" {
				t.Fatalf("unexpected violations:\n%s", joined)
			}
			if tt.wantViolation != "" && !strings.Contains(joined, tt.wantViolation) {
				t.Fatalf("violations %q do not mention %q", joined, tt.wantViolation)
			}
			want := Verdict{InDoubtHappened: tt.happened, InDoubtNotHappened: tt.not,
				RobinhoodsInDoubtHappened: tt.rhHappened, RobinhoodsInDoubtNotHappened: tt.rhNot}
			if got.Violations = nil; tt.wantViolation == "" && !reflect.DeepEqual(got, want) {
				t.Errorf("in doubt: %+v, want %+v", got, want)
			}
		})
	}
}

// TestLedgerLookUp: a Robinhood the run is unsure of counts as the bank says it ended; one
// it cannot tell of is in doubt with the movements the session returned, and the checker
// finds them in the final balances whole, or not at all.
func TestLedgerLookUp(t *testing.T) {
	start := balances(1, 1000, 2, 1000, 3, 1000)
	run := bank.RobinhoodRun{XID: "742", Moves: []bank.Move{{FromAccount: 1, ToAccount: 2, Amount: 100}, {FromAccount: 1, ToAccount: 3, Amount: 50}}}
	moved := balances(1, 850, 2, 1100, 3, 1050)
	for _, tt := range []struct {
		name     string
		answered bool
		status   bank.TxStatus
		final    []bank.Balance
		want     Verdict
		robinhoods, lostCommitted, phantoms,
		inDoubt int64
	}{
		{"lost, committed", false, bank.TxCommitted, moved, Verdict{}, 1, 1, 0, 0},
		{"lost, aborted", false, bank.TxAborted, start, Verdict{}, 0, 0, 0, 0},
		{"lost, unknown, happened", false, bank.TxUnknown, moved, Verdict{RobinhoodsInDoubtHappened: 1}, 0, 0, 0, 1},
		{"lost, unknown, did not happen", false, bank.TxUnknown, start, Verdict{RobinhoodsInDoubtNotHappened: 1}, 0, 0, 0, 1},
		{"answered, committed", true, bank.TxCommitted, moved, Verdict{}, 1, 0, 0, 0},
		{"answered, aborted", true, bank.TxAborted, start, Verdict{}, 0, 0, 1, 0},
		{"answered, unknown, happened", true, bank.TxUnknown, moved, Verdict{RobinhoodsInDoubtHappened: 1}, 0, 0, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c counts
			l := newLedger(&c)
			if tt.answered {
				l.robinhoodCommitted(run)
				l.robinhoodUnsure(run)
			} else {
				l.robinhoodLost(run)
			}
			l.lookUp(func(xid string) bank.TxStatus {
				if xid != run.XID {
					t.Errorf("looked up transaction %q, want %q", xid, run.XID)
				}
				return tt.status
			})
			got := l.check(start, tt.final)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("verdict %+v, want %+v", got, tt.want)
			}
			if c.robinhoods.Load() != tt.robinhoods || l.lostCommitted != tt.lostCommitted ||
				l.robinhoodPhantoms != tt.phantoms || l.inDoubtRobinhoods != tt.inDoubt {
				t.Errorf("robinhoods %d, lost and committed %d, phantoms %d, in doubt %d; want %d, %d, %d, %d",
					c.robinhoods.Load(), l.lostCommitted, l.robinhoodPhantoms, l.inDoubtRobinhoods,
					tt.robinhoods, tt.lostCommitted, tt.phantoms, tt.inDoubt)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Workers: 1, Duration: 1, MaxAmount: 1}
	for _, tt := range []struct {
		mutate  func(*Config)
		wantErr string
	}{
		{func(*Config) {}, ""},
		{func(c *Config) { c.Workers = 0 }, "workers must be between"},
		{func(c *Config) { c.Workers = MaxWorkers + 1 }, "workers must be between"},
		{func(c *Config) { c.Readers = -1 }, "readers must be between"},
		{func(c *Config) { c.Duration = 0 }, "duration must be more than 0"},
		{func(c *Config) { c.Duration, c.Transfers = 0, 10 }, ""},
		{func(c *Config) { c.Transfers = -1 }, "transfers must not be negative"},
		{func(c *Config) { c.RobinhoodEvery = -1 }, "robinhood-every must not be negative"},
		{func(c *Config) { c.MaxAmount = 0 }, "max-amount must be at least"},
		{func(c *Config) { c.Accounts = 1 }, "accounts must be 0"},
	} {
		c := ok
		tt.mutate(&c)
		err := c.Validate()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%+v.Validate() = %v, want %q", c, err, tt.wantErr)
		}
	}
}

func TestPercentiles(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		in   []time.Duration
		want [4]time.Duration
	}{
		{nil, [4]time.Duration{}},
		{[]time.Duration{ms(5)}, [4]time.Duration{ms(5), ms(5), ms(5), ms(5)}},
		// One stall among many quick calls: only the max shows it.
		{append(repeat(ms(1), 199), ms(900)), [4]time.Duration{ms(1), ms(1), ms(1), ms(900)}},
	}
	for _, tt := range tests {
		if got := percentiles(slices.Clone(tt.in)); got != tt.want {
			t.Errorf("percentiles(%d values) = %v, want %v", len(tt.in), got, tt.want)
		}
	}
}

// repeat is n copies of d (slices.Repeat needs Go 1.23; the module builds with 1.22).
func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}
