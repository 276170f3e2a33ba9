"""What a data engineer sees of a table in the Dagster UI: row count, column schema, preview, and
the few rows (check examples, rejected files) shown as Markdown tables, which the alerts read back."""

from __future__ import annotations

import re

import dagster as dg
import duckdb

from pipeline.catalog import apply_comments
from pipeline.tiers import catalog_of

PREVIEW_ROWS = 5
# The landing's tables of files (rejected, duplicates): the raw file, and why it was rejected.
FILE_HEADER = "file"
REJECTED_REASON_HEADER = "why it was rejected"
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def column_schema(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> dg.TableSchema:
    """Comments the table from the catalog, then gives its columns with their descriptions."""
    apply_comments(connection, schema, table, database=catalog_of(schema, table))
    columns = connection.execute(
        """
        SELECT column_name, data_type, coalesce(comment, '')
        FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index
        """,
        [schema, table],
    ).fetchall()
    return dg.TableSchema(
        columns=[dg.TableColumn(name, data_type, description=comment or None) for name, data_type, comment in columns]
    )


def table_metadata(connection: duckdb.DuckDBPyConnection, schema: str, table: str, preview: bool = True) -> dict:
    """The table's row count, described columns and (unless it holds personal data) a preview."""
    (row_count,) = connection.execute(f"SELECT count(*) FROM {schema}.{table}").fetchall()[0]
    metadata = {
        "dagster/row_count": row_count,
        "dagster/column_schema": column_schema(connection, schema, table),
        "dagster/table_name": f"{schema}.{table}",
    }
    if preview:
        rows = connection.sql(f"SELECT * FROM {schema}.{table} LIMIT {PREVIEW_ROWS}").pl()
        metadata["preview"] = dg.MetadataValue.md(markdown_table(rows))
    return metadata


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame) -> str:
    """A few rows (a preview, a check's examples) as a Markdown table for the UI."""
    if frame.is_empty():
        return "_no rows_"
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    # A handful of rows for display: iterating them is not data processing.
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])


def markdown_rows(text: str) -> list[dict[str, str]]:
    """The rows of the first table `markdown_table` wrote into `text`, by header (empty cells '')."""
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    if len(lines) < 2:
        return []

    def cells(line: str) -> list[str]:
        return [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(line.strip()[1:-1])]

    header = cells(lines[0])
    return [dict(zip(header, cells(line))) for line in lines[2:]]
