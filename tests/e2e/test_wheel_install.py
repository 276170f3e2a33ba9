"""The package installs as a wheel (`pip install .`, not editable) into a fresh environment, and
the refresh runs from another folder with RAW_DATA_DIR pointing at the sample: everything it
reads (sql/, suites, catalog, reference data, templates) comes from the installed package.

The fresh environment gets the project only; its dependencies are those of the test
environment, seen through a path file, so nothing is downloaded.
"""

import os
import site
import subprocess
import sys
import sysconfig

import duckdb
import pytest

from support import PROJECT_ROOT, SAMPLE_RAW_DIR

pytestmark = pytest.mark.slow

INSTALL_TIMEOUT_SECONDS = 300
RUN_TIMEOUT_SECONDS = 600


def _run(command, **kwargs) -> subprocess.CompletedProcess:
    completed = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert completed.returncode == 0, f"{' '.join(map(str, command))}:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return completed


def test_a_wheel_install_runs_the_refresh_from_another_folder(tmp_path):
    env_dir = tmp_path / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir], timeout=INSTALL_TIMEOUT_SECONDS)
    python = env_dir / "bin" / "python"
    # The dependencies (and the build backend): the test environment's site-packages, after the fresh one's own.
    fresh_site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    outer_sites = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    with open(os.path.join(fresh_site, "test_dependencies.pth"), "w", encoding="utf-8") as pth:
        pth.write("\n".join(dict.fromkeys(outer_sites)) + "\n")

    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-build-isolation", "-q", PROJECT_ROOT],
        timeout=INSTALL_TIMEOUT_SECONDS, cwd=tmp_path,
    )

    # The wheel holds the package and its data, and no development tools.
    installed = _run([python, "-c", "import pipeline, pipeline.config as c; print(pipeline.__file__); print(c.SQL_DIR)"],
                     cwd=tmp_path).stdout.splitlines()
    assert all(line.startswith(fresh_site) for line in installed), installed
    for packaged in (("sql", "marts", "fiscal_year_rollup.sql"), ("sql", "checks", "audit", "file_manifest",
                     "every_row_accounted_for.sql"), ("expectations", "spending.json"), ("catalog.yml",),
                     ("reference", "th_provinces.csv"), ("report", "templates", "programme_report.html.j2")):
        assert os.path.isfile(os.path.join(fresh_site, "pipeline", *packaged)), packaged
    assert not os.path.exists(os.path.join(fresh_site, "devtools"))
    assert _run([python, "-c", "import importlib.util; print(importlib.util.find_spec('devtools'))"],
                cwd=tmp_path).stdout.strip() == "None"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "WAREHOUSE_PATH", "BUILD_DIR", "PII_KEY_FILE", "REPORTS_DIR")
    }
    env |= {"RAW_DATA_DIR": os.fspath(SAMPLE_RAW_DIR), "DAGSTER_HOME": os.fspath(home)}
    completed = _run([python, "-m", "pipeline.run"], cwd=elsewhere, env=env, timeout=RUN_TIMEOUT_SECONDS)
    assert "Fiscal-year rollup" in completed.stdout

    # Everything it wrote is under the folder it ran in, by the default settings.
    warehouse = elsewhere / "data" / "warehouse" / "cluster_programme.duckdb"
    assert (elsewhere / "data" / "build" / "cluster_programme.build.duckdb").is_file()
    assert (elsewhere / "data" / "reports" / "programme_report.html").is_file()
    connection = duckdb.connect(os.fspath(warehouse), read_only=True)
    try:
        rollup = connection.execute(
            "SELECT fiscal_year, active_clusters, enterprises, budget_allocated_thb FROM marts.fiscal_year_rollup ORDER BY 1"
        ).fetchall()
    finally:
        connection.close()
    assert [(year, clusters) for year, clusters, _, _ in rollup] == [(2564, 29), (2565, 34)]
    assert rollup[0][2] == 680 and int(rollup[0][3]) == 19_000_000 and int(rollup[1][3]) == 17_000_000
