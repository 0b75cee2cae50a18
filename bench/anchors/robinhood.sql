-- Hand-written SQL for bank.robinhood(10, 10): the same locks, then one statement that
-- ranks, computes every movement, applies each account's net change and returns the
-- movements. bench/run.sh runs it inside BEGIN ... ROLLBACK.
LOCK TABLE bank.customers IN SHARE MODE;
LOCK TABLE bank.accounts IN EXCLUSIVE MODE;
LOCK TABLE bank.customer_accounts IN SHARE MODE;
WITH totals AS MATERIALIZED (
    SELECT ca.customer_id, sum(a.balance) AS total
    FROM bank.customer_accounts ca JOIN bank.accounts a USING (account_id)
    GROUP BY ca.customer_id
), donors AS MATERIALIZED (
    SELECT customer_id, row_number() OVER (ORDER BY total DESC, customer_id) AS rich_rank
    FROM (SELECT * FROM totals ORDER BY total DESC, customer_id
          LIMIT greatest(0, least(10, (SELECT count(*) FROM totals) - 1))) d
), recipients AS MATERIALIZED (
    SELECT customer_id, row_number() OVER (ORDER BY total, customer_id) AS poor_rank
    FROM (SELECT * FROM totals t WHERE customer_id NOT IN (SELECT customer_id FROM donors)
          ORDER BY total, customer_id LIMIT 10) r
), gifts AS (
    SELECT DISTINCT ON (account_id) customer_id, rich_rank, account_id, floor(balance * 10) AS cents
    FROM (SELECT DISTINCT ON (d.customer_id) d.customer_id, d.rich_rank, a.account_id, a.balance
          FROM donors d JOIN bank.customer_accounts ca USING (customer_id) JOIN bank.accounts a USING (account_id)
          ORDER BY d.customer_id, a.balance DESC, a.account_id) largest
    ORDER BY account_id, rich_rank
), receiving AS (
    SELECT DISTINCT ON (r.customer_id) r.customer_id, r.poor_rank, a.account_id
    FROM recipients r JOIN bank.customer_accounts ca USING (customer_id) JOIN bank.accounts a USING (account_id)
    ORDER BY r.customer_id, a.created_at, a.account_id
), moves AS MATERIALIZED (
    SELECT g.customer_id AS from_customer, g.account_id AS from_account, r.customer_id AS to_customer,
           r.account_id AS to_account, g.rich_rank, r.poor_rank,
           (div(g.cents, n.n) + CASE WHEN r.poor_rank <= mod(g.cents, n.n) THEN 1 ELSE 0 END) / 100 AS amount
    FROM gifts g CROSS JOIN receiving r CROSS JOIN (SELECT count(*) AS n FROM receiving) n
), applied AS (
    UPDATE bank.accounts a SET balance = a.balance + c.delta
    FROM (SELECT account_id, sum(delta) AS delta
          FROM (SELECT from_account, -amount FROM moves WHERE amount > 0 AND from_account <> to_account
                UNION ALL
                SELECT to_account, amount FROM moves WHERE amount > 0 AND from_account <> to_account) x(account_id, delta)
          GROUP BY account_id HAVING sum(delta) <> 0) c
    WHERE a.account_id = c.account_id
    RETURNING a.account_id
)
SELECT from_customer, from_account, to_customer, to_account, amount::numeric(15,2) AS amount
FROM moves
WHERE amount > 0 AND from_account <> to_account AND (SELECT count(*) FROM applied) >= 0
ORDER BY rich_rank, poor_rank;
