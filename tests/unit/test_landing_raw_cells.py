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
from pipeline.ingest.read import raw_cell_columns
from pipeline.landing import (
    COLUMNS_BUT_CELLS, _empty_read, ensure_landing_tables, land_source, landed_cells_sql, restored_cells_sql, text_valued_columns,
)

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
    restored = restored_cells_sql(source, "landed", "_stored_cells", "headers.canonical")
    # Cut to the file's own width: a file narrower than the widest landed has NULL in the last cells.
    landed = connection.sql(
        f"""
        SELECT _source_file AS source_file, coalesce(_sheet, '') AS sheet, _row_number AS row_number,
               ({restored.expression})[1:file_width] AS cells,
               len(list_filter(_stored_cells[1:file_width], lambda cell: cell IS NULL)) AS stored_nulls
        FROM (
            SELECT landed.*, {restored.values}, {landed_cells_sql(connection, source, "landed")} AS _stored_cells,
                   list_filter(f.raw_headers, lambda h: h.sheet = coalesce(landed._sheet, ''))[1] AS headers,
                   list_max(list_transform(f.raw_headers, lambda h: len(h.headers))) AS file_width
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


def _with_extra_column(csv: bytes, header: bytes) -> bytes:
    """The CSV with one more column at the end: `header`, and a value per data line."""
    lines = csv.split(b"\n")
    widened = []
    for number, line in enumerate(lines):  # one per line of a small test file
        if not line.strip():
            widened.append(line)
            continue
        end = b"\r" if line.endswith(b"\r") else b""
        cell = header if number == 0 else b"extra-%d" % number
        widened.append(line.removesuffix(b"\r") + b"," + cell + end)
    return b"\n".join(widened)


def test_a_wider_file_adds_cell_columns_and_the_narrower_rows_keep_theirs(tmp_path):
    source = SOURCES["spending"]
    raw = tmp_path / "raw"
    (raw / "spending").mkdir(parents=True)
    original = (SAMPLE_RAW / "spending" / "spending_2564_04.csv").read_bytes()
    (raw / "spending" / "spending_2564_04.csv").write_bytes(original)
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    land_source(connection, source, raw, "run-1")
    width = lambda: len(raw_cell_columns(connection.table("landing.spending").columns))  # noqa: E731
    narrow = width()

    (raw / "spending" / "spending_2564_05.csv").write_bytes(_with_extra_column(original, b"note_from_office"))
    report = land_source(connection, source, raw, "run-2")
    assert report.loaded == ["spending/spending_2564_05.csv"]
    assert width() == narrow + 1
    last = f"_raw_{narrow + 1}"
    by_file = dict(connection.execute(
        f"SELECT _source_file, count({last}) FROM landing.spending GROUP BY ALL"
    ).fetchall())
    # The wider file's extra cell is kept for every data row; the narrower file has none there.
    assert by_file["spending/spending_2564_04.csv"] == 0
    (data_rows,) = connection.execute(
        "SELECT count(*) FROM landing.spending WHERE _source_file = 'spending/spending_2564_05.csv' AND _row_kind = 'data'"
    ).fetchall()[0]
    assert by_file["spending/spending_2564_05.csv"] >= data_rows > 0


def test_a_landing_table_of_cells_as_one_list_gets_them_as_columns_with_its_rows_kept(tmp_path):
    source = SOURCES["registrations"]
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    land_source(connection, source, SAMPLE_RAW, "run-1")
    def cells_of_their_files_width() -> pl.DataFrame:
        return connection.sql(
            f"""
            SELECT {COLUMNS_BUT_CELLS}, cells[1:list_max(list_transform(f.raw_headers, lambda h: len(h.headers)))] AS cells
            FROM (SELECT l.*, {landed_cells_sql(connection, source, "l")} AS cells FROM landing.registrations l)
            JOIN landing.registrations_files f ON f.source_file = _source_file
            """
        ).pl()

    before = cells_of_their_files_width()
    # The layout of builds before the cells were columns: one list per row, of its file's width.
    connection.register("before", before)
    connection.execute(
        "CREATE OR REPLACE TABLE landing.registrations AS SELECT * EXCLUDE (cells), cells AS _raw_values FROM before"
    )
    ensure_landing_tables(connection, source)
    after = cells_of_their_files_width()
    assert "_raw_values" not in after.columns
    key = ["_source_file", "_sheet", "_row_number"]
    polars.testing.assert_frame_equal(before.sort(key), after.select(before.columns).sort(key))
    # Nothing to parse again: the files are unchanged.
    assert land_source(connection, source, SAMPLE_RAW, "run-2").loaded == []
