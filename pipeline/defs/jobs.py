"""The refresh job and its nightly schedule."""

import dagster as dg

# Every step runs in the `duckdb_build` pool, one at a time, so separate step processes buy no
# parallelism and cost several seconds of start-up each; the pool is enforced in-process too.
refresh_warehouse = dg.define_asset_job(
    "refresh_warehouse",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Land new or changed raw files, validate, rebuild the models and publish the warehouse.",
)

nightly_refresh = dg.ScheduleDefinition(
    name="nightly_refresh",
    job=refresh_warehouse,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Bangkok",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Bangkok time; unchanged raw files are not parsed again.",
)

# The in-process executor is also the default for runs launched from the UI ("Materialize all").
defs = dg.Definitions(jobs=[refresh_warehouse], schedules=[nightly_refresh], executor=dg.in_process_executor)
