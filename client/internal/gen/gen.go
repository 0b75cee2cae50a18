// Package gen makes the mock bank from a seed. A batch of customers, with their accounts,
// is a pure function of (seed, batch index), so batches can be made in any order by any
// number of goroutines and the bank is always the same; only account ids depend on the
// batches before, and Stream numbers them in batch order.
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jaswdr/faker/v2"

	"funwithbanking/client/internal/money"
)

// Defaults and bounds of a Config.
const (
	DefaultCustomers   = 1000
	DefaultMaxAccounts = 10
	DefaultSeed        = 42

	MaxCustomers   = 10_000_000
	MaxMaxAccounts = 100

	// CustomersPerBatch fixes how the bank is cut into batches. It is part of the data's
	// definition: changing it changes the bank a seed makes.
	CustomersPerBatch = 1000
)

// The bank's history runs over a fixed window, never the clock, so a seed makes the
// same timestamps every day.
var (
	WindowStart = time.Date(2015, time.January, 1, 0, 0, 0, 0, time.UTC)
	WindowEnd   = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// Shapes of the bank, as probabilities.
const (
	// householdRate is the chance that a customer moves in with the customer made just
	// before them (same address; usually the same last name) and opens a joint account.
	householdRate = 0.25
	// sharedSurnameRate is the chance that a household shares its last name.
	sharedSurnameRate = 0.8
	// partnerRate is the chance that a customer opens a joint account with an unrelated
	// customer of the same batch (business partners).
	partnerRate = 0.03
	// nearEmptyRate is the share of accounts holding under $10.
	nearEmptyRate = 0.03
	// Balances are log-normal: median exp(balanceMu) cents ($2,500) where income is the
	// nation's, with a long tail.
	balanceMu    = 12.429 // ln(250,000 cents)
	balanceSigma = 1.5
	// incomeElasticity scales a state's median balance by its median household income
	// relative to the nation's, to this power: balances rise faster than income.
	incomeElasticity = 1.6
	// maxBalance bounds the tail far below numeric(15,2), even summed over a customer's accounts.
	maxBalance money.Cents = 100_000_000_00
)

// Config says which bank to make.
type Config struct {
	Customers   int
	MaxAccounts int
	Seed        uint64
}

// Validate reports the first thing wrong with c, in words a user can act on.
func (c Config) Validate() error {
	switch {
	case c.Customers < 1 || c.Customers > MaxCustomers:
		return fmt.Errorf("customers must be between 1 and %d, got %d", MaxCustomers, c.Customers)
	case c.MaxAccounts < 1 || c.MaxAccounts > MaxMaxAccounts:
		return fmt.Errorf("max accounts must be between 1 and %d, got %d", MaxMaxAccounts, c.MaxAccounts)
	}
	return nil
}

// Batches is how many batches the bank has.
func (c Config) Batches() int {
	return (c.Customers + CustomersPerBatch - 1) / CustomersPerBatch
}

// Customer is a row of bank.customers.
type Customer struct {
	ID        int64
	FirstName string
	LastName  string
	Street    string
	City      string
	State     string
	Zip       string
	CreatedAt time.Time
}

// Account is a row of bank.accounts, with its holders (indexes into the batch's customers
// until Stream numbers it, customer ids after).
type Account struct {
	ID        int64
	Balance   money.Cents
	CreatedAt time.Time
	Holders   []int64
}

// Batch is a run of consecutive customers and every account they hold.
type Batch struct {
	Index     int
	Customers []Customer
	Accounts  []Account
}

// Links counts the holder links (rows of bank.customer_accounts) in b.
func (b *Batch) Links() int {
	n := 0
	for _, a := range b.Accounts {
		n += len(a.Holders)
	}
	return n
}

// MakeBatch makes batch i of the bank c describes. Account ids are 1..len(Accounts) and
// holders are customer ids; Stream renumbers the accounts to follow earlier batches.
func (c Config) MakeBatch(i int) Batch {
	src := rand.NewPCG(c.Seed, uint64(i))
	r := rand.New(src)
	fake := faker.NewWithSeed(src)

	first := i * CustomersPerBatch
	n := min(CustomersPerBatch, c.Customers-first)
	// Room for the accounts a batch holds on average (joint ones count once for two
	// holders), so appending seldom copies.
	b := Batch{Index: i, Customers: make([]Customer, n), Accounts: make([]Account, 0, n*(c.MaxAccounts+1)/2+n/8)}
	want := make([]int, n) // accounts each customer is to hold, 1..MaxAccounts
	held := make([]int, n)
	lift := make([]float64, n) // each customer's balanceLift
	inHousehold := make([]bool, n)

	span := WindowEnd.Sub(WindowStart)
	person, address := fake.Person(), fake.Address()
	for k := range b.Customers {
		cu := &b.Customers[k]
		cu.ID = int64(first + k + 1)
		cu.FirstName = person.FirstName()
		cu.LastName = person.LastName()
		cu.CreatedAt = WindowStart.Add(randDuration(r, span))
		want[k] = 1 + r.IntN(c.MaxAccounts)
		if k > 0 && !inHousehold[k-1] && r.Float64() < householdRate {
			prev := &b.Customers[k-1]
			cu.Street, cu.City, cu.State, cu.Zip = prev.Street, prev.City, prev.State, prev.Zip
			if r.Float64() < sharedSurnameRate {
				cu.LastName = prev.LastName
			}
			inHousehold[k-1], inHousehold[k] = true, true
			lift[k] = lift[k-1]
			b.addAccount(r, []int{k - 1, k}, held, lift)
			continue
		}
		cu.Street = address.StreetAddress()
		cu.City, cu.State, cu.Zip = usPlaces().pick(r)
		lift[k] = balanceLift(cu.State)
	}
	for k := range b.Customers {
		if n > 1 && r.Float64() < partnerRate {
			j := r.IntN(n - 1)
			if j >= k {
				j++
			}
			if held[k] < want[k] && held[j] < want[j] {
				b.addAccount(r, []int{k, j}, held, lift)
			}
		}
	}
	for k := range b.Customers {
		for held[k] < want[k] {
			b.addAccount(r, []int{k}, held, lift)
		}
	}
	return b
}

// addAccount opens an account held by the customers at the given indexes, after the last
// of them joined. Its balance follows the mean of their lifts: business partners may live
// in two states.
func (b *Batch) addAccount(r *rand.Rand, holders []int, held []int, lift []float64) {
	opened := WindowStart
	ids := make([]int64, len(holders))
	var l float64
	for h, k := range holders {
		held[k]++
		ids[h] = b.Customers[k].ID
		opened = later(opened, b.Customers[k].CreatedAt)
		l += lift[k]
	}
	b.Accounts = append(b.Accounts, Account{
		ID:        int64(len(b.Accounts) + 1),
		Balance:   randBalance(r, l/float64(len(holders))),
		CreatedAt: opened.Add(randDuration(r, WindowEnd.Sub(opened))),
		Holders:   ids,
	})
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// randDuration is uniform in [0, d), whole seconds: the database keeps microseconds, but
// a bank's records rarely need them and whole seconds read better.
func randDuration(r *rand.Rand, d time.Duration) time.Duration {
	secs := int64(d / time.Second)
	if secs <= 0 {
		return 0
	}
	return time.Duration(r.Int64N(secs)) * time.Second
}

// randBalance draws a balance whose median is exp(balanceMu + lift) cents. The draws are the
// same whatever the lift, so the lift moves balances and nothing else of the bank.
func randBalance(r *rand.Rand, lift float64) money.Cents {
	if r.Float64() < nearEmptyRate {
		return money.Cents(r.IntN(1000))
	}
	c := money.Cents(math.Exp(balanceMu + lift + balanceSigma*r.NormFloat64()))
	return min(c, maxBalance)
}
