-- Candidate spending rows: cluster reference resolved against the budget year's plan (a blank
-- cluster is a programme-wide cost), and the posting-date window: from the start of the budget
-- year to the end of the following year, which holds carry-over rows and late refunds.
-- Amounts too large for DECIMAL become NULL; their amount_thb_invalid flag is already set.
SELECT s.* REPLACE (
           CASE WHEN NOT s.cluster_ref_is_code AND ref.cluster_code IS NOT NULL
                THEN list_append(s._repairs, 'cluster_name_resolved') ELSE s._repairs END AS _repairs,
           try_cast(s.amount_thb AS DECIMAL(18, 2)) AS amount_thb),
       ref.cluster_code,
       enterprise_key(s.beneficiary_tax_id) AS beneficiary_enterprise_key,
       s.cluster_ref IS NULL OR ref.cluster_code IS NOT NULL AS check_cluster_found,
       coalesce(s.posted_on BETWEEN fiscal_year_start(s.budget_fiscal_year)
                                AND fiscal_year_end(s.budget_fiscal_year + 1), TRUE) AS check_posted_in_window
FROM landing.spending s
LEFT JOIN staging.cluster_reference ref
  ON ref.fiscal_year = s.budget_fiscal_year
 AND ref.reference_key = CASE WHEN s.cluster_ref_is_code THEN s.cluster_ref
                              ELSE cluster_name_key(s.cluster_ref) END
WHERE s._row_kind = 'data'
