-- Fun With Banking: the schema.
--
-- Loaded once, at the container's first start, by the official image's entrypoint
-- (psql -v ON_ERROR_STOP=1, connected to the database named by POSTGRES_DB), before
-- db/procedures.sql. The test harness and setup.sh's local mode load it the same way.
--
-- Exactly three tables: customers, accounts and the many-to-many link between them.
-- The keys of the two large tables are not declared inline: bank.create_keys() adds them,
-- so that a load can drop them and build them once over the new rows (as pgbench does).

CREATE SCHEMA bank;
COMMENT ON SCHEMA bank IS 'Fun With Banking: customers, accounts, and who holds which.';
-- Each function says who may call it (db/procedures.sql grants beside each one): none is
-- everyone's to call by default, in this database.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- psql users type top_customers(), not bank.top_customers().
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET search_path = bank, public', current_database());
END
$$;

CREATE TABLE bank.customers (
    customer_id    bigint      NOT NULL CHECK (customer_id > 0),
    first_name     text        NOT NULL CHECK (first_name <> ''),
    last_name      text        NOT NULL CHECK (last_name <> ''),
    street_address text        NOT NULL CHECK (street_address <> ''),
    city           text        NOT NULL CHECK (city <> ''),
    -- The 50 states and the District of Columbia: the places a US retail bank's customers live.
    state          char(2)     NOT NULL CHECK (state IN (
        'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FL', 'GA', 'HI', 'ID', 'IL',
        'IN', 'IA', 'KS', 'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE',
        'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD',
        'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY')),
    -- Five digits as text: 02134 is Boston, not 2134.
    zip            text        NOT NULL CHECK (zip ~ '^[0-9]{5}$'),
    created_at     timestamptz NOT NULL,
    CONSTRAINT customers_pkey PRIMARY KEY (customer_id),
    -- Armed by bank.load_begin(), which inserts two rows with the two reserved ids: unless
    -- bank.load_finish() deletes them, the COMMIT fails and the load changes nothing.
    CONSTRAINT load_unfinished EXCLUDE USING btree (state WITH =)
        WHERE (customer_id >= 9223372036854775806) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE bank.customers IS 'A bank customer. customer_id is assigned by the loader, not a sequence, so a seed '
    'always gives the same ids; the two largest ids are reserved for bank.load_begin().';

CREATE TABLE bank.accounts (
    account_id bigint        NOT NULL CHECK (account_id > 0),
    -- 'NaN' sorts above every number in PostgreSQL, so ">= 0" alone would admit it.
    balance    numeric(15,2) NOT NULL CHECK (balance >= 0 AND balance <> 'NaN'),
    created_at timestamptz   NOT NULL
)
-- Every transfer rewrites two rows: room left on each page keeps those updates HOT (the
-- new version stays on its page and adds no index entry).
WITH (fillfactor = 90);
COMMENT ON TABLE bank.accounts IS 'An account; balance in dollars, exact to the cent, never negative.';

CREATE TABLE bank.customer_accounts (
    customer_id bigint NOT NULL,
    account_id  bigint NOT NULL
);
COMMENT ON TABLE bank.customer_accounts IS 'Who holds which account: an account with two or more holders is a joint account.';

-- The keys of accounts and customer_accounts, and the one secondary index.
CREATE FUNCTION bank.create_keys() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    -- One constraint per statement, and the foreign key to customers before anything
    -- touches accounts: Citus refuses an ADD CONSTRAINT among other subcommands, and a
    -- foreign key to a reference table after a parallel command on a distributed table.
    ALTER TABLE customer_accounts ADD CONSTRAINT customer_accounts_customer_fkey
        FOREIGN KEY (customer_id) REFERENCES customers (customer_id);
    ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (account_id);
    ALTER TABLE customer_accounts ADD CONSTRAINT customer_accounts_pkey PRIMARY KEY (customer_id, account_id);
    ALTER TABLE customer_accounts ADD CONSTRAINT customer_accounts_account_fkey
        FOREIGN KEY (account_id) REFERENCES accounts (account_id);
    -- "Who holds this account?" (joint holders, and the foreign key's checks on accounts).
    CREATE INDEX customer_accounts_account_id_idx ON customer_accounts (account_id);
END
$$;
COMMENT ON FUNCTION bank.create_keys() IS
    'Adds the keys of accounts and customer_accounts and the account_id index. Called at init and by bank.load_finish().';

CREATE FUNCTION bank.drop_keys() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    -- IF EXISTS: a bank left without its keys (a load that removed bank.load_begin()'s
    -- guard rows itself and committed) is mended by the next load rather than stuck.
    ALTER TABLE customer_accounts DROP CONSTRAINT IF EXISTS customer_accounts_account_fkey;
    ALTER TABLE customer_accounts DROP CONSTRAINT IF EXISTS customer_accounts_customer_fkey;
    ALTER TABLE customer_accounts DROP CONSTRAINT IF EXISTS customer_accounts_pkey;
    DROP INDEX IF EXISTS customer_accounts_account_id_idx;
    ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_pkey;
END
$$;
COMMENT ON FUNCTION bank.drop_keys() IS
    'Drops what bank.create_keys() adds. Called by bank.load_begin(), inside the load transaction.';

SELECT bank.create_keys();

-- bank_reader may read the bank and call the reports, audit and profile functions, but never
-- move money: db/procedures.sql grants it EXECUTE on those alone, as functions are not
-- executable by everyone here. Roles belong to the whole cluster, so a second bank database
-- on the same server finds it already there.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'bank_reader') THEN
        CREATE ROLE bank_reader LOGIN;
    END IF;
END
$$;
COMMENT ON ROLE bank_reader IS 'Reads the bank and runs its reports; may not transfer, run Robinhood or load.';
GRANT USAGE ON SCHEMA bank TO bank_reader;
GRANT SELECT ON bank.customers, bank.accounts, bank.customer_accounts TO bank_reader;
