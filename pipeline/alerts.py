"""What the operators are told when a run fails, and how fresh the published warehouse must be.

`alert_from_events` turns a failed run's event log into an `Alert` naming the failed steps
(with the assets and checks they were computing), the failed asset checks (a blocking check's
name starts with the reason code of the rule it enforces, e.g.
`duplicate_registration__compound_columns_to_be_unique__...`), the raw files landing rejected
(path and reason code), and which assets were not refreshed: above all whether the
warehouse was published. No row values are copied into an alert (check examples may hold
personal data); the run in the Dagster UI has them.

`append_alert` writes one JSON line per alert; `post_alert` sends it to a webhook (the payload
has a `text` field, so Slack/Mattermost-style incoming webhooks show it as is).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg

from pipeline.metadata import FILE_HEADER, REJECTED_REASON_HEADER, markdown_rows

ALERTS_FILE_NAME = "alerts.jsonl"
WEBHOOK_ENV = "ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_SECONDS = 10
PUBLISHED_ASSET = "warehouse/published"
SHOWN_ITEMS = 10

# What analysts read, the published warehouse, is refreshed (or confirmed current) every night at
# 02:00 Bangkok time (`nightly_refresh`). When its last materialisation is older than 25 hours
# the UI shows it WARN (the nightly run is an hour late, did not happen, or its publish was
# blocked), older than 26 hours FAIL.
WAREHOUSE_FRESHNESS_POLICY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
)


@dataclass(frozen=True)
class FailedStep:
    step_key: str
    assets: tuple[str, ...]
    checks: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str
    blocking: bool
    rule: str  # the reason code the check enforces, or the check name when it has none
    offending_rows: int | None
    files: tuple[str, ...]


@dataclass(frozen=True)
class RejectedFile:
    path: str
    reason_code: str
    reason: str


@dataclass(frozen=True)
class Alert:
    run_id: str
    job_name: str
    failed_steps: tuple[FailedStep, ...] = ()
    failed_checks: tuple[FailedCheck, ...] = ()
    rejected_files: tuple[RejectedFile, ...] = ()
    not_refreshed: tuple[str, ...] = ()
    published: bool = False
    will_retry: bool = False
    run_error: str = ""
    alerted_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def blocking_checks(self) -> tuple[FailedCheck, ...]:
        return tuple(c for c in self.failed_checks if c.blocking)

    @property
    def title(self) -> str:
        cause = ""
        if self.blocking_checks:
            rules = sorted({c.rule for c in self.blocking_checks})
            cause = f": data rule {', '.join(rules)} failed"
        elif self.failed_steps:
            cause = f": step {', '.join(s.step_key for s in self.failed_steps[:3])} failed"
        elif self.run_error:
            cause = f": {self.run_error}"
        return f"Run {self.run_id[:8]} of {self.job_name} failed{cause}"

    def text(self) -> str:
        lines = [self.title + "."]
        lines.append(
            "The warehouse was published before the failure."
            if self.published
            else "The warehouse was NOT published: analysts still read the previous version."
        )
        if self.run_error and not self.failed_steps:
            # No step failed: the run itself did (its process died, it was canceled, ...).
            lines.append(f"Run error: {self.run_error}")
        if self.failed_steps:
            lines.append("Failed steps:")
            for step in self.failed_steps[:SHOWN_ITEMS]:
                computing = _describe_targets(step)
                lines.append(f"  - {step.step_key}" + (f" ({computing})" if computing else "") + f": {step.error}")
        for title, checks in (
            ("Failed blocking checks", self.blocking_checks),
            ("Failed warning checks", tuple(c for c in self.failed_checks if not c.blocking)),
        ):
            if checks:
                lines.append(f"{title}:")
                for check in checks[:SHOWN_ITEMS]:
                    rows = f", {check.offending_rows} rows" if check.offending_rows is not None else ""
                    files = f", files: {', '.join(check.files[:5])}" if check.files else ""
                    lines.append(f"  - {check.asset} check {check.check} (rule {check.rule}{rows}{files})")
        if self.rejected_files:
            lines.append("Rejected files:")
            for rejected in self.rejected_files[:SHOWN_ITEMS]:
                lines.append(f"  - {rejected.path} (rule {rejected.reason_code}): {rejected.reason}")
        if self.not_refreshed:
            shown = ", ".join(self.not_refreshed[:SHOWN_ITEMS])
            more = f" and {len(self.not_refreshed) - SHOWN_ITEMS} more" if len(self.not_refreshed) > SHOWN_ITEMS else ""
            lines.append(f"Not refreshed ({len(self.not_refreshed)}): {shown}{more}")
        if self.will_retry:
            lines.append("Dagster will retry this run automatically.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "text": self.text(), **asdict(self)}


def _describe_targets(step: FailedStep) -> str:
    """"staging/x, audit/quarantine_x" or "27 checks of staging/x": what the step computes."""
    parts = list(step.assets[:4]) + ([f"… {len(step.assets) - 4} more assets"] if len(step.assets) > 4 else [])
    checks_by_asset: dict[str, list[str]] = {}
    for check in step.checks:
        asset, _, name = check.partition(":")
        checks_by_asset.setdefault(asset, []).append(name)
    for asset, names in checks_by_asset.items():
        parts.append(f"check {asset}:{names[0]}" if len(names) == 1 else f"{len(names)} checks of {asset}")
    return ", ".join(parts)


def rule_of(check_name: str, metadata: Mapping[str, Any]) -> str:
    """The reason code a check enforces: its `reason_code` metadata, else its name's prefix."""
    code = metadata.get("reason_code")
    if isinstance(code, str) and code:
        return code
    return check_name.split("__", 1)[0] if "__" in check_name else check_name


def _example_rows(value: Any) -> list:
    """A check's examples: the Markdown table the UI shows (pipeline/metadata.py), or a list."""
    if isinstance(value, str):
        return markdown_rows(value)
    return value if isinstance(value, list) else []


def files_named_in(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """Raw files named by a check's offending-row examples (`source_file` / `_source_file`)."""
    files = []
    for example in _example_rows(metadata.get("examples")):
        if isinstance(example, Mapping):
            path = example.get("source_file") or example.get("_source_file")
            if isinstance(path, str) and path not in files:
                files.append(path)
    return tuple(files)


def _first_line(text: str | None, limit: int = 300) -> str:
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _error_text(error) -> str:
    """The error of a failed step: the user's exception (its cause) rather than Dagster's wrapper."""
    if error is None:
        return "no error recorded"
    message = _first_line(error.message)
    # Dagster wraps exceptions raised in user code; the cause says what went wrong.
    cause = getattr(error, "cause", None)
    while cause is not None and getattr(cause, "cause", None) is not None:
        cause = cause.cause
    if cause is not None and "DagsterExecutionStepExecutionError" in (error.cls_name or ""):
        return _first_line(cause.message)
    if message.startswith("dagster._core.errors."):
        # e.g. "DagsterAssetCheckFailedError: 3 blocking asset checks failed with ERROR severity:"
        return message[len("dagster._core.errors.") :].rstrip(":")
    return message


def _metadata_values(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {key: getattr(value, "value", value) for key, value in (metadata or {}).items()}


@dataclass(frozen=True)
class StepTargets:
    """What a step of the run's plan computes: asset keys and check names (as user strings)."""

    assets: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()


def step_targets_from_plan(plan_snapshot) -> dict[str, StepTargets]:
    targets: dict[str, StepTargets] = {}
    for step in getattr(plan_snapshot, "steps", None) or []:
        assets, checks = [], []
        for output in step.outputs:
            properties = output.properties
            if properties is None:
                continue
            if properties.asset_key is not None:
                assets.append(properties.asset_key.to_user_string())
            if properties.asset_check_key is not None:
                key = properties.asset_check_key
                checks.append(f"{key.asset_key.to_user_string()}:{key.name}")
        targets[step.key] = StepTargets(tuple(assets), tuple(checks))
    return targets


def alert_from_events(
    run_id: str,
    job_name: str,
    events: Iterable[dg.DagsterEvent],
    step_targets: Mapping[str, StepTargets] | None = None,
    run_error: str = "",
    will_retry: bool = False,
) -> Alert:
    """Build the alert of a failed run from its events (STEP_FAILURE, ASSET_CHECK_EVALUATION,
    ASSET_MATERIALIZATION) and the assets its plan meant to materialise."""
    step_targets = step_targets or {}
    failed_steps: list[FailedStep] = []
    failed_checks: list[FailedCheck] = []
    rejected: dict[str, RejectedFile] = {}
    materialised: set[str] = set()
    for event in events:
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_FAILURE:
            targets = step_targets.get(event.step_key or "", StepTargets())
            failed_steps.append(
                FailedStep(
                    step_key=event.step_key or "?",
                    assets=targets.assets,
                    checks=targets.checks,
                    error=_error_text(getattr(event.event_specific_data, "error", None)),
                )
            )
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                continue
            metadata = _metadata_values(evaluation.metadata)
            offending = metadata.get("unexpected_count", metadata.get("offending_rows"))
            failed_checks.append(
                FailedCheck(
                    asset=evaluation.asset_key.to_user_string(),
                    check=evaluation.check_name,
                    # Only a blocking check failing with ERROR severity stops the run.
                    blocking=bool(evaluation.blocking) and evaluation.severity == dg.AssetCheckSeverity.ERROR,
                    rule=rule_of(evaluation.check_name, metadata),
                    offending_rows=offending if isinstance(offending, int) else None,
                    files=files_named_in(metadata),
                )
            )
            if evaluation.check_name == "no_rejected_files":
                for example in _example_rows(metadata.get("examples")):
                    if isinstance(example, Mapping) and example.get("source_file"):
                        path = example["source_file"]
                        rejected.setdefault(
                            path,
                            RejectedFile(path, str(example.get("reason_code") or "rejected"), _first_line(example.get("reason"))),
                        )
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            materialised.add(materialization.asset_key.to_user_string())
            # Landing lists the files it rejected, each with "reason_code: message".
            files_rejected = _metadata_values(materialization.metadata).get("rejected")
            if isinstance(files_rejected, str):
                files_rejected = {
                    row.get(FILE_HEADER, ""): row.get(REJECTED_REASON_HEADER, "") for row in markdown_rows(files_rejected)
                }
            if isinstance(files_rejected, Mapping):
                for path, reason in files_rejected.items():
                    code, _, message = str(reason).partition(": ")
                    rejected.setdefault(path, RejectedFile(path, code if message else "rejected", _first_line(message or reason)))
    planned = sorted({asset for targets in step_targets.values() for asset in targets.assets})
    return Alert(
        run_id=run_id,
        job_name=job_name,
        failed_steps=tuple(failed_steps),
        failed_checks=tuple(failed_checks),
        rejected_files=tuple(rejected[path] for path in sorted(rejected)),
        not_refreshed=tuple(asset for asset in planned if asset not in materialised),
        published=PUBLISHED_ASSET in materialised,
        will_retry=will_retry,
        run_error=_first_line(run_error),
    )


def append_alert(path: Path, alert: Alert) -> None:
    """Append the alert as one JSON line (one write, so concurrent writers do not interleave)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(alert.to_dict(), ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)


def post_alert(url: str, alert: Alert, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> str | None:
    """POST the alert as JSON; returns None on success, else what went wrong (never raises)."""
    if not url.lower().startswith(("http://", "https://")):
        return f"{WEBHOOK_ENV} must be an http(s) URL"
    request = urllib.request.Request(
        url,
        data=json.dumps(alert.to_dict(), ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "cluster-programme-warehouse"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            response.read()
    except urllib.error.HTTPError as error:
        return f"webhook answered HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"webhook not reached: {error}"
    return None


def webhook_url() -> str | None:
    return os.environ.get(WEBHOOK_ENV, "").strip() or None
