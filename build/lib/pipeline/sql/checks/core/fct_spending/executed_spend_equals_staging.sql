-- Executed spend and commitments per budget year in the fact equal the accepted staging rows.
-- blocking: yes
-- reconciles: yes
WITH fact AS (SELECT fiscal_year, sum(amount_thb) FILTER (WHERE is_executed) AS executed,
                     sum(amount_thb) FILTER (WHERE transaction_type = 'commitment') AS committed
              FROM core.fct_spending GROUP BY 1),
     staged AS (SELECT budget_fiscal_year AS fiscal_year,
                       sum(amount_thb) FILTER (WHERE transaction_type IN ('disbursement', 'refund')) AS executed,
                       sum(amount_thb) FILTER (WHERE transaction_type = 'commitment') AS committed
                FROM staging.spending GROUP BY 1)
SELECT fiscal_year, f.executed AS fact_executed, s.executed AS staged_executed
FROM fact f FULL JOIN staged s USING (fiscal_year)
WHERE f.executed IS DISTINCT FROM s.executed OR f.committed IS DISTINCT FROM s.committed;
