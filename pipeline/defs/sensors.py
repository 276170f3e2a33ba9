"""Sensors: refresh when raw files change, and alert when a run fails.

`raw_files_sensor` looks at RAW_DATA_DIR every minute and compares the content hash of every
raw file with its cursor (path -> SHA-256, see pipeline/raw_changes.py; a file whose stat did
not change since the last tick is not read again). New, changed or
removed content requests a `refresh_warehouse` run keyed by the change (the content digests
before and after it), so a tick evaluated twice gets one run, and content that comes back
after another is rebuilt; a touched but unchanged file is no change. The run selects what the
changed sources need (pipeline/defs/jobs.changed_refresh); when the build database already
reflects every raw file (the first tick after `make run`), no run is requested.

`alert_on_run_failure` reacts to any failed run of this code location: it names the failed
steps, the failed checks with the rule they enforce, rejected files and whether the
warehouse was published (pipeline/alerts.py), logs that in the sensor's log and in the failed
run's own event log, appends it to `alerts.jsonl` in the instance folder (DAGSTER_HOME) and
POSTs it to ALERT_WEBHOOK_URL when that is set.
"""

from pathlib import Path

import dagster as dg

from pipeline import alerts, raw_changes
from pipeline.defs.jobs import REFRESH_JOB, changed_refresh
from pipeline.resources import WarehouseResource


@dg.sensor(
    name="raw_files_sensor",
    job_name=REFRESH_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a refresh when raw files are added, changed (by content) or removed; "
    "one run per change of the raw folder's content.",
)
def raw_files_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    raw_root = warehouse.settings().raw_data_dir
    previous = raw_changes.decode_cursor(context.cursor)
    state = raw_changes.snapshot(raw_root, previous)
    current = state.files
    if not current:
        # A missing or emptied folder (an unmounted share, say) must not trigger a refresh that
        # would publish an empty warehouse; the cursor keeps the last state seen.
        return dg.SkipReason(f"no raw files under {raw_root}; nothing to refresh")
    changes = raw_changes.compare(previous.files if previous else None, current)
    if not changes:
        # The same content; the new stats spare the next tick hashing touched files again.
        return dg.SensorResult(
            skip_reason=f"raw files unchanged ({len(current)} files, content {raw_changes.content_digest(current)[:12]})",
            cursor=raw_changes.encode_cursor(state),
        )
    try:
        landed = raw_changes.landed_files(warehouse.settings().build_database)
    except raw_changes.BuildDatabaseBusy:
        # The cursor is not moved on: the next tick looks at the same change again.
        return dg.SkipReason(f"raw files changed ({changes.counts()}); a refresh holds the build database, next tick")
    refresh = changed_refresh(state, landed, context.repository_def.asset_graph)
    if not refresh.sources:
        return dg.SensorResult(
            skip_reason=f"raw files changed since the last look ({changes.counts()}), but the warehouse "
            "already reflects them: nothing to run",
            cursor=raw_changes.encode_cursor(state),
        )
    key = raw_changes.run_key(previous.files if previous else None, current)
    context.log.info(f"raw files changed: {changes.summary()}; {refresh.describe()}; requesting run {key}")
    return dg.SensorResult(
        run_requests=[
            refresh.run_request(
                run_key=key,
                tags={
                    "raw/content_digest": raw_changes.content_digest(current)[:16],
                    "raw/changes": changes.counts(),
                },
            )
        ],
        cursor=raw_changes.encode_cursor(state),
    )


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="On any failed run of this code location: an alert naming failed steps, checks, "
    "rules and rejected files, to the logs, alerts.jsonl in DAGSTER_HOME and ALERT_WEBHOOK_URL.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    instance = context.instance
    records = instance.all_logs(
        run.run_id,
        of_type={
            dg.DagsterEventType.STEP_FAILURE,
            dg.DagsterEventType.ASSET_CHECK_EVALUATION,
            dg.DagsterEventType.ASSET_MATERIALIZATION,
        },
    )
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id) if run.execution_plan_snapshot_id else None
    alert = alerts.alert_from_events(
        run_id=run.run_id,
        job_name=run.job_name,
        events=[record.dagster_event for record in records if record.dagster_event is not None],
        step_targets=alerts.step_targets_from_plan(plan),
        run_error=context.failure_event.message or "",
        will_retry=run.tags.get("dagster/will_retry") == "true",
    )
    text = alert.text()
    context.log.error(text)
    # Also in the failed run's own log, where whoever opens the run in the UI sees it.
    instance.report_engine_event(f"Alert sent:\n{text}", run)
    alerts.append_alert(Path(instance.root_directory) / alerts.ALERTS_FILE_NAME, alert)
    url = alerts.webhook_url()
    if url:
        problem = alerts.post_alert(url, alert)
        if problem:
            context.log.warning(f"alert for run {run.run_id} not delivered to the webhook: {problem}")


defs = dg.Definitions(sensors=[raw_files_sensor, alert_on_run_failure])
