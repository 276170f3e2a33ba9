"""Atomic publication of the build database as the analysts' warehouse, and rollback.

The analysts' file is only ever replaced by `os.replace` of a complete, checkpointed copy in
the same folder, so a reader sees the old file or the new one, never a mixture; a reader
holding the old file open keeps its inode (and its snapshot) after the replace. Earlier
versions are kept as hard links in `versions/` beside the warehouse. A build whose tables are
the ones the warehouse already holds (the version recorded in both files) is not copied
again. A copy left behind by a publish that was killed mid-way (`.<name>.<pid>.partial`) is
never renamed into place; the next publish or rollback deletes it once its process is gone.

Command line:  python -m pipeline.publish rollback   (restore the previous published version)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline import build_state
from pipeline.config import Settings
from pipeline.processes import process_running


class PublishError(RuntimeError):
    pass


def versions_dir(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "versions"


def list_versions(warehouse_path: Path) -> list[Path]:
    """Kept earlier versions, newest first."""
    folder = versions_dir(warehouse_path)
    if not folder.exists():
        return []
    return sorted(folder.glob(f"{warehouse_path.stem}.*.duckdb"), reverse=True)


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_durably(source: Path, target: Path) -> None:
    try:
        shutil.copyfile(source, target)
        with open(target, "rb+") as handle:
            os.fsync(handle.fileno())
    except OSError as error:
        if error.filename is not None or error.errno is None:
            raise
        # A failed write() (e.g. disk full) names no file; say which copy failed, as
        # shutil does when it copies with sendfile: "[Errno 28] ...: 'source' -> 'target'".
        raise OSError(error.errno, error.strerror, os.fspath(source), None, os.fspath(target)) from error


def _candidate_path(warehouse_path: Path) -> Path:
    """This process's private copy beside the warehouse (same folder, so os.replace is atomic)."""
    return warehouse_path.with_name(f".{warehouse_path.name}.{os.getpid()}.partial")


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a leftover under our own (reused) pid: not in flight, we write it now
    return process_running(pid)


def remove_stale_partials(warehouse_path: Path) -> list[Path]:
    """Delete copies left beside the warehouse by a publish or rollback whose process is gone.

    Such a file (a SIGKILL or power loss mid-copy) was never renamed over the warehouse and
    never will be: only frees its space. A copy of a live process is left alone.
    """
    prefix, suffix = f".{warehouse_path.name}.", ".partial"
    removed = []
    if not warehouse_path.parent.is_dir():
        return removed
    for entry in warehouse_path.parent.iterdir():
        pid = entry.name[len(prefix) : -len(suffix)]
        if entry.name.startswith(prefix) and entry.name.endswith(suffix) and pid.isdigit():
            if not _process_alive(int(pid)):
                entry.unlink(missing_ok=True)
                removed.append(entry)
    return removed


def _verify_readable(database: Path) -> None:
    connection = duckdb.connect(os.fspath(database), read_only=True)
    try:
        connection.execute("SELECT count(*) FROM information_schema.tables").fetchall()[0]
    finally:
        connection.close()


def _swap_in(candidate: Path, warehouse_path: Path, kept_versions: int) -> None:
    """Keep the current file as a version, then atomically replace it by `candidate`."""
    if warehouse_path.exists() and kept_versions > 0:
        folder = versions_dir(warehouse_path)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        os.link(warehouse_path, folder / f"{warehouse_path.stem}.{stamp}.duckdb")
        for stale in list_versions(warehouse_path)[kept_versions:]:
            stale.unlink()
    os.replace(candidate, warehouse_path)
    _fsync_directory(warehouse_path.parent)


@dataclass(frozen=True)
class Publication:
    path: Path
    copied: bool  # False: the warehouse already held this build
    version: str | None  # build_state.database_version of the build (None: unknown)


def recorded_version(warehouse_path: Path) -> str | None:
    """The version the warehouse file records, read as an analyst would; None when it cannot tell."""
    if not warehouse_path.is_file():
        return None
    try:
        connection = duckdb.connect(os.fspath(warehouse_path), read_only=True)
    except duckdb.Error:
        return None  # unreadable, or locked by a writer: copy, which replaces it whole
    try:
        return build_state.published_version(connection)
    finally:
        connection.close()


def publish(build_database: Path, warehouse_path: Path, kept_versions: int, run_id: str = "") -> Publication:
    """Checkpoint the build database and make a copy of it the analysts' warehouse, unless the
    warehouse already holds a build of the same version."""
    if not build_database.exists():
        raise PublishError(f"build database {build_database} does not exist; nothing to publish")
    connection = duckdb.connect(os.fspath(build_database))
    try:
        version = build_state.database_version(connection)
        if version is not None and version == recorded_version(warehouse_path):
            remove_stale_partials(warehouse_path)
            return Publication(warehouse_path, copied=False, version=version)
        # Recorded in the copy, where the next publish reads it.
        build_state.record_published(connection, version, run_id)
        # Folds the write-ahead log into the file, so the copy below is complete on its own.
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(warehouse_path)
    candidate = _candidate_path(warehouse_path)
    try:
        _copy_durably(build_database, candidate)
        _verify_readable(candidate)
        _swap_in(candidate, warehouse_path, kept_versions)
    except BaseException:
        candidate.unlink(missing_ok=True)
        raise
    return Publication(warehouse_path, copied=True, version=version)


def rollback(warehouse_path: Path) -> Path:
    """Make the newest kept version the warehouse again; that version leaves the list."""
    versions = list_versions(warehouse_path)
    if not versions:
        raise PublishError(f"no earlier version of {warehouse_path} is kept in {versions_dir(warehouse_path)}")
    previous = versions[0]
    remove_stale_partials(warehouse_path)
    candidate = _candidate_path(warehouse_path)
    try:
        _copy_durably(previous, candidate)
        _verify_readable(candidate)
        os.replace(candidate, warehouse_path)
    except BaseException:
        candidate.unlink(missing_ok=True)
        raise
    _fsync_directory(warehouse_path.parent)
    previous.unlink()
    return previous


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["rollback", "versions"])
    args = parser.parse_args(argv)
    warehouse_path = Settings.from_env().warehouse_path
    try:
        if args.command == "rollback":
            restored = rollback(warehouse_path)
            print(f"{warehouse_path} restored from {restored.name}")
        else:
            for version in list_versions(warehouse_path):
                print(version)
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
