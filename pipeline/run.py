"""The main job from the command line: materialise everything, then print the rollup.

    python -m pipeline.run

Runs the `refresh_warehouse` job of the real definitions in this process, on the instance of
DAGSTER_HOME (the Makefile sets it), and prints `marts.fiscal_year_rollup` read from the
published warehouse, opened read-only as an analyst would.
"""

from __future__ import annotations

import os
import sys

import dagster as dg
import duckdb

from pipeline.config import Settings
from pipeline.definitions import defs

REFRESH_JOB = "refresh_warehouse"


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


def main() -> int:
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def(REFRESH_JOB).execute_in_process(instance=instance, raise_on_error=False)
    if not result.success:
        failed = [event.step_key for event in result.all_events if event.is_step_failure]
        print(f"run {result.run_id} failed; failed steps: {', '.join(failed) or 'none'}", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    print_rollup(settings.warehouse_path)
    report = settings.reports_dir / "programme_report.html"
    if report.exists():
        print(f"Report: {report}\nExports: {settings.reports_dir / 'exports'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
