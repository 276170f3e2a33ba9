"""The refresh job, the selection a refresh of changed raw files runs, and the nightly schedule.

The sensor (pipeline/defs/sensors.py), the schedule and `python -m pipeline.run --changed-only`
ask the same question, `changed_refresh`: which sources' raw files are not what the build
database landed (pipeline/raw_changes.py)? None: no run at all. Some: a run of their landing and
everything downstream of it, with those assets' checks; the other sources' steps are not
launched. All (or a build database not made yet): the whole job. "Materialize all" in the UI
still runs every asset; the steps whose inputs did not change keep their tables
(pipeline/change_tracking.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import duckdb

from pipeline import change_tracking, raw_changes, tiers
from pipeline.alerts import PUBLISHED_ASSET
from pipeline.contract import SOURCES
from pipeline.publish import recorded_version
from pipeline.resources import WarehouseResource

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


@dataclass(frozen=True)
class ChangedRefresh:
    """What a refresh of the raw folder's changes runs."""

    sources: list[str]  # the pending sources; empty: nothing to run
    asset_keys: list[dg.AssetKey] | None = None  # None: every asset of the job
    check_keys: list[dg.AssetCheckKey] | None = None

    def describe(self) -> str:
        if not self.sources:
            return "nothing changed"
        scope = "every asset" if self.asset_keys is None else f"{len(self.asset_keys)} assets"
        return f"raw files of {', '.join(self.sources)} changed: {scope}"

    def job(self, job: dg.JobDefinition) -> dg.JobDefinition:
        """`job` (the refresh job), narrowed to this selection, to run in this process."""
        if self.asset_keys is None:
            return job
        return job.get_subset(asset_selection=set(self.asset_keys), asset_check_selection=set(self.check_keys))

    def run_request(self, run_key: str | None = None, tags: dict[str, str] | None = None) -> dg.RunRequest:
        return dg.RunRequest(
            run_key=run_key, asset_selection=self.asset_keys, asset_check_keys=self.check_keys,
            tags={"raw/sources": ",".join(self.sources), **(tags or {})},
        )


def changed_refresh(
    state: raw_changes.Snapshot, landed: raw_changes.Landed, asset_graph
) -> ChangedRefresh:
    """The sources of `state` the build database (`landed`) does not reflect, and the assets and
    checks their refresh runs."""
    pending = raw_changes.pending_sources(state, landed)
    if len(pending) in (0, len(SOURCES)):
        return ChangedRefresh(pending)
    landing = [dg.AssetKey(["landing", name]) for source in pending for name in (source, f"{source}_files")]
    selection = dg.AssetSelection.assets(*landing).downstream()
    asset_keys = sorted(selection.resolve(asset_graph), key=lambda key: key.path)
    check_keys = sorted(
        dg.AssetSelection.checks_for_assets(*asset_keys).resolve_checks(asset_graph), key=lambda key: key.to_user_string()
    )
    return ChangedRefresh(pending, asset_keys, check_keys)


@dg.schedule(
    name="nightly_refresh",
    job=refresh_warehouse,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Bangkok",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Bangkok time: a run of what the changed raw files need "
    "(their sources' steps and everything downstream); none when no file changed.",
)
def nightly_refresh(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    settings = warehouse.settings()
    try:
        landed = raw_changes.landed_files(settings.build_database)
    except raw_changes.BuildDatabaseBusy as busy:
        return dg.SkipReason(f"a refresh is running ({busy}); it lands what changed")
    state = raw_changes.snapshot(settings.raw_data_dir, recorded=landed)
    if not state.files:
        return dg.SkipReason(f"no raw files under {settings.raw_data_dir}; nothing to refresh")
    refresh = changed_refresh(state, landed, context.repository_def.asset_graph)
    if not refresh.sources:
        return _nothing_changed(context, settings, len(state.files))
    context.log.info(refresh.describe())
    return refresh.run_request()


def warehouse_holds_build(settings) -> bool:
    """Whether the published warehouse records the version of the current build's analysts' tier."""
    connection = tiers.connect_build(settings.build_database)
    try:
        version = change_tracking.database_version(connection)
    finally:
        connection.close()
    return version is not None and version == recorded_version(settings.warehouse_path)


def _nothing_changed(context: dg.ScheduleEvaluationContext, settings, raw_files: int) -> dg.SkipReason:
    """No run. When the warehouse holds the current build, that is recorded on it as a
    materialisation that says it was kept, so its freshness shows it current; when it does not
    (the last publish was blocked), nothing is recorded and its freshness turns red."""
    try:
        holds = warehouse_holds_build(settings)
    except duckdb.IOException as busy:  # a refresh took the build database since it was read
        return dg.SkipReason(f"a refresh is running ({busy}); it records its own outcome")
    if not holds:
        return dg.SkipReason(
            f"no raw file changed, but the published warehouse is not the current build (its last publish "
            f"was blocked or failed): nothing recorded, so {PUBLISHED_ASSET}'s freshness shows it"
        )
    context.instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=dg.AssetKey.from_user_string(PUBLISHED_ASSET),
            description=f"Kept: nothing changed. The warehouse still holds the current build of all {raw_files} "
            "raw files; nothing was written (checked by nightly_refresh).",
            metadata={"copied": False, "outcome": "kept: nothing changed", "raw_files": raw_files},
        )
    )
    return dg.SkipReason(f"nothing changed: the warehouse reflects all {raw_files} raw files; recorded as kept")


defs = dg.Definitions(jobs=[refresh_warehouse], schedules=[nightly_refresh])
