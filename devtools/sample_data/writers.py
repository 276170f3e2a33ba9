"""Writers: rendered cells -> CSV bytes (utf-8-sig / utf-8 / cp874) or an xlsx workbook.

Both are deterministic: CSV is plain text; xlsx gets a fixed creation date (xlsxwriter
already stamps every zip member with 1980-01-01).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

from . import fmt, spec
from .layout import FilePlan


def write_csv(path: Path, plan: FilePlan, header: list[str], cells: pl.DataFrame) -> None:
    ncol = len(header)
    text = cells.select(
        [pl.when(pl.col(f"c{i}") == "").then(pl.lit(None, dtype=pl.String)).otherwise(pl.col(f"c{i}")).alias(header[i]) for i in range(ncol)]
    )
    nl = "\r\n" if plan.crlf else "\n"
    assert not plan.titles, "CSV files start with their header"
    if plan.encoding == "cp874":
        path.write_bytes(text.write_csv(quote_style="necessary", line_terminator=nl).encode("cp874"))
        return
    with open(path, "wb") as fh:
        if plan.encoding == "utf-8-sig":
            fh.write(b"\xef\xbb\xbf")
        text.write_csv(fh, quote_style="necessary", line_terminator=nl)


def write_xlsx(path: Path, plan: FilePlan, header: list[str], cells: pl.DataFrame) -> None:
    ncol = len(header)
    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    wb.set_properties({"created": spec.CREATED, "author": "กรมส่งเสริมอุตสาหกรรม"})
    ws = wb.add_worksheet(plan.sheet or "Sheet1")
    datef = wb.add_format({"num_format": "dd/mm/yyyy"})
    bold = wb.add_format({"bold": True})
    r = 0
    for t in plan.titles:
        ws.write_string(r, 0, t, bold)
        r += 1
    for c, h in enumerate(header):
        ws.write_string(r, c, h, bold)
    r += 1
    texts = [cells[f"c{i}"].to_list() for i in range(ncol)]
    types = [cells[f"t{i}"].to_list() for i in range(ncol)]
    ws_string, ws_number, ws_datetime = ws.write_string, ws.write_number, ws.write_datetime
    T_TEXT, T_NUM, T_DATE = fmt.T_TEXT, fmt.T_NUM, fmt.T_DATE
    for i in range(cells.height):
        for c in range(ncol):
            t = types[c][i]
            if t == T_TEXT:
                ws_string(r, c, texts[c][i])
            elif t == T_NUM:
                ws_number(r, c, float(texts[c][i]))
            elif t == T_DATE:
                y, m, d = texts[c][i].split("-")
                ws_datetime(r, c, dt.datetime(int(y), int(m), int(d)), datef)
        r += 1
    wb.close()
