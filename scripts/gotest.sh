#!/usr/bin/env bash
# Runs every Go test (what `make test` runs in the repository) and closes with what ran: how
# many tests passed, failed and were skipped, and each skip with its reason. On a failure it
# shows the failing tests' output.
set -uo pipefail
cd "$(dirname "$0")/.."
log=${TMPDIR:-/tmp}/bank-gotest.log # kept: the whole -v output
go test -v ./... >"$log" 2>&1
status=$?
grep -E '^(ok|FAIL|\?) ' "$log" | grep -v 'no test files'
if [ "$status" != 0 ]; then
    echo
    echo "--- the failures (the whole output: $log):"
    grep -v -E '^\s*(=== (RUN|PAUSE|CONT|NAME)|--- PASS|PASS$|ok )' "$log" | grep -v -E 'no test files|NOTICE:  ok - ' | tail -n 400
fi
awk '
    /^ *--- PASS: / { pass++ }
    /^ *--- FAIL: / { fail++ }
    /^ *--- SKIP: / { skip++; name = $3; getline why; sub(/^ +/, "", why); skips = skips "\n  skipped " name ": " why }
    END {
        if (skips != "") print skips
        printf "\n%d tests passed, %d failed, %d skipped (subtests included)\n", pass, fail, skip
    }' "$log"
exit "$status"
