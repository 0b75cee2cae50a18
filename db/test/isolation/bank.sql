-- The small bank every isolation spec starts from, made again by each spec's setup:
--   customer i holds account i; balances 1000.00, 900.00, 300.00, 200.00, 100.00, 50.00.
-- Robinhood(10, 1) moves 100.00 from account 1 (the richest's) to account 6 (the poorest's).
CREATE FUNCTION public.isolation_bank() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM bank.customer_accounts;
    DELETE FROM bank.accounts;
    DELETE FROM bank.customers;
    INSERT INTO bank.customers
    SELECT i, 'C' || i, 'L' || i, i || ' Main St', 'Springfield', 'CA', '01234', '2018-01-01'
    FROM generate_series(1, 6) i;
    INSERT INTO bank.accounts
    SELECT i, (ARRAY[1000.00, 900.00, 300.00, 200.00, 100.00, 50.00])[i], '2019-01-01'
    FROM generate_series(1, 6) i;
    INSERT INTO bank.customer_accounts SELECT i, i FROM generate_series(1, 6) i;
END
$$;

-- Each account's balance, in one line: '1:1000.00 2:900.00 ...'.
CREATE FUNCTION public.isolation_balances() RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT string_agg(account_id || ':' || balance, ' ' ORDER BY account_id) FROM bank.accounts);
END
$$;

-- Roles for the specs that try what other users may do: mallory has no grant at all.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mallory') THEN
        CREATE ROLE mallory LOGIN;
    END IF;
END
$$;
