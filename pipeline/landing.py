"""Incremental landing of raw files into `landing.<source>` and `landing.<source>_files`.

Work follows the new data: a file is parsed only when its content (SHA-256) is new at its
path. A file is hashed again only when its stat (size, modification and change times, inode)
differs from the one recorded when it was last hashed, as git's index does; a write, a
replacement or a copy that keeps the old modification time all change the change time, which
no tool can set back. Rows of changed or removed files are deleted before the new content is
inserted, so a corrected re-issue replaces what it brought before, and a file whose exact
content already lies under another path is recorded as a duplicate and not loaded twice.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from pipeline.change_tracking import table_exists
from pipeline.contract import Source
from pipeline.ingest import FileRejected, RawRead, normalise, read_raw_file
from pipeline.ingest.normalise import normalise_files
from pipeline.ingest.read import LINEAGE_COLUMNS, RAW_CELL_PATTERN, RAW_CELL_PREFIX, raw_cell_columns
from pipeline.processes import process_running

RAW_FILE_SUFFIXES = {".csv", ".xlsx"}
# What the files table records of a file that is no longer in the raw-data folder.
FILE_REMOVED = "file_removed"
FILE_REMOVED_REASON = "no longer in the raw-data folder; its rows left the warehouse"
SPILL_PREFIX = ".landing-spill-"
# A select-list item: every column of a landed row but its raw cells.
COLUMNS_BUT_CELLS = f"COLUMNS(lambda c: NOT regexp_matches(c, '{RAW_CELL_PATTERN}'))"
# The one list of raw cells per row that builds before 2026-12-06 stored (_cells_as_columns).
LEGACY_CELLS_COLUMN = "_raw_values"
_HASH_CHUNK = 1 << 20
# Batches of files parsed ahead of the one being written: parsing is most of landing's time,
# and two at once keep two cores busy where one file's polars work alone does not.
READ_AHEAD = 2
# Files are read and normalised in batches of about this many bytes (a large file alone): a
# normalisation costs a fixed 36 ms or so, most of a small file's, so small files share one.
BATCH_BYTES = 16 << 20
# A file changed within this long before it was last hashed is hashed again: its change time
# may share a clock tick with a later write (git's "racy clean" case).
_RACY_SECONDS = 2

# A row's raw cells are columns `_raw_1`, `_raw_2`, ... of landing.<source>, as many as the widest
# file landed has (a narrower file's rows have NULL in the last ones): as one list per row they
# took 1.6 times the space, and at scale 100 1.6 times as long to insert. Their names per sheet
# ('' for CSV), and the canonical column each was read as (NULL: an unknown extra column), are
# kept once per file in landing.<source>_files.raw_headers instead of in every row. A cell whose
# text is exactly the landed value of the text column it was read as is stored as NULL: that
# value restores it (restored_cells_sql), and most of a ledger's long cells (document numbers,
# names, tax IDs) are then not written twice.
RAW_HEADERS_TYPE = "STRUCT(sheet VARCHAR, headers VARCHAR[], canonical VARCHAR[])[]"
FILES_TABLE_COLUMNS = f"""
    source VARCHAR, source_file VARCHAR, sha256 VARCHAR, size_bytes BIGINT, file_format VARCHAR,
    encoding VARCHAR, header_language VARCHAR, header_row_number INTEGER, status VARCHAR,
    reason_code VARCHAR, reason VARCHAR, duplicate_of VARCHAR, rows_read BIGINT, title_rows BIGINT,
    data_rows BIGINT, blank_rows BIGINT, total_rows BIGINT, first_run_id VARCHAR,
    last_run_id VARCHAR, first_seen_at TIMESTAMPTZ, last_seen_at TIMESTAMPTZ, loaded_at TIMESTAMPTZ,
    raw_headers {RAW_HEADERS_TYPE}, file_stat VARCHAR
"""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_stat(status: os.stat_result) -> str:
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}"


def scan_raw_files(raw_root: Path, source: Source, hashed: dict[str, tuple[str, str, datetime]] | None = None) -> pl.DataFrame:
    """Every candidate file of a source with its content hash (hidden and lock files skipped).

    `hashed` (path -> file_stat, sha256, when it was hashed) gives hashes that still hold: a
    file whose stat is the recorded one, changed well before that hash, is not read again.
    """
    folder = raw_root / source.folder
    paths = sorted(
        p
        for p in (folder.rglob("*") if folder.exists() else [])
        if p.is_file() and not p.name.startswith((".", "~$")) and p.suffix.lower() in RAW_FILE_SUFFIXES
    )
    hashed = hashed or {}
    names, hashes, sizes, stats = [], [], [], []
    for path in paths:  # one iteration per file
        name, status = path.relative_to(raw_root).as_posix(), path.stat()
        stat = file_stat(status)
        recorded = hashed.get(name)
        still_holds = (
            recorded is not None
            and recorded[0] == stat
            and status.st_ctime_ns < (recorded[2].timestamp() - _RACY_SECONDS) * 1e9
        )
        names.append(name)
        hashes.append(recorded[1] if still_holds else file_sha256(path))
        sizes.append(status.st_size)
        stats.append(stat)
    return pl.DataFrame(
        {"source_file": names, "sha256": hashes, "size_bytes": sizes, "file_stat": stats},
        schema={"source_file": pl.String, "sha256": pl.String, "size_bytes": pl.Int64, "file_stat": pl.String},
    )


@dataclass
class LandingReport:
    unchanged: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # of `loaded`, paths that held other content before
    rejected: dict[str, str] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)


def ensure_landing_tables(connection: duckdb.DuckDBPyConnection, source: Source) -> None:
    connection.execute("CREATE SCHEMA IF NOT EXISTS landing")
    connection.execute(f"CREATE TABLE IF NOT EXISTS landing.{source.name}_files ({FILES_TABLE_COLUMNS})")
    _cells_as_columns(connection, source)


def _landed_columns(connection: duckdb.DuckDBPyConnection, source: Source) -> list[str]:
    return [
        name
        for (name,) in connection.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'landing' AND table_name = ? ORDER BY column_index",
            [source.name],
        ).fetchall()
    ]


def _cells_as_columns(connection: duckdb.DuckDBPyConnection, source: Source) -> None:
    """A landing table of a build before the cells were columns (one list `_raw_values`) gets
    them as columns, its rows kept: its files are not parsed again."""
    if LEGACY_CELLS_COLUMN not in _landed_columns(connection, source):
        return
    (width,) = connection.execute(f"SELECT coalesce(max(len({LEGACY_CELLS_COLUMN})), 0) FROM landing.{source.name}").fetchall()[0]
    cells = ", ".join(f'{LEGACY_CELLS_COLUMN}[{n}] AS "{RAW_CELL_PREFIX}{n}"' for n in range(1, width + 1))
    connection.execute(
        f"CREATE OR REPLACE TABLE landing.{source.name} AS "
        f"SELECT * EXCLUDE ({LEGACY_CELLS_COLUMN}){', ' + cells if cells else ''} FROM landing.{source.name}"
    )


def _add_cell_columns(connection: duckdb.DuckDBPyConnection, source: Source, cells: list[str]) -> None:
    """Columns for the cells of a file wider than any landed before."""
    present = set(_landed_columns(connection, source))
    for cell in cells:  # one per raw column of the widest file
        if cell not in present:
            connection.execute(f'ALTER TABLE landing.{source.name} ADD COLUMN "{cell}" VARCHAR')


def landed_cells_sql(connection: duckdb.DuckDBPyConnection, source: Source, landing_alias: str) -> str:
    """A landed row's stored cells as one list (`landing_alias` the landing row): cut it to the
    row's sheet's headers, as a narrower file has NULLs in the last cells."""
    cells = raw_cell_columns(_landed_columns(connection, source))
    return f"[{', '.join(f'{landing_alias}.{cell}' for cell in cells)}]::VARCHAR[]"


def land_source(
    connection: duckdb.DuckDBPyConnection, source: Source, raw_root: Path, run_id: str
) -> LandingReport:
    ensure_landing_tables(connection, source)
    files_table = f"landing.{source.name}_files"
    now = datetime.now(timezone.utc)
    known = connection.sql(
        f"SELECT source_file, sha256, status, file_stat, last_seen_at FROM {files_table} WHERE status <> 'removed'"
    ).pl()
    hashed = {
        path: (stat, sha256, seen_at)
        for path, sha256, _status, stat, seen_at in known.rows()  # one row per file
        if stat is not None and sha256 is not None
    }
    current = scan_raw_files(raw_root, source, hashed)
    known = known.select("source_file", "sha256", "status")
    known_paths = set(known["source_file"].to_list())
    report = LandingReport()

    unchanged = current.join(known, on=["source_file", "sha256"], how="inner")
    report.unchanged = unchanged["source_file"].to_list()
    stale_paths = known.join(current, on=["source_file", "sha256"], how="anti")["source_file"].to_list()
    report.removed = sorted(set(stale_paths) - set(current["source_file"].to_list()))

    connection.execute("BEGIN TRANSACTION")
    try:
        if stale_paths and table_exists(connection, "landing", source.name):
            connection.execute(
                f"DELETE FROM landing.{source.name} WHERE _source_file IN (SELECT unnest(?::VARCHAR[]))",
                [stale_paths],
            )
        connection.execute(
            f"UPDATE {files_table} SET status = 'removed', reason_code = ?, reason = ?, last_run_id = ?, last_seen_at = ? "
            "WHERE source_file IN (SELECT unnest(?::VARCHAR[])) AND status <> 'removed'",
            [FILE_REMOVED, FILE_REMOVED_REASON, run_id, now, report.removed],
        )
        # A changed file keeps its record until its new content is recorded (_record_files), which
        # keeps the path's first_run_id and first_seen_at.
        connection.register("seen_files", unchanged.select("source_file", "file_stat"))
        try:
            connection.execute(
                f"UPDATE {files_table} AS f SET last_run_id = ?, last_seen_at = ?, file_stat = seen.file_stat "
                "FROM seen_files AS seen WHERE f.source_file = seen.source_file",
                [run_id, now],
            )
        finally:
            connection.unregister("seen_files")
        new_files = current.join(unchanged.select("source_file"), on="source_file", how="anti")
        loaded_hashes = dict(
            connection.execute(
                f"SELECT sha256, min(source_file) FROM {files_table} WHERE status = 'loaded' "
                "AND source_file NOT IN (SELECT unnest(?::VARCHAR[])) GROUP BY sha256",
                [stale_paths],
            ).fetchall()
        )
        batches = _batches(new_files.rows())  # one iteration per file, not per row
        # The next batches are read and normalised in threads while this one is written to the
        # spill (all release the GIL): the cores busy, at most READ_AHEAD + 1 batches in memory.
        reader = ThreadPoolExecutor(max_workers=READ_AHEAD)
        spill = _Spill(connection)
        records: list[dict] = []
        try:
            def parse(batch: list[tuple]) -> Future:
                return reader.submit(_read_and_normalise, source, raw_root, [file[:2] for file in batch])

            upcoming = deque(parse(batch) for batch in batches[:READ_AHEAD])
            for index, batch in enumerate(batches):
                outcomes = upcoming.popleft().result()
                if index + READ_AHEAD < len(batches):
                    upcoming.append(parse(batches[index + READ_AHEAD]))
                for (source_file, sha256, size_bytes, stat), outcome in zip(batch, outcomes, strict=True):
                    records.append(
                        _land_file(outcome, spill, source_file, sha256, size_bytes, stat, run_id, now, loaded_hashes, report)
                    )
            reader.shutdown(wait=True)
            spill.insert_into(connection, source, run_id)
            _record_files(connection, source, records)
            report.changed = sorted(set(report.loaded) & known_paths)
        finally:
            reader.shutdown(wait=True, cancel_futures=True)
            spill.remove()
        if not table_exists(connection, "landing", source.name):
            # No file of this source could be loaded yet (none sent, or all rejected): an empty
            # table, so validation and the models run on zero rows instead of failing.
            _insert_landed_rows(connection, source, normalise(source, _empty_read(source)), "", "", run_id)
        connection.execute("COMMIT")
    except BaseException:
        try:
            connection.execute("ROLLBACK")
        except duckdb.Error:
            # A COMMIT that failed (e.g. disk full) has already ended the transaction; the
            # original error, not "no transaction is active", is the one to report.
            pass
        raise
    return report


def _empty_read(source: Source) -> RawRead:
    """What a file with the source's headers and no rows reads as."""
    lineage = {"_row_number": pl.Int64, "_sheet": pl.String, "_row_kind": pl.String, "_extra": pl.String}
    schema = {name: pl.String for name in source.canonical_names} | {name: lineage[name] for name in LINEAGE_COLUMNS}
    return RawRead(
        data=pl.DataFrame(schema=schema), source_name=source.name, relative_path="", sha256="", size_bytes=0,
        file_format="csv", encoding=None, header_row_number=0, title_rows=0, million_baht_columns=[],
        header_language="en",
    )


@functools.cache
def text_valued_columns(source: Source) -> tuple[str, ...]:
    """The canonical columns landed as text under their own name: their raw cells may be
    stored as NULL (see RAW_HEADERS_TYPE). A blank cell lands as NULL in each of them
    (tests/unit/test_landing_raw_cells.py), so a NULL cell restores to NULL when it was blank."""
    landed = normalise(source, _empty_read(source)).schema
    return tuple(name for name in source.canonical_names if landed.get(name) == pl.String)


def _cells_for_storage(source: Source, read: RawRead, rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` of `read` with each raw cell equal to the value of its text column set to NULL."""
    text_columns = set(text_valued_columns(source))
    sheet = pl.col("_sheet").fill_null("")  # '' for a CSV file, as in RawRead.raw_columns
    stored = []
    for position, cell in enumerate(raw_cell_columns(rows.columns)):  # one per column
        same_as_value = [
            (sheet == sheet_name) & (pl.col(cell) == pl.col(columns[position]))
            for sheet_name, columns in read.raw_columns.items()
            if position < len(columns) and columns[position] in text_columns
        ]
        if same_as_value:
            stored.append(pl.when(pl.any_horizontal(same_as_value)).then(None).otherwise(pl.col(cell)).alias(cell))
    return rows.with_columns(stored)


@dataclass(frozen=True)
class RestoredCells:
    """SQL that gives a landed row's cells as read: a NULL cell read as a text column takes the
    row's value of that column. `values` (select-list items, may be empty) brings those values
    from the landing row into scope under the names `value_columns`; `expression` then gives
    the cells; `parameters` are its bound parameters."""

    values: str
    value_columns: list[str]
    expression: str
    parameters: dict


_RESTORE_PREFIX = "__value_"


def restored_cells_sql(source: Source, landing_alias: str, cells: str, columns: str) -> RestoredCells:
    """RestoredCells from `cells` (the row's stored cells as a list: landed_cells_sql) and
    `columns` (the canonical column of each cell, from its file's raw_headers), with the landing
    row as `landing_alias`."""
    names = text_valued_columns(source)
    if not names:
        return RestoredCells("", [], cells, {})
    value_columns = [f'"{_RESTORE_PREFIX}{name}"' for name in names]
    values = ", ".join(f'{landing_alias}."{name}" AS {column}' for name, column in zip(names, value_columns, strict=True))
    branches = " ".join(f"WHEN $text_column_{n} THEN {column}" for n, column in enumerate(value_columns))
    return RestoredCells(
        values=values,
        value_columns=value_columns,
        expression=f"list_transform(list_zip({cells}, {columns}), lambda cell: coalesce(cell[1], CASE cell[2] {branches} END))",
        parameters={f"text_column_{n}": name for n, name in enumerate(names)},
    )


def _insert_landed_rows(
    connection, source: Source, rows: pl.DataFrame, source_file: str, sha256: str, run_id: str
) -> None:
    """Rows of `normalise` into landing.<source>, with the file's lineage constants."""
    connection.register("landed_rows", rows)
    # DuckDB adds the constants, rather than polars copying them into every row.
    landed = (
        "SELECT ?::VARCHAR AS _source_file, * EXCLUDE (_source_file), "
        "?::VARCHAR AS _file_sha256, ?::VARCHAR AS _run_id FROM landed_rows"
    )
    try:
        if table_exists(connection, "landing", source.name):
            _add_cell_columns(connection, source, raw_cell_columns(rows.columns))
            connection.execute(f"INSERT INTO landing.{source.name} BY NAME {landed}", [source_file, sha256, run_id])
        else:
            connection.execute(f"CREATE TABLE landing.{source.name} AS {landed}", [source_file, sha256, run_id])
    finally:
        connection.unregister("landed_rows")


class _Spill:
    """Parsed files waiting for their INSERT, as Parquet files in a private folder beside the
    build database (the system temp folder for an in-memory one).

    All of them go into landing.<source> in one INSERT at the end of the transaction: DuckDB
    keeps the rows of a transaction's many INSERTs in memory until COMMIT (10 GB at scale 1000),
    while one INSERT from Parquet streams them to the file.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        (database,) = connection.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()[0]
        parent = Path(database).parent if database else Path(tempfile.gettempdir())
        remove_stale_spills(parent)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-", dir=parent))
        self.paths: list[str] = []
        self.cells: list[str] = []

    def add(self, rows: pl.DataFrame, source_file: str, sha256: str) -> None:
        """One file's rows of `normalise`, with its lineage."""
        cells = raw_cell_columns(rows.columns)
        if len(cells) > len(self.cells):
            self.cells = cells
        path = self.folder / f"{len(self.paths):05d}.parquet"
        rows.with_columns(
            pl.lit(source_file, dtype=pl.String).alias("_source_file"),
            pl.lit(sha256, dtype=pl.String).alias("_file_sha256"),
        ).write_parquet(path, compression="lz4", statistics=False)
        self.paths.append(os.fspath(path))

    def insert_into(self, connection: duckdb.DuckDBPyConnection, source: Source, run_id: str) -> None:
        if not self.paths:
            return
        # A file narrower than the widest has no columns for the last cells: NULL in its rows.
        landed = (
            "SELECT _source_file, * EXCLUDE (_source_file, _file_sha256), _file_sha256, ?::VARCHAR AS _run_id "
            "FROM read_parquet(?::VARCHAR[], union_by_name = true)"
        )
        # The landing table's row order means nothing (every reader orders or aggregates); kept,
        # it made the next checkpoint rewrite the whole table (14 s of 11 M rows at scale 1000).
        connection.execute("SET preserve_insertion_order = false")
        try:
            if table_exists(connection, "landing", source.name):
                _add_cell_columns(connection, source, self.cells)
                connection.execute(f"INSERT INTO landing.{source.name} BY NAME {landed}", [run_id, self.paths])
            else:
                connection.execute(f"CREATE TABLE landing.{source.name} AS {landed}", [run_id, self.paths])
        finally:
            connection.execute("RESET preserve_insertion_order")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def remove_stale_spills(folder: Path) -> None:
    """Spill folders of landing processes that no longer run (killed mid-landing)."""
    for stale in folder.glob(f"{SPILL_PREFIX}*"):
        pid = stale.name.removeprefix(SPILL_PREFIX).split("-")[0]
        if pid.isdigit() and not process_running(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _record_files(connection, source: Source, records: list[dict]) -> None:
    """The files' records, replacing those of their paths (whose first run and first sighting
    they keep), in one statement for all the files of a landing."""
    if not records:
        return
    files_table = f"landing.{source.name}_files"
    # One row per file (a few dozen), not per data row.
    connection.register("file_records", pl.DataFrame(records, infer_schema_length=None))
    try:
        connection.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE file_records_dated AS
            SELECT r.*, ?::VARCHAR AS source,
                   coalesce(p.first_run_id, r.last_run_id) AS first_run_id,
                   coalesce(p.first_seen_at, r.last_seen_at) AS first_seen_at
            FROM file_records r
            LEFT JOIN (SELECT source_file, min(first_run_id) AS first_run_id, min(first_seen_at) AS first_seen_at
                       FROM {files_table} GROUP BY source_file) p USING (source_file)
            """,
            [source.name],
        )
    finally:
        connection.unregister("file_records")
    connection.execute(f"DELETE FROM {files_table} WHERE source_file IN (SELECT source_file FROM file_records_dated)")
    connection.execute(f"INSERT INTO {files_table} BY NAME SELECT * FROM file_records_dated")
    connection.execute("DROP TABLE file_records_dated")


def _batches(files: list[tuple]) -> list[list[tuple]]:
    """Consecutive files (source_file, sha256, size_bytes, stat) grouped up to BATCH_BYTES."""
    batches: list[list[tuple]] = []
    size = 0
    for file in files:  # one per file
        if not batches or size + file[2] > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(file)
        size += file[2]
    return batches


def _read_and_normalise(
    source: Source, raw_root: Path, files: list[tuple[str, str]]
) -> list[tuple[RawRead, pl.DataFrame] | FileRejected]:
    """For each (source_file, sha256): its RawRead and normalised rows, or why it is rejected."""
    outcomes: list = []
    for source_file, sha256 in files:
        try:
            outcomes.append(read_raw_file(raw_root / source_file, source, raw_root, sha256))
        except FileRejected as rejection:
            outcomes.append(rejection)
    reads = [outcome for outcome in outcomes if isinstance(outcome, RawRead)]
    normalised = iter(normalise_files(source, reads))
    return [
        outcome if isinstance(outcome, FileRejected) else (outcome, _cells_for_storage(source, outcome, next(normalised)))
        for outcome in outcomes
    ]


def _land_file(
    outcome, spill: _Spill, source_file, sha256, size_bytes, stat, run_id, now, loaded_hashes, report,
) -> dict:
    """Spill one new or changed file's rows; its record (see _record_files). `outcome` is its
    entry of _read_and_normalise."""
    record = {
        "source_file": source_file,
        "sha256": sha256,
        "size_bytes": size_bytes,
        "file_stat": stat,
        "last_run_id": run_id,
        "last_seen_at": now,
    }
    original = loaded_hashes.get(sha256)
    if original is not None and original != source_file:
        report.duplicates[source_file] = original
        return {
            **record,
            "status": "duplicate_file",
            "reason_code": "duplicate_file",
            "reason": f"{source_file}: same content (SHA-256 {sha256[:12]}…) as {original}, already loaded; not loaded again",
            "duplicate_of": original,
        }
    if isinstance(outcome, FileRejected):
        rejection = outcome
        report.rejected[source_file] = str(rejection)
        return {**record, "status": "rejected", "reason_code": rejection.code, "reason": str(rejection)}
    raw, rows = outcome
    kinds = rows["_row_kind"].value_counts()
    count = dict(zip(kinds["_row_kind"].to_list(), kinds["count"].to_list()))
    spill.add(rows, source_file, sha256)
    loaded_hashes.setdefault(sha256, source_file)
    report.loaded.append(source_file)
    return {
        **record,
        "status": "loaded",
        "file_format": raw.file_format,
        "encoding": raw.encoding,
        "header_language": raw.header_language,
        "header_row_number": raw.header_row_number,
        "rows_read": rows.height + raw.title_rows,
        "title_rows": raw.title_rows,
        "data_rows": count.get("data", 0),
        "blank_rows": count.get("blank_row", 0),
        "total_rows": count.get("total_row", 0),
        "loaded_at": now,
        "reason": json.dumps({"million_baht_columns": raw.million_baht_columns}, ensure_ascii=False)
        if raw.million_baht_columns
        else None,
        "raw_headers": [
            {"sheet": sheet, "headers": headers, "canonical": raw.raw_columns[sheet]}
            for sheet, headers in raw.raw_headers.items()
        ],
    }
