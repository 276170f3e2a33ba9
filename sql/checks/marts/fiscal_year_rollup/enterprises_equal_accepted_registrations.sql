-- Enterprises per year equal the distinct enterprises with an accepted registration.
-- blocking: yes
-- reconciles: yes
SELECT r.fiscal_year FROM marts.fiscal_year_rollup r
LEFT JOIN (SELECT fiscal_year, count(DISTINCT enterprise_id) AS n FROM staging.registrations GROUP BY 1) s
  USING (fiscal_year)
WHERE r.enterprises IS DISTINCT FROM coalesce(s.n, 0);
