-- SQL tests of every function in db/procedures.sql, on small hand-made banks whose right
-- answers are written here. Plain SQL asserts, no extension needed:
--
--     psql -X -v ON_ERROR_STOP=1 -d bank -f db/test/functions_test.sql
--
-- Safe on a live bank: the tests run inside one transaction that is rolled back (it holds
-- the bank's tables locked meanwhile). Each passing check prints "ok - ..."; the first
-- failing one stops the run with "FAIL ..." and a non-zero exit.

\set ON_ERROR_STOP 1
SET client_min_messages = notice;

-- The assertions and the bank builders, in pg_temp: they vanish with the session.
\ir helpers.psql

-- Checks that need another isolation level run before the big transaction. (What a COMMIT
-- after bank.load_begin() does is tested from outside a transaction: TestLoadGuard.)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.throws('SELECT * FROM bank.robinhood()', 'BK006', 'robinhood refuses REPEATABLE READ');
ROLLBACK;

BEGIN;
-- Writers wait until the ROLLBACK at the end, which restores the bank; on Citus, this is
-- also what lets the reports below read it at READ COMMITTED.
LOCK TABLE bank.customers, bank.accounts, bank.customer_accounts IN SHARE MODE;
-- load_begin, then load_finish: empty tables with every key back.
SELECT pg_temp.throws('SELECT bank.load_finish()', 'BK007', 'load_finish without load_begin');
SAVEPOINT replica;
SET LOCAL session_replication_role = replica;
SELECT pg_temp.throws('SELECT bank.load_begin()', 'BK007', 'load_begin in replica mode, where its guard would not be checked');
ROLLBACK TO SAVEPOINT replica;
SELECT pg_temp.empty_bank();
SELECT bank.load_begin();
-- Over a bank it says 'on' (TestRepopulateLeavesNoDeadRows), and its caller VACUUMs after the COMMIT.
SELECT pg_temp.is(current_setting('bank.load_replaced'), 'off', 'load_begin over empty tables sets bank.load_replaced off');
SELECT pg_temp.throws('SELECT bank.load_begin()', 'BK007', 'load_begin twice in one transaction');
SELECT bank.load_finish();
SELECT pg_temp.is((SELECT count(*) FROM pg_constraint WHERE contype IN ('p', 'f')
                   AND conrelid IN ('bank.customers'::regclass, 'bank.accounts'::regclass, 'bank.customer_accounts'::regclass))::text,
                  '5', 'load_finish restores the 3 primary and 2 foreign keys');

---------------------------------------------------------------------------------------
-- A small bank: customers 1 and 2 (CA) share account 1, the largest account of both.
--   c1 = a1 100.00 + a2 50.00 = 150.00     c3 = a3 1.01            (TX)
--   c2 = a1 100.00            = 100.00     c4 = a4 0.09 + a5 10.00 (NY); a5 is c4's oldest
SELECT pg_temp.customers(4, ARRAY['CA', 'CA', 'TX', 'NY']);
SELECT pg_temp.account(1, 100.00, '2020-01-01', 1, 2);
SELECT pg_temp.account(2, 50.00, '2020-01-02', 1);
SELECT pg_temp.account(3, 1.01, '2020-01-03', 3);
SELECT pg_temp.account(4, 0.09, '2020-01-04', 4);
SELECT pg_temp.account(5, 10.00, '2019-06-01', 4);

SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.top_states()'),
    '(CA,2,125.00) (NY,1,10.09) (TX,1,1.01)',
    'top_states: a joint account counts in full for each holder');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.top_states(1)'), '(CA,2,125.00)', 'top_states honours p_limit');
SELECT pg_temp.is((SELECT string_agg(p.proname, ', ' ORDER BY p.proname)
                    FROM pg_proc p
                    WHERE p.oid IN ('bank.top_states(integer)'::regprocedure, 'bank.ranked_customers(integer, boolean)'::regprocedure,
                                    'bank.rank_holders(integer)'::regprocedure)
                      AND p.proconfig @> '{enable_hashjoin=off,enable_nestloop=off,enable_mergejoin=on}'),
    'rank_holders, ranked_customers, top_states',
    'the reports and the ranking join in key order, by neither a hash of every account nor nested loops');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.top_customers(2)'),
    '(1,C1,L1,CA,2,150.00) (2,C2,L2,CA,1,100.00)', 'top_customers');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.bottom_customers(2)'),
    '(3,C3,L3,TX,1,1.01) (4,C4,L4,NY,2,10.09)', 'bottom_customers');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.audit()'), '(4,5,6,161.10,0)', 'audit');

-- Donors c1 and c2 share their largest account: it gives once, 10% = 10.00, in the name
-- of c1 (ranked first). Recipients c3 then c4, 5.00 each, into c4's oldest account (a5).
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.robinhood(10, 2)'),
    '(1,1,3,3,5.00) (1,1,4,5,5.00)', 'robinhood: a shared largest account gives once');
SELECT pg_temp.is(pg_temp.rows('SELECT account_id, balance FROM bank.accounts ORDER BY 1'),
    '(1,90.00) (2,50.00) (3,6.01) (4,0.09) (5,15.00)', 'robinhood moved exactly what it reported');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.audit()'), '(4,5,6,161.10,0)', 'robinhood conserved money');

-- Transfers.
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.transfer(1, 3, 0.50)'), '(1,89.50,3,6.51)', 'transfer');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.transfer(5, 2, 15)'), '(5,0.00,2,65.00)', 'transfer of a whole balance');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(5, 2, 0.01)', 'BK004', 'transfer: insufficient funds');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(3, 1, 6.52)', 'BK004', 'transfer: one cent too much');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 99, 1)', 'BK001', 'transfer: unknown to-account');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(99, 1, 1)', 'BK001', 'transfer: unknown from-account');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(NULL, 1, 1)', 'BK001', 'transfer: NULL account');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 1, 1)', 'BK002', 'transfer: same account');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, NULL, 1)', 'BK001', 'transfer: NULL to-account');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(-1, 1, 1)', 'BK001', 'transfer: negative account id');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(9223372036854775807, 1, 1)', 'BK001', 'transfer: the largest bigint');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 3, ''ten'')', '22P02', 'transfer: a word for an amount');
SELECT pg_temp.throws('SELECT * FROM bank.top_states(''2147483648'')', '22003', 'top_states: beyond integer');
SELECT pg_temp.throws('SELECT * FROM bank.top_states(''10; DROP TABLE bank.accounts'')', '22P02', 'top_states: SQL for a limit');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood(''10); DELETE FROM bank.accounts; --'')', '22P02', 'robinhood: SQL for a percent');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 3, 0)', 'BK003', 'transfer: zero');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 3, -5)', 'BK003', 'transfer: negative');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 3, 0.001)', 'BK003', 'transfer: fraction of a cent');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 3, ''NaN'')', 'BK003', 'transfer: NaN');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 3, NULL)', 'BK003', 'transfer: NULL amount');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 3, 1e14)', 'BK003', 'transfer: beyond numeric(15,2)');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 3, ''1; DELETE FROM bank.accounts'')', '22P02',
    'transfer: SQL in the amount is just a malformed number');
SELECT pg_temp.is(pg_temp.rows('SELECT account_id, balance FROM bank.accounts ORDER BY 1'),
    '(1,89.50) (2,65.00) (3,6.51) (4,0.09) (5,0.00)', 'refused transfers changed nothing');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.audit()'), '(4,5,6,161.10,0)', 'transfers conserved money');
SELECT pg_temp.throws('UPDATE bank.accounts SET balance = -1 WHERE account_id = 1', '23514', 'no balance can go negative');
UPDATE bank.accounts SET balance = 9999999999999.00 WHERE account_id = 4;
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 4, 1.00)', 'BK008', 'transfer: the receiving account would overflow');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.transfer(1, 4, 0.99)'), '(1,88.51,4,9999999999999.99)',
    'transfer: up to the largest balance');
UPDATE bank.accounts SET balance = balance + 0.99 WHERE account_id = 1;
UPDATE bank.accounts SET balance = 0.09 WHERE account_id = 4;
-- 'NaN' sorts above every number: ">= 0" alone would let it in, and then a funds check
-- (NaN < amount is false) would create money.
SELECT pg_temp.throws($$UPDATE bank.accounts SET balance = 'NaN' WHERE account_id = 1$$, '23514', 'no balance can be NaN');
SELECT pg_temp.throws($$INSERT INTO bank.accounts VALUES (9, 'NaN', now())$$, '23514', 'no account opens with a NaN balance');
-- An argument of 131,072 digits is refused in one short line, not echoed whole.
SELECT pg_temp.is((length(pg_temp.message($$SELECT * FROM bank.transfer(1, 2, '1e131071')$$)) < 200)::text, 'true',
    'transfer: a huge amount is refused in a short message');
SELECT pg_temp.is((length(pg_temp.message($$SELECT * FROM bank.robinhood('1e131071')$$)) < 200)::text, 'true',
    'robinhood: a huge percent is refused in a short message');
SELECT pg_temp.throws($$INSERT INTO bank.customers VALUES (9, 'A', 'B', 'C', 'D', 'CA', '1234', now())$$, '23514', 'zip is five digits');
SELECT pg_temp.throws($$INSERT INTO bank.customers VALUES (9, 'A', 'B', 'C', 'D', 'PR', '01234', now())$$, '23514', 'state is one of the 50 or DC');

-- Invalid arguments.
SELECT pg_temp.throws('SELECT * FROM bank.top_states(0)', 'BK005', 'top_states(0)');
SELECT pg_temp.throws('SELECT * FROM bank.top_customers(-1)', 'BK005', 'top_customers(-1)');
SELECT pg_temp.throws('SELECT * FROM bank.bottom_customers(NULL)', 'BK005', 'bottom_customers(NULL)');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood(0)', 'BK005', 'robinhood(0%)');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood(100.01)', 'BK005', 'robinhood(100.01%)');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood(''NaN'')', 'BK005', 'robinhood(NaN%)');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood(NULL)', 'BK005', 'robinhood(NULL%)');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood(10, 0)', 'BK005', 'robinhood(count 0)');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood(10, NULL)', 'BK005', 'robinhood(count NULL)');

---------------------------------------------------------------------------------------
-- Ties. c1 TX, c2 CA, c3 NY hold 5.00 each; c4 (AK) holds two accounts of 3.50.
SELECT pg_temp.empty_bank();
SELECT pg_temp.customers(4, ARRAY['TX', 'CA', 'NY', 'AK']);
SELECT pg_temp.account(1, 5.00, '2020-01-01', 1);
SELECT pg_temp.account(2, 5.00, '2020-01-01', 2);
SELECT pg_temp.account(3, 5.00, '2020-01-01', 3);
SELECT pg_temp.account(4, 3.50, '2020-01-01', 4);
SELECT pg_temp.account(5, 3.50, '2020-01-01', 4);
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.top_states()'),
    '(AK,1,7.00) (CA,1,5.00) (NY,1,5.00) (TX,1,5.00)', 'top_states: equal averages by state');
SELECT pg_temp.is(pg_temp.rows('SELECT customer_id FROM bank.top_customers(3)'), '(4) (1) (2)', 'top_customers: ties by lower id');
SELECT pg_temp.is(pg_temp.rows('SELECT customer_id FROM bank.bottom_customers(2)'), '(1) (2)', 'bottom_customers: ties by lower id');
-- c4 gives from account 4 (tied largest: lower id), 10% of 3.50; the poorest of the
-- others (all 5.00: lower id) is c1, whose accounts are equally old: lower id.
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.robinhood(10, 1)'), '(4,4,1,1,0.35)', 'robinhood: ties by lower id');

---------------------------------------------------------------------------------------
-- Fewer than 2 x count customers: five customers, count 10. Donors are the top 4 (one must
-- be left to receive), the recipient is c1.
SELECT pg_temp.empty_bank();
SELECT pg_temp.customers(5, ARRAY['CA']);
SELECT pg_temp.account(i, i, '2020-01-01', i) FROM generate_series(1, 5) i;
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.robinhood()'),
    '(5,5,1,1,0.50) (4,4,1,1,0.40) (3,3,1,1,0.30) (2,2,1,1,0.20)', 'robinhood with 5 customers');
SELECT pg_temp.is(pg_temp.rows('SELECT account_id, balance FROM bank.accounts ORDER BY 1'),
    '(1,2.40) (2,1.80) (3,2.70) (4,3.60) (5,4.50)', 'the one recipient got it all');

SELECT pg_temp.empty_bank();
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.robinhood()'), '(none)', 'robinhood on an empty bank moves nothing');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.top_states()'), '(none)', 'top_states on an empty bank');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.audit()'), '(0,0,0,0.00,0)', 'audit of an empty bank');
SELECT pg_temp.customers(1, ARRAY['CA']);
SELECT pg_temp.account(1, 100, '2020-01-01', 1);
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.robinhood()'), '(none)', 'robinhood with one customer moves nothing');

---------------------------------------------------------------------------------------
-- Rounding. c1 holds 10.10; c2..c10 hold 0.09 each (10% of 0.09 is 0.009: nothing);
-- c11..c20 hold 0.00. c1's 1.01 split ten ways: 0.11 to the poorest (c11), 0.10 to the rest.
SELECT pg_temp.empty_bank();
SELECT pg_temp.customers(20, ARRAY['CA']);
SELECT pg_temp.account(1, 10.10, '2020-01-01', 1);
-- One call per statement, as everywhere in this file: Citus cannot run a statement that
-- calls a pg_temp function once per row.
DO $$
BEGIN
    FOR i IN 2..20 LOOP
        PERFORM pg_temp.account(i, CASE WHEN i <= 10 THEN 0.09 ELSE 0 END, '2020-01-01', i);
    END LOOP;
END
$$;
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.robinhood(10, 10)'),
    '(1,1,11,11,0.11) (1,1,12,12,0.10) (1,1,13,13,0.10) (1,1,14,14,0.10) (1,1,15,15,0.10) '
    '(1,1,16,16,0.10) (1,1,17,17,0.10) (1,1,18,18,0.10) (1,1,19,19,0.10) (1,1,20,20,0.10)',
    'robinhood: 10% of 0.09 moves nothing; 1.01 split ten ways');
SELECT pg_temp.is(pg_temp.rows('SELECT balance FROM bank.accounts WHERE account_id = 1'), '(9.09)', 'the donor gave exactly 1.01');
-- 12.5% of 9.09 is 1.13625: 1.13 to the poorest other customer (c2, still at 0.09).
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.robinhood(12.5, 1)'), '(1,1,2,2,1.13)', 'robinhood: a fractional percent rounds down to the cent');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.audit()'), '(20,20,20,10.91,0)', 'rounding conserved money');

---------------------------------------------------------------------------------------
-- A joint account between a donor and a recipient, and a customer with no account.
--   c1 = a1 100.00 (joint with c2, c1's largest) + a2 60.00 = 160.00
--   c3 = a3 120.00;  c2 = a1 = 100.00;  c4 holds nothing.
SELECT pg_temp.empty_bank();
SELECT pg_temp.customers(4, ARRAY['CA']);
SELECT pg_temp.account(1, 100.00, '2020-01-01', 1, 2);
SELECT pg_temp.account(2, 60.00, '2020-01-02', 1);
SELECT pg_temp.account(3, 120.00, '2020-01-03', 3);
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.bottom_customers(1)'), '(4,C4,L4,CA,0,0.00)',
    'a customer with no account has a total of 0.00');
-- Donors c1 and c3; the recipient is c2, whose account a1 is c1's gift account: that share
-- stays where it is and is not reported. c3 gives 12.00 from a3 into a1.
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.robinhood(10, 2)'), '(3,3,2,1,12.00)',
    'robinhood: no movement from an account to itself; customers without accounts are not ranked');
SELECT pg_temp.is(pg_temp.rows('SELECT account_id, balance FROM bank.accounts ORDER BY 1'),
    '(1,112.00) (2,60.00) (3,108.00)', 'balances after a donor-recipient joint account');

---------------------------------------------------------------------------------------
-- profile, profile_states, profile_accounts_per_customer.
--   c1 and c2 share an address (a household); c3..c5 live alone; c5 holds nothing.
--   a1 10.00 (c1, c2), a2 20.00 (c1), a3 30.00 (c3), a4 40.00 (c3), a5 50.00 (c4)
SELECT pg_temp.empty_bank();
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.profile()'), '(0,0,0,,0,,,,,,)', 'profile of an empty bank');
SELECT pg_temp.customers(5, ARRAY['TX', 'TX', 'CA', 'NY', 'CA']);
UPDATE bank.customers SET street_address = '1 Main St' WHERE customer_id = 2;
SELECT pg_temp.account(1, 10.00, '2020-01-01', 1, 2);
SELECT pg_temp.account(2, 20.00, '2020-01-01', 1);
SELECT pg_temp.account(3, 30.00, '2020-01-01', 3);
SELECT pg_temp.account(4, 40.00, '2020-01-01', 3);
SELECT pg_temp.account(5, 50.00, '2020-01-01', 4);
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.profile()'),
    '(5,5,1,20.00,2,40.00,10.00,30.00,50.00,50.00,50.00)', 'profile: joint accounts, households, percentiles');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.profile_states()'),
    '(CA,2,40.00) (TX,2,40.00) (NY,1,20.00)', 'profile_states: by customers, ties by state');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.profile_states(1)'), '(CA,2,40.00)', 'profile_states(1)');
SELECT pg_temp.throws('SELECT bank.profile_states(0)', 'BK005', 'profile_states refuses a limit of 0');
SELECT pg_temp.is(pg_temp.rows('SELECT * FROM bank.profile_accounts_per_customer()'),
    '(0,1,20.00) (1,2,40.00) (2,2,40.00)', 'profile_accounts_per_customer: joint accounts count for each holder');

---------------------------------------------------------------------------------------
-- Totals beyond what one account holds. c1 holds two accounts at the largest balance: its
-- total, its state's average and the bank's total exceed numeric(15,2), and every report
-- still answers. c2, the poorest, holds 9,500,000,000,000.00: Robinhood's gift from c1
-- would take that account past the largest balance.
SELECT pg_temp.empty_bank();
SELECT pg_temp.customers(3, ARRAY['CA', 'TX', 'NY']);
SELECT pg_temp.account(1, 9999999999999.99, '2020-01-01', 1);
SELECT pg_temp.account(2, 9999999999999.99, '2020-01-01', 1);
SELECT pg_temp.account(3, 9500000000000.00, '2020-01-01', 2);
SELECT pg_temp.account(4, 9999999999999.99, '2019-01-01', 3);
SELECT pg_temp.is(pg_temp.rows('SELECT customer_id, total_balance FROM bank.top_customers(1)'), '(1,19999999999999.98)',
    'top_customers: a total beyond numeric(15,2)');
SELECT pg_temp.is(pg_temp.rows('SELECT customer_id, total_balance FROM bank.bottom_customers(1)'), '(2,9500000000000.00)',
    'bottom_customers answers with such a total in the bank');
SELECT pg_temp.is(pg_temp.rows('SELECT state, avg_balance FROM bank.top_states(1)'), '(CA,19999999999999.98)',
    'top_states: an average beyond numeric(15,2)');
SELECT pg_temp.is(pg_temp.rows('SELECT total_balance FROM bank.audit()'), '(39499999999999.97)',
    'audit: a total beyond numeric(15,2)');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood(10, 1)', 'BK008', 'robinhood: a gift that would overflow an account');
SELECT pg_temp.is(pg_temp.rows('SELECT total_balance FROM bank.audit()'), '(39499999999999.97)',
    'a refused Robinhood moved nothing');

ROLLBACK;

-- bank_reader (a read-only role): the reports, audit and profile yes; moving money no. In a
-- transaction of its own, over whatever bank this database holds: Citus cannot read, as
-- another user, placements the same transaction has modified. REPEATABLE READ, as a read
-- of every account on Citus must be (bank.read_snapshot()).
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL ROLE bank_reader;
SELECT pg_temp.is(pg_temp.rows('SELECT count(*) FROM bank.audit()'), '(1)', 'bank_reader may call audit');
SELECT pg_temp.is(pg_temp.rows('SELECT count(*) <= 1 FROM bank.top_states(1)'), '(t)', 'bank_reader may call top_states');
SELECT pg_temp.is(pg_temp.rows('SELECT count(*) <= 1 FROM bank.bottom_customers(1)'), '(t)', 'bank_reader may call bottom_customers');
SELECT pg_temp.is(pg_temp.rows('SELECT count(*) FROM bank.profile()'), '(1)', 'bank_reader may call profile');
SELECT pg_temp.throws('SELECT * FROM bank.top_states(0)', 'BK005', 'bank_reader gets BK005 for a bad limit, like everyone');
SELECT pg_temp.throws('SELECT * FROM bank.transfer(1, 2, 1.00)', '42501', 'bank_reader may not transfer');
SELECT pg_temp.throws('SELECT * FROM bank.robinhood()', '42501', 'bank_reader may not run robinhood');
SELECT pg_temp.throws('SELECT bank.load_begin()', '42501', 'bank_reader may not load');
SELECT pg_temp.throws('UPDATE bank.accounts SET balance = 0', '42501', 'bank_reader may not update balances');
ROLLBACK;
\echo 'functions_test.sql: all checks passed'
