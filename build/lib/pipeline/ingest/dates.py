"""Dates as the offices write them, read day-first into a CE `pl.Date`.

Accepted layouts (Thai digits allowed anywhere):
- `15/03/2564`, `15-03-2564`, `15.03.2564`, `15/03/64` (short BE), `15/03/2021` (CE)
- `15 มี.ค. 64`, `15 มีค 2564`, `15 มีนาคม 2564`, `15 มีนาคม พ.ศ. 2564` (Thai month names)
- `2564-03-15`, `2564-03-15 00:00:00` (ISO layout, as Excel date cells come out of calamine),
  `2021-03-15` (ISO layout with a CE year)
- `44270` (Excel serial number, epoch 1899-12-30; the `excel_serial_date` repair)

Year rules: 2 digits = short BE (`64` -> 2564); 4 digits > 2400 = BE; otherwise CE. The result
is null for an unreadable text, an impossible date (31/02/2564) or a CE year outside 1990..2100.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipeline.ingest.text import clean_value, let
from pipeline.ingest.years import BE_CE_OFFSET, MAX_CE_YEAR

MIN_CE_YEAR = 1990
MAX_CE_YEAR_FOR_DATES = 2100
EXCEL_EPOCH = dt.date(1899, 12, 30)

_TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_FIRST = rf"(\d{{1,2}})[/.\-](\d{{1,2}})[/.\-](\d{{4}}|\d{{2}}){_TIME_SUFFIX}"
_ISO = rf"(\d{{4}})[\-/](\d{{1,2}})[\-/](\d{{1,2}}){_TIME_SUFFIX}"
_MONTH_NAME = r"(\d{1,2})[\s\-/]*([^\d]+?)[\s\-/]*(\d{4}|\d{2})"
# Five digits (1927..2173 as a serial); a fraction is a time of day.
_SERIAL = r"(\d{5})(?:\.\d+)?"
# All layouts in one pattern, so each cell is scanned once. Groups: day-first 1-3 (d, m, y),
# ISO 4-6 (y, m, d), month name 7-9 (d, month, y), serial 10.
_DATE_PATTERN = f"^(?:{_DAY_FIRST}|{_ISO}|{_MONTH_NAME}|{_SERIAL})$"
_SERIAL_PATTERN = f"^{_SERIAL}$"

_THAI_MONTHS_LONG = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
_THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
_ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)


def _month_key(name: str) -> str:
    """Month-name lookup key: no dots, no spaces, lower case (same as _month_key_expr)."""
    return name.replace(".", "").replace(" ", "").lower()


def _month_key_expr(name: pl.Expr) -> pl.Expr:
    return name.str.replace_all(r"[.\s]", "").str.to_lowercase()


MONTH_NUMBERS: dict[str, int] = {
    **{_month_key(n): i for i, n in enumerate(_THAI_MONTHS_LONG, start=1)},
    **{_month_key(n): i for i, n in enumerate(_THAI_MONTHS_SHORT, start=1)},
    **{n: i for i, n in enumerate(_ENGLISH_MONTHS, start=1)},
    **{n[:3]: i for i, n in enumerate(_ENGLISH_MONTHS, start=1)},
    "sept": 9,
}


def _prepared(text: pl.Expr) -> pl.Expr:
    # `พ.ศ.` between month and year carries no information once the year rule applies.
    return clean_value(text).str.replace_all(r"พ\.\s?ศ\.?", " ").str.replace_all(r"\s+", " ")


def _to_ce_year(year_text: pl.Expr) -> pl.Expr:
    number = year_text.cast(pl.Int32)
    return (
        pl.when(year_text.str.len_chars() == 2)
        .then(number + 2500 - BE_CE_OFFSET)
        .when(number > MAX_CE_YEAR)
        .then(number - BE_CE_OFFSET)
        .otherwise(number)
    )


def _date_from_parts(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    # Building the ISO text and parsing it non-strictly turns impossible dates into null.
    iso = pl.format(
        "{}-{}-{}",
        year.cast(pl.String).str.zfill(4),
        month.cast(pl.String).str.zfill(2),
        day.cast(pl.String).str.zfill(2),
    )
    return iso.str.to_date("%Y-%m-%d", strict=False)


def _serial_days(text: pl.Expr) -> pl.Expr:
    return _prepared(text).str.extract(_SERIAL_PATTERN, 1).cast(pl.Int64)


def _date_from_groups(groups: pl.Expr) -> pl.Expr:
    field = groups.struct.field
    year_text = pl.coalesce(field("3"), field("4"), field("9"))
    month = pl.coalesce(
        field("2").cast(pl.Int32),
        field("5").cast(pl.Int32),
        _month_key_expr(field("8")).replace_strict(MONTH_NUMBERS, default=None, return_dtype=pl.Int32),
    )
    day = pl.coalesce(field("1"), field("6"), field("7")).cast(pl.Int32)
    serial_days = field("10").cast(pl.Int64)
    date = (
        pl.when(serial_days.is_not_null())
        .then(pl.lit(EXCEL_EPOCH, dtype=pl.Date) + pl.duration(days=serial_days))
        .otherwise(_date_from_parts(_to_ce_year(year_text), month, day))
    )
    return let(date, lambda d: pl.when(d.dt.year().is_between(MIN_CE_YEAR, MAX_CE_YEAR_FOR_DATES)).then(d))


def parse_date(text: pl.Expr) -> pl.Expr:
    """Read a date (any accepted layout) into a CE pl.Date; null if unreadable/impossible."""
    return let(_prepared(text).str.extract_groups(_DATE_PATTERN), _date_from_groups)


def date_repair(text: pl.Expr, parsed: pl.Expr | None = None) -> pl.Expr:
    """`excel_serial_date` where the date was read from an Excel serial number, else null.

    `parsed` may pass parse_date(text) when it is already computed.
    """
    parsed = parse_date(text) if parsed is None else parsed
    from_serial = _serial_days(text).is_not_null() & parsed.is_not_null()
    return pl.when(from_serial).then(pl.lit("excel_serial_date"))
