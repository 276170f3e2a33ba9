"""What the tests share: the checkout's paths, a private project environment, the real refresh
and read-only queries on what it wrote. (Fixtures are in conftest.py.)"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from pipeline.contract import SOURCES
from pipeline.defs.jobs import REFRESH_JOB

# The checkout the tests run in (the package may be installed elsewhere).
PROJECT_ROOT = Path(__file__).resolve().parents[1]

SAMPLE_RAW_DIR = PROJECT_ROOT / "data" / "raw"
TRUTH_PATH = PROJECT_ROOT / "tests" / "fixtures" / "sample_truth.json"
PATH_VARIABLES = ("RAW_DATA_DIR", "WAREHOUSE_PATH", "BUILD_DIR", "PII_KEY_FILE", "REPORTS_DIR")


@contextmanager
def project_environment(raw_dir: Path, work_dir: Path) -> Iterator[dict[str, Path]]:
    """Point the project's settings at `raw_dir` and a private build and warehouse folder."""
    paths = {
        "RAW_DATA_DIR": raw_dir,
        "WAREHOUSE_PATH": work_dir / "warehouse" / "cluster_programme.duckdb",
        "BUILD_DIR": work_dir / "build",
        "PII_KEY_FILE": work_dir / "secrets" / "pii_hash.key",
        "REPORTS_DIR": work_dir / "reports",
    }
    saved = {name: os.environ.get(name) for name in PATH_VARIABLES}
    os.environ.update({name: os.fspath(path) for name, path in paths.items()})
    try:
        yield paths
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dagster_cli_environment(tmp_path: Path) -> tuple[dict[str, str], dict[str, Path]]:
    """The environment of `dagster` CLI processes on a copy of the committed sample: a
    DAGSTER_HOME with the project's dagster.yaml, and every folder of the project's settings under
    `tmp_path`. Returns the environment and its paths."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    paths = {
        "DAGSTER_HOME": home,
        "RAW_DATA_DIR": raw,
        "WAREHOUSE_PATH": tmp_path / "warehouse" / "cluster_programme.duckdb",
        "BUILD_DIR": tmp_path / "build",
        "PII_KEY_FILE": tmp_path / "secrets" / "pii_hash.key",
        "REPORTS_DIR": tmp_path / "reports",
    }
    env = {
        **os.environ,
        **{name: os.fspath(path) for name, path in paths.items()},
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    return env, paths


def query_read_only(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a warehouse file opened read-only, as an analyst opens it."""
    connection = duckdb.connect(os.fspath(database), read_only=True)
    try:
        return connection.execute(sql, params or []).fetchall()
    finally:
        connection.close()


def fiscal_year_rollup(database: Path) -> list[tuple]:
    return query_read_only(database, "SELECT * FROM marts.fiscal_year_rollup ORDER BY fiscal_year")


def run_refresh(instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    from pipeline.definitions import defs

    job = defs.resolve_job_def(REFRESH_JOB)
    return job.execute_in_process(instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False)


@dataclass
class Materialised:
    result: dg.ExecuteInProcessResult
    warehouse_path: Path
    build_database: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows from the analysts' warehouse."""
        return query_read_only(self.warehouse_path, sql, params)

    def query_build(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows from the build database (landing, staging, build state: the restricted tier)."""
        return query_read_only(self.build_database, sql, params)

    def frame(self, sql: str, params: list | None = None):
        connection = duckdb.connect(os.fspath(self.warehouse_path), read_only=True)
        try:
            return connection.sql(sql, params=params or None).pl()
        finally:
            connection.close()


SOURCE_NAMES = tuple(source.name for source in SOURCES)
# What warehouse_state compares: every core and mart table by checksum.
CHECKSUM_TABLES = (
    "core.dim_cluster", "core.dim_enterprise", "core.fct_registration", "core.fct_spending", "core.fct_outcome",
    "marts.cluster_outcomes", "marts.fiscal_year_rollup", "marts.province_outcomes", "marts.spending_by_channel",
)

def warehouse_state(path: Path) -> dict:
    """What must equal a clean refresh: table checksums, row counts, quarantine and manifest,
    from the warehouse at `path` and the build database of the same work folder."""
    # The layout of project_environment: <work>/warehouse/<file>, <work>/build/<file>.
    build = duckdb.connect(os.fspath(path.parent.parent / "build" / "cluster_programme.build.duckdb"), read_only=True)
    try:
        state = {}
        for source in SOURCE_NAMES:
            state[f"landing.{source}"] = build.execute(f"SELECT count(*) FROM landing.{source}").fetchall()[0][0]
            state[f"staging.{source}"] = build.execute(f"SELECT count(*) FROM staging.{source}").fetchall()[0][0]
    finally:
        build.close()
    connection = duckdb.connect(os.fspath(path), read_only=True)
    try:
        def one(sql):
            return connection.execute(sql).fetchall()[0][0]

        state |= {
            table: one(f"SELECT md5(string_agg(md5(t::VARCHAR), ',' ORDER BY md5(t::VARCHAR))) FROM {table} t")
            for table in CHECKSUM_TABLES
        }
        state["audit.quarantine"] = one(
            "SELECT md5(string_agg(concat_ws('|', source_file, row_number, reason_codes::VARCHAR, duplicate_of), ','"
            " ORDER BY source_file, row_number)) FROM audit.quarantine"
        )
        # A removed file stays listed as `removed` after an incremental refresh; a refresh from
        # scratch never saw it. Everything else must match.
        state["audit.file_manifest"] = connection.execute(
            "SELECT source_file, status, reason_code, rows_read, rows_staged, rows_quarantined, reconciled "
            "FROM audit.file_manifest WHERE status <> 'removed' ORDER BY source_file"
        ).fetchall()
        return state
    finally:
        connection.close()
