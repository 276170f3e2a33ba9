"""Atomic publication of the analysts' tier of the build database as their warehouse, and rollback.

The build writes the analysts' tables into their own file, the analysts' tier (pipeline/tiers.py:
core, marts and audit without the build tier, with their comments, in the storage format of
ANALYST_STORAGE_VERSION so that every client from that release on opens it). The publish
checkpoints that file and copies it beside the warehouse, adding `audit.publication` (what was
published, when, by which DuckDB, in which storage format): its cost is a copy of the analysts'
tables, never of the raw data the build also holds. A tier file that is more than half free
space is not copied: its tables are written into a fresh file instead.

The analysts' file is only ever replaced by `os.replace` of that complete, checkpointed file
in the same folder, so a reader sees the old file or the new one, never a mixture; a reader
holding the old file open keeps its inode (and its snapshot) after the replace. Earlier
versions are kept as hard links in `versions/` beside the warehouse. A build whose analysts'
tables are the ones the warehouse already holds (its version, recorded in the warehouse) is
not written again. A file left behind by a publish that was killed mid-way
(`.<name>.<pid>.partial`) is never renamed into place; the next publish or rollback deletes it
once its process is gone.

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

from pipeline import change_tracking, tiers
from pipeline.catalog import apply_comments, sql_literal
from pipeline.config import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings
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
    """Delete files left beside the warehouse by a publish or rollback whose process is gone.

    Such a file (a SIGKILL or power loss mid-write), or its write-ahead log, was never renamed
    over the warehouse and never will be: only frees its space. A live process's is left alone.
    """
    prefix = f".{warehouse_path.name}."
    removed = []
    if not warehouse_path.parent.is_dir():
        return removed
    for entry in warehouse_path.parent.iterdir():
        suffix = next((s for s in (".partial", ".partial.wal") if entry.name.endswith(s)), None)
        pid = entry.name[len(prefix) : -len(suffix)] if suffix else ""
        if entry.name.startswith(prefix) and pid.isdigit():
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
    version: str | None  # change_tracking.database_version of the build (None: unknown)
    how: str | None = None  # COPIED (the built tier's file) or WRITTEN (its tables afresh); None: not written


def recorded_version(warehouse_path: Path) -> str | None:
    """The version the warehouse file records, read as an analyst would; None when it cannot tell."""
    if not warehouse_path.is_file():
        return None
    try:
        connection = duckdb.connect(os.fspath(warehouse_path), read_only=True)
    except duckdb.Error:
        return None  # unreadable, or locked by a writer: publish, which replaces it whole
    try:
        rows = connection.execute(
            "SELECT database_version FROM audit.publication ORDER BY published_at DESC LIMIT 1"
        ).fetchall()
    except duckdb.CatalogException:
        return None  # a file written before publications were recorded
    finally:
        connection.close()
    return rows[0][0] if rows else None


# A tier file with more free space than this (left by tables the build wrote again in place) is
# not copied: its tables are written into a fresh file, so the analysts' file stays compact.
MAX_FREE_SHARE = 0.5
COPIED, WRITTEN = "copied", "written"


@dataclass(frozen=True)
class BuiltTier:
    """The analysts' tier as the build left it, checkpointed (no write-ahead log beside it)."""

    path: Path
    version: str | None  # change_tracking.database_version (None: unknown)
    table_versions: dict[str, str]
    copyable: bool  # in ANALYST_STORAGE_VERSION's format and mostly live data


def built_tier(build_database: Path, memory_limit: str) -> BuiltTier:
    """Checkpoint the analysts' tier of the build and read its version; refuse a tier that holds
    a table the catalog keeps from analysts (it and its freed blocks would reach their file)."""
    connection = tiers.connect_build(build_database, read_only=False, config={"memory_limit": memory_limit})
    try:
        restricted = tiers.build_tier_tables(connection)
        if restricted:
            names = ", ".join(f"{schema}.{table}" for schema, table in restricted)
            raise PublishError(f"the analysts' tier {tiers.tier_file(build_database)} holds restricted tables ({names}); not published")
        version = change_tracking.database_version(connection)
        versions = {
            f"{schema}.{table}": change_tracking.table_version(connection, schema, table)
            for schema, table in tiers.analyst_tables(connection)
        }
        connection.execute(f"CHECKPOINT {tiers.TIER_CATALOG}")
        ((free_blocks, total_blocks, tags),) = connection.execute(
            "SELECT free_blocks, total_blocks, (SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = ?) "
            "FROM pragma_database_size() WHERE database_name = ?",
            [tiers.TIER_CATALOG, tiers.TIER_CATALOG],
        ).fetchall()
    finally:
        connection.close()
    compact = not total_blocks or free_blocks / total_blocks <= MAX_FREE_SHARE
    return BuiltTier(
        tiers.tier_file(build_database), version,
        {name: table_version for name, table_version in versions.items() if table_version is not None},
        copyable=compact and tags == f"{tiers.ANALYST_STORAGE_VERSION}+",
    )


def _write_tables(connection: duckdb.DuckDBPyConnection, tier: Path) -> None:
    """Every analysts' table and view of `tier` written into the attached, empty `analysts`."""
    tiers.attach_file(connection, tier, "tier", "READ_ONLY")
    tables = tiers.analyst_tables(connection, "tier")
    for schema in tiers.ANALYST_SCHEMAS:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS analysts.{schema}")
    for schema, table in tables:
        connection.execute(f"CREATE TABLE analysts.{schema}.{table} AS FROM tier.{schema}.{table}")
        apply_comments(connection, schema, table, database="analysts")
    views = tiers.analyst_views(connection, "tier")
    if views:
        connection.execute("USE analysts")  # a view's statement names its tables unqualified
        for _schema, _view, statement in views:
            connection.execute(statement)
        connection.execute("USE memory")
    connection.execute("DETACH tier")


def write_analysts_file(tier: BuiltTier, target: Path, run_id: str, memory_limit: str) -> str:
    """The analysts' file `target`, checkpointed: a copy of the built tier (COPIED), or when that
    is not compact its tables written afresh (WRITTEN), with `audit.publication` recording it.
    A failure to write the file (disk full, read-only folder) is an OSError naming it."""
    connection = duckdb.connect(config={"memory_limit": memory_limit})
    try:
        if tier.copyable:
            _copy_durably(tier.path, target)
            tiers.attach_file(connection, target, "analysts", "")
        else:
            tiers.attach_file(connection, target, "analysts", f"STORAGE_VERSION {sql_literal(tiers.ANALYST_STORAGE_VERSION)}")
            _write_tables(connection, tier.path)
        schema, table = tiers.PUBLICATION_TABLE
        connection.execute(
            f"CREATE OR REPLACE TABLE analysts.{schema}.{table} AS SELECT ?::VARCHAR AS database_version, "
            "?::VARCHAR AS run_id, now() AS published_at, ?::VARCHAR AS duckdb_version, ?::VARCHAR AS storage_version, "
            "map(?::VARCHAR[], ?::VARCHAR[]) AS table_versions",
            [tier.version, run_id, duckdb.__version__, tiers.ANALYST_STORAGE_VERSION, list(tier.table_versions), list(tier.table_versions.values())],
        )
        apply_comments(connection, schema, table, database="analysts")
        # Everything into the file itself (no write-ahead log beside it), durable before the swap.
        connection.execute("CHECKPOINT analysts")
        connection.execute("DETACH analysts")
    except duckdb.IOException as error:
        raise OSError(f"could not write the analysts' file {target}: {error}") from error
    finally:
        connection.close()
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
    return COPIED if tier.copyable else WRITTEN


def publish(
    build_database: Path, warehouse_path: Path, kept_versions: int, run_id: str = "", memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
) -> Publication:
    """Make the analysts' tier of the build the analysts' warehouse, unless the warehouse
    already holds tables of the same version."""
    if not build_database.exists():
        raise PublishError(f"build database {build_database} does not exist; nothing to publish")
    tier = built_tier(build_database, memory_limit)
    if tier.version is not None and tier.version == recorded_version(warehouse_path):
        remove_stale_partials(warehouse_path)
        return Publication(warehouse_path, copied=False, version=tier.version)
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(warehouse_path)
    candidate = _candidate_path(warehouse_path)
    try:
        how = write_analysts_file(tier, candidate, run_id, memory_limit)
        _verify_readable(candidate)
        _swap_in(candidate, warehouse_path, kept_versions)
    except BaseException:
        for path in (candidate, candidate.with_name(candidate.name + ".wal")):
            path.unlink(missing_ok=True)
        raise
    return Publication(warehouse_path, copied=True, version=tier.version, how=how)


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
