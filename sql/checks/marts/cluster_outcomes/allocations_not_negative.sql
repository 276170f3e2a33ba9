-- No cluster has a negative allocation.
-- blocking: yes
SELECT fiscal_year, cluster_code, budget_allocated_thb FROM marts.cluster_outcomes WHERE budget_allocated_thb < 0;
