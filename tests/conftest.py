"""Shared fixtures: a full materialisation of the committed sample through the real definitions."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.config import PROJECT_ROOT

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

    job = defs.resolve_job_def("refresh_warehouse")
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


@pytest.fixture(scope="session")
def truth() -> dict:
    return json.loads(TRUTH_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> Iterator[Materialised]:
    """The committed sample, materialised once per test session into a temporary folder."""
    work_dir = tmp_path_factory.mktemp("sample_warehouse")
    with project_environment(SAMPLE_RAW_DIR, work_dir) as paths:
        result = run_refresh()
        assert result.success, "the full materialisation of the committed sample failed"
        yield Materialised(result, paths["WAREHOUSE_PATH"], paths["BUILD_DIR"] / "cluster_programme.build.duckdb")
