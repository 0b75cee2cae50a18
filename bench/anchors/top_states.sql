-- Hand-written SQL for bank.top_states(10): the anchor bench/run.sh times it against.
SELECT c.state, count(*) AS customers, round(avg(coalesce(t.total, 0)), 2)::numeric(15,2) AS avg_balance
FROM bank.customers c
LEFT JOIN (SELECT ca.customer_id, sum(a.balance) AS total
           FROM bank.customer_accounts ca JOIN bank.accounts a USING (account_id)
           GROUP BY ca.customer_id) t USING (customer_id)
GROUP BY c.state
ORDER BY avg(coalesce(t.total, 0)) DESC, c.state
LIMIT 10;
