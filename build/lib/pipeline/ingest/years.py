"""Fiscal-year values: `2564` (BE), `2021` (CE), `64` (short BE), Thai digits.

The result is a Buddhist-era year (Int32) or null when unreadable or outside 2400..2700.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.text import clean_value, let

BE_CE_OFFSET = 543
MIN_BE_YEAR = 2400
MAX_BE_YEAR = 2700
# A 4-digit year at or below this is read as CE (the contract: a year > 2400 is BE).
MAX_CE_YEAR = 2400

# An optional `พ.ศ.` / `ปี` / `ปีงบประมาณ` prefix, then 2 or 4 digits (a numeric Excel cell may
# add a `.0`).
_YEAR_PATTERN = r"^(?:พ\.?\s?ศ\.?|ปีงบประมาณ|ปี)?\s*(\d{2}|\d{4})(?:\.0+)?$"


def _year_digits(text: pl.Expr) -> pl.Expr:
    return clean_value(text).str.extract(_YEAR_PATTERN, 1)


def _be_from_digits(digits: pl.Expr) -> pl.Expr:
    number = digits.cast(pl.Int32)
    be_year = (
        pl.when(digits.str.len_chars() == 2)
        .then(number + 2500)
        .when(number <= MAX_CE_YEAR)
        .then(number + BE_CE_OFFSET)
        .otherwise(number)
    )
    return let(be_year, lambda year: pl.when(year.is_between(MIN_BE_YEAR, MAX_BE_YEAR)).then(year))


def year_be(text: pl.Expr) -> pl.Expr:
    """Read a year as BE (Int32); null if unreadable or outside 2400..2700."""
    return let(_year_digits(text), _be_from_digits).cast(pl.Int32)


def year_repair(text: pl.Expr) -> pl.Expr:
    """The repair code applied by year_be: `year_ce`, `year_short` or null."""
    digits = _year_digits(text)
    readable = year_be(text).is_not_null()
    return (
        pl.when(readable & (digits.str.len_chars() == 2))
        .then(pl.lit("year_short"))
        .when(readable & (digits.cast(pl.Int32) <= MAX_CE_YEAR))
        .then(pl.lit("year_ce"))
    )
