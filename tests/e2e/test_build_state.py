"""A refresh skips the work whose inputs did not change (pipeline/build_state.py) and still
leaves the tables a rebuild from scratch would: an unchanged refresh rebuilds no staging or
model table and validates nothing again; a new ledger rebuilds what depends on spending only,
splitting and checking only its own rows; a back-filled ledger with a row that comes before a
staged one splits all rows again; every time, every table and every Great Expectations count
equals that of a refresh from scratch of the same raw files."""

import shutil

import pytest

from support import SAMPLE_RAW_DIR, Materialised, project_environment, run_refresh
from pipeline import tiers
from pipeline.validation.suites import load_suite

SOURCES = ("cluster_plans", "registrations", "spending", "outcomes")
# Lineage of the run that loaded or last saw a row: differs between an incremental refresh and
# one from scratch by design.
VOLATILE_COLUMNS = {"_run_id", "run_id", "first_run_id", "last_run_id", "first_seen_at", "last_seen_at", "loaded_at"}
NEW_LEDGER = "spending/spending_2565_10.csv"
# A month before the first ledger, sent late: its file sorts before every landed one.
BACKFILLED_LEDGER = "spending/spending_2563_09.csv"
LEDGER_HEADER = "ปีงบประมาณ,เลขที่เอกสาร,วันที่,ประเภทรายการ,หน่วยงาน,รหัสคลัสเตอร์,กิจกรรม,ช่องทาง,รายการ,จำนวนเงิน (บาท)"
# Documents of spending_2565_09.csv (office กสอ., budget year 2565), repeated by the new files.
REPEATED_BY_NEW_LEDGER = "HQ65-00720"
REPEATED_BY_BACKFILL = "HQ65-00721"


def _write_ledger(path, rows: list[str]) -> None:
    path.write_text("\r\n".join([LEDGER_HEADER, *rows]) + "\r\n", encoding="utf-8-sig")


def _run(raw, work) -> Materialised:
    with project_environment(raw, work) as paths:
        result = run_refresh()
    return Materialised(result, paths["WAREHOUSE_PATH"], paths["BUILD_DIR"] / "cluster_programme.build.duckdb")


def _tables(run: Materialised, database=None) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every staging, audit, core and mart table
    (of the build database, which holds them all, unless another `database` is named)."""
    connection = tiers.connect_build(database or run.build_database)
    try:
        columns = connection.execute(
            "SELECT schema_name, table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
            "WHERE schema_name IN ('staging', 'audit', 'core', 'marts') GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        return {
            f"{schema}.{table}": connection.execute(
                f"SELECT count(*), md5(string_agg(md5(row({', '.join(kept)})::VARCHAR), ',' "
                f"ORDER BY md5(row({', '.join(kept)})::VARCHAR))) FROM {schema}.{table}"
            ).fetchall()[0]
            for schema, table, names in columns
            if (kept := [f'"{n}"' for n in names if n not in VOLATILE_COLUMNS])
        }
    finally:
        connection.close()


def _file_identity(path) -> tuple[int, int]:
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def _rebuilt(run: Materialised) -> dict[str, bool]:
    """Asset -> whether the step rebuilt it (metadata `rebuilt` of its materialisation)."""
    rebuilt = {}
    for event in run.result.all_events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            if "rebuilt" in materialization.metadata:
                rebuilt["/".join(materialization.asset_key.path)] = materialization.metadata["rebuilt"].value
    return rebuilt


def _materialised(run: Materialised, asset: str, key: str):
    """Metadata value `key` of the materialisation of `asset` in the run."""
    for event in run.result.all_events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            if "/".join(materialization.asset_key.path) == asset:
                return materialization.metadata[key].value
    raise AssertionError(f"{asset} was not materialised")


def _build_mode(run: Materialised, asset: str) -> str:
    return _materialised(run, asset, "build_mode")


def _check_counts(run: Materialised, source: str) -> dict[str, tuple]:
    """Check name -> (passed, element count, unexpected count, unexpected %) of a source's GX checks."""
    counts = {}
    for evaluation in run.result.get_asset_check_evaluations():
        if evaluation.asset_key.path == ["staging", source] and "element_count" in evaluation.metadata:
            metadata = evaluation.metadata
            percent = metadata["unexpected_percent"].value
            counts[evaluation.check_name] = (
                evaluation.passed, metadata["element_count"].value, metadata["unexpected_count"].value,
                None if percent is None else round(percent, 9),
            )
    return counts


def _validated_in(run: Materialised, source: str) -> set[str]:
    return {
        evaluation.metadata["validated_in_run"].value
        for evaluation in run.result.get_asset_check_evaluations()
        if evaluation.asset_key.path == ["staging", source] and "validated_in_run" in evaluation.metadata
    }


def _scratch(raw, root, name, key_from) -> Materialised:
    """A refresh from scratch of a copy of `raw`, with the same PII key (so enterprise keys compare)."""
    scratch_raw, scratch_work = root / f"{name}_raw", root / name
    shutil.copytree(raw, scratch_raw)
    (scratch_work / "secrets").mkdir(parents=True)
    shutil.copyfile(key_from / "secrets" / "pii_hash.key", scratch_work / "secrets" / "pii_hash.key")
    return _run(scratch_raw, scratch_work)


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory):
    root = tmp_path_factory.mktemp("build_state")
    raw, work = root / "raw", root / "work"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    # Each refresh replaces the warehouse of the one before: its tables are taken at once.
    snapshots = {}
    first = _run(raw, work)
    snapshots["first"] = _tables(first)
    snapshots["first_warehouse"] = _file_identity(first.warehouse_path)
    unchanged = _run(raw, work)
    snapshots["unchanged"] = _tables(unchanged)
    snapshots["unchanged_warehouse"] = _file_identity(unchanged.warehouse_path)
    _write_ledger(
        raw / NEW_LEDGER,
        [f"2565,NX65-{row:04d},0{row}/10/2565,เบิกจ่าย,กสอ.,,บริหารโครงการ,กสอ.,ค่าบริหารโครงการ,{row}000.00" for row in range(1, 6)]
        + [f"2565,{REPEATED_BY_NEW_LEDGER},02/10/2565,เบิกจ่าย,กสอ.,,บริหารโครงการ,กสอ.,ค่าบริหารโครงการ,100.00"],
    )
    new_ledger = _run(raw, work)
    snapshots["new_ledger"] = _tables(new_ledger)
    snapshots["new_ledger_published"] = _tables(new_ledger, new_ledger.warehouse_path)
    snapshots["new_ledger_quarantine"] = new_ledger.query_build(
        "SELECT message, raw_values FROM audit.quarantine_spending WHERE source_file = ?", [NEW_LEDGER]
    )
    scratch = _scratch(raw, root, "scratch", work)
    _write_ledger(
        raw / BACKFILLED_LEDGER,
        [f"2565,{REPEATED_BY_BACKFILL},01/09/2565,เบิกจ่าย,กสอ.,,บริหารโครงการ,กสอ.,ค่าบริหารโครงการ,200.00"],
    )
    backfilled = _run(raw, work)
    backfilled_scratch = _scratch(raw, root, "backfilled_scratch", work)
    return first, unchanged, new_ledger, scratch, backfilled, backfilled_scratch, snapshots


def test_an_unchanged_refresh_rebuilds_and_validates_nothing(refreshes):
    first, unchanged, *_ = refreshes
    assert unchanged.result.success
    rebuilt = _rebuilt(unchanged)
    for source in SOURCES:
        assert rebuilt[f"staging/{source}"] is False, source
        assert _validated_in(unchanged, source) == {first.result.run_id}, source
    assert [name for name, was_rebuilt in rebuilt.items() if was_rebuilt] == []
    assert refreshes[-1]["unchanged"] == refreshes[-1]["first"]


def test_an_unchanged_build_is_not_published_again(refreshes):
    first, unchanged, new_ledger, *_, snapshots = refreshes
    assert _materialised(first, "warehouse/published", "copied") is True
    # The analysts' file already held every table at the same version: left as it was.
    assert _materialised(unchanged, "warehouse/published", "copied") is False
    assert snapshots["unchanged_warehouse"] == snapshots["first_warehouse"]
    assert _materialised(new_ledger, "warehouse/published", "copied") is True
    versions = {_materialised(run, "warehouse/published", "database_version") for run in (first, unchanged, new_ledger)}
    assert len(versions) == 2
    # The report and the exports are made from the published warehouse: kept while it is.
    for output in ("reports/programme_report", "reports/mart_exports"):
        assert [_materialised(run, output, "rebuilt") for run in (first, unchanged, new_ledger)] == [True, False, True]


def test_a_new_ledger_rebuilds_what_depends_on_spending_only(refreshes):
    first, _, new_ledger, *_ = refreshes
    assert new_ledger.result.success
    rebuilt = _rebuilt(new_ledger)
    for table in ("staging/spending", "audit/quarantine_spending", "core/fct_spending", "marts/spending_by_channel",
                  "marts/cluster_outcomes", "marts/fiscal_year_rollup", "audit/quarantine", "audit/repairs"):
        assert rebuilt[table] is True, table
    for table in ("staging/registrations", "staging/outcomes", "staging/cluster_plans", "core/fct_registration",
                  "core/fct_outcome", "core/dim_enterprise", "core/dim_cluster"):
        assert rebuilt[table] is False, table
    assert _validated_in(new_ledger, "spending") == {new_ledger.result.run_id}
    assert _validated_in(new_ledger, "registrations") == {first.result.run_id}
    (lines,) = new_ledger.query("SELECT count(*) FROM core.fct_spending WHERE source_file = ?", [NEW_LEDGER])[0]
    assert lines == 5


def test_a_new_ledger_is_split_and_checked_on_its_own_rows(refreshes):
    _, _, new_ledger, scratch, *_, snapshots = refreshes
    assert _build_mode(new_ledger, "staging/spending") == "appended"
    assert _build_mode(new_ledger, "audit/quarantine_spending") == "appended"
    # The ledger fact takes the new file's rows too; what aggregates it is rebuilt.
    assert _build_mode(new_ledger, "core/fct_spending") == "appended"
    assert _build_mode(new_ledger, "marts/cluster_outcomes") == "rebuilt"
    assert _build_mode(scratch, "staging/spending") == "rebuilt"
    # The repeated document is quarantined as a repeat of the staged row, with its raw values.
    [(message, raw_values)] = snapshots["new_ledger_quarantine"]
    assert message == f"{NEW_LEDGER} row 7: duplicate_document (repeats spending/spending_2565_09.csv row 2)"
    assert REPEATED_BY_NEW_LEDGER in raw_values
    # Great Expectations' counts on the extended table: the recorded ones plus the new rows'.
    assert _check_counts(new_ledger, "spending") == _check_counts(scratch, "spending")
    assert len(_check_counts(new_ledger, "spending")) == len(load_suite("spending").expectations)


def test_a_backfilled_row_before_a_staged_one_splits_everything_again(refreshes):
    *_, backfilled, backfilled_scratch, _ = refreshes
    assert backfilled.result.success
    assert _build_mode(backfilled, "staging/spending") == "rebuilt"
    assert _build_mode(backfilled, "core/fct_spending") == "rebuilt"
    # The staged document of 2565_09 now repeats the back-filled row, which comes first.
    (duplicate_of,) = backfilled.query_build(
        "SELECT duplicate_of FROM audit.quarantine_spending WHERE source_file = 'spending/spending_2565_09.csv' "
        "AND row_number = 3"
    )[0]
    assert duplicate_of == f"{BACKFILLED_LEDGER} row 2"
    assert _check_counts(backfilled, "spending") == _check_counts(backfilled_scratch, "spending")


def test_every_refresh_leaves_the_tables_of_a_refresh_from_scratch(refreshes):
    _, _, _, scratch, backfilled, backfilled_scratch, snapshots = refreshes
    assert scratch.result.success and backfilled_scratch.result.success
    assert all(_rebuilt(scratch).values()), "a first refresh builds everything"
    assert snapshots["new_ledger"] == _tables(scratch)
    assert _tables(backfilled) == _tables(backfilled_scratch)


def test_a_publish_copies_the_built_tier_and_equals_one_from_scratch(refreshes):
    first, _, new_ledger, scratch, backfilled, backfilled_scratch, snapshots = refreshes
    # The publish copies the analysts' tier the build wrote (it never re-encodes the tables).
    for run in (first, new_ledger, backfilled):
        assert _materialised(run, "warehouse/published", "written_as") == "copied"
    # What analysts read equals a publish of a refresh from scratch (but for which run published it, when).
    def published(tables: dict) -> dict:
        return {name: value for name, value in tables.items() if name != "audit.publication"}

    assert published(snapshots["new_ledger_published"]) == published(_tables(scratch, scratch.warehouse_path))
    assert published(_tables(backfilled, backfilled.warehouse_path)) == published(
        _tables(backfilled_scratch, backfilled_scratch.warehouse_path)
    )
    assert len(published(snapshots["new_ledger_published"])) >= 15
