-- One row per enterprise, cluster and fiscal year of the outcome surveys: baseline against
-- after. Economic value is computed as the department counts it (sales increase + cost
-- reduction + new investment) where both rounds exist, with the consultant's reported figure
-- beside it; an enterprise lacking a round is flagged.
WITH rounds AS (
    SELECT fiscal_year, cluster_code, enterprise_key,
           max(annual_sales_thb) FILTER (WHERE round = 'baseline') AS sales_baseline_thb,
           max(annual_sales_thb) FILTER (WHERE round = 'after') AS sales_after_thb,
           max(coalesce(cost_reduction_thb, 0)) FILTER (WHERE round = 'after') AS cost_reduction_thb,
           max(coalesce(new_investment_thb, 0)) FILTER (WHERE round = 'after') AS new_investment_thb,
           max(reported_economic_value_thb) FILTER (WHERE round = 'after') AS economic_value_reported_thb,
           max(employees) FILTER (WHERE round = 'baseline') AS employees_baseline,
           max(employees) FILTER (WHERE round = 'after') AS employees_after,
           max(new_products) FILTER (WHERE round = 'after') AS new_products,
           max(len(certifications)) FILTER (WHERE round = 'after') AS certifications_after,
           max(len(certifications)) FILTER (WHERE round = 'baseline') AS certifications_baseline,
           count(*) FILTER (WHERE round = 'baseline') > 0 AS has_baseline,
           count(*) FILTER (WHERE round = 'after') > 0 AS has_after
    FROM staging.outcomes
    GROUP BY fiscal_year, cluster_code, enterprise_key
)
SELECT fiscal_year, cluster_code, enterprise_key, has_baseline, has_after,
       NOT (has_baseline AND has_after) AS round_missing,
       sales_baseline_thb, sales_after_thb, cost_reduction_thb, new_investment_thb,
       -- Every amount is DECIMAL(18,2): stated, as DuckDB releases widen sums differently.
       CASE WHEN has_baseline AND has_after
            THEN sales_after_thb - sales_baseline_thb + cost_reduction_thb + new_investment_thb END::DECIMAL(18, 2)
           AS economic_value_computed_thb,
       economic_value_reported_thb,
       coalesce(abs(economic_value_reported_thb - (sales_after_thb - sales_baseline_thb + cost_reduction_thb
                    + new_investment_thb)) > 0.01 * abs(economic_value_reported_thb), FALSE) AS reported_value_mismatch,
       CASE WHEN has_baseline AND has_after THEN employees_after - employees_baseline END AS jobs_created,
       new_products,
       CASE WHEN has_baseline AND has_after
            THEN greatest(certifications_after - coalesce(certifications_baseline, 0), 0) END AS certifications_gained
FROM rounds
