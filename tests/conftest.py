"""Session fixtures: the truth of the committed sample, and that sample materialised once
through the real definitions (helpers in support.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from support import SAMPLE_RAW_DIR, TRUTH_PATH, Materialised, postgres_server, project_environment, run_refresh, s3_server


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


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of the tests' own (Debian's postgresql; initdb in a temporary folder)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3():
    """moto's S3 server on 127.0.0.1, on a free port."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the test output
    with s3_server() as server:
        yield server
