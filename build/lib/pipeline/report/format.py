"""Display formats of the report and the spreadsheet-safe text of the CSV exports.

Amounts are baht with thousands separators; fiscal years are Buddhist-era with the Common-era
year beside them ("2564 / 2021"). A missing value shows as an en dash.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import polars as pl

from pipeline.ingest.years import BE_CE_OFFSET

MISSING = "\u2013"

# A text cell that starts with one of these is a formula (or starts one) to Excel and
# LibreOffice; the export prefixes it with an apostrophe so it is shown as typed.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = r"^[=+\-@\t\r]"


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        # repr() is the shortest text that reads back as the same float: 0.1 stays 0.1.
        value = repr(value)
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def format_number(value, decimals: int = 0) -> str:
    """1234567.891 -> '1,234,568' (decimals=0) or '1,234,567.89' (decimals=2); half rounds up."""
    number = _decimal(value)
    if number is None:
        return MISSING
    quantum = Decimal(1).scaleb(-decimals)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    return f"{rounded:,.{decimals}f}"


def format_thb(value, decimals: int = 2) -> str:
    """Baht with thousands separators and satang: 19000000 -> '19,000,000.00'."""
    return format_number(value, decimals)


def format_count(value) -> str:
    return format_number(value, 0)


def format_pct(value, decimals: int = 1) -> str:
    text = format_number(value, decimals)
    return text if text == MISSING else f"{text}%"


def format_ratio(value, decimals: int = 2) -> str:
    return format_number(value, decimals)


def fiscal_year_label(fiscal_year_be) -> str:
    """2564 -> '2564 / 2021' (Thai fiscal year, Buddhist era, with its Common-era year)."""
    if fiscal_year_be is None:
        return MISSING
    year = int(fiscal_year_be)
    return f"{year} / {year - BE_CE_OFFSET}"


def fiscal_year_label_expr(column: str = "fiscal_year") -> pl.Expr:
    """fiscal_year_label() as a polars expression."""
    year = pl.col(column).cast(pl.Int64)
    return pl.format("{} / {}", year, year - BE_CE_OFFSET)


def neutralise_formula(text: str | None) -> str | None:
    """'=SUM(A1)' -> "'=SUM(A1)": a text cell Excel would evaluate is shown as typed."""
    if text is not None and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """neutralise_formula() on every text column; numbers (negative ones too) are left alone."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_PATTERN))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )
