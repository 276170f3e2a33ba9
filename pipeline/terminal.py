"""What a refresh run from the command line shows: progress, then a short summary.

Dagster's own console log (one 240-character DEBUG line per event) goes to a file under the
instance folder instead (`debug_file_logger`). The terminal gets, from `progress_logger`, one
line per step that took at least SHOWN_STEP_SECONDS (the step, its seconds, the rows of each
table it wrote; the summary counts them all) and every warning and failure on a line of its
own, marked so it stands out. `summary_lines` ends the output: published or not and why not, files, rows per
source with the top reasons, duration and paths.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import dagster as dg
from pipeline import refresh_summary

# Quicker steps that wrote no rows are counted, not listed.
SHOWN_STEP_SECONDS = 1.0
SHOWN_FILES = 3
# Where Dagster keeps a log record's event (dagster._core.log_manager.LOG_RECORD_METADATA_ATTR).
_DAGSTER_METADATA = "dagster_meta"
_MARKS = {"success": " ", "failure": "✗", "warning": "!"}


def _rows(metadata: dict) -> int | None:
    value = metadata.get("dagster/row_count")
    return None if value is None else int(getattr(value, "value", value))


class ProgressHandler(logging.Handler):
    """Turns Dagster's events into the terminal's progress lines."""

    def __init__(self, stream) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.rows: dict[str, dict[str, int]] = {}  # step -> table it wrote -> rows

    def _print(self, mark: str, text: str) -> None:
        print(f"{_MARKS[mark]} {text}", file=self.stream, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        metadata = getattr(record, _DAGSTER_METADATA, None) or {}
        event = metadata.get("dagster_event")
        step = metadata.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.WARNING:
                self._print("warning", f"{step}: {metadata.get('orig_message', record.getMessage())}".strip(": "))
            return
        kind = event.event_type
        if kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            rows = _rows(materialization.metadata)
            if rows is not None:
                self.rows.setdefault(step, {})[materialization.asset_key.to_user_string()] = rows
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                blocking = evaluation.severity == dg.AssetCheckSeverity.ERROR
                self._print(
                    "failure" if blocking else "warning",
                    f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} "
                    f"{'FAILED (blocks the publish)' if blocking else 'warns'}",
                )
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            seconds = event.event_specific_data.duration_ms / 1000
            written = self.rows.pop(step, {})
            if seconds < SHOWN_STEP_SECONDS:
                return  # counted in the summary
            tables = ", ".join(f"{name} {rows:,}" for name, rows in written.items())
            self._print("success", f"{step:<34} {seconds:7.1f} s" + (f"   {tables}" if tables else ""))
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            message = error.message.strip().splitlines()[0] if error is not None and error.message else ""
            self._print("failure", f"{step} FAILED: {message}")


@dg.logger(description="One line per finished step, warnings and failures: the command line's progress.")
def progress_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("pipeline.progress", logging.DEBUG)
    logger.addHandler(ProgressHandler(sys.stdout))
    return logger


@dg.logger(
    config_schema={"path": dg.Field(str)},
    description="Dagster's full log, every level, into a file.",
)
def debug_file_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    path = Path(init_context.logger_config["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.Logger("pipeline.debug_file", logging.DEBUG)
    logger.addHandler(handler)
    return logger


def loggers(dagster_console: bool = False) -> dict[str, dg.LoggerDefinition]:
    """The command line's loggers; with `dagster_console`, Dagster's own console log (stderr) too."""
    chosen = {"progress": progress_logger, "debug_file": debug_file_logger}
    return {**chosen, "console": dg.colored_console_logger} if dagster_console else chosen


def logger_run_config(debug_log: Path, dagster_console: bool = False) -> dict:
    config = {"progress": {}, "debug_file": {"config": {"path": os.fspath(debug_log)}}}
    if dagster_console:
        config["console"] = {"config": {"log_level": "DEBUG"}}
    return {"loggers": config}


def _published(result: dg.ExecuteInProcessResult) -> tuple[bool | None, str]:
    """(written, how) from the publish step's materialisation; (None, why not) when it did not run."""
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            if materialization.asset_key == dg.AssetKey(["warehouse", "published"]):
                copied = materialization.metadata.get("copied")
                return bool(getattr(copied, "value", copied)), ""
    failed_checks = [
        evaluation for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    if failed_checks:
        first = failed_checks[0]
        examples = first.metadata.get("examples")
        example = (getattr(examples, "value", None) or [None])[0]
        where = ""
        if isinstance(example, dict):
            shown = {k: example[k] for k in ("source_file", "file", "row_number", "source_row") if example.get(k) is not None}
            where = " (" + ", ".join(f"{k} {v}" for k, v in shown.items()) + ")" if shown else ""
        more = f" and {len(failed_checks) - 1} more" if len(failed_checks) > 1 else ""
        return None, f"blocking check {first.check_name} on {first.asset_key.to_user_string()} failed{where}{more}"
    failed_steps = [event.step_key for event in result.all_events if event.is_step_failure]
    if failed_steps:
        return None, f"step {failed_steps[0]} failed"
    return None, "the publish step was not in this run"


def _landing_counts(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    counts = {"files_new": 0, "files_changed": 0, "files_removed": 0, "files_rejected": 0}
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            metadata = event.event_specific_data.materialization.metadata
            for name in counts:
                if name in metadata:
                    counts[name] += int(getattr(metadata[name], "value", metadata[name]))
    return counts


def summary_lines(
    result: dg.ExecuteInProcessResult | None, build_database: Path, warehouse: Path, report: Path,
    debug_log: Path | None, seconds: float, feedback: Path | None = None,
) -> list[str]:
    """The summary a refresh ends with (result None: no run was needed)."""
    if result is None:
        lines = ["Nothing changed: no run was needed; the warehouse is as it was."]
    else:
        written, why_not = _published(result)
        status = "succeeded" if result.success else "FAILED"
        if written is None:
            lines = [f"Refresh {status}; warehouse NOT published: {why_not}. Analysts keep the previous version."]
        else:
            lines = [f"Refresh {status}; warehouse " + ("published." if written else "kept: it already held this build.")]
        counts = _landing_counts(result)
        succeeded = sum(1 for event in result.all_events if event.is_step_success)
        failed = sum(1 for event in result.all_events if event.is_step_failure)
        lines.append(
            f"Files this run: {counts['files_new']} new, {counts['files_changed']} changed, "
            f"{counts['files_removed']} removed, {counts['files_rejected']} rejected. "
            f"Steps: {succeeded} succeeded, {failed} failed (those of {SHOWN_STEP_SECONDS:.0f} s or more listed above)."
        )
    figures = refresh_summary.figures(build_database)
    rejected = figures.rejected_files
    if rejected:
        shown = "; ".join(f"{path} ({reason})" for path, reason in rejected[:SHOWN_FILES])
        lines.append(f"Rejected files ({len(rejected)}): {shown}" + (" …" if len(rejected) > SHOWN_FILES else ""))
    rows = figures.sources
    if rows:
        lines.append(f"{'source':<14} {'files':>6} {'accepted':>10} {'repairs':>8} {'quarantined':>11}  top reasons")
        for row in rows:
            lines.append(
                f"{row.source:<14} {row.files_loaded:>6,} {row.rows_accepted:>10,} {row.repairs:>8,} "
                f"{row.rows_quarantined:>11,}  {row.top_reasons_text() or '-'}"
            )
    lines.append(f"Duration {seconds:.1f} s. Warehouse: {warehouse}")
    if feedback is not None and result is not None:
        lines.append(f"Feedback workbooks for the offices (restricted, personal data): {feedback}")
    lines.append(f"Report: {report}" + (f"   Full log: {debug_log}" if debug_log else ""))
    return lines
