-- One row per fiscal year: the department's headline figures. Cluster figures are sums of
-- marts.cluster_outcomes; programme-wide costs (spending rows with no cluster) are added to
-- executed spend. Enterprises are distinct across clusters.
WITH clusters AS (
    SELECT fiscal_year,
           count(*) FILTER (WHERE status = 'active') AS active_clusters,
           count(*) AS planned_clusters,
           sum(budget_allocated_thb) AS budget_allocated_thb,
           sum(spend_executed_thb) AS spend_executed_clusters_thb,
           sum(spend_committed_thb) AS spend_committed_clusters_thb,
           sum(economic_value_computed_thb) AS economic_value_computed_thb,
           sum(economic_value_reported_thb) AS economic_value_reported_thb,
           sum(jobs_created)::BIGINT AS jobs_created,
           sum(new_products)::BIGINT AS new_products
    FROM marts.cluster_outcomes GROUP BY fiscal_year
),
programme_wide AS (
    SELECT fiscal_year,
           coalesce(sum(amount_thb) FILTER (WHERE is_executed), 0) AS executed_thb,
           coalesce(sum(amount_thb) FILTER (WHERE transaction_type = 'commitment'), 0) AS committed_thb
    FROM core.fct_spending WHERE is_programme_wide GROUP BY fiscal_year
),
enterprises AS (
    SELECT fiscal_year, count(DISTINCT enterprise_key) AS enterprises,
           count(DISTINCT enterprise_key) FILTER (WHERE is_returning) AS enterprises_returning
    FROM core.fct_registration GROUP BY fiscal_year
),
yearly AS (
    SELECT c.fiscal_year, ce_year(c.fiscal_year) AS fiscal_year_ce, c.active_clusters, c.planned_clusters,
           coalesce(e.enterprises, 0) AS enterprises,
           coalesce(e.enterprises_returning, 0) AS enterprises_returning,
           c.budget_allocated_thb::DECIMAL(18, 2) AS budget_allocated_thb,
           (c.spend_executed_clusters_thb + coalesce(p.executed_thb, 0))::DECIMAL(18, 2) AS spend_executed_thb,
           coalesce(p.executed_thb, 0)::DECIMAL(18, 2) AS spend_programme_wide_thb,
           (c.spend_committed_clusters_thb + coalesce(p.committed_thb, 0))::DECIMAL(18, 2) AS spend_committed_thb,
           c.economic_value_reported_thb::DECIMAL(18, 2) AS economic_value_thb,
           c.economic_value_computed_thb::DECIMAL(18, 2) AS economic_value_computed_thb,
           c.jobs_created, c.new_products
    FROM clusters c
    LEFT JOIN programme_wide p USING (fiscal_year)
    LEFT JOIN enterprises e USING (fiscal_year)
)
SELECT *,
       round(100 * spend_executed_thb / nullif(budget_allocated_thb, 0), 2) AS utilisation_pct,
       round(economic_value_thb / nullif(spend_executed_thb, 0), 2) AS value_per_baht,
       round(100 * (enterprises / nullif(lag(enterprises) OVER (ORDER BY fiscal_year), 0) - 1), 1) AS enterprises_yoy_pct,
       round(100 * (spend_executed_thb / nullif(lag(spend_executed_thb) OVER (ORDER BY fiscal_year), 0) - 1), 1) AS spend_executed_yoy_pct,
       round(100 * (economic_value_thb / nullif(lag(economic_value_thb) OVER (ORDER BY fiscal_year), 0) - 1), 1) AS economic_value_yoy_pct
FROM yearly
ORDER BY fiscal_year
