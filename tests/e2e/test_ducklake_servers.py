"""The DuckLake warehouse on real servers the tests start themselves: the catalog in
PostgreSQL (Debian's postgresql, initdb in a temporary folder, a unix socket only), the data on
local disk or in S3 (moto's server on 127.0.0.1). The real refresh publishes to it; analysts read
it through `pipeline.analyst.connect()`; a reader keeps its snapshot through a publish; a
publish killed with SIGKILL commits nothing; an unreachable catalog or storage is a clear error
naming it, and the lake stays as it was."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest

from pipeline import tiers
from pipeline import lake
from pipeline.analyst import connect
from pipeline.config import Settings
from support import PROJECT_ROOT, SAMPLE_RAW_DIR, copy_build, fiscal_year_rollup, project_environment, run_refresh, temporary_environment

pytestmark = pytest.mark.slow

ROLLUP = "SELECT * FROM marts.fiscal_year_rollup ORDER BY fiscal_year"
LEDGER = "spending/spending_2565_10.csv"
LEDGER_TEXT = (
    "ปีงบประมาณ,เลขที่เอกสาร,วันที่,ประเภทรายการ,หน่วยงาน,รหัสคลัสเตอร์,กิจกรรม,ช่องทาง,รายการ,จำนวนเงิน (บาท)\r\n"
    "2565,LS65-0001,03/10/2565,เบิกจ่าย,กสอ.,,บริหารโครงการ,กสอ.,ค่าบริหารโครงการ,500000.00\r\n"
)
KILL_TIMEOUT_SECONDS = 60


def lake_environment(catalog: str, data_path: str, extra: dict | None = None):
    return temporary_environment({"WAREHOUSE_DUCKLAKE": catalog, "WAREHOUSE_DATA_PATH": data_path, **(extra or {})})


def _rows(settings, sql=ROLLUP):
    connection = connect(settings)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def _snapshot_ids(settings):
    return [snapshot for (snapshot,) in _rows(settings, "SELECT snapshot_id FROM ducklake_snapshots('lake') ORDER BY 1")]


@pytest.fixture(scope="module")
def lake_on_postgres(postgres, tmp_path_factory):
    """The sample refreshed and published to a lake whose catalog is in PostgreSQL, data on disk."""
    root = tmp_path_factory.mktemp("lake_postgres")
    raw, work = root / "raw", root / "work"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    catalog = f"ducklake:postgres:{postgres.create_database('lake_local')}"
    with lake_environment(catalog, os.fspath(root / "lake-data") + os.sep), project_environment(raw, work) as paths:
        result = run_refresh()
        settings = Settings.from_env()
    assert result.success
    return raw, work, settings, paths


def test_the_refresh_publishes_to_a_postgres_catalog_with_the_file_backends_rollup(lake_on_postgres):
    _, _, settings, paths = lake_on_postgres
    assert _rows(settings) == fiscal_year_rollup(paths["WAREHOUSE_PATH"])
    schemas = {s for (s,) in _rows(settings, "SELECT DISTINCT schema_name FROM duckdb_tables() WHERE database_name = 'lake'")}
    assert schemas == {"core", "marts", "audit"}


def test_a_reader_keeps_its_snapshot_through_a_publish_and_sees_the_next_after(lake_on_postgres):
    raw, work, settings, _ = lake_on_postgres
    reader = connect(settings)
    try:
        reader.execute("BEGIN")
        before = reader.execute(ROLLUP).fetchall()
        (raw / LEDGER).write_text(LEDGER_TEXT, encoding="utf-8-sig")
        with lake_environment(settings.warehouse_ducklake, settings.warehouse_data_path), project_environment(raw, work):
            assert run_refresh().success
        assert reader.execute(ROLLUP).fetchall() == before, "the reader's transaction keeps its snapshot"
        reader.execute("COMMIT")
        after = reader.execute(ROLLUP).fetchall()
    finally:
        reader.close()
    assert after != before and after == _rows(settings)


# The child publishes for real and waits inside the transaction, once the tables are written,
# before the commit (the only test double: a real publish is too quick to be killed mid-way).
_SLOW_LAKE_PUBLISH = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pipeline.lake as lake_module
    from pipeline.config import Settings

    def written_then_wait(*args, **kwargs):
        print("half written", flush=True)
        time.sleep(600)

    lake_module.apply_comments = written_then_wait
    lake_module.publish_to_lake(Path(sys.argv[1]), Settings.from_env(), "killed")
    """
)


def test_a_publish_killed_mid_transaction_leaves_the_previous_snapshot_current(lake_on_postgres):
    _, work, settings, _ = lake_on_postgres
    snapshots, rollup = _snapshot_ids(settings), _rows(settings)
    # A build the lake does not hold yet: its version forgotten, so the publish writes everything.
    build = work / "build-copy.duckdb"
    copy_build(settings.build_database, build)
    connection = tiers.connect_build(build, read_only=False)
    connection.execute("DELETE FROM tracking.table_versions")
    connection.close()
    env = {**os.environ, "WAREHOUSE_DUCKLAKE": settings.warehouse_ducklake, "WAREHOUSE_DATA_PATH": settings.warehouse_data_path}
    child = subprocess.Popen([sys.executable, "-c", _SLOW_LAKE_PUBLISH, os.fspath(build)], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=env, cwd=PROJECT_ROOT)
    try:
        line = child.stdout.readline()
        assert line.strip() == "half written", line + child.stdout.read()
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=KILL_TIMEOUT_SECONDS) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert _snapshot_ids(settings) == snapshots
    assert _rows(settings) == rollup


def test_rollback_on_postgres_makes_the_publish_before_current(lake_on_postgres):
    _, _, settings, _ = lake_on_postgres
    rows_now = _rows(settings)
    lake.rollback(settings)
    assert _rows(settings) != rows_now


def test_a_lake_with_its_data_in_s3(postgres, s3, tmp_path):
    raw, work = tmp_path / "raw", tmp_path / "work"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    catalog = f"ducklake:postgres:{postgres.create_database('lake_s3')}"
    bucket = s3.create_bucket("cluster-programme")
    with lake_environment(catalog, bucket, s3.environment), project_environment(raw, work) as paths:
        result = run_refresh()
        settings = Settings.from_env()
        assert result.success
        assert _rows(settings) == fiscal_year_rollup(paths["WAREHOUSE_PATH"])
        (files,) = _rows(settings, "SELECT count(*) FROM ducklake_list_files('lake', 'fct_spending', schema => 'core')")[0]
        assert files >= 1
        (path,) = _rows(settings, "SELECT data_file FROM ducklake_list_files('lake', 'fct_spending', schema => 'core') LIMIT 1")[0]
        assert path.startswith(bucket)


def test_an_unreachable_catalog_or_storage_is_a_clear_error_and_the_lake_is_kept(lake_on_postgres, postgres, s3, tmp_path):
    _, _, settings, _ = lake_on_postgres
    snapshots = _snapshot_ids(settings)
    nowhere = replace(settings, warehouse_ducklake=f"ducklake:postgres:dbname=lake_local host={tmp_path / 'no-server'} user=postgres")
    with pytest.raises(lake.LakeError, match="could not open the DuckLake warehouse ducklake:postgres:dbname=lake_local"):
        lake.publish_to_lake(settings.build_database, nowhere)
    # Storage that does not answer: a bucket on a port nobody listens on.
    catalog = f"ducklake:postgres:{postgres.create_database('lake_no_s3')}"
    with lake_environment(catalog, "s3://cluster-programme/", {**s3.environment, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}):
        with pytest.raises(lake.LakeError, match="could not publish to the DuckLake warehouse") as error:
            lake.publish_to_lake(settings.build_database, Settings.from_env())
    assert "127.0.0.1:9" in str(error.value) or "s3://cluster-programme" in str(error.value), str(error.value)
    assert _snapshot_ids(settings) == snapshots


def test_a_catalog_dump_restored_into_a_new_database_reads_the_same_lake(lake_on_postgres, postgres, tmp_path):
    """docs/deployment.md's backup and restore: pg_dump of the catalog, pg_restore into a new
    database, and the lake (same data files) reads as of the dump."""
    from support import POSTGRES_BIN

    _, _, settings, _ = lake_on_postgres
    rollup = _rows(settings)
    dump = tmp_path / "catalog.dump"
    server = ["-h", str(postgres.socket_dir), "-p", str(postgres.port), "-U", postgres.user]
    subprocess.run([POSTGRES_BIN / "pg_dump", *server, "-Fc", "-f", dump, "lake_local"], check=True, capture_output=True)
    postgres.create_database("lake_restored")
    subprocess.run([POSTGRES_BIN / "pg_restore", *server, "-d", "lake_restored", dump], check=True, capture_output=True)
    restored = replace(settings, warehouse_ducklake=f"ducklake:postgres:{postgres.connection_string('lake_restored')}")
    assert _rows(restored) == rollup
    assert _snapshot_ids(restored) == _snapshot_ids(settings)
