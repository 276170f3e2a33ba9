"""Who may read which table: the analysts' warehouse and the restricted build database.

The build database holds every schema (landing, staging, audit, core, marts and the build
state); it carries personal data and is for the data engineers who run the pipeline. The
analysts' warehouse holds the schemas below, minus the tables the catalog places in the build
tier (`tier: build` in pipeline/catalog.yml); the publish copies exactly these.
"""

from __future__ import annotations

import duckdb

from pipeline.catalog import ANALYSTS_TIER, table_tier

ANALYST_SCHEMAS = ("core", "marts", "audit")


def analyst_tables(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every table of the current database that analysts receive, sorted."""
    rows = connection.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND database_name = current_database() AND schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
        [list(ANALYST_SCHEMAS)],
    ).fetchall()
    return [(schema, table) for schema, table in rows if table_tier(schema, table) == ANALYSTS_TIER]


def analyst_views(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, view, its CREATE statement) of the current database's views in the analysts' schemas."""
    return connection.execute(
        "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary "
        "AND database_name = current_database() AND schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
        [list(ANALYST_SCHEMAS)],
    ).fetchall()
