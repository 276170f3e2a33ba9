"""Atomic publication of the analysts' tier of the build database as their warehouse, and rollback.

The publish writes a fresh DuckDB file beside the warehouse holding only the analysts' tables
(pipeline/tiers.py: core, marts and audit without the build tier), their comments and views,
and `audit.publication` (what was published, when, by which DuckDB, in which storage format),
in the storage format of ANALYST_STORAGE_VERSION so that every client from that release on
opens it. Its cost follows the analysts' tables, not the raw data the build also holds.

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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline import change_tracking, sql_models, tiers
from pipeline.catalog import apply_comments, sql_literal
from pipeline.config import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings
from pipeline.processes import process_running

# The oldest DuckDB release whose storage format the analysts' file is written in: DuckDB 1.4
# and every later client (the CLI, DBeaver's driver, MotherDuck) read it (docs/duckdb-version.md).
ANALYST_STORAGE_VERSION = "v1.4.0"
PUBLICATION_TABLE = ("audit", "publication")


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
    tables: dict[str, str] = field(default_factory=dict)  # how each table got there: kept, appended, written


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


def _attach(connection: duckdb.DuckDBPyConnection, path: Path, alias: str, options: str) -> None:
    # ATTACH takes no bound parameter (DuckDB 1.5): the path is quoted as a literal.
    connection.execute(f"ATTACH {sql_literal(os.fspath(path))} AS {alias}" + (f" ({options})" if options else ""))


# A kept file with more free space than this (left by tables written again in place) is
# written afresh instead, so the analysts' file does not grow without bound.
MAX_FREE_SHARE = 0.5


@dataclass(frozen=True)
class PreviousFile:
    """The analysts' file being replaced, as a starting point: the versions of its tables."""

    path: Path
    table_versions: dict[str, str]


def reusable_previous(warehouse_path: Path) -> PreviousFile | None:
    """The current analysts' file when the next one can start as its copy: it records its
    tables' versions, is in ANALYST_STORAGE_VERSION's format and is mostly live data."""
    if not warehouse_path.is_file():
        return None
    try:
        connection = duckdb.connect(os.fspath(warehouse_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = connection.execute(
            "SELECT storage_version, map_keys(table_versions), map_values(table_versions) "
            "FROM audit.publication ORDER BY published_at DESC LIMIT 1"
        ).fetchone()
        ((free_blocks, total_blocks),) = connection.execute(
            "SELECT free_blocks, total_blocks FROM pragma_database_size() WHERE database_name = current_database()"
        ).fetchall()
    except duckdb.Error:
        return None  # written before table versions were recorded: start afresh
    finally:
        connection.close()
    if row is None or row[0] != ANALYST_STORAGE_VERSION or row[1] is None:
        return None
    if total_blocks and free_blocks / total_blocks > MAX_FREE_SHARE:
        return None
    return PreviousFile(warehouse_path, dict(zip(row[1], row[2], strict=True)))


def _incremental_columns() -> dict[str, str]:
    """Analysts' tables that only ever grow by new files' rows, and the column naming a row's file."""
    return {
        f"{model.schema}.{model.table}": model.incremental[1]
        for model in sql_models.discover_models(tiers.ANALYST_SCHEMAS)
        if model.incremental
    }


def _only_grown(connection: duckdb.DuckDBPyConnection, names: list[str], recorded: dict[str, str]) -> dict[str, list[str]]:
    """Of the tables `names`, those the build only extended by new files since the version
    `recorded` for them: name -> the files whose rows to add."""
    grown = {}
    for name in names:  # the few incremental tables, not data
        schema, table = name.split(".")
        extension = change_tracking.extension(connection, (schema, table))
        if extension is not None and recorded.get(name) == extension[0]:
            grown[name] = extension[1]
    return grown


def write_analysts_file(
    build_database: Path, target: Path, version: str | None, run_id: str, memory_limit: str,
    previous: PreviousFile | None = None,
) -> dict[str, str]:
    """Write the analysts' tier of `build_database` into the new file `target`, checkpointed.
    Returns how each table got there: `kept`, `appended` or `written`.

    Its cost follows what changed: starting from a copy of `previous` (the file it replaces), a
    table of the same version is kept as it is, a table the build only extended by new files
    since gets just their rows, and only the others are written. A failure to write the file
    (disk full, read-only folder) is an OSError naming it."""
    connection = duckdb.connect(config={"memory_limit": memory_limit})
    how: dict[str, str] = {}
    try:
        _attach(connection, build_database, "build", "READ_ONLY")
        connection.execute("USE build")
        tables = tiers.analyst_tables(connection)
        views = tiers.analyst_views(connection)
        versions = {f"{schema}.{table}": change_tracking.table_version(connection, schema, table) for schema, table in tables}
        recorded = previous.table_versions if previous is not None else {}
        incremental = _incremental_columns()
        unchanged = {name for name, table_version in versions.items() if table_version is not None and recorded.get(name) == table_version}
        extended = _only_grown(connection, [name for name in incremental if name in versions], recorded)
        if unchanged or extended:
            # A copy keeps the storage format it was written in (reusable_previous checked it).
            _copy_durably(previous.path, target)
            _attach(connection, target, "analysts", "")
        else:
            _attach(connection, target, "analysts", f"STORAGE_VERSION {sql_literal(ANALYST_STORAGE_VERSION)}")
        for schema in tiers.ANALYST_SCHEMAS:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS analysts.{schema}")
        # What the copy holds that is made again below (views, the publication) or is gone.
        for schema, view in connection.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'analysts' AND NOT internal"
        ).fetchall():
            connection.execute(f"DROP VIEW analysts.{schema}.{view}")
        for schema, table in connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'analysts'"
        ).fetchall():
            if (schema, table) not in tables:
                connection.execute(f"DROP TABLE analysts.{schema}.{table}")
        for schema, table in tables:
            name = f"{schema}.{table}"
            if name in unchanged:
                how[name] = "kept"
                continue
            if name in extended:
                # The column name comes from the model's own SQL file (checked as an identifier).
                connection.execute(
                    f"INSERT INTO analysts.{name} BY NAME SELECT * FROM build.{name} "
                    f"WHERE {incremental[name]} IN (SELECT unnest(?::VARCHAR[]))",
                    [extended[name]],
                )
                published, built = connection.execute(
                    f"SELECT (SELECT count(*) FROM analysts.{name}), (SELECT count(*) FROM build.{name})"
                ).fetchone()
                if published == built:
                    how[name] = "appended"
                    continue
            connection.execute(f"CREATE OR REPLACE TABLE analysts.{name} AS FROM build.{name}")
            how[name] = "written"
        if views:
            connection.execute("USE analysts")  # a view's statement names its tables unqualified
            for _schema, _view, statement in views:
                connection.execute(statement)
            connection.execute("USE build")
        known_versions = {name: table_version for name, table_version in versions.items() if table_version is not None}
        schema, table = PUBLICATION_TABLE
        connection.execute(
            f"CREATE OR REPLACE TABLE analysts.{schema}.{table} AS SELECT ?::VARCHAR AS database_version, "
            "?::VARCHAR AS run_id, now() AS published_at, ?::VARCHAR AS duckdb_version, ?::VARCHAR AS storage_version, "
            "map(?::VARCHAR[], ?::VARCHAR[]) AS table_versions",
            [version, run_id, duckdb.__version__, ANALYST_STORAGE_VERSION, list(known_versions), list(known_versions.values())],
        )
        for schema, table in [*tables, PUBLICATION_TABLE]:
            apply_comments(connection, schema, table, database="analysts")
        connection.execute("USE memory")
        connection.execute("DETACH build")
        # Everything into the file itself (no write-ahead log beside it), durable before the swap.
        connection.execute("CHECKPOINT analysts")
        connection.execute("DETACH analysts")
    except duckdb.IOException as error:
        raise OSError(f"could not write the analysts' file {target}: {error}") from error
    finally:
        connection.close()
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
    return how


def publish(
    build_database: Path, warehouse_path: Path, kept_versions: int, run_id: str = "", memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
) -> Publication:
    """Write the analysts' tier of the build database into a fresh file and make it the
    analysts' warehouse, unless the warehouse already holds tables of the same version."""
    if not build_database.exists():
        raise PublishError(f"build database {build_database} does not exist; nothing to publish")
    connection = duckdb.connect(os.fspath(build_database), read_only=True)
    try:
        version = change_tracking.database_version(connection)
    finally:
        connection.close()
    if version is not None and version == recorded_version(warehouse_path):
        remove_stale_partials(warehouse_path)
        return Publication(warehouse_path, copied=False, version=version)
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(warehouse_path)
    candidate = _candidate_path(warehouse_path)
    try:
        tables = write_analysts_file(
            build_database, candidate, version, run_id, memory_limit, reusable_previous(warehouse_path)
        )
        _verify_readable(candidate)
        _swap_in(candidate, warehouse_path, kept_versions)
    except BaseException:
        for path in (candidate, candidate.with_name(candidate.name + ".wal")):
            path.unlink(missing_ok=True)
        raise
    return Publication(warehouse_path, copied=True, version=version, tables=tables)


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
