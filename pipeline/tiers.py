"""Who may read which table, and in which file the build keeps it.

The build keeps two files in its restricted folder (BUILD_DIR), attached to every connection
of a step:

- the build database: landing, staging, the build tier's tables of audit (quarantined rows as
  read), the build state; it carries personal data and is for the data engineers;
- the analysts' tier (`ANALYSTS_TIER_FILE`, attached as `TIER_CATALOG`): the tables of core,
  marts and audit that analysts receive (every table of those schemas but those the catalog
  places in the build tier, `tier: build` in pipeline/catalog.yml), in the storage format of
  ANALYST_STORAGE_VERSION. The publish copies this file whole as the analysts' warehouse, so
  its cost follows the analysts' tables and never touches the raw data.

A step names the tables as `<schema>.<table>` either way: the search path resolves `core` and
`marts` to the tier, and `audit` to the build database first and then the tier, so a statement
that creates an analysts' table names its catalog (`qualified`).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipeline.catalog import ANALYSTS_TIER, sql_literal, table_tier

ANALYST_SCHEMAS = ("core", "marts", "audit")
TIER_CATALOG = "analysts_tier"
ANALYSTS_TIER_FILE = "cluster_programme.analysts.duckdb"
# Written by each publish into the analysts' file (and lake) it makes, never by the build.
PUBLICATION_TABLE = ("audit", "publication")
# The oldest DuckDB release whose storage format the analysts' file is written in: DuckDB 1.4
# and every later client (the CLI, DBeaver's driver, MotherDuck) read it (docs/duckdb-version.md).
ANALYST_STORAGE_VERSION = "v1.4.0"


def tier_file(build_database: Path) -> Path:
    """The analysts' tier as the build writes it: beside the build database, in its folder."""
    return build_database.with_name(ANALYSTS_TIER_FILE)


def is_analysts_table(schema: str, table: str) -> bool:
    return schema in ANALYST_SCHEMAS and table_tier(schema, table) == ANALYSTS_TIER


def catalog_of(schema: str, table: str) -> str | None:
    """The catalog a build connection holds the table in: the tier's, or None (the build database)."""
    return TIER_CATALOG if is_analysts_table(schema, table) else None


def qualified(schema: str, table: str) -> str:
    """The table's name with its catalog when it lives in the tier, for statements that create it."""
    catalog = catalog_of(schema, table)
    return f"{catalog}.{schema}.{table}" if catalog else f"{schema}.{table}"


def attach_file(connection: duckdb.DuckDBPyConnection, path: Path, alias: str, options: str = "") -> None:
    """ATTACH a DuckDB file as `alias` with `options` (e.g. READ_ONLY)."""
    # ATTACH takes no bound parameter (DuckDB 1.5): the path is quoted as a literal.
    connection.execute(f"ATTACH {sql_literal(os.fspath(path))} AS {alias}" + (f" ({options})" if options else ""))


def attach_analysts_tier(connection: duckdb.DuckDBPyConnection, build_database: Path, read_only: bool) -> None:
    """Attach the tier beside the build database the connection is on, and set the search path.

    Read-only, a tier not yet built is not attached (its tables are missing, as in a new build).
    Read-write, it is created in the analysts' storage format, with its schemas, and what an
    earlier layout left of the analysts' tables in the build database itself is dropped.
    """
    path = tier_file(build_database)
    if read_only and not path.exists():
        return
    # A file keeps the format it was created in (an existing file's is what its tags then report, which the publish checks).
    options = "READ_ONLY" if read_only else "" if path.exists() else f"STORAGE_VERSION {sql_literal(ANALYST_STORAGE_VERSION)}"
    attach_file(connection, path, TIER_CATALOG, options)
    (build,) = connection.execute("SELECT current_database()").fetchone()
    build_catalog = '"' + build.replace('"', '""') + '"'
    if not read_only:
        for schema in ANALYST_SCHEMAS:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {TIER_CATALOG}.{schema}")
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {build_catalog}.audit")
        _drop_earlier_layout(connection, build, build_catalog)
    # SET search_path accepts existing schemas only: a build not yet run has no audit schema.
    wanted = [(build, "main"), (build, "audit"), *((TIER_CATALOG, schema) for schema in ANALYST_SCHEMAS)]
    existing = set(connection.execute("SELECT database_name, schema_name FROM duckdb_schemas()").fetchall())
    search_path = [
        f"{build_catalog if database == build else database}.{schema}" for database, schema in wanted if (database, schema) in existing
    ]
    connection.execute(f"SET search_path = {sql_literal(','.join(search_path))}")


def _drop_earlier_layout(connection: duckdb.DuckDBPyConnection, build: str, build_catalog: str) -> None:
    """Analysts' tables an earlier release kept in the build database would shadow the tier's;
    the build state finds them missing from the tier and builds them there."""
    for schema, table in analyst_tables(connection, build):
        connection.execute(f"DROP TABLE {build_catalog}.{schema}.{table}")


def _tables_of(connection: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND database_name = ? AND schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
        [database, list(ANALYST_SCHEMAS)],
    ).fetchall()


def connect_build(build_database: Path, read_only: bool = True, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the build database with the analysts' tier attached."""
    connection = duckdb.connect(os.fspath(build_database), read_only=read_only, config=config or {})
    try:
        attach_analysts_tier(connection, build_database, read_only)
    except BaseException:
        connection.close()
        raise
    return connection


def tier_attached(connection: duckdb.DuckDBPyConnection) -> bool:
    return bool(connection.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [TIER_CATALOG]).fetchone()[0])


def analyst_tables(connection: duckdb.DuckDBPyConnection, database: str = TIER_CATALOG) -> list[tuple[str, str]]:
    """(schema, table) of every table analysts receive, as `database` holds them, sorted."""
    return [(schema, table) for schema, table in _tables_of(connection, database) if is_analysts_table(schema, table)]


def build_tier_tables(connection: duckdb.DuckDBPyConnection, database: str = TIER_CATALOG) -> list[tuple[str, str]]:
    """Tables of `database` that the catalog keeps from analysts: none may reach their file."""
    return [(schema, table) for schema, table in _tables_of(connection, database) if not is_analysts_table(schema, table)]


def analyst_views(connection: duckdb.DuckDBPyConnection, database: str = TIER_CATALOG) -> list[tuple[str, str, str]]:
    """(schema, view, its CREATE statement) of `database`'s views in the analysts' schemas."""
    return connection.execute(
        "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary "
        "AND database_name = ? AND schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
        [database, list(ANALYST_SCHEMAS)],
    ).fetchall()
