"""raw_files_sensor: a run per change of the raw folder's content, nothing for an mtime change; files
whose stat did not change are not read again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from support import SAMPLE_RAW_DIR
from pipeline import raw_changes
from pipeline.contract import SOURCES
from pipeline.defs.sensors import raw_files_sensor
from pipeline.definitions import defs
from pipeline.landing import file_sha256
from pipeline.resources import WarehouseResource


@pytest.fixture
def raw_dir(tmp_path) -> Path:
    """The first file (by name) of each source of the committed sample, copied."""
    target = tmp_path / "raw"
    for source in SOURCES:
        files = sorted(p for p in (SAMPLE_RAW_DIR / source.folder).iterdir() if p.suffix in {".csv", ".xlsx"})
        assert files, f"the committed sample has no {source.name} file under {SAMPLE_RAW_DIR}"
        (target / source.folder).mkdir(parents=True)
        shutil.copy2(files[0], target / source.folder / files[0].name)
    return target


def tick(raw: Path, cursor: str | None):
    """One evaluation as the daemon does it: run requests or a skip reason, and the new cursor."""
    # A build folder of its own, with no database: every source is pending.
    warehouse = WarehouseResource(raw_data_dir=str(raw), build_dir=str(raw.parent / "build"))
    # Closed when the tick is done, as the daemon does (tests/e2e/test_changed_refresh.py says why).
    with dg.build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}, definitions=defs) as context:
        result = raw_files_sensor.evaluate_tick(context)
    # The daemon keeps the cursor when a tick returns none.
    return result, result.cursor if result.cursor is not None else cursor


def one_file(raw: Path, source_folder: str) -> Path:
    return next((raw / source_folder).iterdir())


def test_sensor_is_defined_for_the_refresh_job():
    sensor = defs.resolve_sensor_def("raw_files_sensor")
    assert sensor.job_name == "refresh_warehouse"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 60


def test_new_changed_removed_and_restored_content(raw_dir):
    # First tick: every file is new, one run keyed by the change.
    first, cursor = tick(raw_dir, None)
    assert len(first.run_requests) == 1
    first_key = first.run_requests[0].run_key
    assert first_key.startswith(raw_changes.RUN_KEY_PREFIX)
    assert first.run_requests[0].tags["raw/changes"] == f"{len(SOURCES)} new, 0 changed, 0 removed"
    stored = json.loads(cursor)["files"]
    expected = {p.relative_to(raw_dir).as_posix(): file_sha256(p) for p in raw_dir.rglob("*") if p.is_file()}
    assert stored == expected  # the landing's own content hash, per path

    # Same files: nothing to do.
    same, cursor = tick(raw_dir, cursor)
    assert not same.run_requests
    assert "unchanged" in same.skip_message

    # Touched (mtime only, content identical): still nothing.
    spending = one_file(raw_dir, "spending")
    original_bytes = spending.read_bytes()
    stat = spending.stat()
    os.utime(spending, ns=(stat.st_atime_ns + 10**12, stat.st_mtime_ns + 10**12))
    touched, cursor = tick(raw_dir, cursor)
    assert not touched.run_requests

    # Changed content: a new run with a new key.
    spending.write_bytes(original_bytes + b"\n")
    changed, cursor = tick(raw_dir, cursor)
    assert len(changed.run_requests) == 1
    assert changed.run_requests[0].tags["raw/changes"] == "0 new, 1 changed, 0 removed"
    changed_key = changed.run_requests[0].run_key
    assert changed_key != first_key

    # Removed file: a new run.
    spending.unlink()
    removed, cursor = tick(raw_dir, cursor)
    assert len(removed.run_requests) == 1
    assert removed.run_requests[0].tags["raw/changes"] == "0 new, 0 changed, 1 removed"
    removed_key = removed.run_requests[0].run_key
    assert removed_key not in {first_key, changed_key}

    # The original content is back: the warehouse holds the content without the file, so this
    # is a change that needs its own run, although the folder looked like this before.
    spending.write_bytes(original_bytes)
    before_restore = cursor
    restored, cursor = tick(raw_dir, cursor)
    assert len(restored.run_requests) == 1
    restored_key = restored.run_requests[0].run_key
    assert restored_key not in {first_key, changed_key, removed_key}
    # The same tick evaluated again (its cursor was not saved) asks for the same run, which
    # Dagster's sensor daemon launches once per run key.
    again, _ = tick(raw_dir, before_restore)
    assert [request.run_key for request in again.run_requests] == [restored_key]


def test_lock_hidden_and_foreign_files_are_ignored(raw_dir):
    _, cursor = tick(raw_dir, None)
    folder = raw_dir / "registrations"
    (folder / "~$registrations_open_in_excel.xlsx").write_bytes(b"lock")
    (folder / ".DS_Store").write_bytes(b"finder")
    (folder / "notes.txt").write_text("not a raw file")
    result, _ = tick(raw_dir, cursor)
    assert not result.run_requests


def test_new_file_in_a_subfolder_is_noticed(raw_dir):
    _, cursor = tick(raw_dir, None)
    original = one_file(raw_dir, "registrations")
    (raw_dir / "registrations" / "late").mkdir()
    shutil.copy(original, raw_dir / "registrations" / "late" / f"copy_{original.name}")
    result, _ = tick(raw_dir, cursor)
    assert result.run_requests[0].tags["raw/changes"] == "1 new, 0 changed, 0 removed"


def test_empty_or_missing_raw_folder_requests_nothing(tmp_path, raw_dir):
    _, cursor = tick(raw_dir, None)
    shutil.rmtree(raw_dir)
    missing, kept = tick(raw_dir, cursor)
    assert not missing.run_requests
    assert "no raw files" in missing.skip_message
    assert kept == cursor  # the last state seen is kept, so the files' return is no change
    empty = tmp_path / "empty"
    empty.mkdir()
    result, _ = tick(empty, None)
    assert not result.run_requests


def test_unreadable_cursor_counts_as_first_look(raw_dir):
    result, _ = tick(raw_dir, "not json")
    assert len(result.run_requests) == 1


def test_run_key_depends_on_the_states_before_and_after_only():
    files = {"a/x.csv": "1" * 64, "b/y.xlsx": "2" * 64}
    other = {**files, "a/x.csv": "3" * 64}
    assert raw_changes.run_key(None, files) == raw_changes.run_key({}, dict(reversed(list(files.items()))))
    assert raw_changes.run_key(None, files) != raw_changes.run_key(None, other)
    assert raw_changes.run_key(None, files) != raw_changes.run_key(None, {"a/z.csv": "1" * 64, "b/y.xlsx": "2" * 64})
    # There and back again: two changes, two keys, neither the first look's.
    keys = {raw_changes.run_key(None, files), raw_changes.run_key(files, other), raw_changes.run_key(other, files)}
    assert len(keys) == 3
    changes = raw_changes.compare(files, {"a/x.csv": "9" * 64, "c/z.csv": "0" * 64})
    assert (changes.added, changes.changed, changes.removed) == (("c/z.csv",), ("a/x.csv",), ("b/y.xlsx",))


def test_a_tick_reads_only_files_whose_stat_changed(raw_dir, monkeypatch):
    from pipeline import landing

    _, cursor = tick(raw_dir, None)
    state = json.loads(cursor)
    assert set(state["stats"]) == set(state["files"])
    # As if the last tick had hashed the files well after their last change.
    state["taken_at"] = (datetime.now(timezone.utc) + timedelta(seconds=10)).isoformat()
    cursor = json.dumps(state)
    read = []
    real_sha256 = landing.file_sha256
    monkeypatch.setattr(landing, "file_sha256", lambda path: read.append(path.name) or real_sha256(path))

    same, _ = tick(raw_dir, cursor)
    assert not same.run_requests and read == []

    spending = one_file(raw_dir, "spending")
    content = spending.read_bytes()
    spending.write_bytes(content[:-2] + (b"00" if content[-2:] != b"00" else b"11"))  # same size
    changed, _ = tick(raw_dir, cursor)
    assert read == [spending.name]
    assert changed.run_requests[0].tags["raw/changes"] == "0 new, 1 changed, 0 removed"


def test_a_cursor_of_the_earlier_format_still_counts(raw_dir):
    _, cursor = tick(raw_dir, None)
    files = json.loads(cursor)["files"]
    earlier = json.dumps({"version": 1, "digest": raw_changes.content_digest(files), "files": files})
    result, _ = tick(raw_dir, earlier)
    assert not result.run_requests


def test_a_busy_build_database_is_looked_at_again(raw_dir):
    """While another process (a refresh) holds the build database, the tick skips and keeps its
    cursor, so the next tick sees the same change again."""
    database = raw_dir.parent / "build" / "cluster_programme.build.duckdb"
    database.parent.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()",
         str(database)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        busy, cursor = tick(raw_dir, None)
        assert not busy.run_requests
        assert "holds the build database" in busy.skip_message
        assert busy.cursor is None and cursor is None
    finally:
        holder.communicate("")
    again, _ = tick(raw_dir, cursor)
    assert len(again.run_requests) == 1  # the database is free (and empty): every source is pending
