"""What each table of the build database was built from, so a refresh skips the work whose
inputs did not change, and still leaves the tables a rebuild would. The one place that knows
what changed.

A step that writes tables (validating a source, a SQL model) asks one question through
`build(...)`: are its tables kept, appended to, or rebuilt? The fingerprint of its inputs is its
own code (SQL text, suite, the Python that applies them, the PII key's fingerprint) and the
version of every table it reads. When the fingerprint equals the version recorded for its
tables, and they exist, they are kept. Otherwise the recorded state of its tables is forgotten
before the body runs and recorded after it succeeds (`Build` does both), so a step that stops
half-way leaves tables of unknown version, which the next refresh rebuilds.

A table built from a row source (a staged table from its landing table, an incremental model
from its staged table) may be extended instead, when the only change is files landed since:
`Build.new_files` names them, and the body that adds just their rows says so with
`Build.appended()`. The state lives in typed tables of the `tracking` schema of the build
database itself, so a killed run leaves tables and state consistent:

- `tracking.table_versions`: each built table's version (the fingerprint it was built from);
- `tracking.built_from`: for a table with a row source, the fingerprint of its other inputs,
  the row source's version and the landed files (path, hash, load time) it was built from;
- `tracking.extensions`: a table whose current version came from adding files' rows to an
  earlier version;
- `tracking.check_outcomes`: Great Expectations outcomes by the staged table's version.

A landing table's version is the list of files loaded into it (path, content hash, when it was
parsed); a small table (file records, reference tables) is versioned by its content.

When a blocking reconciliation fails, the tables disagree with what the state says they hold
(`forget_built_tables`): the next refresh rebuilds every table from the landed rows rather than
failing the same way forever.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline import tiers
from pipeline.catalog import entry_text
from pipeline.contract import SOURCES_BY_NAME

SCHEMA = "tracking"
# Bumped when table-building code changes in a way the fingerprints below do not see.
FORMAT_VERSION = "2"
LANDED_FILE_TYPE = "STRUCT(path VARCHAR, sha256 VARCHAR, loaded_at TIMESTAMPTZ)"
_TABLES = {
    "table_versions": "table_name VARCHAR PRIMARY KEY, version VARCHAR NOT NULL, run_id VARCHAR, built_at TIMESTAMPTZ",
    "built_from": (
        "table_name VARCHAR PRIMARY KEY, other_inputs VARCHAR NOT NULL, source_version VARCHAR, "
        f"files {LANDED_FILE_TYPE}[], run_id VARCHAR, built_at TIMESTAMPTZ"
    ),
    "extensions": (
        "table_name VARCHAR PRIMARY KEY, version VARCHAR NOT NULL, from_version VARCHAR NOT NULL, "
        "files VARCHAR[] NOT NULL, run_id VARCHAR, built_at TIMESTAMPTZ"
    ),
    "check_outcomes": (
        "check_name VARCHAR PRIMARY KEY, inputs VARCHAR NOT NULL, outcome JSON NOT NULL, run_id VARCHAR, checked_at TIMESTAMPTZ"
    ),
}
# Columns of landing.<source>_files that every refresh sets on every file it still sees: not
# what the file holds, so not part of the table's version (a removal changes `status` too).
_SEEN_COLUMNS = "last_run_id, last_seen_at, file_stat"
# Tables small enough to be versioned by their content.
_CONTENT_VERSIONED = {("core", name) for name in ("dim_province", "dim_sector", "dim_activity", "dim_channel", "dim_reason")}

Table = tuple[str, str]


def ensure(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for name, columns in _TABLES.items():
        connection.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{name} ({columns})")


def digest(*parts: str) -> str:
    hasher = hashlib.sha256(FORMAT_VERSION.encode())
    for part in parts:
        hasher.update(b"\x00")
        hasher.update(part.encode("utf-8"))
    return hasher.hexdigest()


def source_code(*modules) -> str:
    """The source text of Python modules whose code shapes a table."""
    return "\n".join(Path(module.__file__).read_text(encoding="utf-8") for module in modules)


def _name(table: Table) -> str:
    return f"{table[0]}.{table[1]}"


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? AND NOT temporary "
            "AND database_name = coalesce(?, current_database())",
            [schema, table, tiers.catalog_of(schema, table)],
        ).fetchall()[0][0]
    )


def _content_version(connection: duckdb.DuckDBPyConnection, schema: str, table: str, ignored: str = "") -> str:
    rows = f"(SELECT * EXCLUDE ({ignored}) FROM {schema}.{table})" if ignored else f"{schema}.{table}"
    (value,) = connection.execute(
        f"SELECT coalesce(md5(string_agg(t::VARCHAR, '\n' ORDER BY t::VARCHAR)), '') FROM {rows} t"
    ).fetchall()[0]
    return digest("content", schema, table, value)


def loaded_files(connection: duckdb.DuckDBPyConnection, source: str) -> list[dict]:
    """The files whose rows landing.<source> holds: {path, sha256, loaded_at}, sorted by path."""
    return [
        {"path": path, "sha256": sha256, "loaded_at": loaded_at}
        for path, sha256, loaded_at in connection.execute(
            f"SELECT source_file, sha256, loaded_at FROM landing.{source}_files WHERE status = 'loaded' ORDER BY ALL"
        ).fetchall()
    ]


def _files_text(files: list[dict]) -> str:
    return json.dumps([[f["path"], f["sha256"], f["loaded_at"].isoformat()] for f in files], ensure_ascii=False)


def table_version(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str | None:
    """The table's version, or None when it is unknown (not built yet, or by older code)."""
    if not table_exists(connection, schema, table):
        return None
    if schema == "landing" and table in SOURCES_BY_NAME:
        # The rows of landing.<source> are those of its loaded files, as parsed when loaded.
        return digest("landing", table, _files_text(loaded_files(connection, table)))
    if schema == "landing" and table.endswith("_files"):
        return _content_version(connection, schema, table, ignored=_SEEN_COLUMNS)
    if (schema, table) in _CONTENT_VERSIONED:
        return _content_version(connection, schema, table)
    if not table_exists(connection, SCHEMA, "table_versions"):
        return None  # nothing recorded yet (and a read-only connection creates nothing)
    rows = connection.execute(
        f"SELECT version FROM {SCHEMA}.table_versions WHERE table_name = ?", [_name((schema, table))]
    ).fetchall()
    return rows[0][0] if rows else None


def fingerprint(connection: duckdb.DuckDBPyConnection, code: str, inputs: Iterable[Table]) -> str | None:
    """Fingerprint of a step's code and input tables; None when an input's version is unknown."""
    versions = {}
    for schema, table in set(inputs):
        version = table_version(connection, schema, table)
        if version is None:
            return None
        versions[(schema, table)] = version
    return fingerprint_of_versions(connection, code, versions)


def fingerprint_of_versions(connection: duckdb.DuckDBPyConnection, code: str, versions: dict[Table, str]) -> str:
    """The fingerprint `fingerprint` gives when the input tables have these versions."""
    # The keyed hash of personal IDs is computed in SQL: another key gives other tables.
    (key,) = connection.execute("SELECT sha256('build-state:' || coalesce(getvariable('pii_hash_key'), ''))").fetchall()[0]
    return digest(code, key, *(f"{schema}.{table}={versions[(schema, table)]}" for schema, table in sorted(versions)))


def _is_current(connection: duckdb.DuckDBPyConnection, tables: list[Table], version: str | None) -> bool:
    return version is not None and all(
        table_exists(connection, *table) and table_version(connection, *table) == version for table in tables
    )


def _forget(connection: duckdb.DuckDBPyConnection, tables: list[Table]) -> None:
    names = [_name(table) for table in tables]
    for state in ("table_versions", "built_from", "extensions"):
        connection.execute(f"DELETE FROM {SCHEMA}.{state} WHERE table_name IN (SELECT unnest(?::VARCHAR[]))", [names])


def extension(connection: duckdb.DuckDBPyConnection, table: Table) -> tuple[str, list[str]] | None:
    """(its version before, the source files whose rows were added) when the table's current
    version came from extending it; else None. Reads only, so a read-only connection may ask."""
    if not table_exists(connection, SCHEMA, "extensions"):
        return None
    rows = connection.execute(
        f"SELECT from_version, files FROM {SCHEMA}.extensions WHERE table_name = ? AND version = ?",
        [_name(table), table_version(connection, *table)],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


@dataclass
class Build:
    """The answer for one step: `mode` is kept, appended or rebuilt (see `build`)."""

    mode: str
    version: str | None
    new_files: list[str] = field(default_factory=list)
    _previous_version: str | None = None
    _added: list[str] = field(default_factory=list)

    @property
    def rebuilt(self) -> bool:
        """Whether the tables changed (appended or rebuilt)."""
        return self.mode != "kept"

    def appended(self) -> None:
        """The body added just the rows of `new_files` to the tables as they were."""
        self.mode, self._added = "appended", list(self.new_files)


def _new_files(connection, row_source: Table, other_inputs: str | None, recorded: tuple | None) -> list[str]:
    """The row source's files whose rows alone need adding, when that is the only change since
    the table was built; else []."""
    if other_inputs is None or recorded is None or recorded[0] != other_inputs:
        return []
    if row_source[0] == "landing":
        before = {(f["path"], f["sha256"], f["loaded_at"]) for f in recorded[2] or []}
        now = {(f["path"], f["sha256"], f["loaded_at"]) for f in loaded_files(connection, row_source[1])}
        return sorted(path for path, _sha, _at in now - before) if before and before < now else []
    added = extension(connection, row_source)
    return added[1] if added is not None and added[0] == recorded[1] else []


@contextmanager
def build(
    connection: duckdb.DuckDBPyConnection, outputs: list[Table], code: str, inputs: Iterable[Table], run_id: str,
    row_source: Table | None = None,
) -> Iterator[Build]:
    """Whether the step's `outputs` are kept, appended to or rebuilt; records the outcome once the
    body has built them. With a `row_source` among the inputs, `new_files` names the files whose
    rows alone may be added."""
    ensure(connection)
    inputs = sorted(set(inputs))
    version = fingerprint(connection, code, inputs)
    if _is_current(connection, outputs, version):
        yield Build("kept", version)
        return
    first = outputs[0]
    other_inputs = source_version = None
    new_files: list[str] = []
    if row_source is not None:
        other_inputs = fingerprint(connection, code, [t for t in inputs if t != row_source])
        source_version = table_version(connection, *row_source)
        recorded = connection.execute(
            f"SELECT other_inputs, source_version, files FROM {SCHEMA}.built_from WHERE table_name = ?", [_name(first)]
        ).fetchall()
        if table_exists(connection, *first):
            new_files = _new_files(connection, row_source, other_inputs, recorded[0] if recorded else None)
    answer = Build("rebuilt", version, new_files, table_version(connection, *first))
    # Forgotten first: a step that stops half-way leaves tables of unknown version.
    _forget(connection, outputs)
    yield answer
    if version is None:
        return
    now = datetime.now(timezone.utc)
    for table in outputs:
        connection.execute(f"INSERT INTO {SCHEMA}.table_versions VALUES (?, ?, ?, ?)", [_name(table), version, run_id, now])
    if row_source is not None and other_inputs is not None:
        files = loaded_files(connection, row_source[1]) if row_source[0] == "landing" else None
        connection.execute(
            f"INSERT INTO {SCHEMA}.built_from VALUES (?, ?, ?, ?::{LANDED_FILE_TYPE}[], ?, ?)",
            [_name(first), other_inputs, source_version, files, run_id, now],
        )
    if answer.mode == "appended" and answer._previous_version is not None:
        # The table the rows were added to (the first output) is what a model reading it extends.
        connection.execute(
            f"INSERT INTO {SCHEMA}.extensions VALUES (?, ?, ?, ?, ?, ?)",
            [_name(first), version, answer._previous_version, answer._added, run_id, now],
        )


def recorded_outcome(connection: duckdb.DuckDBPyConnection, check_name: str, inputs: str | None) -> tuple[object, str] | None:
    """(outcome, run that computed it) recorded for check `check_name` on these inputs, if any."""
    if inputs is None:
        return None
    ensure(connection)
    rows = connection.execute(
        f"SELECT outcome, run_id FROM {SCHEMA}.check_outcomes WHERE check_name = ? AND inputs = ?", [check_name, inputs]
    ).fetchall()
    return (json.loads(rows[0][0]), rows[0][1]) if rows else None


def record_outcome(
    connection: duckdb.DuckDBPyConnection, check_name: str, inputs: str | None, outcome: object, run_id: str
) -> None:
    ensure(connection)
    connection.execute(f"DELETE FROM {SCHEMA}.check_outcomes WHERE check_name = ?", [check_name])
    if inputs is not None:
        connection.execute(
            f"INSERT INTO {SCHEMA}.check_outcomes VALUES (?, ?, ?, ?, ?)",
            [check_name, inputs, json.dumps(outcome, ensure_ascii=False), run_id, datetime.now(timezone.utc)],
        )


def forget_built_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Forget what every built table was built from (landed rows stay): the next refresh
    rebuilds them all from the landing. For when the tables disagree with the state."""
    ensure(connection)
    for state in ("table_versions", "built_from", "extensions", "check_outcomes"):
        connection.execute(f"DELETE FROM {SCHEMA}.{state}")


def database_version(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The version of everything the analysts read (every table of their tier, with its
    comments, and every view of their schemas): None when a table's version is unknown."""
    if not table_exists(connection, SCHEMA, "table_versions") or not tiers.tier_attached(connection):
        return None  # not a database this pipeline built, or its analysts' tier is missing
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
            WHERE NOT temporary AND database_name = ?
            UNION ALL
            SELECT concat_ws('|', schema_name, table_name, column_name, data_type, comment) FROM duckdb_columns()
            SEMI JOIN analysts USING (schema_name, table_name)
            WHERE database_name = ?
            UNION ALL
            SELECT concat_ws('|', schema, view, sql) FROM (SELECT unnest(?::STRUCT(schema VARCHAR, view VARCHAR, sql VARCHAR)[], recursive := true))
        )
        """,
        [
            [{"schema_name": schema, "table_name": table} for schema, table in tables],
            tiers.TIER_CATALOG,
            tiers.TIER_CATALOG,
            [{"schema": schema, "view": view, "sql": sql} for schema, view, sql in tiers.analyst_views(connection)],
        ],
    ).fetchall()[0]
    # The publication table's comments come from the catalog at publish time.
    return digest("database", described, entry_text(*tiers.PUBLICATION_TABLE), *versions)
