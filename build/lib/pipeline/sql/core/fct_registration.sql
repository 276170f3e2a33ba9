-- One row per accepted registration (an enterprise joining a cluster in a fiscal year).
-- Personal data is left out: the enterprise appears only by its keyed hash `enterprise_key`.
-- `is_returning` marks an enterprise registered in an earlier fiscal year too.
-- SME size class follows the 2019 ministerial regulation (see core.dim_enterprise).
SELECT r.fiscal_year, ce_year(r.fiscal_year) AS fiscal_year_ce, r.cluster_code, c.cluster_key,
       r.enterprise_key,
       regexp_extract(r._source_file, 'registrations_([a-z0-9]+)_', 1) AS office_file_code,
       r.application_no, r.registered_on, r.entity_type, r.business_sector, r.province_iso,
       p.region_en, r.tsic_code, r.employees, r.annual_revenue_thb,
       CASE
           WHEN r.annual_revenue_thb IS NOT NULL THEN
               CASE WHEN r.business_sector = 'trade_services' THEN
                        CASE WHEN r.annual_revenue_thb <= 1800000 THEN 'micro'
                             WHEN r.annual_revenue_thb <= 50000000 THEN 'small'
                             WHEN r.annual_revenue_thb <= 300000000 THEN 'medium' ELSE 'large' END
                    ELSE
                        CASE WHEN r.annual_revenue_thb <= 1800000 THEN 'micro'
                             WHEN r.annual_revenue_thb <= 100000000 THEN 'small'
                             WHEN r.annual_revenue_thb <= 500000000 THEN 'medium' ELSE 'large' END END
           WHEN r.employees IS NOT NULL THEN
               CASE WHEN r.business_sector = 'trade_services' THEN
                        CASE WHEN r.employees <= 5 THEN 'micro' WHEN r.employees <= 30 THEN 'small'
                             WHEN r.employees <= 100 THEN 'medium' ELSE 'large' END
                    ELSE
                        CASE WHEN r.employees <= 5 THEN 'micro' WHEN r.employees <= 50 THEN 'small'
                             WHEN r.employees <= 200 THEN 'medium' ELSE 'large' END END
       END AS size_class,
       EXISTS (SELECT 1 FROM staging.registrations earlier
               WHERE earlier.enterprise_key = r.enterprise_key AND earlier.fiscal_year < r.fiscal_year) AS is_returning,
       r.pdpa_consent,
       r._source_file AS source_file, r._row_number AS source_row
FROM staging.registrations r
LEFT JOIN core.dim_cluster c ON c.fiscal_year = r.fiscal_year AND c.cluster_code = r.cluster_code
LEFT JOIN core.dim_province p ON p.province_iso = r.province_iso
ORDER BY r.fiscal_year, r.cluster_code, r.enterprise_key
