"""Upkeep of the DuckLake warehouse (pipeline/lake.py), when WAREHOUSE_DUCKLAKE is set: expire
snapshots older than the last WAREHOUSE_KEEP_VERSIONS publishes, delete the files only they
used, merge small files. A no-op for the file warehouse, whose publish keeps its own versions."""

import dagster as dg

from pipeline import lake
from pipeline.resources import WarehouseResource


@dg.op(description="Expire old DuckLake snapshots, delete their files, merge small files.")
def maintain_lake(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    settings = warehouse.settings()
    if not settings.warehouse_ducklake:
        context.log.info("WAREHOUSE_DUCKLAKE is not set: the warehouse is the file WAREHOUSE_PATH; nothing to maintain")
        return
    context.log.info(f"{settings.warehouse_ducklake}: {lake.maintain(settings)}")


@dg.job(description="Weekly upkeep of the DuckLake warehouse.")
def maintain_warehouse():
    maintain_lake()


weekly_maintenance = dg.ScheduleDefinition(
    name="weekly_maintenance",
    job=maintain_warehouse,
    cron_schedule="0 4 * * 0",
    execution_timezone="Asia/Bangkok",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Sundays at 04:00 Bangkok time, after the nightly refresh.",
)

defs = dg.Definitions(jobs=[maintain_warehouse], schedules=[weekly_maintenance])
