"""The figures a refresh is judged by, read from the build database: per source the files
loaded and rejected, rows accepted, repairs and rows quarantined with the top reasons, and the
rejected files. The command line's summary (pipeline/terminal.py) and the publish asset's
summary in the UI (pipeline/defs/publish.py) show the same figures from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import tiers
from pipeline.contract import SOURCES
from pipeline.reasons import label

TOP_REASONS = 3


@dataclass(frozen=True)
class SourceFigures:
    source: str
    files_loaded: int
    files_rejected: int
    rows_accepted: int
    repairs: int
    rows_quarantined: int
    top_reasons: list[tuple[str, int]]  # (reason code, rows), most frequent first

    def top_reasons_text(self, labelled: bool = False) -> str:
        """`code 41, ...` for the terminal; with `labelled`, each reason's label and code."""
        return ", ".join(
            f"{label(code)} (`{code}`) {rows:,}" if labelled else f"{code} {rows:,}" for code, rows in self.top_reasons
        )


@dataclass(frozen=True)
class Figures:
    sources: list[SourceFigures] = field(default_factory=list)
    rejected_files: list[tuple[str, str]] = field(default_factory=list)  # (path, reason code)

    def markdown(self) -> str:
        """The figures as Markdown tables, for the UI."""
        lines = [
            "| source | files loaded | files rejected | rows accepted | repairs | rows quarantined | top reasons |",
            "|---|---:|---:|---:|---:|---:|---|",
            *(
                f"| {s.source} | {s.files_loaded:,} | {s.files_rejected:,} | {s.rows_accepted:,} | {s.repairs:,} | "
                f"{s.rows_quarantined:,} | {s.top_reasons_text(labelled=True) or '–'} |"
                for s in self.sources
            ),
        ]
        if self.rejected_files:
            lines += ["", "| rejected file | reason |", "|---|---|", *(f"| {path} | {label(code)} (`{code}`) |" for path, code in self.rejected_files)]
        return "\n".join(lines)


_SOURCE_FIGURES = """
    WITH sources AS (SELECT unnest($sources::VARCHAR[]) AS source),
    files AS (
        SELECT source, count(*) FILTER (WHERE status = 'loaded') AS loaded,
               count(*) FILTER (WHERE status = 'rejected') AS rejected,
               coalesce(sum(rows_staged), 0) AS staged, coalesce(sum(rows_quarantined), 0) AS quarantined
        FROM audit.file_manifest GROUP BY source
    ),
    repairs AS (SELECT source, sum(rows_repaired) AS repairs FROM audit.repairs GROUP BY source),
    reasons AS (
        SELECT source, reason, count(*) AS n FROM (SELECT source, unnest(reason_codes) AS reason FROM audit.quarantine)
        GROUP BY ALL
    ),
    top_reasons AS (
        SELECT source, list((reason, n) ORDER BY n DESC, reason)[1:$top] AS top FROM reasons GROUP BY source
    )
    SELECT s.source, coalesce(f.loaded, 0), coalesce(f.rejected, 0), coalesce(f.staged, 0),
           coalesce(r.repairs, 0), coalesce(f.quarantined, 0), coalesce(t.top, [])
    FROM sources s LEFT JOIN files f USING (source) LEFT JOIN repairs r USING (source)
    LEFT JOIN top_reasons t USING (source)
    ORDER BY list_position($sources, s.source)
"""


def figures_of(connection: duckdb.DuckDBPyConnection) -> Figures:
    """The figures of the database `connection` is on (empty when its audit tables were never built)."""
    try:
        rows = connection.execute(
            _SOURCE_FIGURES, {"sources": [source.name for source in SOURCES], "top": TOP_REASONS}
        ).fetchall()
        rejected = connection.execute(
            "SELECT source_file, coalesce(reason_code, reason) FROM audit.file_manifest WHERE status = 'rejected' ORDER BY ALL"
        ).fetchall()
    except duckdb.CatalogException:
        return Figures()  # a run that failed before the audit tables were built
    return Figures([SourceFigures(*row[:-1], [tuple(pair) for pair in row[-1]]) for row in rows], rejected)


def figures(build_database: Path) -> Figures:
    if not build_database.exists():
        return Figures()
    connection = tiers.connect_build(build_database)
    try:
        return figures_of(connection)
    finally:
        connection.close()
