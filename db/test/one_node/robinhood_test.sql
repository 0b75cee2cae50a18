-- SQL tests of Robinhood's steps (db/procedures.sql, bank.robinhood_run and its helpers),
-- on a small hand-made bank. One node only: the steps that read row versions and lock rows
-- one by one are the ones Citus does without (it plans under the lock). Safe on a live bank,
-- as functions_test.sql is: one transaction, rolled back.
--
--     psql -X -v ON_ERROR_STOP=1 -d bank -f db/test/one_node/robinhood_test.sql

\set ON_ERROR_STOP 1
SET client_min_messages = notice;
\ir ../helpers.psql

BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.throws('SELECT bank.robinhood_check(10, 1)', 'BK006', 'robinhood_check refuses REPEATABLE READ');
ROLLBACK;

BEGIN;
SELECT pg_temp.empty_bank();
-- Six customers, one account each: c1 600.00 (richest) down to c6 100.00 (poorest).
SELECT pg_temp.customers(6, ARRAY['CA']);
SELECT pg_temp.account(i, 700.00 - 100 * i, '2020-01-01', i) FROM generate_series(1, 6) i;

SELECT pg_temp.is(bank.xid32('4294967301'::xid8)::text, '5', 'xid32: a 64-bit id as the 32 bits a row keeps');
SELECT pg_temp.throws('SELECT bank.robinhood_check(0, 1)', 'BK005', 'robinhood_check: percent 0');
SELECT pg_temp.throws('SELECT bank.robinhood_check(10, 0)', 'BK005', 'robinhood_check: count 0');
SELECT pg_temp.is(pg_temp.rows('SELECT bank.robinhood_check(100, 1)'), '("")', 'robinhood_check: 100% of one donor passes');

-- A whole plan: c1 gives 10% of 600.00 to c6, and the two richest and two poorest are
-- kept for a later plan, with the bounds they set.
SELECT pg_temp.is(pg_temp.rows($$SELECT enough, kept_ids, kept_totals, floor, ceiling, holders, from_account, to_account, amount
    FROM bank.robinhood_plan(10, 1, NULL, NULL, NULL, NULL, NULL, NULL, 2)$$),
    '(t,"{1,2,5,6}","{600.00,500.00,200.00,100.00}",500.00,200.00,6,{1},{6},{60.00})',
    'robinhood_plan: a whole plan, and the ends it keeps');
SELECT pg_temp.is((SELECT p.accounts = '{1,6}' AND p.versions = (SELECT array_agg(a.xmin ORDER BY a.account_id)
                   FROM bank.accounts a WHERE a.account_id IN (1, 6))
                   FROM bank.robinhood_plan(10, 1, NULL, NULL, NULL, NULL, NULL, NULL, 2) p)::text, 'true',
    'robinhood_plan: the accounts it moves, with the row versions it planned on');
SELECT pg_temp.is((SELECT p.snapshot = pg_current_snapshot()::text
                   FROM bank.robinhood_plan(10, 1, NULL, NULL, NULL, NULL, NULL, NULL, 2) p)::text, 'true',
    'robinhood_plan: the snapshot it planned on');

-- A kept ranking that no longer decides: only c1 is above the floor (550) and only c6
-- below the ceiling (150), and nothing changed since (p_since after every transaction):
-- one donor, but recipients need two below the ceiling (one of them could be a donor). The
-- whole bank must be ranked again: without this check, a holder never kept could be missed.
-- (With c4 kept and the ceiling at 300.00, two lie below it, and the ranking decides.)
CREATE FUNCTION pg_temp.later() RETURNS xid LANGUAGE sql AS
    $$SELECT bank.xid32((pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000)::text::xid8)$$;
SELECT pg_temp.is(pg_temp.rows($$SELECT enough FROM bank.robinhood_plan(10, 1, 6, '{1,6}', '{600,100}', 550, 150, pg_temp.later(), 2)$$),
    '(f)', 'robinhood_plan: a kept ranking with too few beyond its bounds does not decide');
SELECT pg_temp.is(pg_temp.rows($$SELECT enough, from_account, to_account FROM bank.robinhood_plan(10, 1, 6, '{1,2,4,5,6}', '{600,500,300,200,100}', 500, 300, pg_temp.later(), 2)$$),
    '(t,{1},{6})', 'robinhood_plan: a kept ranking that decides, nothing changed since');
-- Stale kept totals are what they were then: with nothing changed since, the plan uses them.
SELECT pg_temp.is(pg_temp.rows($$SELECT from_account, amount FROM bank.robinhood_plan(10, 1, 6, '{1,2,4,5,6}', '{600,700,300,200,100}', 500, 300, pg_temp.later(), 2)$$),
    '({2},{50.00})', 'robinhood_plan: a correction reads only what changed since p_since');
-- Everything here was written by this transaction: from its own id on, every holder
-- changed, and the correction takes their totals afresh (c2 holds 500.00, not 700.00).
SELECT pg_temp.is(pg_temp.rows($$SELECT from_account, amount, kept_totals FROM bank.robinhood_plan(10, 1, 6, '{1,2,4,5,6}', '{600,700,300,200,100}', 500, 300, bank.xid32(pg_current_xact_id()), 2)$$),
    '({1},{60.00},"{600.00,500.00,300.00,200.00,100.00}")', 'robinhood_plan: a correction takes changed totals afresh');
-- c3 (400.00) was never kept; now it holds 900.00, beyond the floor: the correction finds it.
SAVEPOINT rich;
UPDATE bank.accounts SET balance = 900.00 WHERE account_id = 3;
SELECT pg_temp.is(pg_temp.rows($$SELECT enough, from_account, amount FROM bank.robinhood_plan(10, 1, 6, '{1,2,4,5,6}', '{600,500,300,200,100}', 500, 300, bank.xid32(pg_current_xact_id()), 2)$$),
    '(t,{3},{90.00})', 'robinhood_plan: a holder who changed and now lies beyond a bound is found');
ROLLBACK TO SAVEPOINT rich;

-- Claims: the versions planned on are still there, or one was written since.
CREATE TEMP TABLE planned AS SELECT accounts, versions FROM bank.robinhood_plan(10, 1, NULL, NULL, NULL, NULL, NULL, NULL, 2);
SELECT pg_temp.is(pg_temp.rows('SELECT bank.robinhood_claim(accounts, versions) FROM planned'), '(t)',
    'robinhood_claim: the versions planned on');
SAVEPOINT written; -- a row version of a subtransaction's own id, as another writer's would be
UPDATE bank.accounts SET balance = balance WHERE account_id = 6;
RELEASE SAVEPOINT written;
SELECT pg_temp.is(pg_temp.rows('SELECT bank.robinhood_claim(accounts, versions) FROM planned'), '(f)',
    'robinhood_claim: an account written since');

SELECT bank.lock_patiently('bank.accounts', 'EXCLUSIVE', false);
SELECT pg_temp.is(pg_temp.rows($$SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 'bank.accounts'::regclass
    AND mode = 'ExclusiveLock'$$), '(ExclusiveLock)', 'lock_patiently: EXCLUSIVE on accounts');

SELECT bank.robinhood_apply('{1,2}', '{6,6}', '{10.00,5.00}');
SELECT pg_temp.is(pg_temp.rows('SELECT account_id, balance FROM bank.accounts WHERE account_id IN (1, 2, 6) ORDER BY 1'),
    '(1,590.00) (2,495.00) (6,115.00)', 'robinhood_apply: each account''s net change');

-- The whole run, in a transaction that already changed something: under the lock.
SELECT pg_temp.is(pg_temp.rows('SELECT from_account, to_account, amount FROM bank.robinhood_run(10, 1, 0, 5)'),
    '(1,6,59.00)', 'robinhood_run: the richest to the poorest');
SELECT pg_temp.is(current_setting('bank.robinhood_path'), 'locked, 1 ranking(s), 1 plan(s)',
    'robinhood_run: after other changes in its transaction, under the lock');
ROLLBACK;
\echo 'robinhood_test.sql: all checks passed'
