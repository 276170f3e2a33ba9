"""The main job from the command line: materialise everything, then print the rollup.

    python -m pipeline.run                  every asset (steps whose inputs did not change keep their tables)
    python -m pipeline.run --changed-only   the nightly path: only what the changed raw files need,
                                            nothing at all when none changed (pipeline/defs/jobs.py)
    python -m pipeline.run --dagster-log    Dagster's full log on stderr as well

Runs the `refresh_warehouse` job of the real definitions in this process, on the instance of
DAGSTER_HOME (the Makefile sets it), showing a line per step that took a second or more and
every warning or failure (pipeline/terminal.py; Dagster's full log goes to a file under the
instance folder, named at the end). It then prints `marts.fiscal_year_rollup` read from the
published warehouse, opened read-only as an analyst would, and a summary: published or not and
why not, files, rows per source with the top reasons, duration and paths. A failed run exits 1
after the same summary.

With RUN_TIMINGS_FILE set, it also writes the run's step timings there as JSON (read from the
run's event log; `python -m devtools.benchmark` uses them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb

from pipeline import raw_changes, terminal
from pipeline.config import Settings
from pipeline.definitions import defs
from pipeline.defs.jobs import REFRESH_JOB, changed_refresh

TIMINGS_FILE_ENV = "RUN_TIMINGS_FILE"
_STEP_ENDS = {dg.DagsterEventType.STEP_SUCCESS: "success", dg.DagsterEventType.STEP_FAILURE: "failure"}


def print_rollup(warehouse_path) -> None:
    connection = duckdb.connect(os.fspath(warehouse_path), read_only=True)
    try:
        rollup = connection.sql(
            """
            SELECT fiscal_year, fiscal_year_ce, active_clusters, enterprises,
                   budget_allocated_thb, spend_executed_thb, economic_value_thb, value_per_baht
            FROM marts.fiscal_year_rollup ORDER BY fiscal_year
            """
        )
        print(f"\nFiscal-year rollup ({warehouse_path}):")
        rollup.show(max_width=200)
    finally:
        connection.close()


def write_timings(path: str, instance: dg.DagsterInstance, run_id: str | None, success: bool, clock: dict) -> None:
    """Wall-clock marks of this process (epoch seconds) and each step's start and duration
    (run_id None: no run was needed, so no step)."""
    records = instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, *_STEP_ENDS}) if run_id else []
    started = {r.step_key: r.timestamp for r in records if r.dagster_event_type == dg.DagsterEventType.STEP_START}
    steps = [
        {"step": r.step_key, "status": _STEP_ENDS[r.dagster_event_type], "started_at": started.get(r.step_key),
         "seconds": round(r.timestamp - started.get(r.step_key, r.timestamp), 3)}
        for r in records
        if r.dagster_event_type in _STEP_ENDS
    ]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"run_id": run_id, "success": success, **clock, "steps": steps}, handle, indent=1)


def debug_log_path(instance: dg.DagsterInstance, settings: Settings) -> Path:
    """Where this refresh's full Dagster log goes: the instance folder (else beside the build)."""
    folder = Path(instance.root_directory) if os.environ.get("DAGSTER_HOME") else settings.build_dir
    return folder / "logs" / f"refresh-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.log"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--changed-only", action="store_true",
        help="run only what the raw files changed since the last refresh need, as the sensor and the nightly schedule do",
    )
    parser.add_argument(
        "--dagster-log", action="store_true",
        help="also print Dagster's full log (every event, DEBUG) on stderr, as Dagster's console logger does",
    )
    args = parser.parse_args(argv)
    clock = {"main_started_at": time.time()}
    settings = Settings.from_env()
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    report = settings.reports_dir / "programme_report.html"
    job = defs.resolve_job_def(REFRESH_JOB)
    if args.changed_only:
        try:
            landed = raw_changes.landed_files(settings.build_database)
        except raw_changes.BuildDatabaseBusy as busy:
            print(f"not started: {busy}", file=sys.stderr)
            return 1
        # Hashes the landing recorded hold for files whose stat did not change: not read again.
        state = raw_changes.snapshot(settings.raw_data_dir, recorded=landed)
        refresh = changed_refresh(state, landed, defs.resolve_asset_graph())
        print(f"{refresh.describe()} ({len(state.files)} raw files)")
        if not refresh.sources:
            if os.environ.get(TIMINGS_FILE_ENV):
                clock["execute_started_at"] = clock["execute_finished_at"] = time.time()
                write_timings(os.environ[TIMINGS_FILE_ENV], instance, None, True, clock)
            print("\n".join(terminal.summary_lines(
                None, settings.build_database, settings.warehouse_path, report, None, time.time() - clock["main_started_at"]
            )))
            return 0
        job = refresh.job(job)
    debug_log = debug_log_path(instance, settings)
    clock["execute_started_at"] = time.time()
    result = job.with_logger_defs(terminal.loggers(args.dagster_log)).execute_in_process(
        run_config=terminal.logger_run_config(debug_log, args.dagster_log), instance=instance, raise_on_error=False
    )
    clock["execute_finished_at"] = time.time()
    if os.environ.get(TIMINGS_FILE_ENV):
        write_timings(os.environ[TIMINGS_FILE_ENV], instance, result.run_id, result.success, clock)
    if result.success and settings.warehouse_path.exists():
        print_rollup(settings.warehouse_path)
    print()
    print("\n".join(terminal.summary_lines(
        result, settings.build_database, settings.warehouse_path, report, debug_log, time.time() - clock["main_started_at"],
        settings.feedback_dir,
    )))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
