-- Candidate registration rows: cluster reference resolved against that year's plan, enterprise
-- identity (tax ID, or community-enterprise code for community enterprises), and the findings
-- the registrations suite states rules about (check_* columns).
SELECT r.* REPLACE (
           CASE WHEN NOT r.cluster_ref_is_code AND ref.cluster_code IS NOT NULL
                THEN list_append(r._repairs, 'cluster_name_resolved') ELSE r._repairs END AS _repairs,
           try_cast(r.annual_revenue_thb AS DECIMAL(18, 2)) AS annual_revenue_thb),
       ref.cluster_code,
       CASE WHEN r.entity_type = 'community_enterprise' THEN r.community_enterprise_code ELSE r.tax_id END
           AS enterprise_id,
       enterprise_key(CASE WHEN r.entity_type = 'community_enterprise' THEN r.community_enterprise_code
                           ELSE r.tax_id END) AS enterprise_key,
       r.cluster_ref IS NULL OR ref.cluster_code IS NOT NULL AS check_cluster_found,
       r.entity_type IS DISTINCT FROM 'community_enterprise' OR r.community_enterprise_code IS NOT NULL
           OR r.community_enterprise_code_invalid AS check_community_code_given,
       coalesce(NOT (r.entity_type IN ('company', 'limited_partnership', 'registered_partnership')
                     AND NOT r.tax_id_is_juristic), TRUE) AS check_id_fits_entity_type,
       coalesce(r.registered_on BETWEEN fiscal_year_start(r.fiscal_year) AND fiscal_year_end(r.fiscal_year), TRUE) AS check_registered_in_fiscal_year
FROM landing.registrations r
LEFT JOIN staging.cluster_reference ref
  ON ref.fiscal_year = r.fiscal_year
 AND ref.reference_key = CASE WHEN r.cluster_ref_is_code THEN r.cluster_ref
                              ELSE cluster_name_key(r.cluster_ref) END
WHERE r._row_kind = 'data'
