"""The README's analyst commands work as written, and the analysts' file opens in the oldest
DuckDB client the project claims (pipeline/tiers.ANALYST_STORAGE_VERSION)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.tiers import ANALYST_STORAGE_VERSION

from support import PROJECT_ROOT, copy_build

README = PROJECT_ROOT / "README.md"
# Installed by `make test` beside the environment (Makefile: OLDEST_DUCKDB_CLI).
OLDEST_CLIENT = Path(sys.prefix) / "clients" / "duckdb-1.4" / "bin" / "duckdb"
QUERY_SECTION = "## Query the warehouse (read-only)"
BUILD_QUERY_PARAGRAPH = "A data engineer who wants the build as the steps see it"


def _readme_block(language: str, after: str = QUERY_SECTION) -> str:
    """The first fenced `language` block of the README after the text `after`, exactly as written."""
    section = README.read_text(encoding="utf-8").split(after, 1)[1]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert match, f"the README has no {language} block after {after!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def analyst_folder(sample_warehouse, tmp_path_factory) -> Path:
    """A folder laid out as a fresh clone after `make run`: the environment in `.venv` and the
    published warehouse at its default path."""
    folder = tmp_path_factory.mktemp("clone")
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    warehouse = folder / "data" / "warehouse" / "cluster_programme.duckdb"
    warehouse.parent.mkdir(parents=True)
    shutil.copyfile(sample_warehouse.warehouse_path, warehouse)
    return folder


def _rollup_years(output: str) -> list[str]:
    return re.findall(r"\b(2564|2565)\b", output)


def test_the_readme_duckdb_command_prints_the_rollup(analyst_folder):
    command = _readme_block("bash")
    assert command.lstrip().startswith(".venv/bin/duckdb -readonly data/warehouse/cluster_programme.duckdb")
    finished = subprocess.run(["bash", "-c", command], cwd=analyst_folder, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert "active_clusters" in finished.stdout and "19000000.00" in finished.stdout
    assert {"2564", "2565"} <= set(_rollup_years(finished.stdout))


def test_the_readme_command_for_the_build_as_the_steps_see_it_runs(sample_warehouse, tmp_path):
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    (tmp_path / "data" / "build").mkdir(parents=True)
    copy_build(sample_warehouse.build_database, tmp_path / "data" / "build" / sample_warehouse.build_database.name)
    command = _readme_block("bash", after=BUILD_QUERY_PARAGRAPH)
    finished = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    ((staged_lines,),) = sample_warehouse.query("SELECT count(*) FROM core.fct_spending")
    assert re.search(rf"\b{staged_lines}\b", finished.stdout), finished.stdout


def test_the_readme_python_snippet_runs(analyst_folder):
    snippet = _readme_block("python")
    finished = subprocess.run(
        [sys.executable, "-c", snippet], cwd=analyst_folder, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert finished.returncode == 0, finished.stderr
    assert "rank_value_per_baht" in finished.stdout and "2564" in finished.stdout


def test_the_analysts_file_opens_in_the_oldest_claimed_duckdb(sample_warehouse):
    assert OLDEST_CLIENT.is_file(), f"{OLDEST_CLIENT} is missing: `make test` installs it"
    version = subprocess.run([OLDEST_CLIENT, "--version"], capture_output=True, text=True, check=True).stdout
    # The client is the release the storage format names (v1.4.0 -> DuckDB 1.4.x).
    assert version.startswith(ANALYST_STORAGE_VERSION.rsplit(".", 1)[0] + "."), version
    finished = subprocess.run(
        [OLDEST_CLIENT, "-readonly", "-csv", os.fspath(sample_warehouse.warehouse_path),
         "SELECT fiscal_year, active_clusters, enterprises FROM marts.fiscal_year_rollup ORDER BY fiscal_year; "
         "SELECT storage_version FROM audit.publication;"],
        capture_output=True, text=True, timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == [
        "fiscal_year,active_clusters,enterprises", "2564,29,680", "2565,34,700", "storage_version", ANALYST_STORAGE_VERSION,
    ]
