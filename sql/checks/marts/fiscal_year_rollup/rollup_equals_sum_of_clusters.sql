-- Every additive figure of the rollup equals the sum over marts.cluster_outcomes (plus
-- programme-wide spend).
-- blocking: yes
-- reconciles: yes
WITH sums AS (
    SELECT fiscal_year, count(*) FILTER (WHERE status = 'active') AS active_clusters,
           sum(budget_allocated_thb) AS budget, sum(spend_executed_thb) AS executed,
           sum(economic_value_reported_thb) AS reported, sum(economic_value_computed_thb) AS computed
    FROM marts.cluster_outcomes GROUP BY fiscal_year)
SELECT r.fiscal_year FROM marts.fiscal_year_rollup r FULL JOIN sums s USING (fiscal_year)
WHERE r.active_clusters IS DISTINCT FROM s.active_clusters
   OR r.budget_allocated_thb IS DISTINCT FROM s.budget
   OR r.spend_executed_thb - r.spend_programme_wide_thb IS DISTINCT FROM s.executed
   OR r.economic_value_thb IS DISTINCT FROM s.reported
   OR r.economic_value_computed_thb IS DISTINCT FROM s.computed;
