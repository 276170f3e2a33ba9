-- Candidate cluster-plan rows: data rows, with the fiscal year taken from the file name
-- (cluster_plan_<BE year>.xlsx), since the sheet itself has no year column.
SELECT * REPLACE (try_cast(budget_allocated_thb AS DECIMAL(18, 2)) AS budget_allocated_thb),
       _file_year AS fiscal_year
FROM landing.cluster_plans
WHERE _row_kind = 'data'
