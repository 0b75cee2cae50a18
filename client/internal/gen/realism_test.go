package gen

import (
	"math"
	"slices"
	"testing"

	"funwithbanking/client/internal/money"
)

// TestPlacesFile checks the embedded data file: the 50 states and DC, each once, with
// their Census populations, cities and five-digit zips.
func TestPlacesFile(t *testing.T) {
	p, err := parsePlaces(placesText)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.states {
		got = append(got, s.abbr)
		for _, c := range s.cities {
			for _, z := range c.zips {
				if !zipRE.MatchString(z) {
					t.Errorf("%s, %s: zip %q", c.name, s.abbr, z)
				}
			}
		}
	}
	want := slices.Clone(states)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("places.txt states = %v, want the 50 states and DC in order", got)
	}
	if total := p.cum[len(p.cum)-1]; total != 331_449_281 {
		t.Errorf("state populations sum to %d, want the 2020 Census's 331,449,281", total)
	}
	for _, bad := range []string{"A\tB", "XX\t-1", "Town\t5\t10001", "XX\t5\nTown\t5\t10001 0", "XX\t5\nTown\t5\t99999 1", "XX\t5"} {
		if _, err := parsePlaces(bad); err == nil {
			t.Errorf("parsePlaces(%q) accepted a malformed file", bad)
		}
	}
}

// TestRealism checks, on a bank of 100,000 customers, each property the README promises
// of the mock data, so that realism cannot quietly regress.
func TestRealism(t *testing.T) {
	const n = 100_000
	batches := collect(t, Config{Customers: n, MaxAccounts: DefaultMaxAccounts, Seed: DefaultSeed}, 2)

	known := map[[3]string]bool{}
	for _, s := range usPlaces().states {
		for _, c := range s.cities {
			for _, z := range c.zips {
				known[[3]string{c.name, s.abbr, z}] = true
			}
		}
	}
	type address struct{ street, city, state, zip string }
	perState := map[string]int{}
	households := map[address][]Customer{}
	customers := map[int64]Customer{}
	var balances []money.Cents
	joint, partners := 0, 0
	for _, b := range batches {
		for _, c := range b.Customers {
			customers[c.ID] = c
			if !known[[3]string{c.City, c.State, c.Zip}] {
				t.Fatalf("customer %d lives at %s, %s %s, which places.txt does not list", c.ID, c.City, c.State, c.Zip)
			}
			perState[c.State]++
			a := address{c.Street, c.City, c.State, c.Zip}
			households[a] = append(households[a], c)
		}
		for _, a := range b.Accounts {
			balances = append(balances, a.Balance)
			if len(a.Holders) < 2 {
				continue
			}
			joint++
			x, y := customers[a.Holders[0]], customers[a.Holders[1]]
			if x.Street != y.Street || x.Zip != y.Zip {
				partners++
			}
		}
	}

	// Pairs of a household share a state, so the spread is a little wider than a plain
	// binomial's: allow five standard deviations of one with half the customers.
	for _, sp := range StatePopulations() {
		got := float64(perState[sp.State]) / n
		tol := 5 * math.Sqrt(sp.Share*(1-sp.Share)/(n/2))
		if math.Abs(got-sp.Share) > tol {
			t.Errorf("%s has %.3f%% of customers, want %.3f%% ± %.3f", sp.State, 100*got, 100*sp.Share, 100*tol)
		}
	}

	inHouseholds, sameSurname, pairs := 0, 0, 0
	for a, members := range households {
		if len(members) < 2 {
			continue
		}
		inHouseholds += len(members)
		pairs++
		if members[0].LastName == members[1].LastName {
			sameSurname++
		}
		if len(members) > 2 {
			t.Errorf("%d customers at %v; households are couples", len(members), a)
		}
	}
	t.Logf("households: %d pairs, %d customers; %d of %d joint accounts between unrelated customers", pairs, inHouseholds, partners, joint)
	checkRange(t, "share of customers in a household", float64(inHouseholds)/n, 0.35, 0.45)
	checkRange(t, "share of households sharing a last name", float64(sameSurname)/float64(pairs), 0.75, 0.85)
	checkRange(t, "share of joint accounts between unrelated customers", float64(partners)/float64(joint), 0.05, 0.20)

	slices.Sort(balances)
	pct := func(p float64) money.Cents { return balances[int(p*float64(len(balances)-1))] }
	for _, c := range []struct {
		name      string
		got       money.Cents
		low, high money.Cents
	}{
		{"p10", pct(0.10), 200_00, 400_00},
		{"p50", pct(0.50), 2_000_00, 2_800_00},
		{"p90", pct(0.90), 13_000_00, 21_000_00},
		{"p99", pct(0.99), 60_000_00, 105_000_00},
		{"max", balances[len(balances)-1], 500_000_00, maxBalance},
	} {
		t.Logf("balance %s = %s", c.name, c.got)
		if c.got < c.low || c.got > c.high {
			t.Errorf("balance %s = %s, want %s..%s", c.name, c.got, c.low, c.high)
		}
	}
	nearEmpty, _ := slices.BinarySearch(balances, 10_00)
	checkRange(t, "share of accounts under $10", float64(nearEmpty)/float64(len(balances)), 0.02, 0.04)
}

func checkRange(t *testing.T, what string, got, low, high float64) {
	t.Helper()
	if got < low || got > high {
		t.Errorf("%s = %.4f, want %.2f..%.2f", what, got, low, high)
	}
}
