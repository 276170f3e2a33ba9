-- One row per accepted ledger line, charged to its budget fiscal year (a carry-over line
-- posted in the next year stays with its budget year). Executed spend = disbursements +
-- refunds (refunds negative); commitments are kept apart and never added to them. A payee's
-- name and tax ID are kept only where the payee is a juristic person (tax ID starting with 0).

-- incremental: staging.spending, source_file
-- Not sorted: ordering 11 M ledger lines took as long as writing them (scale 1000); queries order.
SELECT s.budget_fiscal_year AS fiscal_year, ce_year(s.budget_fiscal_year) AS fiscal_year_ce,
       s.posted_on,
       fiscal_year_of(s.posted_on) AS posting_fiscal_year,
       s.document_no, s.transaction_type,
       s.transaction_type IN ('disbursement', 'refund') AS is_executed,
       s.office, s.cluster_code, c.cluster_key, s.cluster_code IS NULL AS is_programme_wide,
       s.activity, s.channel, s.description, s.amount_thb, s.is_carry_over,
       CASE WHEN s.payee_tax_id_status IN ('ok', 'repaired') AND starts_with(s.payee_tax_id, '0')
            THEN s.payee_name END AS payee_name_juristic,
       CASE WHEN s.payee_tax_id_status IN ('ok', 'repaired') AND starts_with(s.payee_tax_id, '0')
            THEN s.payee_tax_id END AS payee_tax_id_juristic,
       s.beneficiary_enterprise_key,
       s._source_file AS source_file, s._row_number AS source_row
FROM staging.spending s
LEFT JOIN core.dim_cluster c ON c.fiscal_year = s.budget_fiscal_year AND c.cluster_code = s.cluster_code
