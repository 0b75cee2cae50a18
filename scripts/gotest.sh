#!/usr/bin/env bash
# Runs every Go test (what `make test` runs in the repository) and tells as it goes: a line as
# each package starts and as it ends, and after a minute without one, the tests still running
# (scripts/testreport). It closes with each failed test's output, each skip with its reason,
# and how many tests passed, failed and were skipped.
set -uo pipefail
cd "$(dirname "$0")/.." || exit
# The whole output, as go test -v prints it; one file per checkout, so that runs in two
# checkouts keep theirs apart.
log=${TMPDIR:-/tmp}/bank-gotest-$(printf %s "$PWD" | cksum | cut -d' ' -f1).log
report=$(mktemp "${TMPDIR:-/tmp}/bank-testreport.XXXXXX") || exit 1
trap 'rm -f "$report"' EXIT
go build -o "$report" ./scripts/testreport || exit 1
if odbcinst -q -d -n "PostgreSQL Unicode" 2>/dev/null | grep -qiE '^CommLog[[:space:]]*=[[:space:]]*[1-9]'; then
    echo "note: the ODBC driver's registration writes a log file into /tmp for every program that connects (CommLog=1): sudo scripts/register-odbc-driver.sh turns that off"
fi
echo "make test: the Go tests, package by package (4 minutes on two cores with Citus, 1 without); the whole output goes to $log"
# -count=1: every run runs every test; go's cache cannot see the servers and drivers they use.
# -timeout 45m: the Citus tests alone took ten minutes beside two other make tests, go
# test's default bound for a whole package; each test bounds its own waits.
go test -count=1 -timeout 45m -json ./... 2>&1 | "$report" -log "$log"
statuses=("${PIPESTATUS[@]}")
[ "${statuses[0]}" = 0 ] && [ "${statuses[1]}" = 0 ]
