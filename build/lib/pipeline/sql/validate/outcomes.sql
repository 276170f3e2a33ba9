-- Candidate survey rows: cluster reference resolved against that year's plan, and whether the
-- surveyed enterprise has an accepted registration of the same fiscal year. The survey names
-- it by tax ID or community-enterprise code; for a community enterprise the tax ID given may
-- be its chair's, which the registration carries too.
WITH registered AS (
    SELECT DISTINCT fiscal_year, enterprise_id AS reference, enterprise_id, enterprise_key FROM staging.registrations
    UNION
    SELECT DISTINCT fiscal_year, tax_id, enterprise_id, enterprise_key FROM staging.registrations
    WHERE entity_type = 'community_enterprise' AND tax_id_status IN ('ok', 'repaired')
)
SELECT o.* REPLACE (
           CASE WHEN NOT o.cluster_ref_is_code AND ref.cluster_code IS NOT NULL
                THEN list_append(o._repairs, 'cluster_name_resolved') ELSE o._repairs END AS _repairs,
           try_cast(o.annual_sales_thb AS DECIMAL(18, 2)) AS annual_sales_thb,
           try_cast(o.cost_reduction_thb AS DECIMAL(18, 2)) AS cost_reduction_thb,
           try_cast(o.new_investment_thb AS DECIMAL(18, 2)) AS new_investment_thb,
           try_cast(o.reported_economic_value_thb AS DECIMAL(18, 2)) AS reported_economic_value_thb),
       ref.cluster_code,
       coalesce(by_tax_id.enterprise_id, by_community_code.enterprise_id) AS enterprise_id,
       coalesce(by_tax_id.enterprise_key, by_community_code.enterprise_key) AS enterprise_key,
       o.cluster_ref IS NULL OR ref.cluster_code IS NOT NULL AS check_cluster_found,
       o.enterprise_ref IS NULL
           OR coalesce(by_tax_id.enterprise_id, by_community_code.enterprise_id) IS NOT NULL AS check_enterprise_registered
FROM landing.outcomes o
LEFT JOIN staging.cluster_reference ref
  ON ref.fiscal_year = o.fiscal_year
 AND ref.reference_key = CASE WHEN o.cluster_ref_is_code THEN o.cluster_ref
                              ELSE cluster_name_key(o.cluster_ref) END
LEFT JOIN registered by_tax_id
  ON by_tax_id.fiscal_year = o.fiscal_year AND by_tax_id.reference = o.enterprise_ref
LEFT JOIN registered by_community_code
  ON by_community_code.fiscal_year = o.fiscal_year
 AND by_community_code.reference = o.enterprise_ref_community_enterprise_code
WHERE o._row_kind = 'data'
