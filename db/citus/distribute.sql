-- Fun With Banking on Citus: distributes the bank loaded by db/init.sql and
-- db/procedures.sql. Run once, on the coordinator, with the workers already added:
--
--   psql -v ON_ERROR_STOP=1 -d bank -f db/citus/distribute.sql [-v shards=N]
--
-- The layout (docs/citus.md gives the measurements behind it):
--   * accounts and customer_accounts are distributed by account_id and co-located, so the
--     join behind every total (a link and its account) stays on one shard, and a transfer's
--     row lock and update each stay on one shard;
--   * customers is a reference table, a copy on every node, so that every shard can join
--     its links to their customers locally. It is written only by loads.
-- Every function stays on the coordinator: they are PL/pgSQL over the tables, and Citus
-- routes each of their statements.
\if :{?shards}
\else
\set shards 8
\endif

-- The keys go first: Citus distributes a table's indexes and constraints with it, and
-- create_keys() adds them back in the order Citus accepts.
SELECT bank.drop_keys();
-- The load guard is a deferred trigger that Citus would run on the workers' placements,
-- where the coordinator's setting that arms it is not seen: on Citus, bank.load_begin()
-- refuses autocommit by itself instead (docs/citus.md), and db/procedures.sql, loaded
-- again below, does not make it again.
DROP TRIGGER customers_load_guard ON bank.customers;
SELECT create_reference_table('bank.customers');
SELECT create_distributed_table('bank.accounts', 'account_id', shard_count => :shards);
SELECT create_distributed_table('bank.customer_accounts', 'account_id', colocate_with => 'bank.accounts');
SELECT bank.create_keys();

-- Where the coordinator is in Citus's metadata (as Citus's own guide and managed Citus set a
-- cluster up), it holds a copy of the reference table, and Citus would read and write that
-- copy in the session itself ("local execution"). A load would then fail ("a local execution
-- has accessed a placement in the transaction"), and a consistent read would see the copy
-- with a snapshot taken before its lock waited. Over a connection, as on every other node,
-- both work: every session of this database does without local execution.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET citus.enable_local_execution = off', current_database());
END
$$;
SET citus.enable_local_execution = off;

-- The functions again, now that the bank is distributed: the readers among them become
-- VOLATILE here (see the end of db/procedures.sql).
\ir ../procedures.sql
