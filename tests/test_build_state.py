"""A refresh skips the work whose inputs did not change (pipeline/build_state.py) and still
leaves the tables a rebuild from scratch would: an unchanged refresh rebuilds no staging or
model table and validates nothing again; a new ledger rebuilds what depends on spending only;
either way every table equals that of a refresh from scratch of the same raw files."""

import os
import shutil

import duckdb
import pytest

from conftest import SAMPLE_RAW_DIR, Materialised, project_environment, run_refresh

SOURCES = ("cluster_plans", "registrations", "spending", "outcomes")
# Lineage of the run that loaded or last saw a row: differs between an incremental refresh and
# one from scratch by design.
VOLATILE_COLUMNS = {"_run_id", "run_id", "first_run_id", "last_run_id", "first_seen_at", "last_seen_at", "loaded_at"}
NEW_LEDGER = "spending/spending_2565_10.csv"
LEDGER_HEADER = "ปีงบประมาณ,เลขที่เอกสาร,วันที่,ประเภทรายการ,หน่วยงาน,รหัสคลัสเตอร์,กิจกรรม,ช่องทาง,รายการ,จำนวนเงิน (บาท)"


def _run(raw, work) -> Materialised:
    with project_environment(raw, work) as paths:
        result = run_refresh()
    return Materialised(result, paths["WAREHOUSE_PATH"], paths["BUILD_DIR"] / "cluster_programme.build.duckdb")


def _tables(run: Materialised) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every staging, audit, core and mart table."""
    connection = duckdb.connect(os.fspath(run.warehouse_path), read_only=True)
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


def _rebuilt(run: Materialised) -> dict[str, bool]:
    """Asset -> whether the step rebuilt it (metadata `rebuilt` of its materialisation)."""
    rebuilt = {}
    for event in run.result.all_events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            if "rebuilt" in materialization.metadata:
                rebuilt["/".join(materialization.asset_key.path)] = materialization.metadata["rebuilt"].value
    return rebuilt


def _validated_in(run: Materialised, source: str) -> set[str]:
    return {
        evaluation.metadata["validated_in_run"].value
        for evaluation in run.result.get_asset_check_evaluations()
        if evaluation.asset_key.path == ["staging", source] and "validated_in_run" in evaluation.metadata
    }


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory):
    root = tmp_path_factory.mktemp("build_state")
    raw, work = root / "raw", root / "work"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    first = _run(raw, work)
    unchanged = _run(raw, work)
    (raw / NEW_LEDGER).write_text(
        "\r\n".join(
            [LEDGER_HEADER]
            + [f"2565,NX65-{row:04d},0{row}/10/2565,เบิกจ่าย,กสอ.,,บริหารโครงการ,กสอ.,ค่าบริหารโครงการ,{row}000.00" for row in range(1, 6)]
        )
        + "\r\n",
        encoding="utf-8-sig",
    )
    new_ledger = _run(raw, work)
    # The same raw files from scratch, with the same PII key (so enterprise keys compare).
    scratch_work = root / "scratch"
    (scratch_work / "secrets").mkdir(parents=True)
    shutil.copyfile(work / "secrets" / "pii_hash.key", scratch_work / "secrets" / "pii_hash.key")
    scratch = _run(raw, scratch_work)
    return first, unchanged, new_ledger, scratch


def test_an_unchanged_refresh_rebuilds_and_validates_nothing(refreshes):
    first, unchanged, _, _ = refreshes
    assert unchanged.result.success
    rebuilt = _rebuilt(unchanged)
    for source in SOURCES:
        assert rebuilt[f"staging/{source}"] is False, source
        assert _validated_in(unchanged, source) == {first.result.run_id}, source
    # audit.file_manifest reads the file records, which note every refresh that saw the file.
    assert [name for name, was_rebuilt in rebuilt.items() if was_rebuilt] == ["audit/file_manifest"]
    assert _tables(unchanged) == _tables(first)


def test_a_new_ledger_rebuilds_what_depends_on_spending_only(refreshes):
    first, _, new_ledger, _ = refreshes
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


def test_every_refresh_leaves_the_tables_of_a_refresh_from_scratch(refreshes):
    _, _, new_ledger, scratch = refreshes
    assert scratch.result.success
    assert all(_rebuilt(scratch).values()), "a first refresh builds everything"
    assert _tables(new_ledger) == _tables(scratch)
