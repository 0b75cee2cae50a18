package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"funwithbanking/client/internal/bank"
)

// Populate's progress bar: its width in characters, and how often it is redrawn at most.
const (
	barWidth       = 30
	barRedrawEvery = 200 * time.Millisecond
)

// progressBar draws populate's progress on a terminal: a bar, rows a second and the time
// left. It is nil, and populate quiet, when stderr is a file or a pipe.
func progressBar(w io.Writer) func(done, total int, loaded bank.LoadSummary) {
	if !isTerminal(w) {
		return nil
	}
	// Rates count from the first batch on: before it, the old bank was being deleted.
	var last, first time.Time
	var firstDone int
	var firstRows int64
	return func(done, total int, loaded bank.LoadSummary) {
		now := time.Now()
		rows := loaded.Customers + loaded.Accounts + loaded.Links
		if first.IsZero() {
			first, firstDone, firstRows = now, done, rows
		}
		if now.Sub(last) < barRedrawEvery && done < total {
			return
		}
		last = now
		elapsed := max(now.Sub(first), time.Millisecond)
		filled := barWidth * done / total
		rate := float64(rows-firstRows) / elapsed.Seconds()
		eta := time.Duration(float64(elapsed) * float64(total-done) / float64(max(done-firstDone, 1))).Round(time.Second)
		tail := fmt.Sprintf("%.0f rows/s  ETA %s", rate, eta)
		if done == firstDone {
			tail = "loading"
		}
		if done == total {
			tail = "building keys and indexes"
		}
		fmt.Fprintf(w, "\r\033[Kpopulate [%s%s] %3d%%  %d customers  %s",
			strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), 100*done/total, loaded.Customers, tail)
	}
}

// isTerminal asks the kernel (a TCGETS ioctl), so /dev/null, a character device too,
// does not count.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
