package workload

import (
	"slices"
	"time"

	"funwithbanking/client/internal/money"
)

// What an operation was and how it ended, as results.json and the pictures name them.
const (
	OpTransfer  = "transfer"
	OpRobinhood = "robinhood"
	OpRead      = "read"

	OutcomeOK      = "ok"
	OutcomeRefused = "refused"
	OutcomeInDoubt = "in doubt"
	OutcomeError   = "error"
)

// maxEvents bounds the operations a run keeps one by one (for results.json and the
// pictures), and so its memory. Past it, the counts and intervals go on; the points stop.
const maxEvents = 2_000_000

// Event is one operation. At is when it was meant to start, from the start of the run:
// with a rate set, its slot in the schedule, so that a stall shows in the latency of
// every operation it held back, not only the one caught in it (no coordinated omission).
type Event struct {
	At, Latency time.Duration
	Op, Outcome string
	Total       money.Total // a read's total
	Path        string      // how a Robinhood ran (bank.robinhood_path)
}

// End is when the operation ended, from the start of the run.
func (e Event) End() time.Duration { return e.At + e.Latency }

// Interval is what ended within one interval of the run.
type Interval struct {
	Start, End                                             time.Duration
	Committed, Refused, InDoubt, Errors, Reads, Robinhoods int64
	// Latency is p50, p95, p99 and max of the transfers that ended in it.
	Latency [4]time.Duration
	// Marks: "robinhood" when a Robinhood ran during it, "fault" when an operation failed
	// with an error or lost its connection.
	Marks []string
}

// intervals buckets events by when they ended; a Robinhood marks every interval it spans.
func intervals(events []Event, every, elapsed time.Duration) []Interval {
	if every <= 0 || elapsed <= 0 {
		return nil
	}
	n := int((elapsed + every - 1) / every)
	buckets := make([][]Event, n)
	at := func(d time.Duration) int { return min(max(int(d/every), 0), n-1) }
	for _, e := range events {
		buckets[at(e.End())] = append(buckets[at(e.End())], e)
	}
	out := make([]Interval, n)
	for i := range out {
		out[i] = summarize(buckets[i], time.Duration(i)*every, min(time.Duration(i+1)*every, elapsed))
	}
	for _, e := range events {
		if e.Op == OpRobinhood {
			for j := at(e.At); j < at(e.End()); j++ {
				out[j].mark("robinhood")
			}
		}
	}
	return out
}

// summarize is the Interval from start to end of the events that ended in it.
func summarize(events []Event, start, end time.Duration) Interval {
	iv := Interval{Start: start, End: end}
	var lat []time.Duration
	for _, e := range events {
		switch {
		case e.Op == OpRobinhood:
			iv.mark("robinhood")
			if e.Outcome == OutcomeOK {
				iv.Robinhoods++
			}
		case e.Op == OpRead:
			if e.Outcome == OutcomeOK {
				iv.Reads++
			}
		case e.Outcome == OutcomeOK:
			iv.Committed++
		case e.Outcome == OutcomeRefused:
			iv.Refused++
		case e.Outcome == OutcomeInDoubt:
			iv.InDoubt++
		}
		if e.Outcome == OutcomeError {
			iv.Errors++
		}
		if e.Outcome == OutcomeError || e.Outcome == OutcomeInDoubt {
			iv.mark("fault")
		}
		if e.Op == OpTransfer && (e.Outcome == OutcomeOK || e.Outcome == OutcomeRefused) {
			lat = append(lat, e.Latency)
		}
	}
	iv.Latency = percentiles(lat)
	return iv
}

func (iv *Interval) mark(m string) {
	if !slices.Contains(iv.Marks, m) {
		iv.Marks = append(iv.Marks, m)
	}
}

// percentiles returns p50, p95 and p99 by nearest rank, and the longest: a stall (a
// transfer held back by a lock) shows there and nowhere else.
func percentiles(d []time.Duration) [4]time.Duration {
	var out [4]time.Duration
	if len(d) == 0 {
		return out
	}
	slices.Sort(d)
	for i, p := range []float64{0.50, 0.95, 0.99} {
		out[i] = nearestRank(d, p)
	}
	out[3] = d[len(d)-1]
	return out
}

// nearestRank is the p-th quantile of sorted d, by nearest rank.
func nearestRank(d []time.Duration, p float64) time.Duration {
	k := int(p*float64(len(d)) + 0.5)
	return d[min(max(k-1, 0), len(d)-1)]
}
