"""The analysts' warehouse as a DuckLake with an embedded catalog (a DuckDB file) and data on
local disk, published by the real refresh beside the file: the same rollup through
`pipeline.analyst.connect()`, one snapshot per publish, none for an unchanged build, rollback to
the publish before, expiry of old snapshots, and a clear error for a catalog that cannot be
reached, which leaves the lake as it was."""

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline import lake
from pipeline.analyst import attach_script, connect
from pipeline.config import Settings
from support import SAMPLE_RAW_DIR, fiscal_year_rollup, project_environment, run_refresh

pytestmark = pytest.mark.slow

LEDGER = "spending/spending_2565_10.csv"
LEDGER_TEXT = (
    "ปีงบประมาณ,เลขที่เอกสาร,วันที่,ประเภทรายการ,หน่วยงาน,รหัสคลัสเตอร์,กิจกรรม,ช่องทาง,รายการ,จำนวนเงิน (บาท)\r\n"
    "2565,LK65-0001,03/10/2565,เบิกจ่าย,กสอ.,,บริหารโครงการ,กสอ.,ค่าบริหารโครงการ,1000000.00\r\n"
)
ROLLUP = "SELECT fiscal_year, spend_executed_thb FROM marts.fiscal_year_rollup ORDER BY fiscal_year"


def _refresh(raw, work, lake_dir, catalog=None):
    with project_environment(raw, work) as paths:
        os.environ["WAREHOUSE_DUCKLAKE"] = catalog or f"ducklake:{lake_dir / 'catalog.ducklake'}"
        os.environ["WAREHOUSE_DATA_PATH"] = os.fspath(lake_dir / "data") + os.sep
        try:
            result = run_refresh()
            settings = Settings.from_env()
        finally:
            os.environ.pop("WAREHOUSE_DUCKLAKE")
            os.environ.pop("WAREHOUSE_DATA_PATH")
    return result, settings, paths


def _lake_rows(settings, sql):
    connection = connect(settings)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def _snapshots(settings):
    return _lake_rows(settings, "SELECT snapshot_id, commit_message FROM ducklake_snapshots('lake') ORDER BY 1")


@pytest.fixture(scope="module")
def lake_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ducklake")
    raw, work, lake_dir = root / "raw", root / "work", root / "lake"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    lake_dir.mkdir()
    first, settings, paths = _refresh(raw, work, lake_dir)
    assert first.success
    first_file_rollup = fiscal_year_rollup(paths["WAREHOUSE_PATH"])
    first_lake = {
        "rollup": _lake_rows(settings, ROLLUP), "snapshots": _snapshots(settings),
        "whole_rollup": _lake_rows(settings, "SELECT * FROM marts.fiscal_year_rollup ORDER BY fiscal_year"),
    }
    unchanged, _, _ = _refresh(raw, work, lake_dir)
    after_unchanged = _snapshots(settings)
    (raw / LEDGER).write_text(LEDGER_TEXT, encoding="utf-8-sig")
    second, _, _ = _refresh(raw, work, lake_dir)
    second_lake = {"rollup": _lake_rows(settings, ROLLUP), "snapshots": _snapshots(settings)}
    return settings, first_file_rollup, first_lake, unchanged, after_unchanged, second, second_lake, root


def test_the_lake_holds_the_analysts_tier_and_the_same_rollup_as_the_file(lake_runs):
    settings, file_rollup, first_lake, *_ = lake_runs
    rollup = first_lake["whole_rollup"]
    connection = connect(settings)
    try:
        schemas = {s for (s,) in connection.execute(
            "SELECT DISTINCT schema_name FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()}
        (comment,) = connection.execute(
            "SELECT comment FROM duckdb_tables() WHERE database_name = 'lake' AND schema_name = 'marts' "
            "AND table_name = 'fiscal_year_rollup'").fetchone()
    finally:
        connection.close()
    assert rollup == file_rollup and len(rollup) == 2
    assert schemas == {"core", "marts", "audit"}, "no landing, staging or build state in the lake"
    assert comment
    # One snapshot for the whole publish, committed with the build's version.
    publishes = [message for _, message in first_lake["snapshots"] if message and message.startswith("publish ")]
    assert len(publishes) == 1


def test_an_unchanged_build_commits_no_snapshot_and_a_new_one_commits_one(lake_runs):
    _, _, first_lake, unchanged, after_unchanged, second, second_lake, _ = lake_runs
    assert unchanged.success and second.success
    assert after_unchanged == first_lake["snapshots"]
    assert len(second_lake["snapshots"]) == len(first_lake["snapshots"]) + 1
    assert second_lake["rollup"] != first_lake["rollup"]
    (year_2565_before,) = [spend for year, spend in first_lake["rollup"] if year == 2565]
    (year_2565_after,) = [spend for year, spend in second_lake["rollup"] if year == 2565]
    assert year_2565_after - year_2565_before == 1_000_000


def test_rollback_makes_the_publish_before_current_and_maintenance_expires_the_rest(lake_runs):
    settings, _, first_lake, *_, second_lake, _ = lake_runs
    restored = lake.rollback(settings)
    assert restored == max(s for s, m in first_lake["snapshots"] if m and m.startswith("publish "))
    assert _lake_rows(settings, ROLLUP) == first_lake["rollup"]
    with pytest.raises(lake.LakeError, match="no earlier publish"):
        lake.rollback(settings)
    done = lake.maintain(replace(settings, kept_versions=0))
    assert done["snapshots_expired"] >= 1
    assert _lake_rows(settings, ROLLUP) == first_lake["rollup"]


def test_the_cli_route_attaches_the_lake_read_only_in_the_duckdb_cli(lake_runs, tmp_path):
    settings, *_ = lake_runs
    script = attach_script(settings)
    assert "SET autoinstall_known_extensions = false;" in script
    assert f"ATTACH '{settings.warehouse_ducklake}' AS lake (READ_ONLY);" in script
    init = tmp_path / "attach.sql"
    init.write_text(script, encoding="utf-8")
    cli = Path(sys.executable).with_name("duckdb")
    completed = subprocess.run(
        [cli, "-init", init, "-csv", "-noheader", "-c", "SELECT count(*) FROM marts.fiscal_year_rollup"],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "2"


def test_an_unreachable_catalog_fails_the_publish_naming_it(lake_runs, tmp_path):
    *_, root = lake_runs
    missing = tmp_path / "no-such-socket-dir"
    catalog = f"ducklake:postgres:dbname=lake host={missing}"
    result, _, _ = _refresh(root / "raw", root / "work", root / "lake", catalog=catalog)
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert failure.step_key == "warehouse__published"
    assert catalog in failure.event_specific_data.error.to_string()
