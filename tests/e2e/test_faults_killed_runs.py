"""Refreshes killed with SIGKILL during ingestion, the models and the publish step.

Two raw states take turns in one work folder: the committed sample ("sample"), and the sample
plus 24 small ledgers of programme-wide costs ("extended", 24 more files for land_spending to
parse inside its one transaction). Each test switches the raw folder to the other state,
starts `python -m pipeline.run` as a separate process, watches its Dagster log for the
STEP_START line of a step and kills the process with SIGKILL there. Then:

- the analysts' file is byte-identical to what was published before (or, for the publish step,
  at worst the complete new version: the rename is atomic) and is queryable;
- the next refresh (in-process) succeeds and its warehouse equals a clean refresh of the same
  raw files from scratch: same checksums of every core and mart table, same row counts in
  landing and staging, same quarantine and manifest, so no row is lost or counted twice.

The clean references: the session's `sample_warehouse` and the module's first refresh (of the
extended state, from scratch). Both use the same PII key, so enterprise keys compare.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline import tiers

from support import PROJECT_ROOT, SAMPLE_RAW_DIR, fiscal_year_rollup, project_environment, run_refresh, warehouse_state

pytestmark = pytest.mark.slow

EXTRA_FOLDER = "spending/extra"
EXTRA_FILES = 24
EXTRA_ROWS = 5
SPENDING_HEADERS = ("ปีงบประมาณ,เลขที่เอกสาร,วันที่,ประเภทรายการ,หน่วยงาน,รหัสคลัสเตอร์,กิจกรรม,ช่องทาง,รายการ,"
                    "จำนวนเงิน (บาท)")
RUN_TIMEOUT_SECONDS = 600


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_extra_ledgers(folder: Path) -> None:
    """Programme-wide costs of fiscal year 2565 (no cluster), each file a few new documents."""
    folder.mkdir(parents=True)
    for number in range(1, EXTRA_FILES + 1):
        lines = [SPENDING_HEADERS] + [
            f"2565,KX65-{number:02d}{row:03d},{row + 1}/03/2565,เบิกจ่าย,กสอ.,,บริหารโครงการ,กสอ.,ค่าบริหารโครงการ,{number * 100 + row}.00"
            for row in range(1, EXTRA_ROWS + 1)
        ]
        (folder / f"spending_2565_extra_{number:02d}.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")


class Refreshes:
    def __init__(self, base: Path, sample_warehouse):
        self.raw = base / "raw"
        self.withheld = base / "withheld"
        self.work = base / "work"
        shutil.copytree(SAMPLE_RAW_DIR, self.raw)
        write_extra_ledgers(self.withheld / "extra")
        # The sample's key, so enterprise keys equal those of the sample_warehouse reference.
        key = sample_warehouse.warehouse_path.parent.parent / "secrets" / "pii_hash.key"
        (self.work / "secrets").mkdir(parents=True)
        shutil.copyfile(key, self.work / "secrets" / "pii_hash.key")
        self.warehouse = self.work / "warehouse" / "cluster_programme.duckdb"
        self.references = {"sample": warehouse_state(sample_warehouse.warehouse_path)}
        self.published = None
        self.switch_to("extended")
        assert self.refresh_in_process().success
        self.references["extended"] = warehouse_state(self.warehouse)
        self.published = "extended"

    def switch_to(self, state: str) -> None:
        extra = self.raw / EXTRA_FOLDER
        if state == "extended" and not extra.exists():
            shutil.move(self.withheld / "extra", extra)
        elif state == "sample" and extra.exists():
            shutil.move(extra, self.withheld / "extra")
        self.state = state

    def publish_state(self, state: str) -> None:
        """Make sure `state` is what is published (a refresh in-process if it is not)."""
        if self.published != state:
            self.switch_to(state)
            assert self.refresh_in_process().success
            self.published = state

    def refresh_in_process(self):
        with project_environment(self.raw, self.work):
            return run_refresh()

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}  # ephemeral instance
        env.update(
            RAW_DATA_DIR=os.fspath(self.raw),
            WAREHOUSE_PATH=os.fspath(self.warehouse),
            BUILD_DIR=os.fspath(self.work / "build"),
            PII_KEY_FILE=os.fspath(self.work / "secrets" / "pii_hash.key"),
            REPORTS_DIR=os.fspath(self.work / "reports"),
            PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
            PYTHONUNBUFFERED="1",
        )
        return env

    def kill_at_step_start(self, step_key: str, delay_seconds: float = 0.0) -> str:
        """Run `python -m pipeline.run`; SIGKILL it `delay_seconds` after `step_key` starts.

        Returns the run's log up to its death (what it wrote before the kill)."""
        marker = f" - {step_key} - STEP_START - "
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.run", "--dagster-log"], cwd=PROJECT_ROOT, env=self.environment(),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
        )
        watchdog = threading.Timer(RUN_TIMEOUT_SECONDS, process.kill)
        watchdog.start()
        log: list[str] = []
        try:
            for line in process.stderr:
                log.append(line)
                if marker in line:
                    time.sleep(delay_seconds)
                    process.send_signal(signal.SIGKILL)
                    break
            log.append(process.stderr.read())  # what it wrote before it died
            process.stderr.close()
            code = process.wait()
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        text = "".join(log)
        assert code == -signal.SIGKILL, f"the run was not killed at {step_key} (exit {code}):\n{text[-4000:]}"
        return text

    def assert_recovers(self) -> None:
        result = self.refresh_in_process()
        assert result.success, "the refresh after the kill failed"
        self.published = self.state
        assert warehouse_state(self.warehouse) == self.references[self.state]
        assert not list(self.warehouse.parent.glob(".*.partial")), "a partial copy was left beside the warehouse"

    def landed_spending_files(self) -> set[str]:
        connection = tiers.connect_build(self.work / "build" / "cluster_programme.build.duckdb")
        try:
            rows = connection.execute("SELECT source_file FROM landing.spending_files WHERE status = 'loaded'").fetchall()
            return {path for (path,) in rows}
        finally:
            connection.close()


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory, sample_warehouse) -> Refreshes:
    return Refreshes(tmp_path_factory.mktemp("killed_runs"), sample_warehouse)


def _published(refreshes: Refreshes) -> tuple[str, list[tuple]]:
    return _digest(refreshes.warehouse), fiscal_year_rollup(refreshes.warehouse)


def _finished(log: str, step_key: str) -> bool:
    return f" - {step_key} - STEP_SUCCESS - " in log


def test_killed_during_the_models(refreshes):
    refreshes.publish_state("extended")
    refreshes.switch_to("sample")  # 24 files gone: their rows must leave
    digest, rollup = _published(refreshes)
    log = refreshes.kill_at_step_start("core__fct_spending")
    assert _finished(log, "land_spending") and not _finished(log, "warehouse__published")
    assert _digest(refreshes.warehouse) == digest, "the analysts' file changed"
    assert fiscal_year_rollup(refreshes.warehouse) == rollup
    refreshes.assert_recovers()


def test_killed_during_ingestion(refreshes):
    refreshes.publish_state("sample")
    refreshes.switch_to("extended")  # 24 new files, parsed by land_spending in one transaction
    digest, rollup = _published(refreshes)
    log = refreshes.kill_at_step_start("land_spending", delay_seconds=0.3)
    assert not _finished(log, "land_spending"), "land_spending ended before the kill; the test proved nothing"
    extra = {p for p in refreshes.landed_spending_files() if p.startswith(EXTRA_FOLDER)}
    assert extra == set(), "the killed landing transaction left files behind"
    assert _digest(refreshes.warehouse) == digest, "the analysts' file changed"
    assert fiscal_year_rollup(refreshes.warehouse) == rollup
    refreshes.assert_recovers()


def test_killed_during_publish(refreshes):
    refreshes.publish_state("extended")
    refreshes.switch_to("sample")
    digest, rollup = _published(refreshes)
    log = refreshes.kill_at_step_start("warehouse__published")
    # The rename is atomic: the file is the old version, or (if the kill came after it) the
    # complete new one; never a partial copy. Either way it is queryable.
    if _digest(refreshes.warehouse) == digest:
        assert fiscal_year_rollup(refreshes.warehouse) == rollup
        assert not _finished(log, "warehouse__published")
    else:
        assert warehouse_state(refreshes.warehouse) == refreshes.references["sample"]
    refreshes.assert_recovers()
