"""What changed since the previous published warehouse (the newest kept version): the headline
figures then and now, and which raw files arrived, changed or went. Both files are opened
read-only; with no earlier version kept there is nothing to compare."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.publish import list_versions

MEASURES_SQL = """
SELECT fiscal_year, active_clusters::DOUBLE AS active_clusters, enterprises::DOUBLE AS enterprises,
       spend_executed_thb::DOUBLE AS spend_executed_thb, economic_value_thb::DOUBLE AS economic_value_thb
FROM marts.fiscal_year_rollup
"""
FILES_SQL = "SELECT source, source_file, sha256, status, rows_quarantined FROM audit.file_manifest"
MEASURE_LABELS = {
    "active_clusters": "Active clusters",
    "enterprises": "Enterprises",
    "spend_executed_thb": "Executed spend (baht)",
    "economic_value_thb": "Economic value (baht)",
}


@dataclass(frozen=True)
class Changes:
    previous_published_at: datetime | None  # None: no earlier version to compare with
    figures: pl.DataFrame  # fiscal_year, measure, label, before, now, change
    files: pl.DataFrame  # source, source_file, change (new, changed, removed), status

    @property
    def compared(self) -> bool:
        return self.previous_published_at is not None


def _read(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, datetime | None]:
    connection = duckdb.connect(os.fspath(path), read_only=True)
    try:
        published = connection.sql("SELECT max(published_at) FROM audit.publication").fetchone()[0]
        return connection.sql(MEASURES_SQL).pl(), connection.sql(FILES_SQL).pl(), published
    finally:
        connection.close()


def since_previous(warehouse_path: Path) -> Changes:
    earlier = list_versions(warehouse_path)
    try:
        before_measures, before_files, published = _read(earlier[0]) if earlier else (None, None, None)
    except duckdb.Error:  # an earlier version that cannot be read is no comparison
        before_measures = None
    if before_measures is None:
        empty = pl.DataFrame(schema={"fiscal_year": pl.Int32})
        return Changes(None, empty, empty)
    now_measures, now_files, _ = _read(warehouse_path)

    def long(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.unpivot(index="fiscal_year", variable_name="measure", value_name=name)

    figures = (
        long(now_measures, "now").join(long(before_measures, "before"), on=["fiscal_year", "measure"], how="full", coalesce=True)
        .with_columns(
            change=pl.col("now").fill_null(0) - pl.col("before").fill_null(0),
            label=pl.col("measure").replace_strict(MEASURE_LABELS, default=pl.col("measure")),
            order=pl.col("measure").replace_strict({m: i for i, m in enumerate(MEASURE_LABELS)}, default=99),
        )
        .sort("fiscal_year", "order")
    )
    joined = now_files.join(before_files, on="source_file", how="full", coalesce=True, suffix="_before")
    files = (
        joined.with_columns(
            change=pl.when(pl.col("sha256_before").is_null()).then(pl.lit("new"))
            .when(pl.col("status").eq("removed") & pl.col("status_before").ne("removed")).then(pl.lit("removed"))
            .when(pl.col("sha256").ne(pl.col("sha256_before"))).then(pl.lit("changed"))
            .when(pl.col("status").ne(pl.col("status_before"))).then(pl.lit("status changed"))
        )
        .filter(pl.col("change").is_not_null())
        .select(pl.coalesce("source", "source_before").alias("source"), "source_file", "change", "status")
        .sort("source", "source_file")
    )
    return Changes(published, figures, files)
