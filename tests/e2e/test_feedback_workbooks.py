"""The offices' feedback workbooks of a full refresh of the committed sample, read back with a
second reader (openpyxl): one per sender, every planted defect on the right sheet with its row
number as the office sees it and a readable reason, figures that reconcile, and a trend."""

from __future__ import annotations

import stat
from pathlib import Path

import openpyxl
import pytest
from support import WorkbookRows, copy_build, expected_sender, sheet_rows

from pipeline import tiers
from pipeline import feedback, reasons
from pipeline.feedback import QUARANTINED_SHEET, REPAIRS_SHEET, SUMMARY_SHEET, write_workbooks


@pytest.fixture(scope="module")
def feedback_dir(sample_warehouse) -> Path:
    return sample_warehouse.build_database.parent / "feedback"


def test_one_workbook_per_sender_in_a_restricted_folder(sample_warehouse, feedback_dir, truth):
    senders = {expected_sender(f["path"]) for f in truth["files"]}
    assert senders == {"hq", "finance", *(f"ipc{n}" for n in range(1, 12))}
    assert sorted(p.name for p in feedback_dir.glob("*.xlsx")) == sorted(f"feedback_{s}.xlsx" for s in senders)
    assert stat.S_IMODE(feedback_dir.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in feedback_dir.glob("*.xlsx"))
    # Not beside the analysts' exports.
    reports = sample_warehouse.warehouse_path.parent.parent / "reports"
    assert reports.is_dir() and not list(reports.rglob("feedback_*.xlsx"))


def test_every_planted_quarantine_defect_is_on_its_senders_sheet_with_row_and_reason(feedback_dir, truth):
    planted = [d for d in truth["defects"] if d["handling"] == "quarantine"]
    assert planted
    shown = WorkbookRows(feedback_dir, QUARANTINED_SHEET)
    for defect in planted:
        row = shown.row(defect["file"], defect["row"])
        assert row is not None, defect
        label = reasons.all_reasons()[defect["code"]]
        assert label.label_en in row["Reason (English)"].split("\n"), (defect, row)
        assert label.label_th in row["เหตุผล (ไทย)"].split("\n"), (defect, row)
        assert label.fix_en in row["What to change"], (defect, row)


def test_every_planted_repair_is_on_its_senders_repairs_sheet(feedback_dir, truth):
    planted = [d for d in truth["defects"] if d["handling"] == "repair" and d["row_status"] == "staged"]
    assert planted
    shown = WorkbookRows(feedback_dir, REPAIRS_SHEET)
    for defect in planted:
        row = shown.row(defect["file"], defect["row"])
        assert row is not None, defect
        assert reasons.label(defect["code"]) in row["Reason (English)"].split("\n"), (defect, row)


def test_the_values_sent_are_the_offices_own_as_read(sample_warehouse, feedback_dir):
    """The quarantined row's cells as the office sent them, personal ones included (its own)."""
    ((file, row_number, raw),) = sample_warehouse.query_build(
        "SELECT parse_filename(source_file), row_number, raw_values::JSON->>'เลขประจำตัวผู้เสียภาษี' "
        "FROM audit.quarantine_registrations WHERE source_file LIKE '%ipc3%' AND list_contains(reason_codes, 'tax_id_checksum') "
        "ORDER BY source_file, row_number LIMIT 1"
    )
    rows = sheet_rows(feedback_dir / "feedback_ipc3.xlsx", QUARANTINED_SHEET)
    (row,) = [r for r in rows if (r["ไฟล์ File"], r["แถว Row"]) == (file, row_number)]
    assert row["ส่งมา: เลขประจำตัวผู้เสียภาษี"] == raw


def test_the_summaries_reconcile_with_the_manifest(sample_warehouse, feedback_dir):
    quarantined = repaired = accepted = 0
    for path in feedback_dir.glob("*.xlsx"):
        summary = {row[1]: row[2] for row in _summary_measures(path)}
        quarantined += summary["Rows quarantined (to fix)"]
        repaired += summary["Rows repaired by the warehouse"]
        accepted += summary["Rows accepted"]
        assert summary["Rows quarantined (to fix)"] == len(sheet_rows(path, QUARANTINED_SHEET))
    ((total_quarantined, total_accepted),) = sample_warehouse.query(
        "SELECT sum(rows_quarantined), sum(rows_staged) FROM audit.file_manifest WHERE status = 'loaded'"
    )
    assert (quarantined, accepted) == (total_quarantined, total_accepted)
    assert repaired > 0


def _summary_measures(path: Path) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book[SUMMARY_SHEET].iter_rows(min_row=5, max_row=9, values_only=True))
    finally:
        book.close()
    return rows


def test_a_later_refresh_shows_the_trend_against_the_previous_one(sample_warehouse, tmp_path):
    build = tmp_path / "build.duckdb"
    copy_build(sample_warehouse.build_database, build)
    connection = tiers.connect_build(build, read_only=False)
    try:
        first = write_workbooks(connection, tmp_path / "feedback", "first-run")
        assert all(w.rewritten for w in first)  # none in this folder yet
        written_at = {w.sender: w.path.stat().st_mtime_ns for w in first}
        # Nothing changed: every workbook is kept as it is.
        again = write_workbooks(connection, tmp_path / "feedback", "same-again")
        assert not any(w.rewritten for w in again)
        assert {w.sender: w.path.stat().st_mtime_ns for w in again} == written_at
        # One of ipc5's quarantined rows fixed at the source since the refresh before.
        ((file, row_number),) = connection.execute(
            "SELECT source_file, min(row_number) FROM audit.quarantine_registrations "
            "WHERE parse_filename(source_file) LIKE 'registrations_ipc5_%' GROUP BY ALL ORDER BY ALL LIMIT 1"
        ).fetchall()
        connection.execute(
            "DELETE FROM audit.quarantine_registrations WHERE source_file = ? AND row_number = ?", [file, row_number]
        )
        connection.execute(
            "UPDATE audit.file_manifest SET rows_quarantined = rows_quarantined - 1 WHERE source_file = ?", [file]
        )
        later = write_workbooks(connection, tmp_path / "feedback", "later-run")
    finally:
        connection.close()
    assert [w.sender for w in later if w.rewritten] == ["ipc5"]
    measures = {row[1]: row for row in _summary_measures(tmp_path / "feedback" / "feedback_ipc5.xlsx")}
    _, _, now, before, change = measures["Rows quarantined (to fix)"][:5]
    assert before is not None and (now, change) == (before - 1, -1)
    assert measures["Files received"][4] == 0


def _cells(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cells, but the summary's refresh time (its second row)."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: [row for index, row in enumerate(sheet.iter_rows(values_only=True)) if (sheet.title, index) != (SUMMARY_SHEET, 1)]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def test_workbooks_written_by_worker_processes_are_the_ones_written_in_the_step(sample_warehouse, tmp_path, monkeypatch):
    """Much to write: the workbooks are written by spawned processes, and read back the same."""
    by_folder = {}
    for folder, from_rows in (("in_step", 10**12), ("by_workers", 0)):
        build = tmp_path / f"{folder}.duckdb"
        copy_build(sample_warehouse.build_database, build)
        monkeypatch.setattr(feedback, "PARALLEL_FROM_ROWS", from_rows)
        monkeypatch.setattr(feedback, "WRITER_PROCESSES", 2)
        connection = tiers.connect_build(build, read_only=False)
        try:
            written = write_workbooks(connection, tmp_path / folder, "run")
        finally:
            connection.close()
        assert written and all(w.rewritten for w in written)
        assert all(stat.S_IMODE(w.path.stat().st_mode) == 0o600 for w in written)
        assert not list((tmp_path / folder).glob(".*"))  # no temporary file left behind
        by_folder[folder] = {w.path.name: _cells(w.path) for w in written}
    assert by_folder["by_workers"] == by_folder["in_step"]
