"""The real UI, driven by a headless Chromium: `dagster dev` (webserver and daemon) on a free port,
the asset graph with its groups, assets and checks, "Materialize all", the run succeeding, and
the published warehouse answering.

Needs Debian's `chromium` at /usr/bin/chromium (`.ci/run` installs it) and the `playwright`
Python package (test extra); Playwright's own browser downloads are not used.
Set UPDATE_DOCS_SCREENSHOTS=1 to refresh docs/ui-asset-graph.png and docs/ui-published-summary.png
from this run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from support import PROJECT_ROOT, dagster_cli_environment
from devtools.browser import CHROMIUM_ARGS, CHROMIUM_PATH

pytestmark = pytest.mark.slow

CHROMIUM = Path(CHROMIUM_PATH)
GROUPS = ("landing", "staging", "audit", "core", "marts", "publish")
SHOWN_ASSETS = ("cluster_reference", "file_manifest", "fct_outcome", "fiscal_year_rollup", "cluster_outcomes", "published")
SERVER_START_SECONDS = 240
RUN_SECONDS = 1800
DOCS_SCREENSHOT = PROJECT_ROOT / "docs" / "ui-asset-graph.png"
DOCS_SUMMARY_SCREENSHOT = PROJECT_ROOT / "docs" / "ui-published-summary.png"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class DagsterDev:
    url: str
    process: subprocess.Popen
    log: Path
    warehouse_path: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert "errors" not in answer, answer
        return answer["data"]

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def runs(self) -> list[dict]:
        data = self.graphql("{ runsOrError { ... on Runs { results { runId status jobName tags { key value } } } } }")
        return data["runsOrError"]["results"]


# A file an office sent with no recognisable header: rejected as a whole, named in the summary.
PLANTED_REJECTED = "registrations/garbled_upload.csv"
PLANTED_REASON_LABEL = "No header row in the first 10 rows"


@contextmanager
def dagster_dev(tmp_path: Path) -> Iterator[DagsterDev]:
    """`dagster dev` as `make ui` starts it, on a free port, with its own instance and folders,
    on a copy of the sample with one rejected file planted."""
    env, paths = dagster_cli_environment(tmp_path)
    (paths["RAW_DATA_DIR"] / PLANTED_REJECTED).write_text("foo,bar\n1,2\n", encoding="utf-8")
    warehouse = paths["WAREHOUSE_PATH"]
    port = _free_port()
    env.pop("ALERT_WEBHOOK_URL", None)
    log = tmp_path / "dagster_dev.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: webserver, daemon, code servers, runs
        )
    server = DagsterDev(f"http://127.0.0.1:{port}", process, log, warehouse)
    try:
        _wait_until_served(server)
        yield server
    finally:
        _stop(process)


def _wait_until_served(server: DagsterDev) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"dagster dev exited:\n{server.log_tail()}"
        try:
            with urllib.request.urlopen(f"{server.url}/server_info", timeout=5) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    else:
        pytest.fail(f"dagster dev did not answer on {server.url}/server_info:\n{server.log_tail()}")
    # The code location is loaded in its own process; wait for it too.
    query = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
                 locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
    while time.monotonic() < deadline:
        entries = server.graphql(query)["workspaceOrError"]["locationEntries"]
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [e["locationOrLoadError"] for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
            assert not errors, errors
            return
        time.sleep(1)
    pytest.fail(f"the code location did not load:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    """End the whole process group of dagster dev (and only it): Ctrl-C first, as a user would
    (dagster dev does not stop on SIGTERM), then SIGKILL for whatever of the group is left."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def _wait_for_run(server: DagsterDev, run_id: str) -> str:
    deadline = time.monotonic() + RUN_SECONDS
    query = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
    while time.monotonic() < deadline:
        status = server.graphql(query, {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        time.sleep(3)
    pytest.fail(f"run {run_id} did not finish in {RUN_SECONDS} s:\n{server.log_tail()}")


def _menu_item(page, label: str) -> None:
    """Click `label` in the graph's settings menu if it is offered (the menu toggles)."""
    page.locator("#zoom-slider-container").get_by_role("button", name="settings").click()
    item = page.get_by_role("menuitem", name=re.compile(label))
    if item.count():
        item.first.click()
    page.keyboard.press("Escape")


def _show_whole_graph(page, server: DagsterDev) -> None:
    """The asset graph with every group expanded, top to bottom, which fits one screen. The
    browser keeps both settings; the graph is fitted to the window when first drawn, hence the
    reload. Only nodes inside the window are drawn, so this is also what makes every asset
    findable on the page."""
    page.goto(f"{server.url}/asset-groups", wait_until="load")
    page.get_by_role("button", name="Materialize all").wait_for()
    _menu_item(page, "Expand all groups")
    _menu_item(page, "vertical orientation")
    page.reload(wait_until="load")
    page.get_by_role("button", name="panel_show_right").click()  # hide the asset tree
    page.get_by_text("fiscal_year_rollup", exact=True).first.wait_for()
    page.mouse.move(5, 5)  # no hover highlight
    page.wait_for_timeout(3000)


def test_materialize_all_from_the_asset_graph(tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is needed: apt-get install -y chromium"
    with dagster_dev(tmp_path) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1100})
        page.set_default_timeout(60_000)
        try:
            # The asset graph: every group, then (expanded) assets.
            page.goto(f"{server.url}/asset-groups", wait_until="load")
            materialize_all = page.get_by_role("button", name="Materialize all")
            materialize_all.wait_for()
            for group in GROUPS:  # in the asset tree beside the graph and as a node of the graph
                page.get_by_text(group, exact=True).first.wait_for()
                assert page.get_by_text(group, exact=True).count() >= 2, group
            page.get_by_role("button", name="Hide navigation").click()
            _show_whole_graph(page, server)
            for asset in SHOWN_ASSETS:
                assert page.get_by_text(asset, exact=True).count(), f"{asset} is not shown in the asset graph"
            materialize_all = page.get_by_role("button", name="Materialize all")

            # Launch: the run started from the button is the one not started by a sensor or schedule.
            known = {run["runId"] for run in server.runs()}
            materialize_all.click()
            deadline = time.monotonic() + 120
            launched = []
            while not launched and time.monotonic() < deadline:
                launched = [
                    run
                    for run in server.runs()
                    if run["runId"] not in known
                    and not {"dagster/sensor_name", "dagster/schedule_name"} & {t["key"] for t in run["tags"]}
                ]
                time.sleep(1)
            assert len(launched) == 1, f"Materialize all launched {len(launched)} runs"
            run_id = launched[0]["runId"]
            status = _wait_for_run(server, run_id)
            assert status == "SUCCESS", f"run {run_id} ended {status}:\n{server.log_tail()}"

            # This run published the warehouse, and analysts can read it.
            published = server.graphql(
                """{ assetOrError(assetKey: {path: ["warehouse", "published"]}) {
                       ... on Asset { assetMaterializations(limit: 1) { runId } } } }"""
            )["assetOrError"]["assetMaterializations"]
            assert published and published[0]["runId"] == run_id
            connection = duckdb.connect(os.fspath(server.warehouse_path), read_only=True)
            try:
                (rows,) = connection.execute("SELECT count(*) FROM marts.fiscal_year_rollup").fetchall()[0]
            finally:
                connection.close()
            assert rows > 0

            # Checks are shown with their results; the published warehouse shows its freshness policy.
            page.goto(f"{server.url}/assets/marts/fiscal_year_rollup?view=checks", wait_until="load")
            for check in ("rollup_equals_sum_of_clusters", "enterprises_equal_accepted_registrations"):
                page.get_by_text(check, exact=True).first.wait_for()
            page.get_by_text("Succeeded").first.wait_for()
            page.goto(f"{server.url}/assets/staging/registrations?view=checks", wait_until="load")
            # (long check names are shown middle-truncated, the full name in the title)
            page.locator('[title^="duplicate_registration__compound_columns_to_be_unique"]').first.wait_for()
            page.goto(f"{server.url}/assets/warehouse/published", wait_until="load")
            page.get_by_text("Freshness policy").first.wait_for()
            # The refresh's summary on the same page: the outcome, files rejected, rows per source by reason
            # (a long Markdown value opens from its row).
            summary_row = page.get_by_role("row").filter(has_text="refresh_summary").first
            summary_row.wait_for()
            shown_inline = summary_row.get_by_text("[Show Markdown]")
            if shown_inline.count():
                shown_inline.first.click()
            page.get_by_text(re.compile(r"^Warehouse (published|kept)")).first.wait_for()
            assert page.get_by_text("quarantined").count(), "the summary table shows no quarantined rows"
            # The planted rejected file, with its reason's plain label, and the quarantined rows by reason.
            page.get_by_text(PLANTED_REJECTED, exact=True).first.wait_for()
            page.get_by_text(re.compile(re.escape(PLANTED_REASON_LABEL))).first.wait_for()
            page.get_by_text(re.compile(r"The enterprise is registered twice in the year")).first.wait_for()
            page.get_by_text(re.compile("duplicate_registration")).first.wait_for()
            summary_shot = tmp_path / "ui-published-summary.png"
            page.screenshot(path=str(summary_shot))
            if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
                shutil.copy(summary_shot, DOCS_SUMMARY_SCREENSHOT)
            page.keyboard.press("Escape")

            screenshot = tmp_path / "ui-asset-graph.png"
            _show_whole_graph(page, server)
            page.screenshot(path=str(screenshot))
            print(f"asset graph screenshot: {screenshot}")
            if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
                shutil.copy(screenshot, DOCS_SCREENSHOT)
        except BaseException:
            failure = tmp_path / "failure.png"
            try:
                page.screenshot(path=str(failure), full_page=True)
                print(f"screenshot of the failure: {failure}")
            except Exception as error:  # the browser itself may be what failed
                print(f"no screenshot of the failure: {error}")
            print(f"dagster dev log: {server.log}\n{server.log_tail()}")
            raise
        finally:
            browser.close()
