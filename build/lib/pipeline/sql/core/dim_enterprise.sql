-- One row per real enterprise across files and years, identified by tax ID (companies and
-- partnerships), community-enterprise code (community enterprises) or personal ID (sole
-- proprietors), and shown only by the keyed hash `enterprise_key`. A juristic tax ID and a
-- community-enterprise code are not personal data and are kept in clear; a sole proprietor's
-- personal ID and business name are not. Attributes come from the latest registration.
-- SME size class (2019 regulation): manufacturing and community enterprises micro <= 5 staff
-- and <= 1.8 M baht revenue, small <= 50 staff or <= 100 M, medium <= 200 or <= 500 M; trade
-- and services micro <= 5 / 1.8 M, small <= 30 / 50 M, medium <= 100 / 300 M; where staff and
-- revenue disagree, revenue decides.
WITH latest AS (
    SELECT enterprise_key,
           arg_max(r, (fiscal_year, registered_on)) AS registration,
           min(fiscal_year) AS first_fiscal_year,
           list(DISTINCT fiscal_year ORDER BY fiscal_year) AS fiscal_years
    FROM core.fct_registration r
    GROUP BY enterprise_key
),
identity AS (
    SELECT enterprise_key,
           any_value(CASE WHEN tax_id_is_juristic AND entity_type <> 'sole_proprietor' THEN tax_id END) AS juristic_tax_id,
           any_value(community_enterprise_code) FILTER (WHERE entity_type = 'community_enterprise') AS community_enterprise_code,
           arg_max(CASE WHEN entity_type <> 'sole_proprietor' THEN enterprise_name_th END, (fiscal_year, registered_on))
               AS enterprise_name_th
    FROM staging.registrations GROUP BY enterprise_key
)
SELECT l.enterprise_key, i.juristic_tax_id, i.community_enterprise_code, i.enterprise_name_th,
       l.registration.entity_type, l.registration.business_sector, l.registration.province_iso,
       l.registration.region_en, l.registration.tsic_code, l.registration.employees,
       l.registration.annual_revenue_thb, l.registration.size_class,
       l.first_fiscal_year, l.fiscal_years
FROM latest l JOIN identity i USING (enterprise_key)
ORDER BY l.enterprise_key
