-- Repairs applied to accepted rows, counted per source, file and repair code
-- (docs/reason-codes.md), so nobody is surprised by a value that differs from the file.
WITH repaired AS (
    SELECT 'cluster_plans' AS source, _source_file, unnest(_repairs) AS repair_code FROM staging.cluster_plans
    UNION ALL SELECT 'registrations', _source_file, unnest(_repairs) FROM staging.registrations
    UNION ALL SELECT 'spending', _source_file, unnest(_repairs) FROM staging.spending
    UNION ALL SELECT 'outcomes', _source_file, unnest(_repairs) FROM staging.outcomes
)
SELECT source, _source_file AS source_file, repair_code, count(*) AS rows_repaired
FROM repaired
GROUP BY ALL
ORDER BY source, source_file, repair_code
