package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/fixture.want")

// fixed reads testdata/fixture.jsonl (`go test -json` of testdata/fixture) at a fixed time.
func fixed(t *testing.T) (*report, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "fixture.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out, log bytes.Buffer
	r := newReport(&out, &log)
	at := r.began
	r.now = func() time.Time { return at }
	r.module = ""
	r.read(f)
	r.summary()
	return r, &out, &log
}

// TestSkipReasons: each skip is named with the reason its test gave, wherever go test printed
// it: before the SKIP line, among parallel subtests' lines, over two lines, in another
// package; a skip followed by another test's RUN line takes none of that line.
func TestSkipReasons(t *testing.T) {
	_, out, _ := fixed(t)
	if *update {
		os.WriteFile(filepath.Join("testdata", "fixture.want"), out.Bytes(), 0o644)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "fixture.want"))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("got\n%s\nwant (testdata/fixture.want)\n%s", got, want)
	}
}

// TestLog: the log holds every line of the run as go test -v prints it, package by package.
func TestLog(t *testing.T) {
	_, _, log := fixed(t)
	for _, want := range []string{
		"*** a word from TestMain ***\n=== RUN   TestCitus\n    fixture_test.go:18: looking for Citus\n",
		"    fixture_test.go:30: the first line\n        the second line\n--- SKIP: TestSubtests/two_lines",
		"FAIL\tfixture\t",
		"=== RUN   TestInAnotherPackage\n",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
}

// TestStillRunning: while packages run, the heartbeat names their running top-level tests;
// a package that never ended (go test died) is reported as failed.
func TestStillRunning(t *testing.T) {
	var out bytes.Buffer
	r := newReport(&out, &bytes.Buffer{})
	r.module = "m"
	for _, line := range []string{
		`{"Action":"start","Package":"m/a"}`,
		`{"Action":"run","Package":"m/a","Test":"TestSlow"}`,
		`{"Action":"run","Package":"m/a","Test":"TestSlow/sub"}`,
		`{"Action":"run","Package":"m/a","Test":"TestQuick"}`,
		`{"Action":"pass","Package":"m/a","Test":"TestQuick"}`,
		`{"Action":"run","Package":"m/b","Test":"TestOther"}`,
	} {
		r.line(line)
	}
	if got, want := r.running(), "a (TestSlow); b (TestOther)"; got != want {
		t.Errorf("running: %q, want %q", got, want)
	}
	r.read(strings.NewReader(""))
	if !strings.Contains(out.String(), "a: started") || !strings.Contains(out.String(), "FAIL   a: ") {
		t.Errorf("a package that never ended is not reported as failed:\n%s", out.String())
	}
}

// TestTimeout: a package that go test's -timeout ended, with no test failed, names the test
// that was still running and the panic that ended it (testdata/timeout.jsonl, from
// `go test -json -timeout 1s` in testdata/timeout).
func TestTimeout(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "timeout.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	r := newReport(&out, io.Discard)
	r.module = ""
	r.read(f)
	r.summary()
	for _, want := range []string{
		"FAIL   timeout: 1s, 1 passed",
		"timeout: no test failed, yet the package did:",
		"    TestSlow was still running: panic: test timed out after 1s\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}
