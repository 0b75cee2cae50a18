package gen

import (
	"cmp"
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// incomeText is made by scripts/income/regen.sh from the 2023 American Community Survey;
// its header says how to read it.
//
//go:embed income.txt
var incomeText string

// usIncomes is the parsed incomeText; like places.txt, a malformed file is a build mistake
// (TestIncomeFile parses it on every test run).
var usIncomes = sync.OnceValue(func() *incomes {
	in, err := parseIncomes(incomeText)
	if err != nil {
		panic("gen: income.txt: " + err.Error())
	}
	return in
})

type incomes struct {
	national int64
	states   []StateIncome
	lift     map[string]float64 // each state's balanceLift
}

// StateIncome is a state's median household income in dollars (ACS 2023, table B19013).
type StateIncome struct {
	State   string
	Dollars int64
}

// StateIncomes lists the 50 states and DC with their median household incomes, highest
// first, ties by state.
func StateIncomes() []StateIncome {
	out := slices.Clone(usIncomes().states)
	slices.SortStableFunc(out, func(a, b StateIncome) int { return cmp.Compare(b.Dollars, a.Dollars) })
	return out
}

// balanceLift is what a customer's state adds to the log of their balances' median: the
// state's income relative to the nation's, raised to incomeElasticity.
func balanceLift(state string) float64 { return usIncomes().lift[state] }

func parseIncomes(text string) (*incomes, error) {
	in := &incomes{lift: map[string]float64{}}
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		state, d, _ := strings.Cut(line, "\t")
		dollars, err := strconv.ParseInt(d, 10, 64)
		if err != nil || dollars <= 0 || len(state) != 2 {
			return nil, fmt.Errorf("line %d: want STATE<TAB>dollars: %q", n+1, line)
		}
		switch {
		case in.national == 0 && state == "US":
			in.national = dollars
		case in.national == 0:
			return nil, fmt.Errorf("line %d: the nation (US) must come first", n+1)
		default:
			in.states = append(in.states, StateIncome{state, dollars})
			in.lift[state] = incomeElasticity * math.Log(float64(dollars)/float64(in.national))
		}
	}
	if len(in.states) == 0 || len(in.lift) != len(in.states) {
		return nil, fmt.Errorf("want each state once after the nation, got %d lines for %d states", len(in.states), len(in.lift))
	}
	return in, nil
}
