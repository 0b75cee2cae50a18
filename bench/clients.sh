# pgbench clients that outlast what they run beside: started with PGAPPNAME=NAME and -T 3600
# (only a bound), they are stopped once what they had to outlast has ended, whatever the
# machine's load made of its length. Sourced by bench/run.sh and bench/citus.sh, after
# scripts/pg.sh.
#
#   pgb_past PORT DB NAME MS PID     until a transaction of NAME's clients has ended after MS
#   pgb_stop PORT DB NAME PID OUT    stop them, and wait for their pgbench (process PID)
# shellcheck shell=bash

# pgb_past PORT DB NAME MS PID: waits until one of NAME's clients began a statement after MS
# (milliseconds since the epoch), and then another: the first has ended after MS. Fails if
# the pgbench whose process is PID ends first.
pgb_past() {
    local port=$1 db=$2 name=$3 ms=$4 pid=$5 got
    until got=$(pg_psql "$port" "$db" -A -t -c "SELECT pid || '|' || query_start FROM pg_stat_activity
        WHERE application_name = '$name' AND query_start > to_timestamp($ms / 1000.0) LIMIT 1") && [ -n "$got" ]; do
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    until [ "$(pg_psql "$port" "$db" -A -t -c "SELECT count(*) FROM pg_stat_activity
        WHERE pid = ${got%%|*} AND query_start > '${got#*|}'::timestamptz")" = 1 ]; do
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
}

# pgb_stop PORT DB NAME PID OUT: terminates the backends of NAME's clients, which pgbench
# reports as aborted clients (exit status 2), and waits for it. Fails on any other error
# (OUT is what pgbench printed).
pgb_stop() {
    local rc=0
    pg_psql "$1" "$2" -A -t -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '$3'" >/dev/null
    wait "$4" || rc=$?
    [ "$rc" = 0 ] || { [ "$rc" = 2 ] && ! grep -q 'ERROR:' "$5"; }
}
