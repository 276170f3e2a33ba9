"""How landing stores the raw cells: a cell equal to the value of the text column it was read as
is stored as NULL, and restored_cells_sql gives every cell back exactly as read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import polars as pl
import polars.testing
import pytest

from pipeline import contract
from pipeline.ingest import normalise, read_raw_file
from pipeline.landing import _empty_read, land_source, restored_cells_sql, text_valued_columns

SAMPLE_RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
SOURCES = {source.name: source for source in contract.SOURCES}


@pytest.mark.parametrize("source_name", SOURCES)
def test_a_blank_cell_lands_as_null_in_every_text_column(source_name):
    # What restoring relies on: a NULL stored cell whose column's value is NULL was blank.
    source = SOURCES[source_name]
    empty = _empty_read(source)
    blanks = [None, "", "   ", "\u200b"]
    rows = pl.DataFrame(
        {name: blanks for name in source.canonical_names}
        | {"_row_number": [2, 3, 4, 5], "_sheet": [None] * 4, "_row_kind": ["data"] * 4, "_extra": [None] * 4},
        schema=empty.data.schema,
    )
    landed = normalise(source, dataclasses.replace(empty, data=rows))
    assert text_valued_columns(source)
    assert landed.select(pl.col(text_valued_columns(source)).is_null().all()).row(0) == (True,) * len(text_valued_columns(source))


@pytest.mark.parametrize("source_name", SOURCES)
def test_landed_cells_restore_to_the_cells_as_read(tmp_path, source_name):
    source = SOURCES[source_name]
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    report = land_source(connection, source, SAMPLE_RAW, "run-1")
    assert report.loaded
    restored = restored_cells_sql(source, "landed", "_raw_values", "headers.canonical")
    landed = connection.sql(
        f"""
        SELECT _source_file AS source_file, coalesce(_sheet, '') AS sheet, _row_number AS row_number,
               {restored.expression} AS cells,
               len(list_filter(_raw_values, lambda cell: cell IS NULL)) AS stored_nulls
        FROM (
            SELECT landed.*, {restored.values},
                   list_filter(f.raw_headers, lambda h: h.sheet = coalesce(landed._sheet, ''))[1] AS headers
            FROM landing.{source.name} landed JOIN landing.{source.name}_files f ON f.source_file = landed._source_file
        )
        """,
        params=restored.parameters,
    ).pl()
    reads = [read_raw_file(SAMPLE_RAW / path, source, SAMPLE_RAW) for path in report.loaded]  # one per file
    as_read = pl.concat(
        [
            read.data.select(
                pl.lit(read.relative_path).alias("source_file"),
                pl.col("_sheet").fill_null("").alias("sheet"),
                pl.col("_row_number").alias("row_number"),
                pl.concat_list(read.raw_cell_columns).alias("cells"),
            )
            for read in reads
        ]
    )
    key = ["source_file", "sheet", "row_number"]
    compared = as_read.join(landed, on=key, how="full", coalesce=True, suffix="_landed")
    assert compared.height == as_read.height == landed.height
    polars.testing.assert_series_equal(compared["cells"], compared["cells_landed"], check_names=False)
    # Stored as NULL beyond the blank cells: cells equal to their column's value.
    blank_cells = as_read.select(pl.col("cells").list.eval(pl.element().is_null()).list.sum().sum()).item()
    assert landed["stored_nulls"].sum() > blank_cells
