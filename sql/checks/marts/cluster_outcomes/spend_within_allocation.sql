-- A cluster whose executed spend is above its allocation (named, with its utilisation).
-- blocking: no
SELECT fiscal_year, cluster_code, cluster_name_th, budget_allocated_thb, spend_executed_thb, utilisation_pct
FROM marts.cluster_outcomes WHERE spend_executed_thb > budget_allocated_thb ORDER BY utilisation_pct DESC;
