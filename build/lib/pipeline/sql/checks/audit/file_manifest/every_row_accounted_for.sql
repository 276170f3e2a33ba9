-- For every loaded file, rows read = title rows + staged + quarantined + blank + total rows.
-- blocking: yes
-- reconciles: yes
SELECT source_file, rows_read, title_rows, rows_staged, rows_quarantined, blank_rows, total_rows
FROM audit.file_manifest WHERE status = 'loaded' AND NOT reconciled;
