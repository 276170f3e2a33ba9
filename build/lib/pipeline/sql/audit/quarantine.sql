-- Every quarantined row of every source, as analysts may read it: file, sheet, row as the office
-- sees it, the reason codes (docs/reason-codes.md), a message to send back, and the raw values
-- with personal ones masked to their shape. The values exactly as read stay in the build
-- database's audit.quarantine_<source> tables (restricted: data engineers).
SELECT * EXCLUDE (raw_values_masked) REPLACE (raw_values_masked AS raw_values) FROM (
    SELECT * FROM audit.quarantine_cluster_plans
    UNION ALL BY NAME SELECT * FROM audit.quarantine_registrations
    UNION ALL BY NAME SELECT * FROM audit.quarantine_spending
    UNION ALL BY NAME SELECT * FROM audit.quarantine_outcomes
)
