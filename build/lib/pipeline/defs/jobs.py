"""The refresh job and its nightly schedule."""

import dagster as dg

# The refresh's name, which sensors, alerts and the command line refer to.
REFRESH_JOB = "refresh_warehouse"

# Every step runs in one pool, one at a time (pipeline/steps.py), so separate step processes buy
# no parallelism and cost several seconds of start-up each.
refresh_warehouse = dg.define_asset_job(
    REFRESH_JOB,
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

defs = dg.Definitions(jobs=[refresh_warehouse], schedules=[nightly_refresh])
