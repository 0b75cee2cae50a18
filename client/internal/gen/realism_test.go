package gen

import (
	"cmp"
	"flag"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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

// TestIncomeFile checks the embedded income table: the nation first, then the same 50
// states and DC as places.txt, each once.
func TestIncomeFile(t *testing.T) {
	in, err := parseIncomes(incomeText)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range in.states {
		got = append(got, s.State)
	}
	want := slices.Clone(states)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("income.txt states = %v, want the 50 states and DC in order", got)
	}
	if in.national != 77_719 {
		t.Errorf("national median = %d, want the 2023 ACS's $77,719", in.national)
	}
	for _, bad := range []string{"", "US\t1", "AK\t5\nUS\t5", "US\t5\nAK\tx", "US\t5\nAK\t-3", "US\t5\nAK\t3\nAK\t4", "US\t5\nAKK\t3"} {
		if _, err := parseIncomes(bad); err == nil {
			t.Errorf("parseIncomes(%q) accepted a malformed file", bad)
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

	totals := newStateTotals()
	for i := range batches {
		totals.add(&batches[i])
	}
	fit := totals.fit()
	t.Logf("state averages against incomes: %v", fit)
	if fit.spearman < 0.8 || fit.overlap < 7 {
		t.Errorf("state averages against incomes: %v; want a rank correlation of 0.8 or more and 7 or more of the 10 richest", fit)
	}
}

func checkRange(t *testing.T, what string, got, low, high float64) {
	t.Helper()
	if got < low || got > high {
		t.Errorf("%s = %.4f, want %.2f..%.2f", what, got, low, high)
	}
}

var (
	incomeSeeds = flag.Int("income-seeds", 0, "TestIncomeAcrossSeeds: how many seeds to measure at each size (0 skips it)")
	incomeSizes = flag.String("income-customers", "1000,10000,100000", "TestIncomeAcrossSeeds: the bank sizes, comma-separated")
)

// TestIncomeAcrossSeeds measures how well top_states follows income at each size over
// seeds 1..N, for docs/data.md: go test ./client/internal/gen -run IncomeAcrossSeeds -v
// -income-seeds 200.
func TestIncomeAcrossSeeds(t *testing.T) {
	if *incomeSeeds == 0 {
		t.Skip("measures only when given -income-seeds N")
	}
	t.Logf("%9s %6s %22s %16s %8s %24s %11s", "customers", "seeds", "Spearman min/p5/p50", "top-10 min/p50", ">= 7/10",
		"first has <= 2 / 5 / 10", "first rich")
	for _, size := range strings.Split(*incomeSizes, ",") {
		n, err := strconv.Atoi(size)
		if err != nil {
			t.Fatal(err)
		}
		var rho, overlap []float64
		var atLeast7, small2, small5, small10, rich int
		for seed := 1; seed <= *incomeSeeds; seed++ {
			totals := newStateTotals()
			if err := Stream(Config{Customers: n, MaxAccounts: DefaultMaxAccounts, Seed: uint64(seed)}, 2, func(b *Batch) error {
				totals.add(b)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			f := totals.fit()
			rho, overlap = append(rho, f.spearman), append(overlap, float64(f.overlap))
			atLeast7 += b2i(f.overlap >= 7)
			small2, small5, small10 = small2+b2i(f.topCount <= 2), small5+b2i(f.topCount <= 5), small10+b2i(f.topCount <= 10)
			rich += b2i(slices.ContainsFunc(StateIncomes()[:10], func(s StateIncome) bool { return s.State == f.top }))
		}
		pct := func(k int) string { return fmt.Sprintf("%.0f%%", 100*float64(k)/float64(*incomeSeeds)) }
		t.Logf("%9d %6d %22s %16s %8s %24s %11s", n, *incomeSeeds,
			fmt.Sprintf("%.2f/%.2f/%.2f", quantile(rho, 0), quantile(rho, 0.05), quantile(rho, 0.5)),
			fmt.Sprintf("%.0f/%.0f", quantile(overlap, 0), quantile(overlap, 0.5)), pct(atLeast7),
			pct(small2)+" / "+pct(small5)+" / "+pct(small10), pct(rich))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// quantile is the q-quantile of v by the nearest rank below.
func quantile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// fit says how a bank's states rank by average customer balance, as bank.top_states ranks
// them, against the states' incomes.
type fit struct {
	spearman float64 // rank correlation of the averages with the incomes, over the states present
	overlap  int     // how many of the 10 highest averages are among the 10 highest incomes
	top      string  // the state with the highest average
	topCount int     // and its customers
}

func (f fit) String() string {
	return fmt.Sprintf("Spearman %.3f, %d of the top 10 among the 10 richest, %s first with %d customers",
		f.spearman, f.overlap, f.top, f.topCount)
}

// stateTotals adds up the states' customer totals as bank.top_states defines them: a
// customer's total is the sum of every account they hold (a joint account in full for each
// holder), and a state's average is the mean of its customers' totals.
type stateTotals struct {
	sum   map[string]float64
	count map[string]int
}

func newStateTotals() *stateTotals {
	return &stateTotals{map[string]float64{}, map[string]int{}}
}

// add counts a batch: its accounts' holders are its own customers.
func (st *stateTotals) add(b *Batch) {
	first := b.Customers[0].ID
	for _, c := range b.Customers {
		st.count[c.State]++
	}
	for _, a := range b.Accounts {
		for _, h := range a.Holders {
			st.sum[b.Customers[h-first].State] += float64(a.Balance)
		}
	}
}

func (st *stateTotals) avg(s string) float64 { return st.sum[s] / float64(st.count[s]) }

// fit sets the states' averages against their incomes.
func (st *stateTotals) fit() fit {
	income := map[string]float64{}
	var richest []string
	for i, s := range StateIncomes() {
		income[s.State] = float64(s.Dollars)
		if i < 10 {
			richest = append(richest, s.State)
		}
	}
	var avgs, incs []float64
	var byAvg []string
	for s := range st.count {
		avgs, incs = append(avgs, st.avg(s)), append(incs, income[s])
		byAvg = append(byAvg, s)
	}
	slices.SortFunc(byAvg, func(a, b string) int { return cmp.Or(cmp.Compare(st.avg(b), st.avg(a)), cmp.Compare(a, b)) })
	f := fit{spearman: spearman(avgs, incs), top: byAvg[0], topCount: st.count[byAvg[0]]}
	for _, s := range byAvg[:min(10, len(byAvg))] {
		if slices.Contains(richest, s) {
			f.overlap++
		}
	}
	return f
}

// spearman is the rank correlation of x and y: Pearson's over their ranks, ties sharing
// the mean of their ranks.
func spearman(x, y []float64) float64 {
	rx, ry := ranks(x), ranks(y)
	n := float64(len(x))
	var sx, sy, sxy, sxx, syy float64
	for i := range rx {
		sx, sy, sxy, sxx, syy = sx+rx[i], sy+ry[i], sxy+rx[i]*ry[i], sxx+rx[i]*rx[i], syy+ry[i]*ry[i]
	}
	return (n*sxy - sx*sy) / math.Sqrt((n*sxx-sx*sx)*(n*syy-sy*sy))
}

func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && v[idx[j]] == v[idx[i]] {
			j++
		}
		for _, k := range idx[i:j] {
			r[k] = float64(i+j+1) / 2 // ranks i+1..j share their mean
		}
		i = j
	}
	return r
}
