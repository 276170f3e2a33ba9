-- Every raw file present could be read; a rejected file is named with its reason.
-- blocking: no
SELECT source_file, reason_code, reason FROM audit.file_manifest WHERE status = 'rejected';
