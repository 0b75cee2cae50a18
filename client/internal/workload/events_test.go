package workload

import (
	"slices"
	"testing"
	"time"
)

func TestIntervals(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	events := []Event{
		{At: ms(100), Latency: ms(10), Op: OpTransfer, Outcome: OutcomeOK},
		{At: ms(200), Latency: ms(30), Op: OpTransfer, Outcome: OutcomeRefused},
		{At: ms(900), Latency: ms(200), Op: OpTransfer, Outcome: OutcomeOK},   // ends in the second interval
		{At: ms(500), Latency: ms(1800), Op: OpRobinhood, Outcome: OutcomeOK}, // runs from the first to the third
		{At: ms(1500), Latency: ms(5), Op: OpTransfer, Outcome: OutcomeInDoubt},
		{At: ms(2100), Latency: ms(50), Op: OpRead, Outcome: OutcomeOK},
		{At: ms(2600), Latency: ms(1), Op: OpRead, Outcome: OutcomeError},
	}
	got := intervals(events, time.Second, ms(2700))
	want := []Interval{
		{Start: 0, End: ms(1000), Committed: 1, Refused: 1, Latency: [4]time.Duration{ms(10), ms(30), ms(30), ms(30)}, Marks: []string{"robinhood"}},
		{Start: ms(1000), End: ms(2000), Committed: 1, InDoubt: 1, Latency: [4]time.Duration{ms(200), ms(200), ms(200), ms(200)}, Marks: []string{"fault", "robinhood"}},
		{Start: ms(2000), End: ms(2700), Reads: 1, Robinhoods: 1, Errors: 1, Marks: []string{"robinhood", "fault"}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d intervals, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		slices.Sort(got[i].Marks)
		slices.Sort(want[i].Marks)
		if got[i].Start != want[i].Start || got[i].End != want[i].End || got[i].Committed != want[i].Committed ||
			got[i].Refused != want[i].Refused || got[i].InDoubt != want[i].InDoubt || got[i].Reads != want[i].Reads ||
			got[i].Robinhoods != want[i].Robinhoods || got[i].Errors != want[i].Errors || got[i].Latency != want[i].Latency ||
			!slices.Equal(got[i].Marks, want[i].Marks) {
			t.Errorf("interval %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// Every event lands in exactly one interval, whatever the times.
func FuzzIntervals(f *testing.F) {
	f.Add(int64(1000), int64(5), []byte{3, 200, 7, 1, 255})
	f.Fuzz(func(t *testing.T, every int64, elapsedSec int64, raw []byte) {
		if every < 1 || every > 10_000 || elapsedSec < 1 || elapsedSec > 100 {
			return
		}
		var events []Event
		for i, b := range raw {
			events = append(events, Event{At: time.Duration(i*int(b)) * time.Millisecond,
				Latency: time.Duration(b) * time.Millisecond, Op: OpTransfer, Outcome: OutcomeOK})
		}
		ivs := intervals(events, time.Duration(every)*time.Millisecond, time.Duration(elapsedSec)*time.Second)
		var n int64
		for i, iv := range ivs {
			n += iv.Committed
			if iv.End <= iv.Start || i > 0 && iv.Start != ivs[i-1].End {
				t.Fatalf("interval %d runs from %s to %s", i, iv.Start, iv.End)
			}
		}
		if n != int64(len(events)) {
			t.Fatalf("%d events, %d counted", len(events), n)
		}
	})
}
