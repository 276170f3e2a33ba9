-- One row per cluster per fiscal year, with `cluster_key`: the cluster's identity across years.
-- A continuing cluster gets a new code every year; its key is the code it had in its first
-- year. The link to last year's cluster is the plan's predecessor code; where that is blank,
-- it is derived from last year's clusters with the same sector and lead province that no plan
-- link claims, preferring one with the same Thai name, and only where the match is unique both
-- ways (flagged `predecessor_derived`). No link at all starts a new key.
WITH RECURSIVE plans AS (
    SELECT * FROM staging.cluster_plans
),
candidates AS (
    -- Last year's clusters of the same sector and lead province that no plan link claims;
    -- one with the same Thai name (without the `คลัสเตอร์` prefix or spaces) is preferred.
    SELECT this_year.fiscal_year, this_year.cluster_code, last_year.cluster_code AS derived_predecessor,
           cluster_name_key(this_year.cluster_name_th) = cluster_name_key(last_year.cluster_name_th) AS same_name
    FROM plans this_year
    JOIN plans last_year
      ON last_year.fiscal_year = this_year.fiscal_year - 1
     AND last_year.sector = this_year.sector
     AND last_year.lead_province_iso = this_year.lead_province_iso
    WHERE this_year.predecessor_code IS NULL
      AND last_year.cluster_code NOT IN (
          SELECT predecessor_code FROM plans claimed
          WHERE claimed.fiscal_year = this_year.fiscal_year AND claimed.predecessor_code IS NOT NULL)
),
best_candidates AS (
    SELECT * FROM candidates
    QUALIFY rank() OVER (PARTITION BY fiscal_year, cluster_code ORDER BY same_name DESC) = 1
),
derived AS (
    -- A link is derived only where it is unambiguous both ways.
    SELECT fiscal_year, cluster_code, derived_predecessor FROM best_candidates
    QUALIFY count(*) OVER (PARTITION BY fiscal_year, cluster_code) = 1
        AND count(*) OVER (PARTITION BY fiscal_year, derived_predecessor) = 1
),
linked AS (
    SELECT p.*, d.derived_predecessor,
           coalesce(known.cluster_code, d.derived_predecessor) AS effective_predecessor
    FROM plans p
    LEFT JOIN plans known ON known.cluster_code = p.predecessor_code AND known.fiscal_year = p.fiscal_year - 1
    LEFT JOIN derived d ON d.fiscal_year = p.fiscal_year AND d.cluster_code = p.cluster_code
),
keys AS (
    SELECT fiscal_year, cluster_code, cluster_code AS cluster_key FROM linked WHERE effective_predecessor IS NULL
    UNION ALL
    SELECT l.fiscal_year, l.cluster_code, k.cluster_key
    FROM linked l JOIN keys k ON l.effective_predecessor = k.cluster_code AND l.fiscal_year = k.fiscal_year + 1
)
SELECT l.fiscal_year, ce_year(l.fiscal_year) AS fiscal_year_ce, l.cluster_code, k.cluster_key,
       l.effective_predecessor AS predecessor_code,
       l.predecessor_code IS NULL AND l.derived_predecessor IS NOT NULL AS predecessor_derived,
       l.cluster_name_th, l.cluster_name_en, l.cluster_group, l.sector AS sector_en,
       s.sector_th, l.lead_province_iso, pr.province_name_th AS lead_province_th, pr.region_en,
       l.responsible_office, l.budget_allocated_thb, l.target_enterprises,
       (l.target_economic_value_mthb * 1000000)::DECIMAL(18, 2) AS target_economic_value_thb,
       l.status, l.status = 'active' AS is_active
FROM linked l
JOIN keys k USING (fiscal_year, cluster_code)
LEFT JOIN core.dim_province pr ON pr.province_iso = l.lead_province_iso
LEFT JOIN core.dim_sector s ON s.sector_en = l.sector
ORDER BY l.fiscal_year, l.cluster_code
