"""`python -m pipeline.run` as a data engineer sees it: a short output ending in a summary
(published, files, rows per source with the top reasons, duration, paths), Dagster's full log
in a file under the instance folder, a rejected file named in the summary, and the same figures
as a Markdown table on the published warehouse's page in the UI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import dagster as dg

from support import PROJECT_ROOT, SAMPLE_RAW_DIR

RUN_TIMEOUT_SECONDS = 600
MOST_LINES = 45


def test_the_command_line_shows_progress_and_ends_in_a_summary(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    # A file an office sent with no recognisable header: rejected as a whole.
    (raw / "registrations" / "garbled_upload.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": os.fspath(home),
        "RAW_DATA_DIR": os.fspath(raw),
        "WAREHOUSE_PATH": os.fspath(tmp_path / "warehouse" / "cluster_programme.duckdb"),
        "BUILD_DIR": os.fspath(tmp_path / "build"),
        "PII_KEY_FILE": os.fspath(tmp_path / "secrets" / "pii_hash.key"),
        "REPORTS_DIR": os.fspath(tmp_path / "reports"),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline.run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    assert len(lines) <= MOST_LINES, completed.stdout
    assert "DEBUG" not in completed.stdout + completed.stderr
    text = completed.stdout
    assert "Refresh succeeded; warehouse published." in text
    assert "Rejected files (1): registrations/garbled_upload.csv" in text
    for source in ("cluster_plans", "registrations", "spending", "outcomes"):
        assert any(line.startswith(source) for line in lines), source
    assert "duplicate_registration" in text  # a top reason of the sample's registrations
    assert lines[-1].startswith("Report: ") and "Full log: " in lines[-1]
    log = lines[-1].split("Full log: ")[1].strip()
    assert log.startswith(os.fspath(home / "logs"))
    assert "STEP_START" in open(log, encoding="utf-8").read()
    # The same figures in the UI, on the published warehouse's page.
    instance = dg.DagsterInstance.from_config(os.fspath(home))
    try:
        published = instance.get_latest_materialization_event(dg.AssetKey(["warehouse", "published"]))
        summary = published.asset_materialization.metadata["refresh_summary"].value
    finally:
        instance.dispose()
    assert "**Warehouse published: a new version written.**" in summary
    assert "| registrations/garbled_upload.csv | No header row in the first 10 rows (`header_not_found`) |" in summary
    assert "The enterprise is registered twice in the year (`duplicate_registration`) 41" in summary
    assert any(line.startswith("| registrations | 24 | 1 | 1,380 |") for line in summary.splitlines()), summary
    # A second run with nothing changed, on the nightly path: no run, and it says so.
    again = subprocess.run(
        [sys.executable, "-m", "pipeline.run", "--changed-only"], cwd=PROJECT_ROOT, env=env, capture_output=True,
        text=True, timeout=RUN_TIMEOUT_SECONDS,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Nothing changed: no run was needed" in again.stdout
