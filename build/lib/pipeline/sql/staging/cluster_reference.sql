-- How a cluster may be referred to in registrations, spending and surveys of a fiscal year:
-- by that year's code, by that year's Thai name, or by the Thai name its predecessor had the
-- year before (an old name). Names compare without the `คลัสเตอร์` prefix, spaces or case.
-- A name shared by two clusters of one year is ambiguous and resolves to nothing.
WITH plans AS (
    SELECT fiscal_year, cluster_code, predecessor_code, cluster_name_th FROM staging.cluster_plans
),
references_ AS (
    SELECT fiscal_year, cluster_code AS reference_key, cluster_code, 'code' AS referred_by FROM plans
    UNION ALL
    SELECT fiscal_year, cluster_name_key(cluster_name_th),
           cluster_code, 'name'
    FROM plans WHERE cluster_name_th IS NOT NULL
    UNION ALL
    SELECT this_year.fiscal_year,
           cluster_name_key(last_year.cluster_name_th),
           this_year.cluster_code, 'earlier_name'
    FROM plans this_year
    JOIN plans last_year
      ON last_year.cluster_code = this_year.predecessor_code AND last_year.fiscal_year = this_year.fiscal_year - 1
    WHERE last_year.cluster_name_th IS NOT NULL
)
SELECT fiscal_year, reference_key, any_value(cluster_code) AS cluster_code, min(referred_by) AS referred_by
FROM references_
GROUP BY fiscal_year, reference_key
HAVING count(DISTINCT cluster_code) = 1
