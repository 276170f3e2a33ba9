-- No two clusters of one fiscal year share a cluster_key (the derived identity is unambiguous).
-- blocking: yes
SELECT fiscal_year, cluster_key, list(cluster_code) AS cluster_codes FROM core.dim_cluster
GROUP BY fiscal_year, cluster_key HAVING count(*) > 1;
