"""What each table of the build database was built from, so a refresh skips the work whose
inputs did not change, and still leaves the tables a rebuild would.

A step that writes tables (validating a source, a SQL model) computes a fingerprint of its
inputs: its own code (SQL text, suite, the Python that applies them, the PII key's
fingerprint) and the version of every table it reads. When the fingerprint equals the one
recorded for its tables the last time they were built, and those tables exist, it skips the
work. Otherwise it rebuilds them and records the fingerprint, which becomes their version
(`landing.build_state`). A landing table's version is the list of files loaded into it (path,
content hash, when it was parsed); a small table (file records, reference tables) is
versioned by its content.

A staged table built from landed files can be extended rather than rebuilt when the only change
is files landed since (see pipeline/defs/staging.py): the files it was built from are
recorded beside its version, and how it was extended, for its Great Expectations check.

Great Expectations outcomes are recorded the same way, keyed by the staged table's version
and the suite: an unchanged staged table is not validated again, its recorded outcomes are
reported (with the run that computed them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline import tiers
from pipeline.contract import SOURCES_BY_NAME

STATE_TABLE = "landing.build_state"
# Bumped when table-building code changes in a way the fingerprints below do not see.
FORMAT_VERSION = "1"
# Columns of landing.<source>_files that every refresh sets on every file it still sees: not
# what the file holds, so not part of the table's version (a removal changes `status` too).
_SEEN_COLUMNS = "last_run_id, last_seen_at, file_stat"
# Tables small enough to be versioned by their content.
_CONTENT_VERSIONED = {("core", name) for name in ("dim_province", "dim_sector", "dim_activity", "dim_channel")}


def ensure(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("CREATE SCHEMA IF NOT EXISTS landing")
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
        "(name VARCHAR, fingerprint VARCHAR, run_id VARCHAR, built_at TIMESTAMPTZ, outcome VARCHAR)"
    )


def digest(*parts: str) -> str:
    hasher = hashlib.sha256(FORMAT_VERSION.encode())
    for part in parts:
        hasher.update(b"\x00")
        hasher.update(part.encode("utf-8"))
    return hasher.hexdigest()


def source_code(*modules) -> str:
    """The source text of Python modules whose code shapes a table."""
    return "\n".join(Path(module.__file__).read_text(encoding="utf-8") for module in modules)


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? AND NOT temporary",
            [schema, table],
        ).fetchall()[0][0]
    )


def _content_version(connection: duckdb.DuckDBPyConnection, schema: str, table: str, ignored: str = "") -> str:
    rows = f"(SELECT * EXCLUDE ({ignored}) FROM {schema}.{table})" if ignored else f"{schema}.{table}"
    (value,) = connection.execute(
        f"SELECT coalesce(md5(string_agg(t::VARCHAR, '\n' ORDER BY t::VARCHAR)), '') FROM {rows} t"
    ).fetchall()[0]
    return digest("content", schema, table, value)


def table_version(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str | None:
    """The table's version, or None when it is unknown (not built yet, or by older code)."""
    if not table_exists(connection, schema, table):
        return None
    if schema == "landing" and table in SOURCES_BY_NAME:
        # The rows of landing.<source> are those of its loaded files, as parsed when loaded.
        return digest("landing", table, "\n".join(loaded_files(connection, table)))
    if schema == "landing" and table.endswith("_files"):
        return _content_version(connection, schema, table, ignored=_SEEN_COLUMNS)
    if (schema, table) in _CONTENT_VERSIONED:
        return _content_version(connection, schema, table)
    rows = connection.execute(
        f"SELECT fingerprint FROM {STATE_TABLE} WHERE name = ? AND outcome IS NULL", [f"{schema}.{table}"]
    ).fetchall()
    return rows[0][0] if rows else None


def fingerprint(
    connection: duckdb.DuckDBPyConnection, code: str, inputs: Iterable[tuple[str, str]]
) -> str | None:
    """Fingerprint of a step's code and input tables; None when an input's version is unknown."""
    versions = {}
    for schema, table in set(inputs):
        version = table_version(connection, schema, table)
        if version is None:
            return None
        versions[(schema, table)] = version
    return fingerprint_of_versions(connection, code, versions)


def fingerprint_of_versions(connection: duckdb.DuckDBPyConnection, code: str, versions: dict[tuple[str, str], str]) -> str:
    """The fingerprint `fingerprint` gives when the input tables have these versions."""
    # The keyed hash of personal IDs is computed in SQL: another key gives other tables.
    (key,) = connection.execute("SELECT sha256('build-state:' || coalesce(getvariable('pii_hash_key'), ''))").fetchall()[0]
    return digest(code, key, *(f"{schema}.{table}={versions[(schema, table)]}" for schema, table in sorted(versions)))


def loaded_files(connection: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """The files whose rows landing.<source> holds, each as 'path sha256 loaded_at', sorted."""
    return [
        row[0]
        for row in connection.execute(
            f"SELECT source_file || ' ' || sha256 || ' ' || loaded_at::VARCHAR AS loaded FROM landing.{source}_files "
            "WHERE status = 'loaded' ORDER BY loaded"
        ).fetchall()
    ]


def is_current(connection: duckdb.DuckDBPyConnection, tables: Iterable[tuple[str, str]], fingerprint: str | None) -> bool:
    """Whether every one of `tables` exists and was last built from `fingerprint`."""
    if fingerprint is None:
        return False
    ensure(connection)
    return all(
        table_exists(connection, schema, table) and table_version(connection, schema, table) == fingerprint
        for schema, table in tables
    )


def record(
    connection: duckdb.DuckDBPyConnection, tables: Iterable[tuple[str, str]], fingerprint: str | None, run_id: str
) -> None:
    """After building `tables`: their version is `fingerprint` (forgotten when it is None)."""
    ensure(connection)
    names = [f"{schema}.{table}" for schema, table in tables]
    connection.execute(
        f"DELETE FROM {STATE_TABLE} WHERE name IN (SELECT unnest(?::VARCHAR[])) AND outcome IS NULL", [names]
    )
    if fingerprint is not None:
        now = datetime.now(timezone.utc)
        for name in names:
            connection.execute(
                f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?, ?, NULL)", [name, fingerprint, run_id, now]
            )


def recorded_outcome(connection: duckdb.DuckDBPyConnection, name: str, fingerprint: str | None) -> tuple[object, str] | None:
    """(outcome, run that computed it) recorded for check `name` on these inputs, if any."""
    if fingerprint is None:
        return None
    ensure(connection)
    rows = connection.execute(
        f"SELECT outcome, run_id FROM {STATE_TABLE} WHERE name = ? AND fingerprint = ? AND outcome IS NOT NULL",
        [name, fingerprint],
    ).fetchall()
    return (json.loads(rows[0][0]), rows[0][1]) if rows else None


def record_outcome(
    connection: duckdb.DuckDBPyConnection, name: str, fingerprint: str | None, outcome: object, run_id: str
) -> None:
    ensure(connection)
    connection.execute(f"DELETE FROM {STATE_TABLE} WHERE name = ? AND outcome IS NOT NULL", [name])
    if fingerprint is not None:
        connection.execute(
            f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?, ?, ?)",
            [name, fingerprint, run_id, datetime.now(timezone.utc), json.dumps(outcome, ensure_ascii=False)],
        )


def _appended_name(schema: str, table: str) -> str:
    return f"{schema}.{table}:appended"


def record_appended(
    connection: duckdb.DuckDBPyConnection, schema: str, table: str, version: str | None, from_version: str | None,
    files: list[str], run_id: str,
) -> None:
    """The table, now at `version`, was `from_version` plus the rows of `files` (None: forget)."""
    outcome = {"from_version": from_version, "files": files}
    record_outcome(connection, _appended_name(schema, table), version if from_version else None, outcome, run_id)


def last_extension(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[str, list[str]] | None:
    """(its version before, the source files whose rows were added) when the table's current
    version came from extending it; else None."""
    recorded = recorded_outcome(connection, _appended_name(schema, table), table_version(connection, schema, table))
    if recorded is None or recorded[0]["from_version"] is None:
        return None
    return recorded[0]["from_version"], recorded[0]["files"]


def database_version(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The version of everything the analysts read (every table of their tier, with its
    comments, and every view of their schemas): None when a table's version is unknown."""
    if not table_exists(connection, "landing", "build_state"):
        return None  # not a database this pipeline built
    tables = tiers.analyst_tables(connection)
    versions = []
    for schema, table in tables:
        version = table_version(connection, schema, table)
        if version is None:
            return None
        versions.append(f"{schema}.{table}={version}")
    # Comments are applied on every refresh from the catalog, which a table's version does not cover.
    (described,) = connection.execute(
        """
        WITH analysts AS (
            SELECT unnest(?::STRUCT(schema_name VARCHAR, table_name VARCHAR)[], recursive := true)
        )
        SELECT coalesce(md5(string_agg(described, '\n' ORDER BY described)), '') FROM (
            SELECT concat_ws('|', schema_name, table_name, comment) AS described FROM duckdb_tables()
            SEMI JOIN analysts USING (schema_name, table_name)
            WHERE NOT temporary AND database_name = current_database()
            UNION ALL
            SELECT concat_ws('|', schema_name, table_name, column_name, data_type, comment) FROM duckdb_columns()
            SEMI JOIN analysts USING (schema_name, table_name)
            WHERE database_name = current_database()
            UNION ALL
            SELECT concat_ws('|', schema, view, sql) FROM (SELECT unnest(?::STRUCT(schema VARCHAR, view VARCHAR, sql VARCHAR)[], recursive := true))
        )
        """,
        [
            [{"schema_name": schema, "table_name": table} for schema, table in tables],
            [{"schema": schema, "view": view, "sql": sql} for schema, view, sql in tiers.analyst_views(connection)],
        ],
    ).fetchall()[0]
    return digest("database", described, *versions)
