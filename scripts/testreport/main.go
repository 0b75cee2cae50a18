// Command testreport reads `go test -json` and tells what make test is doing while it runs: a
// line as each package starts and as it ends, and every minute without one, the tests still
// running. At the end: each failed test's output, each skipped test with its reason, and the
// counts. It writes the whole output as `go test -v` would print it, package by package, to
// -log.
//
//	go test -json ./... 2>&1 | testreport -log FILE
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	logPath := flag.String("log", "", "write the whole output here, package by package")
	flag.Parse()
	var log io.Writer = io.Discard
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
		defer f.Close()
		log = f
	}
	r := newReport(os.Stdout, log)
	stop := r.heartbeat(time.Minute)
	r.read(os.Stdin)
	stop()
	r.summary()
	if r.failed > 0 || r.brokenPackages > 0 {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json's fields that matter here).
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output events
	FailedBuild string // on a package's fail event: the package that did not build
}

type test struct {
	pkg, name string
	output    []string
}

type pkg struct {
	name                  string
	output                strings.Builder // as go test -v prints it, for the log
	pass, fail, skip      int
	running               map[string]bool
	ownOutput             []string // lines not attributed to a test: TestMain, a panic, a build failure
	reportedStart, failed bool
	buildFailed           bool
	unfinished            []string // tests still running when the package ended
}

type report struct {
	out, log io.Writer
	module   string // the common import path prefix, left out of the lines printed

	now            func() time.Time // time.Now, but for a test
	mu             sync.Mutex
	began, lastOut time.Time
	pkgs           map[string]*pkg
	order          []string
	tests          map[string]*test // by package and name
	failures       []*test
	skips          []*test
	passed, failed int
	brokenPackages int
}

func newReport(out, log io.Writer) *report {
	now := time.Now()
	return &report{out: out, log: log, now: time.Now, began: now, lastOut: now, module: modulePath(),
		pkgs: map[string]*pkg{}, tests: map[string]*test{}}
}

// modulePath is the module being tested (go.mod's first line), left out of package names.
func modulePath() string {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(strings.TrimPrefix(first, "module"))
}

func (r *report) short(p string) string {
	if r.module == "" {
		return p
	}
	if p == r.module {
		return p
	}
	return strings.TrimPrefix(p, r.module+"/")
}

func (r *report) printf(format string, args ...any) {
	fmt.Fprintf(r.out, format, args...)
	r.lastOut = r.now()
}

// read consumes the stream, then ends the packages that never ended (go test itself died).
func (r *report) read(in io.Reader) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		r.line(sc.Text())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, name := range r.order {
		if p := r.pkgs[name]; p.running != nil {
			r.endPackage(p, "FAIL", 0)
		}
	}
}

// line takes one line of the stream. A line that is not an event (go's own messages on
// stderr) is printed as it comes.
func (r *report) line(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var e event
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil {
		r.printf("%s\n", line)
		fmt.Fprintln(r.log, line)
		return
	}
	r.event(e)
}

func (r *report) pkg(name string) *pkg {
	p := r.pkgs[name]
	if p == nil {
		p = &pkg{name: name, running: map[string]bool{}}
		r.pkgs[name] = p
		r.order = append(r.order, name)
	}
	return p
}

func (r *report) event(e event) {
	switch e.Action {
	case "build-output":
		r.printf("%s", e.Output)
		fmt.Fprint(r.log, e.Output)
		return
	case "build-fail":
		return
	}
	p := r.pkg(e.Package)
	if e.Test == "" {
		switch e.Action {
		case "output":
			p.output.WriteString(e.Output)
			if !strings.HasPrefix(e.Output, "ok  \t") && !strings.HasPrefix(e.Output, "FAIL\t") &&
				!strings.HasPrefix(e.Output, "?   \t") && e.Output != "PASS\n" && e.Output != "FAIL\n" {
				p.ownOutput = append(p.ownOutput, e.Output)
			}
		case "pass", "fail", "skip":
			p.buildFailed = e.FailedBuild != ""
			r.endPackage(p, e.Action, e.Elapsed)
		}
		return
	}
	key := e.Package + "\x00" + e.Test
	t := r.tests[key]
	if t == nil {
		t = &test{pkg: e.Package, name: e.Test}
		r.tests[key] = t
	}
	switch e.Action {
	case "run":
		if !p.reportedStart {
			p.reportedStart = true
			r.printf("       %s: started\n", r.short(p.name))
		}
		p.running[e.Test] = true
	case "output":
		p.output.WriteString(e.Output)
		t.output = append(t.output, e.Output)
	case "pass":
		p.pass++
		r.passed++
		delete(p.running, e.Test)
	case "fail":
		p.fail++
		r.failed++
		r.failures = append(r.failures, t)
		delete(p.running, e.Test)
	case "skip":
		p.skip++
		r.skips = append(r.skips, t)
		delete(p.running, e.Test)
	}
}

// endPackage prints the package's line and writes its output to the log.
func (r *report) endPackage(p *pkg, verdict string, elapsed float64) {
	fmt.Fprint(r.log, p.output.String())
	p.output.Reset()
	for name := range p.running {
		p.unfinished = append(p.unfinished, name)
	}
	sort.Strings(p.unfinished)
	p.running = nil
	if verdict == "skip" { // no test files
		return
	}
	word := "ok  "
	if verdict == "fail" || verdict == "FAIL" {
		word = "FAIL"
		p.failed = true
		if p.fail == 0 {
			r.brokenPackages++
		}
	}
	counts := fmt.Sprintf("%d passed", p.pass)
	if p.fail > 0 {
		counts += fmt.Sprintf(", %d failed", p.fail)
	}
	if p.skip > 0 {
		counts += fmt.Sprintf(", %d skipped", p.skip)
	}
	r.printf("%s   %s: %.0fs, %s (%s since make test began)\n", word, r.short(p.name), elapsed, counts, r.since())
}

func (r *report) since() string {
	d := r.now().Sub(r.began).Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// heartbeat says which tests are running whenever nothing was printed for a whole interval.
func (r *report) heartbeat(interval time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(interval / 4)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			r.mu.Lock()
			if r.now().Sub(r.lastOut) >= interval {
				if running := r.running(); running != "" {
					r.printf("       %s: still running %s\n", r.since(), running)
				}
			}
			r.mu.Unlock()
		}
	}()
	return func() { close(done); wg.Wait() }
}

// running names each running package's top-level tests.
func (r *report) running() string {
	var parts []string
	for _, name := range r.order {
		p := r.pkgs[name]
		var tops []string
		for t := range p.running {
			if !strings.Contains(t, "/") {
				tops = append(tops, t)
			}
		}
		if len(tops) > 0 {
			sort.Strings(tops)
			parts = append(parts, r.short(name)+" ("+strings.Join(tops, ", ")+")")
		}
	}
	return strings.Join(parts, "; ")
}

// logLine is the start of a message of t.Log, t.Skip or t.Error as go test -v prints it;
// the message's further lines are indented deeper.
var logLine = regexp.MustCompile(`^ +[^ :]+\.go:\d+: `)

// messages are the test's log messages, each with its further lines joined by " / ".
func messages(t *test) []string {
	var msgs []string
	in := false
	for _, chunk := range t.output {
		for _, line := range strings.Split(strings.TrimSuffix(chunk, "\n"), "\n") {
			trimmed := strings.TrimSpace(line)
			switch {
			case logLine.MatchString(line):
				msgs = append(msgs, logLine.ReplaceAllString(line, ""))
				in = true
			case in && strings.HasPrefix(line, "        ") && !strings.HasPrefix(trimmed, "--- ") && !strings.HasPrefix(trimmed, "=== "):
				msgs[len(msgs)-1] += " / " + trimmed
			default:
				in = false
			}
		}
	}
	return msgs
}

// reason is why a test was skipped: the last message it logged, which t.Skip's is.
func reason(t *test) string {
	msgs := messages(t)
	if len(msgs) == 0 {
		return "(no reason given)"
	}
	why := msgs[len(msgs)-1]
	if len(why) > 400 {
		why = why[:400] + " ... (the rest in the log)"
	}
	return why
}

// failureOutput is what a failed test printed, less go test's own lines and the SQL tests'
// passing checks; at most limit lines, the last ones.
func failureOutput(t *test, limit int) []string {
	var kept []string
	for _, chunk := range t.output {
		for _, line := range strings.Split(strings.TrimSuffix(chunk, "\n"), "\n") {
			trimmed := strings.TrimSpace(line)
			if strings.HasPrefix(trimmed, "=== ") || strings.HasPrefix(trimmed, "--- PASS") || strings.Contains(line, "NOTICE:  ok - ") {
				continue
			}
			kept = append(kept, line)
		}
	}
	if len(kept) > limit {
		kept = append([]string{fmt.Sprintf("    ... (%d lines before, in the log)", len(kept)-limit)}, kept[len(kept)-limit:]...)
	}
	return kept
}

func (r *report) summary() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failures) > 0 || r.brokenPackages > 0 {
		r.printf("\n--- the failures:\n")
		for _, t := range r.failures {
			if !leaf(t, r.failures) {
				continue // its failed subtests say why
			}
			r.printf("%s (%s):\n", t.name, r.short(t.pkg))
			for _, line := range failureOutput(t, 120) {
				r.printf("%s\n", line)
			}
		}
		for _, name := range r.order {
			switch p := r.pkgs[name]; {
			case p.buildFailed:
				r.printf("%s: did not build (the compiler's words are above, and in the log)\n", r.short(name))
			case p.failed && p.fail == 0:
				r.printf("%s: no test failed, yet the package did:\n%s", r.short(name), tail(p.ownOutput, 60))
				for _, test := range p.unfinished {
					r.printf("    %s was still running%s\n", test, r.panicOf(name, test))
				}
			}
		}
	}
	if len(r.skips) > 0 {
		r.printf("\n")
		for _, t := range r.skips {
			r.printf("  skipped %s (%s): %s\n", t.name, r.short(t.pkg), reason(t))
		}
	}
	r.printf("\n%d tests passed, %d failed, %d skipped (subtests included), in %s\n",
		r.passed, r.failed, len(r.skips), r.since())
}

// leaf: no other failure is a subtest of t.
func leaf(t *test, all []*test) bool {
	for _, o := range all {
		if o.pkg == t.pkg && strings.HasPrefix(o.name, t.name+"/") {
			return false
		}
	}
	return true
}

func tail(lines []string, n int) string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// panicOf is ": " and the first panic line in a test's output (a timeout's among them), or "".
func (r *report) panicOf(pkg, name string) string {
	if t := r.tests[pkg+"\x00"+name]; t != nil {
		for _, line := range t.output {
			if strings.HasPrefix(line, "panic: ") {
				return ": " + strings.TrimSpace(line)
			}
		}
	}
	return ""
}
