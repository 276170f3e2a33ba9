-- One row per cluster and fiscal year: who took part, what was allocated, committed and
-- spent (executed = disbursements + refunds, charged to the budget year), and what economic
-- value came of it. Clusters of every status are listed; only active ones count as active.
WITH clusters AS (
    SELECT fiscal_year, cluster_code, cluster_name_th, sector, lead_province_iso, responsible_office,
           status, budget_allocated_thb
    FROM staging.cluster_plans
),
members AS (
    SELECT fiscal_year, cluster_code, count(DISTINCT enterprise_id) AS enterprises
    FROM staging.registrations GROUP BY fiscal_year, cluster_code
),
spend AS (
    SELECT budget_fiscal_year AS fiscal_year, cluster_code,
           coalesce(sum(amount_thb) FILTER (WHERE transaction_type IN ('disbursement', 'refund')), 0) AS spend_executed_thb,
           coalesce(sum(amount_thb) FILTER (WHERE transaction_type = 'commitment'), 0) AS spend_committed_thb
    FROM staging.spending WHERE cluster_code IS NOT NULL
    GROUP BY budget_fiscal_year, cluster_code
),
value AS (
    SELECT fiscal_year, cluster_code,
           sum(economic_value_computed_thb) AS economic_value_computed_thb,
           sum(economic_value_reported_thb) AS economic_value_reported_thb,
           sum(jobs_created) AS jobs_created,
           sum(new_products) AS new_products,
           sum(certifications_gained) AS certifications_gained,
           count(*) FILTER (WHERE NOT round_missing) AS enterprises_with_both_rounds
    FROM core.fct_outcome GROUP BY fiscal_year, cluster_code
)
SELECT c.fiscal_year, c.fiscal_year - 543 AS fiscal_year_ce, c.cluster_code, c.cluster_name_th, c.sector,
       c.lead_province_iso, c.responsible_office, c.status,
       coalesce(m.enterprises, 0) AS enterprises,
       c.budget_allocated_thb,
       coalesce(s.spend_executed_thb, 0)::DECIMAL(18, 2) AS spend_executed_thb,
       coalesce(s.spend_committed_thb, 0)::DECIMAL(18, 2) AS spend_committed_thb,
       round(100 * coalesce(s.spend_executed_thb, 0) / nullif(c.budget_allocated_thb, 0), 2) AS utilisation_pct,
       round(coalesce(s.spend_executed_thb, 0) / nullif(m.enterprises, 0), 2) AS spend_per_enterprise_thb,
       coalesce(v.economic_value_computed_thb, 0)::DECIMAL(18, 2) AS economic_value_computed_thb,
       coalesce(v.economic_value_reported_thb, 0)::DECIMAL(18, 2) AS economic_value_reported_thb,
       round(v.economic_value_reported_thb / nullif(s.spend_executed_thb, 0), 2) AS value_per_baht,
       coalesce(v.jobs_created, 0) AS jobs_created,
       coalesce(v.new_products, 0) AS new_products,
       coalesce(v.certifications_gained, 0) AS certifications_gained,
       round(100 * coalesce(v.enterprises_with_both_rounds, 0) / nullif(m.enterprises, 0), 1) AS survey_coverage_pct,
       rank() OVER (PARTITION BY c.fiscal_year ORDER BY v.economic_value_reported_thb / nullif(s.spend_executed_thb, 0) DESC NULLS LAST)
           AS rank_value_per_baht
FROM clusters c
LEFT JOIN members m USING (fiscal_year, cluster_code)
LEFT JOIN spend s USING (fiscal_year, cluster_code)
LEFT JOIN value v USING (fiscal_year, cluster_code)
