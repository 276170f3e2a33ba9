"""Resource faults: a full disk and an unwritable folder fail the refresh with an error that
names the path, and leave the analysts' published file byte-identical and queryable.

A real full disk is a small tmpfs mounted for the test (needs root with CAP_SYS_ADMIN, as CI
has; skipped with the reason otherwise). The same faults are also simulated portably, so they
are proven everywhere: `/dev/full` (every write fails with ENOSPC) behind a symlink, and a
folder "under a file" (NotADirectoryError: chmod does not stop root, a file in the way does).
"""

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from support import SAMPLE_RAW_DIR, copy_build, fiscal_year_rollup, project_environment, run_refresh
from pipeline import tiers
from pipeline.publish import list_versions, publish

BUILD_FILE = "cluster_programme.build.duckdb"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def tmpfs(mount_point: Path, size_bytes: int) -> Iterator[Path]:
    """A tmpfs of `size_bytes` at `mount_point`, or skip the test where mounting is not allowed."""
    mount_point.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={max(size_bytes // 1024, 64)}k", "tmpfs", os.fspath(mount_point)],
            capture_output=True, text=True,
        )
    except FileNotFoundError:
        pytest.skip("no mount command; the /dev/full and file-in-the-way variants cover this fault")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); the portable variants cover this fault")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", os.fspath(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", os.fspath(mount_point)], capture_output=True)


def _remount_read_only(mount_point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", os.fspath(mount_point)], check=True, capture_output=True)


class Published:
    """A work folder whose warehouse is the published sample, and what its bytes were."""

    def __init__(self, tmp_path: Path, sample_warehouse):
        self.work = tmp_path / "work"
        self.raw = SAMPLE_RAW_DIR
        self.warehouse = self.work / "warehouse" / "cluster_programme.duckdb"
        self.sample = sample_warehouse

    def place_warehouse(self) -> None:
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.sample.warehouse_path, self.warehouse)
        key = self.sample.warehouse_path.parent.parent / "secrets" / "pii_hash.key"
        (self.work / "secrets").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(key, self.work / "secrets" / "pii_hash.key")
        self.digest = _digest(self.warehouse)
        self.rollup = fiscal_year_rollup(self.warehouse)

    def refresh(self, build_dir: Path):
        with project_environment(self.raw, self.work):
            os.environ["BUILD_DIR"] = os.fspath(build_dir)
            return run_refresh()

    def assert_untouched(self) -> None:
        assert _digest(self.warehouse) == self.digest, "the published file changed"
        assert fiscal_year_rollup(self.warehouse) == self.rollup, "the published file is not queryable as before"
        assert not list(self.warehouse.parent.glob(".*.partial"))


@pytest.fixture
def published(tmp_path, sample_warehouse) -> Published:
    return Published(tmp_path, sample_warehouse)


def _failure_messages(result) -> str:
    """Every failed step's error with its chained causes, as the run's log shows them."""
    texts = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                texts.append(f"{event.step_key}: {error.message}")
                error = error.cause or error.context
    return "\n".join(texts)


def _assert_failed_before_publishing(result) -> str:
    assert not result.success
    published = [
        m for m in result.get_asset_materialization_events() if m.asset_key.path == ["warehouse", "published"]
    ]
    assert published == [], "a failed refresh must not publish"
    return _failure_messages(result)


# --- the build folder ---------------------------------------------------------------------


def test_a_full_build_disk_names_the_file_and_keeps_the_published_warehouse(published, tmp_path):
    published.place_warehouse()
    with tmpfs(tmp_path / "small_disk", 2 * 1024 * 1024) as build_dir:
        result = published.refresh(build_dir)
    messages = _assert_failed_before_publishing(result)
    assert "No space left on device" in messages
    assert os.fspath(build_dir / BUILD_FILE) in messages, messages
    assert "cannot rollback" not in messages, "the disk-full error must not be masked by a failed ROLLBACK"
    published.assert_untouched()


def test_a_disk_full_simulated_with_dev_full_keeps_the_published_warehouse(published, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    published.place_warehouse()
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    (build_dir / BUILD_FILE).symlink_to("/dev/full")  # every write fails with ENOSPC
    result = published.refresh(build_dir)
    messages = _assert_failed_before_publishing(result)
    assert "No space left on device" in messages, messages
    published.assert_untouched()


def test_a_build_folder_under_a_file_names_the_path(published, tmp_path):
    published.place_warehouse()
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the build folder's parent should be")
    build_dir = blocker / "build"
    result = published.refresh(build_dir)
    messages = _assert_failed_before_publishing(result)
    assert "Not a directory" in messages and os.fspath(build_dir) in messages, messages
    published.assert_untouched()


def test_a_read_only_build_folder_names_the_file(published, tmp_path):
    published.place_warehouse()
    with tmpfs(tmp_path / "read_only", 1024 * 1024) as build_dir:
        _remount_read_only(build_dir)
        result = published.refresh(build_dir)
    messages = _assert_failed_before_publishing(result)
    assert "Read-only file system" in messages and os.fspath(build_dir / BUILD_FILE) in messages, messages
    published.assert_untouched()


# --- the warehouse folder (publish) -------------------------------------------------------


def test_a_full_warehouse_disk_fails_the_refresh_at_publish_and_keeps_the_file(published, tmp_path):
    """The whole refresh builds; copying the new version beside the old one runs out of space."""
    size = published.sample.warehouse_path.stat().st_size
    with tmpfs(published.warehouse.parent, size + 1024 * 1024):
        published.place_warehouse()
        result = published.refresh(tmp_path / "build")
        messages = _assert_failed_before_publishing(result)
        assert [e.step_key for e in result.all_events if e.is_step_failure] == ["warehouse__published"]
        assert "No space left on device" in messages
        assert ".cluster_programme.duckdb." in messages and ".partial" in messages, messages
        published.assert_untouched()
        assert list_versions(published.warehouse) == []


def _rebuilt_build(published, tmp_path):
    """A copy of the sample's build database whose rollup was since rebuilt: a new version to
    publish (the build of the placed warehouse itself would be left as it is)."""
    build = tmp_path / "build.duckdb"
    copy_build(published.sample.build_database, build)
    connection = tiers.connect_build(build, read_only=False)
    try:
        connection.execute(
            "UPDATE tracking.table_versions SET version = 'rebuilt' WHERE table_name = 'marts.fiscal_year_rollup'"
        )
    finally:
        connection.close()
    return build


def test_publish_onto_dev_full_leaves_the_file_byte_identical(published, tmp_path, monkeypatch):
    """Portable: the partial copy is a symlink to /dev/full, so the copy fails with ENOSPC."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    published.place_warehouse()
    build = _rebuilt_build(published, tmp_path)
    partial = published.warehouse.with_name(f".{published.warehouse.name}.full.partial")
    partial.symlink_to("/dev/full")
    monkeypatch.setattr("pipeline.publish._candidate_path", lambda warehouse_path: partial)
    with pytest.raises(OSError, match="No space left on device") as raised:
        publish(build, published.warehouse, kept_versions=3)
    assert os.fspath(partial) in str(raised.value), str(raised.value)
    published.assert_untouched()
    assert list_versions(published.warehouse) == []


def test_publish_into_a_read_only_folder_names_the_path(published, tmp_path):
    build = _rebuilt_build(published, tmp_path)
    with tmpfs(published.warehouse.parent, 64 * 1024 * 1024):
        published.place_warehouse()
        _remount_read_only(published.warehouse.parent)
        with pytest.raises(OSError, match="Read-only file system") as raised:
            publish(build, published.warehouse, kept_versions=3)
        assert os.fspath(published.warehouse.parent) in str(raised.value), str(raised.value)
        published.assert_untouched()
