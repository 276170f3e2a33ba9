"""Descriptions of tables and columns, from the one source `pipeline/catalog.yml`.

They reach DuckDB as COMMENT ON (`apply_comments`), the Dagster UI as column schema (via
pipeline.metadata) and docs/data-dictionary.md (`python -m pipeline.catalog`, which reads the
published warehouse read-only).
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import cache
from pathlib import Path

import duckdb
import yaml

from pipeline.config import PROJECT_ROOT, Settings

CATALOG_PATH = PROJECT_ROOT / "pipeline" / "catalog.yml"
DATA_DICTIONARY_PATH = PROJECT_ROOT / "docs" / "data-dictionary.md"
DOCUMENTED_SCHEMAS = ("marts", "core", "audit")


@cache
def _catalog() -> dict:
    return yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))


def table_description(schema: str, table: str) -> str | None:
    entry = _catalog()["tables"].get(f"{schema}.{table}")
    return entry.get("description") if entry else None


def column_description(schema: str, table: str, column: str) -> str | None:
    entry = _catalog()["tables"].get(f"{schema}.{table}") or {}
    return (entry.get("columns") or {}).get(column) or _catalog()["shared_columns"].get(column)


def documented_tables() -> list[str]:
    return list(_catalog()["tables"])


def _literal(text: str) -> str:
    # COMMENT ON takes no bound parameters; the text is the project's own catalog, quoted here.
    return "'" + text.replace("'", "''") + "'"


def apply_comments(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    description = table_description(schema, table)
    if description:
        connection.execute(f"COMMENT ON TABLE {schema}.{table} IS {_literal(description)}")
    columns = connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    for (column,) in columns:
        text = column_description(schema, table, column)
        if text:
            connection.execute(f'COMMENT ON COLUMN {schema}.{table}."{column}" IS {_literal(text)}')


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
