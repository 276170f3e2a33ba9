"""Feedback workbooks for the senders of the raw files: one .xlsx per office (and one for
finance's ledgers), in Thai with English beside it, so they can fix their files at the source.

Each workbook has a summary (files received, rows accepted, repaired and quarantined, against
the previous refresh), the quarantined rows with the values the office sent, the reason and
what to change, the repairs the warehouse made, and the files it could not load. Labels and fix
hints come from pipeline/reasons.yml (through core.dim_reason).

The values sent are the office's own, personal data included, so the workbooks are written from
the build database into FEEDBACK_DIR (restricted; see pipeline.config), never beside the
analysts' exports.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from pipeline import change_tracking
from pipeline.contract import OFFICE_FILE_CODES, OFFICES, SOURCES
from pipeline.reasons import REASONS_PATH

FINANCE = "finance"
HEADQUARTERS = OFFICE_FILE_CODES["กสอ."]
WORKBOOK_PREFIX = "feedback_"
# A sheet lists this many rows at most: an office cannot act on more at once, and xlsxwriter
# writes about 150,000 cells a second, so the step's cost stays the same at any scale. The
# summary gives every count in full.
ROWS_SHOWN_PER_SHEET = 5_000
# Fixed column widths (pixels): measuring every cell to fit them costs as much as writing it.
COLUMN_WIDTH_PX = 150
# xlsxwriter is pure Python, on one core: with this many rows to write in all (a dozen full
# workbooks took 30 s at scale 1000), the workbooks are written by worker processes, fresh
# interpreters (spawned: the step's process runs DuckDB's threads, which a fork would copy).
PARALLEL_FROM_ROWS = 20_000
WRITER_PROCESSES = min(4, os.cpu_count() or 1)
HISTORY_TABLE = "feedback.sender_figures"

# Who sent a file: the ledgers come from finance; a file whose name carries an office's code
# (`registrations_ipc3_2564.csv`) from that office; the plans, the surveys and any file whose
# name names no office from headquarters, which compiles them and forwards what is wrong.
_OFFICE_IN_NAME = "_(" + "|".join(sorted(OFFICE_FILE_CODES.values(), key=len, reverse=True)) + ")_"
_SENDER_NAMES = {
    FINANCE: ("การเงิน (รายงานการเบิกจ่าย)", "Finance (spending ledgers)"),
    **{code: (office, "DIP headquarters" if code == HEADQUARTERS else f"Industrial Promotion Centre {code[3:]}")
       for office, code in OFFICE_FILE_CODES.items()},
}
SENDERS = (*(OFFICE_FILE_CODES[office] for office in OFFICES), FINANCE)

# The accepted rows the warehouse repaired, read once from staging for the counts and the sheet.
_REPAIRED_SQL = f"""
CREATE OR REPLACE TEMP TABLE feedback_repaired AS
{" UNION ALL ".join(
    f"SELECT _source_file AS source_file, _sheet AS sheet, _row_number AS row_number, _repairs AS repairs "
    f"FROM staging.{source.name} WHERE len(_repairs) > 0" for source in SOURCES)}
"""

_FILES_SQL = """
CREATE OR REPLACE TEMP TABLE feedback_files AS
SELECT m.source, m.source_file, parse_filename(m.source_file) AS file_name,
       CASE WHEN m.source = 'spending' THEN $finance
            ELSE coalesce(nullif(regexp_extract(lower(parse_filename(m.source_file)), $office_in_name, 1), ''), $headquarters)
       END AS sender,
       m.status, m.reason_code, m.reason, m.duplicate_of, m.rows_read, m.rows_staged, m.rows_quarantined,
       coalesce(r.rows_repaired, 0) AS rows_repaired
FROM audit.file_manifest m
LEFT JOIN (SELECT source_file, count(*) AS rows_repaired FROM feedback_repaired GROUP BY ALL) r USING (source_file)
WHERE m.status <> 'removed'
"""

# The labels of a list of codes, joined, from core.dim_reason (an unlisted code shows as itself).
_LABEL_MAPS = """
labels AS (
    SELECT map(list(reason_code), list(label_th)) AS th, map(list(reason_code), list(label_en)) AS en,
           map(list(reason_code), list(coalesce(fix_th, '-'))) AS fix_th,
           map(list(reason_code), list(coalesce(fix_en, '-'))) AS fix_en
    FROM core.dim_reason
)
"""


def _labelled(codes: str) -> str:
    """Columns labelling the code list `codes` (a column name, never a value)."""
    return ", ".join(
        f"array_to_string(list_transform({codes}, c -> coalesce(labels.{map_}[c], c)), chr(10)) AS {alias}"
        for map_, alias in (("th", "reason_th"), ("en", "reason_en"), ("fix_th", "fix_th"), ("fix_en", "fix_en"))
    )


# Each sender's first ROWS_SHOWN_PER_SHEET rows are chosen first; only those are labelled.
_QUARANTINED_SQL = f"""
WITH quarantined AS (
    {" UNION ALL BY NAME ".join(f"SELECT * FROM audit.quarantine_{source.name}" for source in SOURCES)}
), shown AS (
    SELECT f.sender, f.file_name, q.sheet, q.row_number, q.reason_codes, q.duplicate_of, q.raw_values
    FROM quarantined q JOIN feedback_files f USING (source_file)
    QUALIFY row_number() OVER (PARTITION BY f.sender ORDER BY f.file_name, q.sheet, q.row_number) <= $shown
), {_LABEL_MAPS}
SELECT sender, file_name, coalesce(sheet, '') AS sheet, row_number, {_labelled("reason_codes")},
       coalesce(duplicate_of, '') AS duplicate_of, raw_values
FROM shown, labels
ORDER BY sender, file_name, shown.sheet, row_number
"""

_REPAIRS_SQL = f"""
WITH shown AS (
    SELECT f.sender, f.file_name, r.sheet, r.row_number, r.repairs
    FROM feedback_repaired r JOIN feedback_files f USING (source_file)
    QUALIFY row_number() OVER (PARTITION BY f.sender ORDER BY f.file_name, r.sheet, r.row_number) <= $shown
), {_LABEL_MAPS}
SELECT sender, file_name, coalesce(sheet, '') AS sheet, row_number, {_labelled("repairs")}
FROM shown, labels
ORDER BY sender, file_name, shown.sheet, row_number
"""

_REJECTED_SQL = f"""
WITH {_LABEL_MAPS.strip()}
SELECT f.sender, f.file_name, {_labelled("[f.reason_code]")}, coalesce(f.reason, '') AS details,
       coalesce(f.duplicate_of, '') AS duplicate_of
FROM feedback_files f, labels WHERE f.status <> 'loaded' ORDER BY f.sender, f.file_name
"""

_FIGURES_SQL = """
SELECT sender, count(*) AS files_received, count(*) FILTER (WHERE status = 'rejected') AS files_rejected,
       coalesce(sum(rows_staged), 0)::BIGINT AS rows_accepted, coalesce(sum(rows_repaired), 0)::BIGINT AS rows_repaired,
       coalesce(sum(rows_quarantined), 0)::BIGINT AS rows_quarantined
FROM feedback_files GROUP BY sender
"""

_HISTORY_COLUMNS = (
    "refreshed_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, sender VARCHAR NOT NULL, files_received BIGINT, "
    "files_rejected BIGINT, rows_accepted BIGINT, rows_repaired BIGINT, rows_quarantined BIGINT, content_digest VARCHAR"
)
_MEASURES = (
    ("files_received", "ไฟล์ที่ได้รับ", "Files received"),
    ("files_rejected", "ไฟล์ที่รับไม่ได้", "Files not loaded"),
    ("rows_accepted", "แถวที่รับแล้ว", "Rows accepted"),
    ("rows_repaired", "แถวที่ระบบแก้ไขให้", "Rows repaired by the warehouse"),
    ("rows_quarantined", "แถวที่ถูกกักไว้ (ต้องแก้ไข)", "Rows quarantined (to fix)"),
)

# Sheet names and column headers, Thai with English beside it.
SUMMARY_SHEET = "สรุป Summary"
QUARANTINED_SHEET = "แถวที่ต้องแก้ Quarantined"
REPAIRS_SHEET = "ที่ระบบแก้ให้ Repairs"
REJECTED_SHEET = "ไฟล์ที่รับไม่ได้ Files"
_HEADERS = {
    "file_name": "ไฟล์ File",
    "sheet": "แผ่นงาน Sheet",
    "row_number": "แถว Row",
    "reason_th": "เหตุผล (ไทย)",
    "reason_en": "Reason (English)",
    "fix_th": "สิ่งที่ต้องแก้ไข",
    "fix_en": "What to change",
    "duplicate_of": "ซ้ำกับ Duplicate of",
    "details": "รายละเอียด Details",
    "status": "สถานะ Status",
    "rows_read": "แถวที่อ่าน Rows read",
    "rows_staged": "รับแล้ว Accepted",
    "rows_quarantined": "กักไว้ Quarantined",
    "rows_repaired": "แก้ไขให้ Repaired",
}


@dataclass(frozen=True)
class Workbook:
    sender: str
    path: Path
    rows_quarantined: int
    rows_repaired: int
    files_rejected: int
    rewritten: bool  # False: what it shows had not changed, so the workbook was kept


def sender_label(sender: str) -> str:
    thai, english = _SENDER_NAMES.get(sender, (sender, sender))
    return f"{thai} / {english}"


def write_workbooks(connection: duckdb.DuckDBPyConnection, folder: Path, run_id: str | None) -> list[Workbook]:
    """One workbook per sender with files in the manifest, written atomically into `folder`,
    unless what it would show is what its workbook already shows; the figures of each written
    workbook are recorded, so the next one shows the trend. Stale workbooks are removed."""
    connection.execute(_REPAIRED_SQL)
    connection.execute(_FILES_SQL, {"finance": FINANCE, "office_in_name": _OFFICE_IN_NAME, "headquarters": HEADQUARTERS})
    figures = connection.sql(_FIGURES_SQL).pl()
    previous = _previous_figures(connection)
    shown = {"shown": ROWS_SHOWN_PER_SHEET}
    frames = {
        "files": connection.sql("SELECT * FROM feedback_files ORDER BY sender, file_name").pl(),
        "quarantined": connection.execute(_QUARANTINED_SQL, shown).pl(),
        "repairs": connection.execute(_REPAIRS_SQL, shown).pl(),
        "rejected": connection.sql(_REJECTED_SQL).pl(),
    }
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    digests = {}
    present = set(figures.get_column("sender").to_list())
    to_write = []
    for sender in [s for s in SENDERS if s in present]:  # one workbook each: a dozen, not rows of data
        own = {name: frame.filter(pl.col("sender") == sender).drop("sender") for name, frame in frames.items()}
        own_figures = figures.filter(pl.col("sender") == sender).drop("sender")
        own_previous = previous.filter(pl.col("sender") == sender).drop("sender")
        path = folder / f"{WORKBOOK_PREFIX}{sender}.xlsx"
        digest = _content_digest(own, own_figures)
        recorded = own_previous.get_column("content_digest").to_list() if own_previous.height else []
        rewrite = not (path.is_file() and recorded == [digest])
        if rewrite:
            to_write.append((path, sender, own, own_figures, own_previous))
            digests[sender] = digest
        totals = own_figures.row(0, named=True)
        written.append(
            Workbook(sender, path, totals["rows_quarantined"], totals["rows_repaired"], totals["files_rejected"], rewrite)
        )
    _write_all(to_write)
    for stale in set(folder.glob(f"{WORKBOOK_PREFIX}*.xlsx")) - {w.path for w in written}:
        stale.unlink()
    _record_figures(connection, figures, digests, run_id)
    return written


def _content_digest(frames: dict[str, pl.DataFrame], figures: pl.DataFrame) -> str:
    """What a sender's workbook shows (its rows and figures), with the code and labels that make it."""
    rows = [hashlib.sha256(frame.hash_rows(seed=0).to_numpy().tobytes()).hexdigest() for frame in (*frames.values(), figures)]
    return change_tracking.digest(
        "feedback", change_tracking.source_code(sys.modules[__name__]), REASONS_PATH.read_text(encoding="utf-8"),
        pl.__version__, *rows,
    )


def _previous_figures(connection: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    connection.execute("CREATE SCHEMA IF NOT EXISTS feedback")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} ({_HISTORY_COLUMNS})")
    connection.execute(f"ALTER TABLE {HISTORY_TABLE} ADD COLUMN IF NOT EXISTS content_digest VARCHAR")
    return connection.sql(
        f"SELECT * EXCLUDE (run_id) FROM {HISTORY_TABLE} QUALIFY row_number() OVER (PARTITION BY sender ORDER BY refreshed_at DESC) = 1"
    ).pl()


def _record_figures(
    connection: duckdb.DuckDBPyConnection, figures: pl.DataFrame, digests: dict[str, str], run_id: str | None
) -> None:
    """The figures of the workbooks just written, with what each shows (`digests`, by sender)."""
    written = figures.join(
        pl.DataFrame({"sender": list(digests), "content_digest": list(digests.values())}, schema={"sender": pl.String, "content_digest": pl.String}),
        on="sender", how="inner",
    )
    connection.register("current_figures", written)
    connection.execute(
        f"INSERT INTO {HISTORY_TABLE} BY NAME SELECT ?::TIMESTAMPTZ AS refreshed_at, ? AS run_id, * FROM current_figures",
        [datetime.now(timezone.utc), run_id],
    )
    connection.unregister("current_figures")


def _write_all(workbooks: list[tuple]) -> None:
    """Each (path, sender, frames, figures, previous) written by _write_atomically: in worker
    processes when there is much to write, else here (a process costs more than a small one)."""
    def rows(workbook: tuple) -> int:
        return sum(frame.height for frame in workbook[2].values())

    workers = min(WRITER_PROCESSES, len(workbooks))
    if sum(map(rows, workbooks)) < PARALLEL_FROM_ROWS or workers < 2:
        for workbook in workbooks:
            _write_atomically(*workbook)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        # Largest first, so the last workbook to start is a small one.
        for written in [pool.submit(_write_atomically, *workbook) for workbook in sorted(workbooks, key=rows, reverse=True)]:
            written.result()  # a worker's error is raised here


def _write_atomically(path: Path, sender: str, frames: dict, figures: pl.DataFrame, previous: pl.DataFrame) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".xlsx")
    os.close(handle)
    try:
        # Values are written as text as sent: never turned into formulas, links or numbers.
        options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        with xlsxwriter.Workbook(temporary, options) as workbook:
            _summary_sheet(workbook, sender, frames["files"], figures, previous)
            _table_sheet(workbook, QUARANTINED_SHEET, _with_values_sent(frames["quarantined"]), figures["rows_quarantined"][0])
            _table_sheet(workbook, REPAIRS_SHEET, frames["repairs"], figures["rows_repaired"][0])
            _table_sheet(workbook, REJECTED_SHEET, frames["rejected"], frames["rejected"].height)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _with_values_sent(quarantined: pl.DataFrame) -> pl.DataFrame:
    """The row's cells as the office sent them, one column per header of its files."""
    values = quarantined.get_column("raw_values")
    if values.is_empty():
        return quarantined.drop("raw_values")
    cells = values.str.json_decode(infer_schema_length=None)
    if not isinstance(cells.dtype, pl.Struct):
        return quarantined.drop("raw_values")
    sent = cells.struct.unnest()
    sent = sent.rename(dict(zip(sent.columns, _distinct_headers([f"ส่งมา: {name}" for name in sent.columns]))))
    return pl.concat([quarantined.drop("raw_values"), sent.cast(pl.String)], how="horizontal")


def _distinct_headers(headers: list[str]) -> list[str]:
    """Excel's table headers ignore letter case: `Amount` and `amount` (two files' headers) get a number."""
    seen: dict[str, int] = {}
    distinct = []
    for header in headers:
        count = seen[header.casefold()] = seen.get(header.casefold(), 0) + 1
        distinct.append(header if count == 1 else f"{header} ({count})")
    return distinct


def _summary_sheet(workbook, sender: str, files: pl.DataFrame, figures: pl.DataFrame, previous: pl.DataFrame) -> None:
    sheet = workbook.add_worksheet(SUMMARY_SHEET)
    bold = workbook.add_format({"bold": True, "font_size": 14})
    sheet.write(0, 0, f"ผลการตรวจไฟล์ข้อมูล / Feedback on the files received: {sender_label(sender)}", bold)
    sheet.write(1, 0, f"ปรับปรุงเมื่อ / Refreshed at {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    current = figures.row(0, named=True)
    before = previous.row(0, named=True) if previous.height else {}
    trend = pl.DataFrame(
        {
            "รายการ": [thai for _, thai, _ in _MEASURES],
            "Measure": [english for _, _, english in _MEASURES],
            "ครั้งนี้ This refresh": [current[name] for name, _, _ in _MEASURES],
            "ครั้งก่อน Previous refresh": [before.get(name) for name, _, _ in _MEASURES],
        },
        schema_overrides={"ครั้งก่อน Previous refresh": pl.Int64},
    ).with_columns((pl.col("ครั้งนี้ This refresh") - pl.col("ครั้งก่อน Previous refresh")).alias("เปลี่ยนแปลง Change"))
    trend.write_excel(workbook, worksheet=SUMMARY_SHEET, position=(3, 0), autofit=True, table_style="Table Style Light 9")
    per_file = files.select("file_name", "status", "rows_read", "rows_staged", "rows_repaired", "rows_quarantined")
    per_file.rename(_HEADERS, strict=False).write_excel(
        workbook, worksheet=SUMMARY_SHEET, position=(trend.height + 6, 0), autofit=True, table_style="Table Style Light 9"
    )


def _table_sheet(workbook, name: str, frame: pl.DataFrame, total: int) -> None:
    sheet = workbook.add_worksheet(name)
    if frame.height < total:
        sheet.write(0, 0, f"แสดง {frame.height:,} แถวแรกจาก {total:,} / The first {frame.height:,} of {total:,} rows")
    else:
        sheet.write(0, 0, f"{total:,} แถว / rows" if total else "ไม่มี / None")
    frame.rename(_HEADERS, strict=False).write_excel(
        workbook, worksheet=name, position=(1, 0), column_widths=COLUMN_WIDTH_PX, table_style="Table Style Light 9",
        freeze_panes=(2, 0),
    )
