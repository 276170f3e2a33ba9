-- One row per fiscal year, assistance channel and activity: what each channel spent on what.
-- Executed = disbursements + refunds by budget year; commitments apart; programme-wide costs
-- (no cluster) included.
SELECT s.fiscal_year, ce_year(s.fiscal_year) AS fiscal_year_ce, s.channel, ch.channel_name, s.activity, a.activity_th,
       coalesce(sum(s.amount_thb) FILTER (WHERE s.is_executed), 0)::DECIMAL(18, 2) AS spend_executed_thb,
       coalesce(sum(s.amount_thb) FILTER (WHERE s.transaction_type = 'commitment'), 0)::DECIMAL(18, 2) AS spend_committed_thb,
       coalesce(sum(s.amount_thb) FILTER (WHERE s.is_executed AND s.is_programme_wide), 0)::DECIMAL(18, 2)
           AS spend_programme_wide_thb,
       count(*) FILTER (WHERE s.is_executed) AS executed_lines,
       count(DISTINCT s.cluster_code) AS clusters,
       round(100 * coalesce(sum(s.amount_thb) FILTER (WHERE s.is_executed), 0)
             / nullif(sum(sum(s.amount_thb) FILTER (WHERE s.is_executed)) OVER (PARTITION BY s.fiscal_year), 0), 2)
           AS share_of_year_pct
FROM core.fct_spending s
LEFT JOIN core.dim_channel ch USING (channel)
LEFT JOIN core.dim_activity a USING (activity)
GROUP BY s.fiscal_year, s.channel, ch.channel_name, s.activity, a.activity_th
ORDER BY s.fiscal_year, s.channel, s.activity
