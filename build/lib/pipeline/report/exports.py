"""The marts for BI tools: one Parquet file and one Excel-safe CSV file per mart.

CSV files are UTF-8 with a byte-order mark (so Excel reads Thai text as UTF-8), nested columns
(maps of spend by channel or activity) are written as JSON text, and text cells that a
spreadsheet would take for a formula are prefixed with an apostrophe (numbers are left alone).
Each file is written beside its final name and renamed over it, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.report.format import neutralise_formulas
from pipeline.sql_models import discover_models

NESTED_TYPE_MARKERS = ("MAP(", "STRUCT(", "UNION(", "[")


@dataclass(frozen=True)
class ExportedTable:
    table: str
    rows: int
    parquet: Path
    csv: Path


def mart_tables() -> list[str]:
    """The marts, from the SQL models in sql/marts (the same list the assets are built from)."""
    return [model.table for model in discover_models(("marts",))]


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_select(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """SELECT of the table with nested columns as JSON text (CSV has no nested values)."""
    columns = connection.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    if not columns:
        raise ValueError(f"{schema}.{table} does not exist")
    expressions = [
        f"to_json({_identifier(name)})::VARCHAR AS {_identifier(name)}"
        if any(marker in data_type for marker in NESTED_TYPE_MARKERS)
        else _identifier(name)
        for name, data_type in columns
    ]
    return f"SELECT {', '.join(expressions)} FROM {_identifier(schema)}.{_identifier(table)}"


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A private partial file beside `path`, renamed over it when the block succeeds."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def export_table(connection: duckdb.DuckDBPyConnection, schema: str, table: str, out_dir: Path) -> ExportedTable:
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet, csv = out_dir / f"{table}.parquet", out_dir / f"{table}.csv"

    with _replacing(parquet) as partial:
        connection.execute(
            f"COPY (SELECT * FROM {_identifier(schema)}.{_identifier(table)}) TO $path (FORMAT parquet, COMPRESSION zstd)",
            {"path": os.fspath(partial)},
        )

    frame = neutralise_formulas(connection.sql(_csv_select(connection, schema, table)).pl())
    with _replacing(csv) as partial:
        frame.write_csv(partial, include_bom=True)
    return ExportedTable(table=f"{schema}.{table}", rows=frame.height, parquet=parquet, csv=csv)


def export_marts(warehouse_path: Path, out_dir: Path, tables: list[str] | None = None) -> list[ExportedTable]:
    """Export every mart of the warehouse, opened read-only, into out_dir."""
    if not warehouse_path.is_file():
        raise FileNotFoundError(f"no published warehouse at {warehouse_path}: materialise warehouse/published first")
    connection = duckdb.connect(os.fspath(warehouse_path), read_only=True)
    try:
        return [export_table(connection, "marts", table, out_dir) for table in (tables or mart_tables())]
    finally:
        connection.close()
