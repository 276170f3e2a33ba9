"""A refresh from scratch is deterministic: two refreshes of the same raw files into fresh build
and warehouse folders (with the same PII key, which is kept outside the warehouse) give the same
core and mart tables, the same landing and staging row counts, quarantine and file manifest, and
byte-identical CSV exports. (An unchanged incremental refresh is covered by
test_incremental_and_bad_files.py; a refresh after a killed one by test_faults_killed_runs.py.)
"""

import shutil

from support import SAMPLE_RAW_DIR, project_environment, run_refresh, warehouse_state


def test_two_refreshes_from_scratch_are_identical(tmp_path, sample_warehouse):
    first_work = sample_warehouse.warehouse_path.parent.parent
    work = tmp_path / "work"
    (work / "secrets").mkdir(parents=True)
    shutil.copyfile(first_work / "secrets" / "pii_hash.key", work / "secrets" / "pii_hash.key")
    with project_environment(SAMPLE_RAW_DIR, work) as paths:
        result = run_refresh()
    assert result.success
    assert warehouse_state(paths["WAREHOUSE_PATH"]) == warehouse_state(sample_warehouse.warehouse_path)
    first_exports = first_work / "reports" / "exports"
    csv_files = sorted(p.name for p in first_exports.glob("*.csv"))
    assert csv_files and csv_files == sorted(p.name for p in (paths["REPORTS_DIR"] / "exports").glob("*.csv"))
    for name in csv_files:
        assert (paths["REPORTS_DIR"] / "exports" / name).read_bytes() == (first_exports / name).read_bytes(), name
