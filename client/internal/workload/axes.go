package workload

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"gonum.org/v1/plot"

	"funwithbanking/client/internal/money"
)

// How many labels an axis holds at most: a time axis is read second by second, so it
// holds more.
const (
	maxTimeLabels  = 12
	maxValueLabels = 6
)

// timeSteps are the steps a time axis is labelled in, in seconds: every second where
// that fits, then round numbers of seconds and minutes.
var timeSteps = []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400}

// timeTicks labels seconds since the start, at the smallest step of timeSteps that gives
// at most maxTimeLabels labels; in whole seconds once the run lasts two.
type timeTicks struct{}

func (timeTicks) Ticks(lo, hi float64) []plot.Tick {
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if (hi-lo)/s <= maxTimeLabels && (s >= 1 || hi-lo < 2) {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo / step); k*step <= hi; k++ {
		v := k * step
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// niceStep is the smallest of 1, 2 and 5 times a power of ten, at least min, that cuts
// span into at most n steps.
func niceStep(span float64, n int, min float64) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return min
	}
	step := math.Pow(10, math.Floor(math.Log10(span/float64(n))))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(m*step) <= float64(n) && m*step >= min {
			return m * step
		}
	}
	return max(10*step, min)
}

// countTicks labels a count or a rate: round steps, thousands separated.
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	step := niceStep(hi-lo, maxValueLabels, 0)
	places := max(0, int(-math.Floor(math.Log10(step))))
	var ticks []plot.Tick
	for k := math.Ceil(lo / step); k*step <= hi*(1+1e-9); k++ {
		v := k * step
		ticks = append(ticks, plot.Tick{Value: v, Label: money.GroupThousands(strconv.FormatFloat(v, 'f', places, 64))})
	}
	return ticks
}

// moneyTicks labels an axis of money around a total: the total itself and round steps of
// cents from it, each written exactly, thousands separated.
type moneyTicks struct{ start money.Total }

func (m moneyTicks) Ticks(lo, hi float64) []plot.Tick {
	start, ok := new(big.Rat).SetString(m.start.String())
	if !ok {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	startCents := new(big.Int).Quo(new(big.Int).Mul(start.Num(), big.NewInt(100)), start.Denom())
	at, _ := start.Float64()
	step := niceStep((hi-lo)*100, maxValueLabels, 1) // in cents
	var ticks []plot.Tick
	for k := math.Ceil((lo - at) * 100 / step); at+k*step/100 <= hi; k++ {
		cents := new(big.Int).Add(startCents, big.NewInt(int64(k*step)))
		ticks = append(ticks, plot.Tick{Value: at + k*step/100, Label: formatCents(cents)})
	}
	return ticks
}

// formatCents writes an amount of cents as dollars, thousands separated: 4,050,445.16.
func formatCents(c *big.Int) string {
	sign, abs := "", new(big.Int).Abs(c)
	if c.Sign() < 0 {
		sign = "-"
	}
	dollars, cents := new(big.Int).QuoRem(abs, big.NewInt(100), new(big.Int))
	return sign + money.GroupThousands(dollars.String()) + "." + strings.Repeat("0", 2-len(cents.String())) + cents.String()
}
