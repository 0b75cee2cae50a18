-- Hand-written SQL for bank.top_customers(10).
SELECT c.customer_id, c.first_name, c.last_name, c.state, coalesce(t.accounts, 0) AS accounts,
       coalesce(t.total, 0)::numeric(15,2) AS total_balance
FROM bank.customers c
LEFT JOIN (SELECT ca.customer_id, count(*)::integer AS accounts, sum(a.balance) AS total
           FROM bank.customer_accounts ca JOIN bank.accounts a USING (account_id)
           GROUP BY ca.customer_id) t USING (customer_id)
ORDER BY coalesce(t.total, 0) DESC, c.customer_id
LIMIT 10;
