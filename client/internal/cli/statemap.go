package cli

import (
	"fmt"
	"io"
	"os"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/tilemap"
)

func init() { mapOfStates = stateMap }

var mapCols = []column{{"state", text}, {"customers", number}, {"avg_balance", dollars}, {"quintile", number}}

// stateMap is every state's average customer balance and quintile, drawn as a map of the
// states: in colour on a terminal, with the quintile's digit elsewhere.
func stateMap(rows []bank.StateRow, w io.Writer) *result {
	values := make([]tilemap.Value, len(rows))
	for i, s := range rows {
		values[i] = tilemap.Value{State: s.State, Amount: s.AvgBalance}
	}
	m, colour := tilemap.New(values), colourful(w)
	r := &result{title: fmt.Sprintf("Average customer balance by state, in quintiles (%d is the highest)", tilemap.Quantiles),
		cols: mapCols, draw: func(w io.Writer) error { return m.Draw(w, colour) }}
	for _, s := range rows {
		r.add(s.State, s.Customers, s.AvgBalance, m.Quantile(s.State))
	}
	return r
}

// colourful says whether w shows ANSI colours: a terminal, unless NO_COLOR is set
// (no-color.org) or TERM says it is dumb.
func colourful(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}
