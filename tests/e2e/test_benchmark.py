"""The benchmark command of the README at scale 1: it generates the data, runs the full, the
no-change and the one-new-month refreshes in fresh processes and the reading floor, and writes
its figures as JSON and as a row of the docs/performance.md table. (It measures; it asserts no
speed: the figures are read by people, see docs/performance.md.)"""

import json
import os
import subprocess
import sys

from support import PROJECT_ROOT


BENCH_TIMEOUT_SECONDS = 600


def test_the_benchmark_runs_at_scale_1_and_writes_its_figures(tmp_path):
    env = {**os.environ, "BENCH_DIR": os.fspath(tmp_path / "bench")}
    completed = subprocess.run(
        [sys.executable, "-m", "devtools.benchmark", "--scale", "1"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=BENCH_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    [result_file] = (tmp_path / "bench" / "results").glob("*-scale-1.json")
    results = json.loads(result_file.read_text(encoding="utf-8"))

    full, floor = results["full"], results["floor"]
    assert full["rows_landed"] == 15_875 and full["wall_seconds"] > 0 and full["peak_rss_mb"] > 0
    assert set(full["steps"]) >= {"land_spending", "validate_spending", "gx_spending", "warehouse__published"}
    assert floor["seconds"] > 0 and results["ratio_to_floor"] == round(full["wall_seconds"] / floor["seconds"], 2)
    # An unchanged refresh leaves every table as it was; the new month is loaded.
    assert results["no_change"]["identical_tables"] is True
    assert results["one_new_month"]["new_file_loaded"] is True
    # The publish to the file and to a DuckLake (local data path), from the same build, in the same run.
    for run in (full, results["one_new_month"]):
        assert run["publish_file_seconds"] > 0 and run["publish_lake_seconds"] > 0
        assert run["lake_committed"] is True and run["lake_data_mb"] > 0
    # The row for the docs table: its 12 columns, this run's commit and scale.
    row = next(line for line in completed.stdout.splitlines() if line.startswith("| 20"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert len(cells) == 12 and cells[1] == results["machine"]["commit"] and cells[2] == "1"
