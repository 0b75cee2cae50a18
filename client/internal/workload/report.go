package workload

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Write prints the report as aligned lines, ending with the verdict.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	line := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-12s %s\n", name, fmt.Sprintf(format, args...))
	}
	secs := r.Elapsed.Seconds()
	rh := "never"
	if r.Config.RobinhoodEvery > 0 {
		rh = "every " + r.Config.RobinhoodEvery.String()
	}
	how := fmt.Sprintf("%.1fs", secs)
	if r.Interrupted {
		how += ", interrupted"
	}
	fmt.Fprintf(&b, "Bench: %d workers, %d readers, Robinhood %s, seed %d, %d accounts (%s)\n",
		r.Config.Workers, r.Config.Readers, rh, r.Config.Seed, r.Accounts, how)
	perSec := func(n int64) float64 { return float64(n) / max(secs, 1e-9) }
	line("transfers", "%d committed (%.1f/s), %d refused for insufficient funds; %.1f calls/s",
		r.Committed, perSec(r.Committed), r.Refused, perSec(r.Committed+r.Refused))
	line("latency", "p50 %s  p95 %s  p99 %s  max %s", ms(r.Latency[0]), ms(r.Latency[1]), ms(r.Latency[2]), ms(r.Latency[3]))
	line("robinhood", "%d runs, %d movements", r.Robinhoods, r.RobinhoodMoves)
	line("retries", "%d (serialization failures and deadlocks, retried whole)", r.Retries)
	line("errors", "%s", r.errorsLine())
	line("reconnects", "%d", r.Reconnects)
	line("reads", "%d snapshots checked: total %s, no negative balance expected", r.Reads, r.StartTotal)
	rhDoubt := ""
	if r.RobinhoodsLost > 0 {
		rhDoubt = fmt.Sprintf("; %d Robinhood runs lost their answer, %d of them committed", r.RobinhoodsLost, r.LostRobinhoodsCommitted)
	}
	if r.InDoubtRobinhoods > 0 {
		rhDoubt += fmt.Sprintf("; %d Robinhood runs the bank could not settle (%d happened, %d did not, by their movements)",
			r.InDoubtRobinhoods, r.RobinhoodsInDoubtHappened, r.RobinhoodsInDoubtNotHappened)
	}
	if r.RobinhoodPhantoms > 0 {
		rhDoubt += fmt.Sprintf("; %d Robinhood runs answered but never committed (not counted)", r.RobinhoodPhantoms)
	}
	line("in doubt", "%d transfers (%d happened, %d did not)%s", r.InDoubt, r.InDoubtHappened, r.InDoubtNotHappened, rhDoubt)
	if r.OK() {
		line("verdict", "OK: every read saw the starting total; every account ends at its start plus every committed movement")
	} else {
		line("verdict", "FAILED: %d problems", len(r.Violations))
		for _, v := range r.Violations {
			fmt.Fprintf(&b, "  %s\n", v)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) errorsLine() string {
	if len(r.ErrorsByCode) == 0 {
		return "none"
	}
	codes := make([]string, 0, len(r.ErrorsByCode))
	for c := range r.ErrorsByCode {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s: %d", c, r.ErrorsByCode[c])
	}
	return strings.Join(parts, ", ")
}

// ProgressLines prints, at the end of every interval, one line of what ended in it, under
// a header printed once, as CockroachDB's workload does: a stall, a fault or a Robinhood
// shows when it happened.
func ProgressLines(w io.Writer) func(Progress, Interval) {
	header := true
	return func(p Progress, iv Interval) {
		if header {
			fmt.Fprintf(w, "%8s %12s %10s %7s %9s %9s %9s %9s  %s\n",
				"elapsed", "transfers/s", "refused/s", "errors", "p50", "p95", "p99", "max", "during")
			header = false
		}
		secs := max((iv.End - iv.Start).Seconds(), 1e-9)
		fmt.Fprintf(w, "%7.1fs %12.1f %10.1f %7d %9s %9s %9s %9s  %s\n",
			p.Elapsed.Seconds(), float64(iv.Committed)/secs, float64(iv.Refused)/secs, iv.Errors+iv.InDoubt,
			ms(iv.Latency[0]), ms(iv.Latency[1]), ms(iv.Latency[2]), ms(iv.Latency[3]), strings.Join(iv.Marks, ", "))
	}
}

// ms is a latency as the summary and the progress lines print it.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", millis(d)) }
