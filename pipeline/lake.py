"""The analysts' warehouse as a DuckLake, when WAREHOUSE_DUCKLAKE names its catalog: the same
analysts' tier as the file (pipeline/tiers.py), as Parquet files under WAREHOUSE_DATA_PATH (a
folder or an s3:// URL) with the catalog in PostgreSQL (`ducklake:postgres:dbname=... host=...`)
or in a DuckDB file (`ducklake:<path>.ducklake`).

A publish is one transaction, so one snapshot: its tables, views, comments and
`audit.publication`, committed with the message `publish <database version>`. Readers attached
read-only keep the snapshot they started with; a publish that fails or is killed commits
nothing. A build the lake already holds (its version, in `audit.publication`) commits nothing.
Rollback commits a snapshot equal to the publish before the current one (`rollback to <id>`).
Snapshots older than the last WAREHOUSE_KEEP_VERSIONS publishes expire, and small files are
merged, by `maintain` (the `maintain_warehouse` job).

S3 credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_ENDPOINT_URL for an S3-compatible server), never from the repository.

Command line:  python -m pipeline.lake rollback | maintain | snapshots
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from urllib.parse import urlparse

import duckdb

from pipeline import change_tracking, tiers
from pipeline.catalog import apply_comments, sql_literal
from pipeline.config import Settings
from pipeline.extensions import connect_with_extensions

LAKE = "lake"
COMMIT_AUTHOR = "cluster-programme-warehouse"
PUBLISH = "publish"
ROLLBACK = "rollback to"


class LakeError(RuntimeError):
    pass


@dataclass(frozen=True)
class LakePublication:
    catalog: str
    committed: bool  # False: the lake already held this build
    version: str | None
    snapshot: int | None


def _s3_secret(connection: duckdb.DuckDBPyConnection, data_path: str | None) -> None:
    if not (data_path or "").startswith("s3://"):
        return
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    parsed = urlparse(endpoint) if endpoint else None
    options = {
        "KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", ""),
        "SECRET": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        "REGION": os.environ.get("AWS_REGION", "us-east-1"),
    }
    if parsed is not None:
        options |= {"ENDPOINT": parsed.netloc, "URL_STYLE": "path"}
    use_ssl = "false" if parsed is not None and parsed.scheme == "http" else "true"
    # CREATE SECRET takes no bound parameter; the values come from this process's environment.
    listed = ", ".join(f"{key} {sql_literal(value)}" for key, value in options.items())
    connection.execute(f"CREATE OR REPLACE SECRET lake_s3 (TYPE S3, {listed}, USE_SSL {use_ssl})")


def connect(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the lake attached as `lake`; an unreachable catalog or
    storage is a LakeError naming it."""
    connection = connect_with_extensions(memory_limit=settings.duckdb_memory_limit)
    try:
        _s3_secret(connection, settings.warehouse_data_path)
        options = []
        if settings.warehouse_data_path and not read_only:
            options.append(f"DATA_PATH {sql_literal(settings.warehouse_data_path)}")
        if read_only:
            options.append("READ_ONLY")
        listed = f" ({', '.join(options)})" if options else ""
        connection.execute(f"ATTACH {sql_literal(settings.warehouse_ducklake)} AS {LAKE}{listed}")
    except duckdb.Error as error:
        connection.close()
        raise LakeError(f"could not open the DuckLake warehouse {settings.warehouse_ducklake}: {error}") from error
    return connection


def _recorded_version(connection: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = connection.execute(f"SELECT database_version FROM {LAKE}.audit.publication LIMIT 1").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def _commit(connection: duckdb.DuckDBPyConnection, message: str) -> int:
    connection.execute(f"CALL {LAKE}.set_commit_message(?, ?)", [COMMIT_AUTHOR, message])
    connection.execute("COMMIT")
    (snapshot,) = connection.execute(f"SELECT max(snapshot_id) FROM ducklake_snapshots('{LAKE}')").fetchone()
    return snapshot


def publish_to_lake(build_database, settings: Settings, run_id: str = "") -> LakePublication:
    """Publish the analysts' tier of the build database as one snapshot of the lake."""
    connection = connect(settings)
    try:
        tiers.attach_file(connection, build_database, "build", "READ_ONLY")
        connection.execute("USE build")
        tiers.attach_analysts_tier(connection, build_database, read_only=True)
        version = change_tracking.database_version(connection)
        if version is not None and version == _recorded_version(connection):
            return LakePublication(settings.warehouse_ducklake, committed=False, version=version, snapshot=None)
        tables = tiers.analyst_tables(connection)
        views = tiers.analyst_views(connection)
        connection.execute("BEGIN")
        for schema in tiers.ANALYST_SCHEMAS:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {LAKE}.{schema}")
        for schema, view in connection.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal", [LAKE]
        ).fetchall():
            connection.execute(f"DROP VIEW {LAKE}.{schema}.{view}")
        for schema, table in connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?", [LAKE]
        ).fetchall():
            if (schema, table) not in tables and (schema, table) != tiers.PUBLICATION_TABLE:
                connection.execute(f"DROP TABLE {LAKE}.{schema}.{table}")
        for schema, table in tables:
            connection.execute(f"CREATE OR REPLACE TABLE {LAKE}.{schema}.{table} AS FROM {tiers.TIER_CATALOG}.{schema}.{table}")
        if views:
            connection.execute(f"USE {LAKE}")  # a view's statement names its tables unqualified
            for _schema, _view, statement in views:
                connection.execute(statement)
            connection.execute("USE build")
        schema, table = tiers.PUBLICATION_TABLE
        connection.execute(
            f"CREATE OR REPLACE TABLE {LAKE}.{schema}.{table} AS SELECT ?::VARCHAR AS database_version, "
            "?::VARCHAR AS run_id, now() AS published_at, ?::VARCHAR AS duckdb_version, 'ducklake' AS storage_version",
            [version, run_id, duckdb.__version__],
        )
        for schema, table in [*tables, tiers.PUBLICATION_TABLE]:
            apply_comments(connection, schema, table, database=LAKE)
        snapshot = _commit(connection, f"{PUBLISH} {version}")
    except duckdb.Error as error:
        raise LakeError(f"could not publish to the DuckLake warehouse {settings.warehouse_ducklake}: {error}") from error
    finally:
        connection.close()
    return LakePublication(settings.warehouse_ducklake, committed=True, version=version, snapshot=snapshot)


def _publishes(connection: duckdb.DuckDBPyConnection) -> tuple[list[int], int | None]:
    """Snapshot ids of the publishes, oldest first, and the one whose tables are current."""
    rows = connection.execute(
        f"SELECT snapshot_id, commit_message FROM ducklake_snapshots('{LAKE}') "
        "WHERE commit_message LIKE ? OR commit_message LIKE ? ORDER BY snapshot_id",
        [f"{PUBLISH} %", f"{ROLLBACK} %"],
    ).fetchall()
    publishes = [snapshot for snapshot, message in rows if message.startswith(f"{PUBLISH} ")]
    if not rows:
        return publishes, None
    last_snapshot, last_message = rows[-1]
    current = int(last_message.removeprefix(f"{ROLLBACK} ")) if last_message.startswith(ROLLBACK) else last_snapshot
    return publishes, current


def _tables_at(connection: duckdb.DuckDBPyConnection, snapshot: int) -> list[tuple[str, str]]:
    """(schema, table) of the lake at `snapshot`, from DuckLake's own catalog tables."""
    metadata = f"__ducklake_metadata_{LAKE}"
    return connection.execute(
        f"""
        SELECT s.schema_name, t.table_name FROM {metadata}.ducklake_table t JOIN {metadata}.ducklake_schema s USING (schema_id)
        WHERE t.begin_snapshot <= $n AND (t.end_snapshot IS NULL OR t.end_snapshot > $n)
          AND s.begin_snapshot <= $n AND (s.end_snapshot IS NULL OR s.end_snapshot > $n)
        ORDER BY ALL
        """,
        {"n": snapshot},
    ).fetchall()


def rollback(settings: Settings) -> int:
    """Make the publish before the current one current again, as a new snapshot; its id."""
    connection = connect(settings)
    try:
        publishes, current = _publishes(connection)
        earlier = [snapshot for snapshot in publishes if current is not None and snapshot < current]
        if not earlier:
            raise LakeError(f"no earlier publish of {settings.warehouse_ducklake} to go back to")
        target = earlier[-1]
        before = _tables_at(connection, target)
        connection.execute("BEGIN")
        for schema, table in connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?", [LAKE]
        ).fetchall():
            if (schema, table) not in before:
                connection.execute(f"DROP TABLE {LAKE}.{schema}.{table}")
        for schema, table in before:
            connection.execute(
                f"CREATE OR REPLACE TABLE {LAKE}.{schema}.{table} AS FROM {LAKE}.{schema}.{table} AT (VERSION => ?)", [target]
            )
            apply_comments(connection, schema, table, database=LAKE)
        _commit(connection, f"{ROLLBACK} {target}")
    except duckdb.Error as error:
        raise LakeError(f"could not roll back the DuckLake warehouse {settings.warehouse_ducklake}: {error}") from error
    finally:
        connection.close()
    return target


def maintain(settings: Settings) -> dict[str, int]:
    """Expire the snapshots before the last WAREHOUSE_KEEP_VERSIONS publishes, delete the files
    only they used, and merge small adjacent files."""
    connection = connect(settings)
    try:
        publishes, current = _publishes(connection)
        # The current publish (a rollback's target may be older) and the last kept_versions before it.
        kept = publishes[-(settings.kept_versions + 1):] + ([current] if current is not None else [])
        oldest_kept = min(kept, default=None)
        expired = []
        if oldest_kept is not None:
            expired = [
                snapshot for (snapshot,) in connection.execute(
                    f"SELECT snapshot_id FROM ducklake_snapshots('{LAKE}') WHERE snapshot_id < ? ORDER BY 1", [oldest_kept]
                ).fetchall()
            ]
        if expired:
            connection.execute(f"CALL ducklake_expire_snapshots('{LAKE}', versions => ?)", [expired])
        deleted = connection.execute(f"CALL ducklake_cleanup_old_files('{LAKE}', cleanup_all => true)").fetchall()
        connection.execute(f"CALL ducklake_merge_adjacent_files('{LAKE}')")
    except duckdb.Error as error:
        raise LakeError(f"could not maintain the DuckLake warehouse {settings.warehouse_ducklake}: {error}") from error
    finally:
        connection.close()
    return {"snapshots_expired": len(expired), "files_deleted": len(deleted)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.lake", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["rollback", "maintain", "snapshots"])
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if not settings.warehouse_ducklake:
        print("error: WAREHOUSE_DUCKLAKE is not set; the warehouse is the file WAREHOUSE_PATH", file=sys.stderr)
        return 1
    try:
        if args.command == "rollback":
            print(f"{settings.warehouse_ducklake}: the publish of snapshot {rollback(settings)} is current again")
        elif args.command == "maintain":
            print(maintain(settings))
        else:
            connection = connect(settings, read_only=True)
            try:
                for row in connection.execute(
                    f"SELECT snapshot_id, snapshot_time, commit_message FROM ducklake_snapshots('{LAKE}') ORDER BY 1"
                ).fetchall():
                    print(*row, sep="\t")
            finally:
                connection.close()
    except LakeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
