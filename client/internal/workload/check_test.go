package workload

import (
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

func TestCheck(t *testing.T) {
	start := balances(1, 1000, 2, 1000, 3, 1000, 4, 1000)
	tests := []struct {
		name           string
		final          []bank.Balance
		tally          map[int64]money.Cents
		inDoubt        []Transfer
		robinhoods     int
		wantViolation  string // "" for none
		happened, not  int
		robinhoodHappy bool
	}{
		{name: "untouched", final: start},
		{name: "committed transfer", final: balances(1, 900, 2, 1100, 3, 1000, 4, 1000),
			tally: map[int64]money.Cents{1: -100, 2: 100}},
		{name: "money appeared", final: balances(1, 1000, 2, 1001, 3, 1000, 4, 1000),
			wantViolation: "account 2 holds 10.01, want 10.00"},
		{name: "a committed transfer lost", final: start, tally: map[int64]money.Cents{1: -100, 2: 100},
			wantViolation: "account 1 holds 10.00, want 9.00"},
		{name: "in doubt, happened", final: balances(1, 900, 2, 1100, 3, 1000, 4, 1000),
			inDoubt: []Transfer{{1, 2, 100}}, happened: 1},
		{name: "in doubt, did not happen", final: start, inDoubt: []Transfer{{1, 2, 100}}, not: 1},
		{name: "in doubt, half happened", final: balances(1, 900, 2, 1000, 3, 1000, 4, 1000),
			inDoubt: []Transfer{{1, 2, 100}}, wantViolation: "neither all happened nor all did not"},
		{name: "entangled in doubt: the second happened", final: balances(1, 1000, 2, 950, 3, 1050, 4, 1000),
			inDoubt: []Transfer{{1, 2, 100}, {2, 3, 50}}, happened: 1, not: 1},
		{name: "two apart, one each way", final: balances(1, 900, 2, 1100, 3, 1000, 4, 1000),
			inDoubt: []Transfer{{1, 2, 100}, {3, 4, 7}}, happened: 1, not: 1},
		{name: "robinhood in doubt, happened", final: balances(1, 800, 2, 1100, 3, 1100, 4, 1000),
			robinhoods: 1, robinhoodHappy: true},
		{name: "robinhood in doubt, did not happen", final: start, robinhoods: 1},
		{name: "robinhood in doubt cannot explain created money", final: balances(1, 800, 2, 1100, 3, 1101, 4, 1000),
			robinhoods: 1, wantViolation: "unaccounted for"},
		{name: "account disappeared", final: balances(1, 1000, 2, 1000, 3, 1000), wantViolation: "account 4 disappeared"},
		{name: "account appeared", final: balances(1, 1000, 2, 1000, 3, 1000, 4, 1000, 5, 0), wantViolation: "account 5 appeared"},
		{name: "negative", final: balances(1, -100, 2, 2100, 3, 1000, 4, 1000),
			tally: map[int64]money.Cents{1: -1100, 2: 1100}, wantViolation: "account 1 ended negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(start, tt.final, tt.tally, tt.inDoubt, tt.robinhoods, 2)
			joined := strings.Join(got.Violations, "\n")
			if tt.wantViolation == "" && joined != "" {
				t.Fatalf("unexpected violations:\n%s", joined)
			}
			if tt.wantViolation != "" && !strings.Contains(joined, tt.wantViolation) {
				t.Fatalf("violations %q do not mention %q", joined, tt.wantViolation)
			}
			if tt.wantViolation == "" && (got.InDoubtHappened != tt.happened || got.InDoubtNotHappened != tt.not ||
				got.RobinhoodInDoubtHappened != tt.robinhoodHappy) {
				t.Errorf("in doubt: %d happened, %d not, robinhood %v; want %d, %d, %v", got.InDoubtHappened,
					got.InDoubtNotHappened, got.RobinhoodInDoubtHappened, tt.happened, tt.not, tt.robinhoodHappy)
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
