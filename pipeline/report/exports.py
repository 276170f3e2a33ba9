"""The marts for BI tools: one Parquet file and one Excel-safe CSV file per mart.

CSV files are UTF-8 with a byte-order mark (so Excel reads Thai text as UTF-8), nested columns
are flattened into plain columns (a map of spend by channel becomes one column per channel,
`spend_by_channel_thb: ITC`, ...; a struct one column per field; a list one text cell joined
with "; "), and text cells that a spreadsheet would take for a formula are prefixed with an
apostrophe (numbers are left alone). The Parquet files keep the nested columns as they are.
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
import polars as pl

from pipeline.report.format import neutralise_formulas
from pipeline.sql_models import discover_models

MAP_TYPE = "MAP("
NESTED_TYPE_MARKERS = (MAP_TYPE, "STRUCT(", "UNION(", "[")
FLAT_NAME = "{column}: {part}"  # a flattened column's name: the nested column and its key or field
_ROW = "__row"


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
    """SELECT of the table with maps as lists of {key, value} entries, for `flattened`."""
    columns = connection.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    if not columns:
        raise ValueError(f"{schema}.{table} does not exist")
    expressions = [
        f"map_entries({_identifier(name)}) AS {_identifier(name)}" if data_type.startswith(MAP_TYPE) else _identifier(name)
        for name, data_type in columns
    ]
    return f"SELECT {', '.join(expressions)} FROM {_identifier(schema)}.{_identifier(table)}"


def flattened(frame: pl.DataFrame) -> pl.DataFrame:
    """Every nested column as plain columns (CSV has no nested values; see the module's docstring)."""
    for name, dtype in list(frame.schema.items()):
        if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct) and {f.name for f in dtype.inner.fields} == {"key", "value"}:
            frame = _spread_entries(frame, name)
        elif isinstance(dtype, pl.Struct):
            parts = frame.get_column(name).struct.unnest()
            parts = parts.rename({field: FLAT_NAME.format(column=name, part=field) for field in parts.columns})
            position = frame.columns.index(name)
            frame = pl.concat([frame.select(frame.columns[:position]), parts, frame.select(frame.columns[position + 1:])], how="horizontal")
        elif isinstance(dtype, (pl.List, pl.Array)):
            frame = frame.with_columns(pl.col(name).list.eval(pl.element().cast(pl.String)).list.join("; "))
    return frame


def _spread_entries(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """A map's entries as one column per key (keys in sorted order), where the map stood."""
    indexed = frame.with_row_index(_ROW)
    entries = indexed.select(_ROW, name).explode(name).drop_nulls(name).unnest(name)
    if entries.is_empty():
        return frame.drop(name)
    wide = entries.pivot(on="key", index=_ROW, values="value", aggregate_function="first")
    keys = sorted(column for column in wide.columns if column != _ROW)
    wide = wide.select(_ROW, *keys).rename({key: FLAT_NAME.format(column=name, part=key) for key in keys})
    position = frame.columns.index(name)
    joined = indexed.drop(name).join(wide, on=_ROW, how="left").sort(_ROW).drop(_ROW)
    before, after = frame.columns[:position], [c for c in frame.columns[position + 1:]]
    return joined.select(*before, *wide.columns[1:], *after)


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

    frame = neutralise_formulas(flattened(connection.sql(_csv_select(connection, schema, table)).pl()))
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
