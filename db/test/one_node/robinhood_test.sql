-- SQL tests of Robinhood's steps (db/procedures.sql, before bank.robinhood()), on a small
-- hand-made bank. One node only: the correction reads row versions across the whole table,
-- which Citus does without (it ranks again). Safe on a live bank, as functions_test.sql is:
-- one transaction, rolled back.
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
-- Eight customers, one account each (account i is customer i's):
--   c1 100000.00, c2 700.00, c3 600.00, c4 500.00, c5 400.00, c6 300.00, c7 200.00, c8 100.00
SELECT pg_temp.customers(8, ARRAY['CA']);
SELECT pg_temp.account(1, 100000.00, '2020-01-01', 1);
SELECT pg_temp.account(i, 900.00 - 100 * i, '2020-01-01', i) FROM generate_series(2, 8) i;

SELECT pg_temp.throws('SELECT bank.robinhood_check(0, 1)', 'BK005', 'robinhood_check: percent 0');
SELECT pg_temp.throws('SELECT bank.robinhood_check(10, 0)', 'BK005', 'robinhood_check: count 0');
SELECT pg_temp.throws('SELECT bank.robinhood_run(10, 1, NULL, 3)', 'BK005', 'robinhood_run: keep NULL');
SELECT pg_temp.throws('SELECT bank.robinhood_run(10, 1, 3, NULL)', 'BK005', 'robinhood_run: tries NULL');
SELECT pg_temp.is(pg_temp.rows('SELECT bank.robinhood_check(100, 1)'), '("")', 'robinhood_check: 100% of one donor passes');

-- A whole ranking keeps the three richest and the three poorest; every other holder lies
-- between the bounds they set.
SELECT pg_temp.is(pg_temp.rows($$SELECT r.ids, r.totals, r.lower, r.upper, r.holders FROM bank.rank_holders(3) r$$),
    '("{1,2,3,6,7,8}","{100000.00,700.00,600.00,300.00,200.00,100.00}",300.00,600.00,8)',
    'rank_holders: the ends it keeps, the bounds and the number of holders');
SELECT pg_temp.is((SELECT (r.since = (pg_snapshot_xmin(pg_current_snapshot())::text::numeric % 4294967296)::text::xid)::text
                   FROM bank.rank_holders(3) r), 'true', 'rank_holders: since is its snapshot''s xmin');

-- The moves: c1 gives 10% of 100000.00 to c8; the plan names the accounts it touches with
-- the row versions it planned on, and its snapshot.
SELECT pg_temp.is(pg_temp.rows($$SELECT p.from_customer, p.from_account, p.to_customer, p.to_account, p.amount
    FROM bank.plan_moves(bank.rank_holders(3), 10, 1) p$$), '({1},{1},{8},{8},{10000.00})', 'plan_moves: richest to poorest');
SELECT pg_temp.is((SELECT p.accounts = '{1,8}' AND p.versions = (SELECT array_agg(a.xmin ORDER BY a.account_id)
                   FROM bank.accounts a WHERE a.account_id IN (1, 8)) AND p.snapshot = pg_current_snapshot()::text
                   FROM bank.plan_moves(bank.rank_holders(3), 10, 1) p)::text, 'true',
    'plan_moves: the accounts it moves, the versions it planned on, its snapshot');
-- Two gifts split three ways: the leftover cents go to the poorest first.
SELECT pg_temp.is(pg_temp.rows($$SELECT p.to_customer, p.amount FROM bank.plan_moves(bank.rank_holders(3), 0.01, 2) p$$),
    '("{8,7,8,7}","{5.00,5.00,0.04,0.03}")', 'plan_moves: even shares, the leftover cent to the poorest');

-- Corrections, from the whole ranking taken now with since moved to the id of the last
-- write: each write below, in a SAVEPOINT, has an id younger than every row before it.
CREATE TEMP TABLE whole AS SELECT bank.rank_holders(3) AS r;
CREATE TEMP TABLE last_write (since xid);
INSERT INTO last_write VALUES (((pg_snapshot_xmax(pg_current_snapshot())::text::numeric + 1000) % 4294967296)::text::xid);
CREATE FUNCTION pg_temp.write(p_account bigint, p_balance numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE bank.accounts SET balance = p_balance WHERE account_id = p_account;
    UPDATE last_write SET since = (SELECT xmin FROM bank.accounts WHERE account_id = p_account);
END
$$;
CREATE FUNCTION pg_temp.ranked() RETURNS bank.ranking LANGUAGE plpgsql STABLE AS $$
DECLARE
    v bank.ranking := (SELECT r FROM whole);
BEGIN
    v.since := (SELECT since FROM last_write);
    RETURN v;
END
$$;
-- Nothing written since (since is younger than every row): the kept ranking stands.
SELECT pg_temp.is((SELECT (bank.rerank_holders(pg_temp.ranked(), 1)).totals = (SELECT (r).totals FROM whole))::text,
    'true', 'rerank_holders: nothing written since, the same totals');
SAVEPOINT s;
SELECT pg_temp.write(2, 900.00);
SELECT pg_temp.is(pg_temp.rows($$SELECT r.ids, r.totals, r.lower, r.upper FROM bank.rerank_holders(pg_temp.ranked(), 1) r$$),
    '("{1,2,3,6,7,8}","{100000.00,900.00,600.00,300.00,200.00,100.00}",300.00,600.00)',
    'rerank_holders: a kept holder written since is taken afresh');
ROLLBACK TO SAVEPOINT s;
-- An outsider whose written account could carry it past the richest: found, and it gives.
SELECT pg_temp.write(4, 200000.00);
SELECT pg_temp.is(pg_temp.rows($$SELECT p.from_customer, p.amount FROM bank.plan_moves(bank.rerank_holders(pg_temp.ranked(), 1), 10, 1) p$$),
    '({4},{20000.00})', 'rerank_holders: an outsider now the richest is found');
ROLLBACK TO SAVEPOINT s;
-- An outsider written since that cannot reach either end is left out; the bounds widen by
-- what it might hold (it held at most 600.00 before, and its account now holds 450.00).
SELECT pg_temp.write(5, 450.00);
SELECT pg_temp.is(pg_temp.rows($$SELECT r.ids, r.lower, r.upper FROM bank.rerank_holders(pg_temp.ranked(), 1) r$$),
    '("{1,2,3,6,7,8}",300.00,1050.00)', 'rerank_holders: an outsider that cannot matter widens the bounds');
ROLLBACK TO SAVEPOINT s;
-- The kept poorest grew richer: an outsider may now be among the poorest, and the kept
-- ranking no longer decides.
SELECT pg_temp.write(7, 5000.00), pg_temp.write(8, 5000.00);
SELECT pg_temp.is(pg_temp.rows($$SELECT bank.rerank_holders(pg_temp.ranked(), 1) IS NULL$$),
    '(t)', 'rerank_holders: transfers drained an end, rank again');
ROLLBACK TO SAVEPOINT s;
-- The same on the richest side, from a ranking that keeps too few.
SELECT pg_temp.write(1, 100000.00);
SELECT pg_temp.is(pg_temp.rows($$SELECT bank.rerank_holders(ROW('{1,8}', '{100000.00,100.00}', 150.00, 100000.00, 8,
        (SELECT since FROM last_write))::bank.ranking, 1) IS NULL$$), '(t)', 'rerank_holders: a donor at the bound does not decide');
ROLLBACK TO SAVEPOINT s;

-- Claims: the versions planned on are still there, or one was written since.
CREATE TEMP TABLE planned AS SELECT p.accounts, p.versions FROM bank.plan_moves(bank.rank_holders(3), 10, 1) p;
SELECT pg_temp.is(pg_temp.rows('SELECT bank.claim_accounts(accounts, versions) FROM planned'), '(t)',
    'claim_accounts: the versions planned on');
SAVEPOINT w;
SELECT pg_temp.write(8, 100.00);
RELEASE SAVEPOINT w;
SELECT pg_temp.is(pg_temp.rows('SELECT bank.claim_accounts(accounts, versions) FROM planned'), '(f)',
    'claim_accounts: an account written since');

SELECT bank.apply_moves(ROW(NULL, '{1,2}', '{1,2}', '{8,8}', '{8,8}', '{10.00,5.00}', NULL, NULL, NULL)::bank.plan);
SELECT pg_temp.is(pg_temp.rows('SELECT account_id, balance FROM bank.accounts WHERE account_id IN (1, 2, 8) ORDER BY 1'),
    '(1,99990.00) (2,695.00) (8,115.00)', 'apply_moves: each account''s net change');

SELECT pg_temp.is(pg_temp.rows('SELECT from_account, to_account, amount FROM bank.robinhood(10, 1)'),
    '(1,8,9999.00)', 'robinhood: the richest to the poorest');
SELECT pg_temp.is(current_setting('bank.robinhood_path'), 'snapshot, 1 ranking(s), 1 plan(s)',
    'robinhood: one ranking, one plan, its accounts claimed');
ROLLBACK;
\echo 'robinhood_test.sql: all checks passed'
