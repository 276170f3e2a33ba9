"""Session fixtures: the truth of the committed sample, and that sample materialised once
through the real definitions (helpers in support.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from support import SAMPLE_RAW_DIR, TRUTH_PATH, Materialised, project_environment, run_refresh


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
