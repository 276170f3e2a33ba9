-- One row per cluster and fiscal year: who took part (new and returning, by size class and
-- entity type), what was allocated, committed and spent (executed = disbursements + refunds,
-- by budget year), on what (by channel and activity), and what economic value came of it.
-- Clusters of every status are listed; the rollup counts only active ones as active.
WITH members AS (
    SELECT fiscal_year, cluster_code,
           count(DISTINCT enterprise_key) AS enterprises,
           count(DISTINCT enterprise_key) FILTER (WHERE NOT is_returning) AS enterprises_new,
           count(DISTINCT enterprise_key) FILTER (WHERE is_returning) AS enterprises_returning,
           count(DISTINCT enterprise_key) FILTER (WHERE size_class = 'micro') AS enterprises_micro,
           count(DISTINCT enterprise_key) FILTER (WHERE size_class = 'small') AS enterprises_small,
           count(DISTINCT enterprise_key) FILTER (WHERE size_class = 'medium') AS enterprises_medium,
           count(DISTINCT enterprise_key) FILTER (WHERE size_class = 'large') AS enterprises_large,
           count(DISTINCT enterprise_key) FILTER (WHERE size_class IS NULL) AS enterprises_size_unknown,
           count(DISTINCT enterprise_key) FILTER (WHERE entity_type IN ('company', 'limited_partnership', 'registered_partnership'))
               AS enterprises_juristic,
           count(DISTINCT enterprise_key) FILTER (WHERE entity_type = 'community_enterprise') AS enterprises_community,
           count(DISTINCT enterprise_key) FILTER (WHERE entity_type = 'sole_proprietor') AS enterprises_sole_proprietor
    FROM core.fct_registration GROUP BY fiscal_year, cluster_code
),
spend AS (
    SELECT fiscal_year, cluster_code,
           coalesce(sum(amount_thb) FILTER (WHERE is_executed), 0) AS spend_executed_thb,
           coalesce(sum(amount_thb) FILTER (WHERE transaction_type = 'commitment'), 0) AS spend_committed_thb
    FROM core.fct_spending WHERE NOT is_programme_wide
    GROUP BY fiscal_year, cluster_code
),
by_channel AS (
    SELECT fiscal_year, cluster_code, map(list(channel ORDER BY channel), list(executed ORDER BY channel)) AS spend_by_channel_thb
    FROM (SELECT fiscal_year, cluster_code, channel, sum(amount_thb) AS executed
          FROM core.fct_spending WHERE is_executed AND NOT is_programme_wide GROUP BY ALL)
    GROUP BY fiscal_year, cluster_code
),
by_activity AS (
    SELECT fiscal_year, cluster_code, map(list(activity ORDER BY activity), list(executed ORDER BY activity)) AS spend_by_activity_thb
    FROM (SELECT fiscal_year, cluster_code, activity, sum(amount_thb) AS executed
          FROM core.fct_spending WHERE is_executed AND NOT is_programme_wide GROUP BY ALL)
    GROUP BY fiscal_year, cluster_code
),
value AS (
    SELECT fiscal_year, cluster_code,
           sum(economic_value_computed_thb) AS economic_value_computed_thb,
           sum(economic_value_reported_thb) AS economic_value_reported_thb,
           sum(jobs_created)::BIGINT AS jobs_created,
           sum(new_products)::BIGINT AS new_products,
           sum(certifications_gained)::BIGINT AS certifications_gained,
           count(*) FILTER (WHERE NOT round_missing) AS enterprises_with_both_rounds,
           count(*) FILTER (WHERE reported_value_mismatch) AS reported_value_mismatches
    FROM core.fct_outcome GROUP BY fiscal_year, cluster_code
)
SELECT c.fiscal_year, c.fiscal_year_ce, c.cluster_code, c.cluster_key, c.cluster_name_th, c.cluster_group,
       c.sector_en, c.sector_th, c.lead_province_iso, c.region_en, c.responsible_office, c.status,
       coalesce(m.enterprises, 0) AS enterprises,
       coalesce(m.enterprises_new, 0) AS enterprises_new,
       coalesce(m.enterprises_returning, 0) AS enterprises_returning,
       coalesce(m.enterprises_micro, 0) AS enterprises_micro,
       coalesce(m.enterprises_small, 0) AS enterprises_small,
       coalesce(m.enterprises_medium, 0) AS enterprises_medium,
       coalesce(m.enterprises_large, 0) AS enterprises_large,
       coalesce(m.enterprises_size_unknown, 0) AS enterprises_size_unknown,
       coalesce(m.enterprises_juristic, 0) AS enterprises_juristic,
       coalesce(m.enterprises_community, 0) AS enterprises_community,
       coalesce(m.enterprises_sole_proprietor, 0) AS enterprises_sole_proprietor,
       c.budget_allocated_thb,
       coalesce(s.spend_executed_thb, 0)::DECIMAL(18, 2) AS spend_executed_thb,
       coalesce(s.spend_committed_thb, 0)::DECIMAL(18, 2) AS spend_committed_thb,
       round(100 * coalesce(s.spend_executed_thb, 0) / nullif(c.budget_allocated_thb, 0), 2) AS utilisation_pct,
       round(coalesce(s.spend_executed_thb, 0) / nullif(m.enterprises, 0), 2) AS spend_per_enterprise_thb,
       ch.spend_by_channel_thb, ac.spend_by_activity_thb,
       coalesce(v.economic_value_computed_thb, 0)::DECIMAL(18, 2) AS economic_value_computed_thb,
       coalesce(v.economic_value_reported_thb, 0)::DECIMAL(18, 2) AS economic_value_reported_thb,
       round(v.economic_value_reported_thb / nullif(s.spend_executed_thb, 0), 2) AS value_per_baht,
       coalesce(v.jobs_created, 0) AS jobs_created,
       coalesce(v.new_products, 0) AS new_products,
       coalesce(v.certifications_gained, 0) AS certifications_gained,
       coalesce(v.enterprises_with_both_rounds, 0) AS enterprises_with_both_rounds,
       round(100 * coalesce(v.enterprises_with_both_rounds, 0) / nullif(m.enterprises, 0), 1) AS survey_coverage_pct,
       coalesce(v.reported_value_mismatches, 0) AS reported_value_mismatches,
       rank() OVER (PARTITION BY c.fiscal_year
                    ORDER BY v.economic_value_reported_thb / nullif(s.spend_executed_thb, 0) DESC NULLS LAST)
           AS rank_value_per_baht
FROM core.dim_cluster c
LEFT JOIN members m USING (fiscal_year, cluster_code)
LEFT JOIN spend s USING (fiscal_year, cluster_code)
LEFT JOIN by_channel ch USING (fiscal_year, cluster_code)
LEFT JOIN by_activity ac USING (fiscal_year, cluster_code)
LEFT JOIN value v USING (fiscal_year, cluster_code)
ORDER BY c.fiscal_year, c.cluster_code
