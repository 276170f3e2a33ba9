"""An analyst holds the published warehouse open through a whole refresh.

The analyst is a separate process with a read-only connection, querying in a loop while a
refresh runs as another process (`python -m pipeline.run`) and publishes new data. Shown:

- the refresh is not blocked by the open reader, and publishes;
- every query the analyst's open connection ran, before, during and after the publish, saw
  the same snapshot, without an error;
- a new connection (from another process, or from the analyst's after closing the old one)
  sees the new data;
- a second connection opened in the *same* process while the first is still open shares the
  first one's database (DuckDB caches open databases by path), so it still sees the old data:
  analysts who want the new version close their connections first (docs/reliability.md).

(Two refreshes at once are covered by test_concurrency.py.)
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import duckdb
import pytest

from support import PROJECT_ROOT, SAMPLE_RAW_DIR

REMOVED_FILE = "spending/spending_2564_05.csv"
RUN_TIMEOUT_SECONDS = 600

ANALYST = textwrap.dedent(
    """
    import json, select, sys
    import duckdb

    QUERIES = {
        "rollup": "SELECT md5(string_agg(t::VARCHAR, ',' ORDER BY fiscal_year)) FROM marts.fiscal_year_rollup t",
        "spending_rows": "SELECT count(*) FROM core.fct_spending",
        "spend": "SELECT sum(amount_thb)::VARCHAR FROM core.fct_spending",
        "manifest": "SELECT count(*) FROM audit.file_manifest",
    }

    def snapshot(connection):
        return {name: connection.execute(sql).fetchall()[0][0] for name, sql in QUERIES.items()}

    path = sys.argv[1]
    connection = duckdb.connect(path, read_only=True)
    before = snapshot(connection)
    print(json.dumps({"before": before}), flush=True)
    reads, differing, errors = 0, 0, []
    while not select.select([sys.stdin], [], [], 0.02)[0]:  # until told the refresh is over
        try:
            differing += snapshot(connection) != before
            reads += 1
        except Exception as error:  # noqa: BLE001 - reported to the test
            errors.append(repr(error))
    sys.stdin.readline()
    same_connection = snapshot(connection)
    second = duckdb.connect(path, read_only=True)
    second_connection_same_process = snapshot(second)
    second.close()
    connection.close()
    fresh = duckdb.connect(path, read_only=True)
    after_closing = snapshot(fresh)
    fresh.close()
    print(json.dumps({
        "reads": reads, "differing": differing, "errors": errors[:5],
        "same_connection": same_connection,
        "second_connection_same_process": second_connection_same_process,
        "after_closing": after_closing,
    }), flush=True)
    """
)


def _snapshot(path) -> dict:
    connection = duckdb.connect(os.fspath(path), read_only=True)
    try:
        return {
            "rollup": connection.execute(
                "SELECT md5(string_agg(t::VARCHAR, ',' ORDER BY fiscal_year)) FROM marts.fiscal_year_rollup t"
            ).fetchall()[0][0],
            "spending_rows": connection.execute("SELECT count(*) FROM core.fct_spending").fetchall()[0][0],
            "spend": connection.execute("SELECT sum(amount_thb)::VARCHAR FROM core.fct_spending").fetchall()[0][0],
            "manifest": connection.execute("SELECT count(*) FROM audit.file_manifest").fetchall()[0][0],
        }
    finally:
        connection.close()


@pytest.mark.slow
def test_an_open_reader_keeps_its_snapshot_through_a_refresh_and_new_connections_see_the_new_data(
    tmp_path, sample_warehouse
):
    # Published before: the whole sample. The refresh: the sample without one spending month.
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    (raw / REMOVED_FILE).unlink()
    warehouse = tmp_path / "warehouse" / "cluster_programme.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(sample_warehouse.warehouse_path, warehouse)
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    env.update(
        RAW_DATA_DIR=os.fspath(raw),
        WAREHOUSE_PATH=os.fspath(warehouse),
        BUILD_DIR=os.fspath(tmp_path / "build"),
        PII_KEY_FILE=os.fspath(tmp_path / "secrets" / "pii_hash.key"),
        REPORTS_DIR=os.fspath(tmp_path / "reports"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    )

    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, os.fspath(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        first_line = analyst.stdout.readline()
        assert first_line, analyst.stderr.read()
        before = json.loads(first_line)["before"]
        assert before == _snapshot(sample_warehouse.warehouse_path)

        refresh = subprocess.run(
            [sys.executable, "-m", "pipeline.run"], cwd=PROJECT_ROOT, env=env,
            capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
        )
        assert refresh.returncode == 0, refresh.stderr[-4000:]

        analyst.stdin.write("published\n")
        analyst.stdin.flush()
        report = json.loads(analyst.stdout.readline())
        assert analyst.wait(timeout=60) == 0, analyst.stderr.read()
    finally:
        if analyst.poll() is None:
            analyst.kill()
            analyst.wait()

    new = _snapshot(warehouse)  # a new connection in another process
    assert new != before and new["spending_rows"] < before["spending_rows"], "the refresh published new data"
    assert report["errors"] == [] and report["differing"] == 0
    assert report["reads"] > 10, "the analyst kept reading during the refresh"
    assert report["same_connection"] == before, "the open connection kept its snapshot"
    assert report["after_closing"] == new, "a new connection after closing the old one sees the new data"
    # DuckDB caches databases by path inside a process: a second connection opened while the
    # first is open joins it and still sees the old version.
    assert report["second_connection_same_process"] == before
