-- One row per raw file ever seen: hash, size, status (loaded, rejected, duplicate_file,
-- removed) with the reason, and the row counts that must reconcile:
-- rows_read = title_rows + rows_staged + rows_quarantined + blank_rows + total_rows.
-- Not when each file was last seen: that changes on every refresh, and would make every
-- refresh publish a new warehouse (it stays in landing.<source>_files).
WITH files AS (
    SELECT * FROM landing.cluster_plans_files
    UNION ALL BY NAME SELECT * FROM landing.registrations_files
    UNION ALL BY NAME SELECT * FROM landing.spending_files
    UNION ALL BY NAME SELECT * FROM landing.outcomes_files
),
staged AS (
    SELECT _source_file AS source_file, count(*) AS rows_staged FROM staging.cluster_plans GROUP BY 1
    UNION ALL SELECT _source_file, count(*) FROM staging.registrations GROUP BY 1
    UNION ALL SELECT _source_file, count(*) FROM staging.spending GROUP BY 1
    UNION ALL SELECT _source_file, count(*) FROM staging.outcomes GROUP BY 1
),
quarantined AS (
    SELECT source_file, count(*) AS rows_quarantined FROM audit.quarantine GROUP BY 1
)
SELECT f.source, f.source_file, f.sha256, f.size_bytes, f.file_format, f.encoding, f.header_language,
       f.header_row_number, f.status, f.reason_code, f.reason, f.duplicate_of,
       f.rows_read, f.title_rows, f.blank_rows, f.total_rows,
       CASE WHEN f.status = 'loaded' THEN coalesce(s.rows_staged, 0) END AS rows_staged,
       CASE WHEN f.status = 'loaded' THEN coalesce(q.rows_quarantined, 0) END AS rows_quarantined,
       CASE WHEN f.status = 'loaded'
            THEN f.rows_read = f.title_rows + coalesce(s.rows_staged, 0) + coalesce(q.rows_quarantined, 0)
                              + f.blank_rows + f.total_rows END AS reconciled,
       f.first_run_id, f.first_seen_at, f.loaded_at,
       CASE WHEN f.status = 'removed' THEN f.last_seen_at END AS removed_at
FROM files f
LEFT JOIN staged s ON s.source_file = f.source_file AND f.status = 'loaded'
LEFT JOIN quarantined q ON q.source_file = f.source_file AND f.status = 'loaded'
ORDER BY f.source, f.source_file
