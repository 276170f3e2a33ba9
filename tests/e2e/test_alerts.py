"""alert_on_run_failure: a really failed run is named, with its failed step, check, rule and file,
in alerts.jsonl of the instance folder, in the run's log and at the webhook."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

import pipeline.defs.staging as staging_defs
from support import PROJECT_ROOT, SAMPLE_RAW_DIR, project_environment, run_refresh
from pipeline import alerts
from pipeline.defs.sensors import alert_on_run_failure

BROKEN_FILE = "registrations/registrations_ipc9_2565_broken.csv"


@pytest.fixture
def webhook():
    """A local HTTP server on a free port that records the JSON bodies POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append({"path": self.path, "content_type": self.headers.get("Content-Type"), "json": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/warehouse", received
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _leak_quarantined_registrations(original):
    """split_rows as it would be with a bug that lets quarantined registrations into staging:
    the blocking Great Expectations checks on staging.registrations must then stop the run."""

    def leaky(connection, suite, candidates, staging_table, quarantine_table):
        counts = original(connection, suite, candidates, staging_table, quarantine_table)
        if suite.source == "registrations":
            connection.execute(
                f"INSERT INTO {staging_table} BY NAME SELECT * EXCLUDE (_reasons, _duplicate_of, _raw_values, _row_kind) "
                "FROM flagged WHERE len(_reasons) > 0"
            )
        return counts

    return leaky


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    """A real failed refresh of the committed sample plus one unreadable file, on a persistent
    instance whose folder holds a copy of dagster.yaml."""
    work = tmp_path_factory.mktemp("failed_run")
    raw = work / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    (raw / BROKEN_FILE).write_bytes(b"\x00\x01\x02 not a ledger")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    patch = pytest.MonkeyPatch()
    patch.setattr(staging_defs, "split_rows", _leak_quarantined_registrations(staging_defs.split_rows))
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        with project_environment(raw, work) as paths:
            result = run_refresh(instance)
        patch.undo()
        yield instance, result, paths
    finally:
        patch.undo()
        instance.dispose()


def _evaluate(instance, result) -> None:
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    )
    alert_on_run_failure(context)


def test_failed_run_is_alerted_to_file_log_and_webhook(failed_run, webhook, monkeypatch):
    instance, result, paths = failed_run
    assert not result.success
    assert not paths["WAREHOUSE_PATH"].exists(), "a run failing a blocking check must not publish"
    url, received = webhook
    monkeypatch.setenv(alerts.WEBHOOK_ENV, url)

    _evaluate(instance, result)

    lines = (Path(instance.root_directory) / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    alert = json.loads(lines[-1])
    assert alert["run_id"] == result.run_id
    assert alert["job_name"] == "refresh_warehouse"
    assert alert["published"] is False
    assert "warehouse/published" in alert["not_refreshed"]
    assert [step["step_key"] for step in alert["failed_steps"]] == ["gx_registrations"]

    blocking = [c for c in alert["failed_checks"] if c["blocking"]]
    assert blocking, alert["failed_checks"]
    for check in blocking:
        assert check["asset"] == "staging/registrations"
        assert check["check"].startswith(check["rule"] + "__")  # the check name carries the reason code
        assert check["offending_rows"] > 0
        assert check["rule"] in alert["text"] and check["check"] in alert["text"]
    assert "duplicate_registration" in {c["rule"] for c in blocking}

    rejected = {r["path"]: r["reason_code"] for r in alert["rejected_files"]}
    assert rejected.get(BROKEN_FILE) == "file_unreadable"
    assert BROKEN_FILE in alert["text"]
    assert "NOT published" in alert["text"]

    # The webhook got the same alert, as JSON.
    assert len(received) == 1
    posted = received[0]
    assert posted["path"] == "/hooks/warehouse"
    assert posted["content_type"].startswith("application/json")
    assert posted["json"]["run_id"] == result.run_id
    assert "gx_registrations" in posted["json"]["text"]
    assert any(c["check"] == blocking[0]["check"] for c in posted["json"]["failed_checks"])

    # And the failed run's own log says what was sent.
    engine_messages = [
        record.dagster_event.message
        for record in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
        if record.dagster_event and record.dagster_event.message
    ]
    assert any(m.startswith("Alert sent:") and "gx_registrations" in m for m in engine_messages)


def test_an_unreachable_webhook_is_logged_not_raised(failed_run, monkeypatch, capfd):
    instance, result, _ = failed_run
    monkeypatch.setenv(alerts.WEBHOOK_ENV, f"http://127.0.0.1:{_closed_port()}/nobody")
    alerts_file = Path(instance.root_directory) / "alerts.jsonl"
    before = alerts_file.read_text(encoding="utf-8").count("\n") if alerts_file.exists() else 0
    capfd.readouterr()
    _evaluate(instance, result)  # must not raise
    assert alerts_file.read_text(encoding="utf-8").count("\n") == before + 1
    # Dagster's sensor logger writes to stderr.
    assert "not delivered to the webhook: webhook not reached" in capfd.readouterr().err


def test_post_alert_reports_what_went_wrong():
    alert = alerts.Alert(run_id="r" * 36, job_name="refresh_warehouse")
    assert alerts.post_alert(f"http://127.0.0.1:{_closed_port()}/", alert, timeout=2).startswith("webhook not reached")
    assert "http(s)" in alerts.post_alert("file:///etc/passwd", alert)


def test_a_failing_step_is_named_with_its_exception():
    @dg.asset(key=["marts", "fiscal_year_rollup"])
    def rollup():
        raise ValueError("rollup: 2 fiscal years missing")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([rollup], instance=instance, raise_on_error=False)
    plan = instance.get_execution_plan_snapshot(result.dagster_run.execution_plan_snapshot_id)
    alert = alerts.alert_from_events(
        result.run_id, result.dagster_run.job_name, result.all_events, alerts.step_targets_from_plan(plan)
    )
    (step,) = alert.failed_steps
    assert step.step_key == "marts__fiscal_year_rollup"
    assert step.assets == ("marts/fiscal_year_rollup",)
    assert alert.not_refreshed == ("marts/fiscal_year_rollup",)
    assert step.error == "ValueError: rollup: 2 fiscal years missing"
    assert alert.title.endswith("step marts__fiscal_year_rollup failed")
    assert "NOT published" in alert.text()


def test_alert_names_rejected_files_from_the_manifest_check():
    event_metadata = {
        "offending_rows": dg.MetadataValue.int(1),
        "examples": dg.MetadataValue.json(
            [{"source_file": "spending/spending_2565_03.csv", "reason_code": "header_unrecognised", "reason": "no header row"}]
        ),
    }
    evaluation = dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["audit", "file_manifest"]),
        check_name="no_rejected_files",
        passed=False,
        metadata=event_metadata,
        severity=dg.AssetCheckSeverity.WARN,
        blocking=False,
    )
    event = dg.DagsterEvent(
        event_type_value=dg.DagsterEventType.ASSET_CHECK_EVALUATION.value,
        job_name="refresh_warehouse",
        event_specific_data=evaluation,
    )
    alert = alerts.alert_from_events("run-1", "refresh_warehouse", [event])
    assert alert.failed_checks[0].blocking is False
    assert alert.failed_checks[0].files == ("spending/spending_2565_03.csv",)
    assert alert.rejected_files == (alerts.RejectedFile("spending/spending_2565_03.csv", "header_unrecognised", "no header row"),)
    assert "spending/spending_2565_03.csv (rule header_unrecognised)" in alert.text()


def test_a_run_that_died_without_a_failed_step_says_why():
    alert = alerts.Alert(
        run_id="0123456789abcdef",
        job_name="refresh_warehouse",
        run_error="Run worker process 4242 exited unexpectedly",
        will_retry=True,
    )
    assert alert.title == "Run 01234567 of refresh_warehouse failed: Run worker process 4242 exited unexpectedly"
    assert "Run error: Run worker process 4242 exited unexpectedly" in alert.text()
    assert "retry this run automatically" in alert.text()
