-- One row per province and fiscal year where the programme is present: enterprises taking
-- part (by the enterprise's own province) and their economic value, and the clusters led
-- from the province with their allocation and executed spend.
WITH members AS (
    SELECT fiscal_year, province_iso, count(DISTINCT enterprise_key) AS enterprises
    FROM core.fct_registration WHERE province_iso IS NOT NULL GROUP BY ALL
),
value AS (
    SELECT o.fiscal_year, r.province_iso,
           sum(o.economic_value_reported_thb) AS economic_value_reported_thb,
           sum(o.economic_value_computed_thb) AS economic_value_computed_thb
    FROM core.fct_outcome o
    JOIN core.fct_registration r USING (fiscal_year, enterprise_key)
    GROUP BY ALL
),
led AS (
    SELECT fiscal_year, lead_province_iso AS province_iso,
           count(*) FILTER (WHERE status = 'active') AS clusters_led,
           sum(budget_allocated_thb) AS budget_allocated_thb,
           sum(spend_executed_thb) AS spend_executed_thb
    FROM marts.cluster_outcomes GROUP BY ALL
),
present AS (
    SELECT fiscal_year, province_iso FROM members
    UNION SELECT fiscal_year, province_iso FROM led WHERE province_iso IS NOT NULL
)
SELECT p.fiscal_year, ce_year(p.fiscal_year) AS fiscal_year_ce, p.province_iso, d.province_name_th, d.province_name_en,
       d.region_en, d.region_th,
       coalesce(m.enterprises, 0) AS enterprises,
       coalesce(l.clusters_led, 0) AS clusters_led,
       coalesce(l.budget_allocated_thb, 0)::DECIMAL(18, 2) AS budget_allocated_thb,
       coalesce(l.spend_executed_thb, 0)::DECIMAL(18, 2) AS spend_executed_thb,
       coalesce(v.economic_value_reported_thb, 0)::DECIMAL(18, 2) AS economic_value_reported_thb,
       coalesce(v.economic_value_computed_thb, 0)::DECIMAL(18, 2) AS economic_value_computed_thb
FROM present p
LEFT JOIN core.dim_province d USING (province_iso)
LEFT JOIN members m USING (fiscal_year, province_iso)
LEFT JOIN led l USING (fiscal_year, province_iso)
LEFT JOIN value v USING (fiscal_year, province_iso)
ORDER BY p.fiscal_year, d.region_en, p.province_iso
