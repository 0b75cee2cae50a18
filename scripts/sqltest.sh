#!/usr/bin/env bash
# Runs the SQL tests (db/test/*.sql and db/test/one_node/*.sql) with psql on a throwaway PostgreSQL, as a psql user would:
# what `make test` runs where the Go tests are not at hand (the deliverable archive).
# Each file must print one "ok - " line per check it holds and its closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh
pg_find_bindir || { echo "sqltest: needs PostgreSQL's server programs (apt-get install postgresql)" >&2; exit 1; }
work=$(mktemp -d /tmp/bank-sqltest.XXXXXX)
chmod 755 "$work"
trap 'pg_stop "$work" immediate; rm -rf "$work"' EXIT
port=$(pg_free_port)
pg_start "$work" "$port" || { echo "sqltest: PostgreSQL did not start" >&2; exit 1; }
pass=0 fail=0
for f in db/test/*.sql db/test/one_node/*.sql; do
    db=t$((pass + fail))
    pg_load_bank "$port" "$db"
    want=$(grep -c '^SELECT pg_temp\.\(is\|throws\)(' "$f")
    if out=$(pg_psql "$port" "$db" -f "$f" 2>&1) && [ "$(grep -c 'NOTICE:  ok - ' <<<"$out")" = "$want" ] &&
        grep -q 'all checks passed' <<<"$out"; then
        echo "ok   $f: $want checks"
        pass=$((pass + 1))
    else
        echo "FAIL $f:"
        grep -v 'NOTICE:  ok - ' <<<"$out" | tail -n 20
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
