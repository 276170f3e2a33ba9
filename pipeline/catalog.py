"""Descriptions of tables and columns, from the one source `pipeline/catalog.yml`.

They reach DuckDB as COMMENT ON (`apply_comments`), the Dagster UI as column schema (via
pipeline.metadata) and docs/data-dictionary.md (`python -m pipeline.catalog`, which reads the
published warehouse read-only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from functools import cache
from pathlib import Path

import duckdb
import yaml

from pipeline.config import CATALOG_PATH, Settings
from pipeline.contract import SOURCES_BY_NAME
from pipeline.ingest.read import RAW_CELL_PATTERN

# Written from the checkout; relative to the folder the command is run in.
DATA_DICTIONARY_PATH = Path("docs", "data-dictionary.md")
DOCUMENTED_SCHEMAS = ("marts", "core", "audit")
ANALYSTS_TIER, BUILD_TIER = "analysts", "build"
# Schemas of the build database only: raw cells, typed rows with their personal columns, what
# each table was built from (pipeline/change_tracking.py) and the feedback workbooks' history.
BUILD_ONLY_SCHEMAS = ("landing", "staging", "tracking", "feedback")
# Schemas of the landed and staged rows of each source (`<source>`) and of its files (`<source>_files`).
ROW_SCHEMAS = ("landing", "staging")
FILES_TABLE_SUFFIX = "_files"
INVALID_SUFFIX = "_invalid"
# The catalog entry describing every raw-cell column (`_raw_1`, `_raw_2`, ...) of a landing table.
RAW_CELL_ENTRY = "_raw_<n>"


@cache
def _catalog() -> dict:
    return yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))


def table_description(schema: str, table: str) -> str | None:
    entry = _catalog()["tables"].get(f"{schema}.{table}")
    if entry:
        return entry.get("description")
    source = table.removesuffix(FILES_TABLE_SUFFIX)
    if schema in ROW_SCHEMAS and source in SOURCES_BY_NAME:
        kind = f"{schema}{FILES_TABLE_SUFFIX}" if table.endswith(FILES_TABLE_SUFFIX) else schema
        template = _catalog()["row_tables"].get(kind)
        return template.format(source=source) if template else None
    return None


def column_description(schema: str, table: str, column: str) -> str | None:
    catalog = _catalog()
    entry = catalog["tables"].get(f"{schema}.{table}") or {}
    found = (entry.get("columns") or {}).get(column)
    if found is None and schema in ROW_SCHEMAS:
        if table.endswith(FILES_TABLE_SUFFIX):
            found = catalog["file_columns"].get(column)
        else:
            found = (catalog["source_columns"].get(table) or {}).get(column) or catalog["row_columns"].get(column)
    found = found or catalog["shared_columns"].get(column)
    if found is None and schema == "landing" and re.fullmatch(RAW_CELL_PATTERN, column):
        found = catalog["row_columns"].get(RAW_CELL_ENTRY)
    if found is None and column.endswith(INVALID_SUFFIX):
        # Each typed column of a landed row has a flag saying its raw value could not be read.
        read = column.removesuffix(INVALID_SUFFIX)
        if column_description(schema, table, read):
            found = f"True where the raw {read} could not be read as its type or is not in its list (the row is quarantined)"
    return found


def entry_text(schema: str, table: str) -> str:
    """The catalog's entry for a table, as text: what its comments are made from."""
    return json.dumps(_catalog()["tables"].get(f"{schema}.{table}"), sort_keys=True, ensure_ascii=False)


def documented_tables(tier: str | None = None) -> list[str]:
    """`schema.table` of every table the catalog describes (of one tier, if given)."""
    return [name for name in _catalog()["tables"] if tier is None or table_tier(*name.split(".")) == tier]


def table_tier(schema: str, table: str) -> str:
    """The tier a table belongs to: BUILD_TIER (restricted) or ANALYSTS_TIER."""
    if schema in BUILD_ONLY_SCHEMAS:
        return BUILD_TIER
    entry = _catalog()["tables"].get(f"{schema}.{table}") or {}
    return entry.get("tier", ANALYSTS_TIER)


def tier_description(tier: str) -> str:
    return _catalog()["tiers"][tier]


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal, for the statements DuckDB takes no bound parameter in
    (COMMENT ON, ATTACH); only the project's own text and paths are quoted this way."""
    return "'" + text.replace("'", "''") + "'"


def apply_comments(connection: duckdb.DuckDBPyConnection, schema: str, table: str, database: str | None = None) -> None:
    """COMMENT ON the table and its columns from the catalog (in `database`, default the current one)."""
    qualified = f"{database}.{schema}.{table}" if database else f"{schema}.{table}"
    description = table_description(schema, table)
    if description:
        connection.execute(f"COMMENT ON TABLE {qualified} IS {sql_literal(description)}")
    columns = connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = coalesce(?, current_database()) "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [database, schema, table],
    ).fetchall()
    for (column,) in columns:
        text = column_description(schema, table, column)
        if text:
            connection.execute(f'COMMENT ON COLUMN {qualified}."{column}" IS {sql_literal(text)}')


def render_data_dictionary(connection: duckdb.DuckDBPyConnection) -> str:
    tables = connection.execute(
        """
        SELECT schema_name, table_name, coalesce(comment, '') FROM duckdb_tables()
        WHERE schema_name IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY list_position(?::VARCHAR[], schema_name), table_name
        """,
        [list(DOCUMENTED_SCHEMAS), list(DOCUMENTED_SCHEMAS)],
    ).fetchall()
    lines = [
        "# Data dictionary",
        "",
        "Generated from `pipeline/catalog.yml` and the warehouse by `python -m pipeline.catalog`;",
        "do not edit by hand. The same descriptions are DuckDB comments on the tables and columns.",
        "",
        "Two files, two tiers:",
        "",
        f"- **Analysts' warehouse** (every table below). {tier_description(ANALYSTS_TIER)}",
        f"- **Build database** (restricted). {tier_description(BUILD_TIER)}",
        "",
    ]
    for schema, table, comment in tables:
        lines += [f"## `{schema}.{table}`", "", comment, "", "| column | type | description |", "|---|---|---|"]
        columns = connection.execute(
            """SELECT column_name, data_type, coalesce(comment, '') FROM duckdb_columns()
               WHERE schema_name = ? AND table_name = ? ORDER BY column_index""",
            [schema, table],
        ).fetchall()
        lines += [f"| `{name}` | {data_type} | {text.replace('|', '/')} |" for name, data_type, text in columns]
        lines.append("")
    lines += [
        "## Build database only (restricted)",
        "",
        "Not in the analysts' warehouse: the schemas "
        + ", ".join(f"`{schema}`" for schema in BUILD_ONLY_SCHEMAS)
        + " and these tables.",
        "",
        "| table | description |",
        "|---|---|",
        *[f"| `{name}` | {table_description(*name.split('.'))} |" for name in documented_tables(BUILD_TIER)],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.catalog", description="Write docs/data-dictionary.md")
    parser.add_argument("--warehouse", type=Path, default=None, help="default: WAREHOUSE_PATH")
    parser.add_argument("--out", type=Path, default=DATA_DICTIONARY_PATH)
    args = parser.parse_args(argv)
    warehouse = args.warehouse or Settings.from_env().warehouse_path
    connection = duckdb.connect(os.fspath(warehouse), read_only=True)
    try:
        args.out.write_text(render_data_dictionary(connection), encoding="utf-8")
    finally:
        connection.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
