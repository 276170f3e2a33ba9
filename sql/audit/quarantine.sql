-- Every quarantined row of every source: file, sheet, row as the office sees it, the raw
-- values exactly as read, the reason codes (docs/reason-codes.md) and a message to send back.
SELECT * FROM audit.quarantine_cluster_plans
UNION ALL BY NAME SELECT * FROM audit.quarantine_registrations
UNION ALL BY NAME SELECT * FROM audit.quarantine_spending
UNION ALL BY NAME SELECT * FROM audit.quarantine_outcomes
