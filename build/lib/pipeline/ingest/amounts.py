"""Amounts, counts and percentages typed as text.

Amounts: `1,250,000.00`, `1,250,000`, `12,000 บาท`, `(15,000.00)` (negative), `-15,000.00`,
`15,000.00-` (trailing minus, as some ledgers print it), `-` alone (zero), Thai digits.
Blank -> null; unreadable -> null (the caller flags `amount_invalid`). Values are returned even
when implausibly large; `amount_out_of_range` says which ones the validation must reject.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.text import clean_value, let

MAX_ABS_AMOUNT_THB = 1e12
MILLION = 1_000_000.0

# Digits with either no grouping commas or correct thousands groups (`1,2,3` is unreadable).
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_NUMBER = rf"(?:{_DIGITS}(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)"
# One pattern for every accepted layout: `(1,000)`, `-1,000`, `+1,000`, `1,000-`, `1,000`, and
# a lone dash (hyphen, en dash, em dash; the minus sign is mapped to `-` first) for zero.
_AMOUNT_PATTERN = rf"^(?:\(({_NUMBER})\)|([+-]?)({_NUMBER})(-?)|([-\u2013\u2014]))$"
# Currency words and spaces are dropped before reading the number.
_NOISE_PATTERN = r"(?i)บาท|฿|thb|\s"
_INTEGER_UNIT_PATTERN = r"คน|ราย(?:การ)?|ชิ้น"


def _amount_from_parts(parts: pl.Expr) -> pl.Expr:
    in_parentheses, sign, number, trailing_minus, nil = (
        parts.struct.field(group) for group in ("1", "2", "3", "4", "5")
    )
    magnitude = pl.coalesce(in_parentheses, number).str.replace_all(",", "").cast(pl.Float64, strict=False)
    negative = in_parentheses.is_not_null() | (sign == "-") | (trailing_minus == "-")
    # `-1,000-` (two minus signs) is not a layout anyone means.
    contradictory = (sign == "-") & (trailing_minus == "-")
    return (
        pl.when(nil.is_not_null())
        .then(pl.lit(0.0))
        .when(contradictory.fill_null(False))
        .then(pl.lit(None, dtype=pl.Float64))
        .when(negative.fill_null(False))
        .then(-magnitude)
        .otherwise(magnitude)
    )


def parse_amount(text: pl.Expr) -> pl.Expr:
    """Read an amount into Float64 baht (no unit scaling); null if blank or unreadable."""
    compact = clean_value(text).str.replace_all(_NOISE_PATTERN, "").str.replace_all("\u2212", "-")
    return let(compact.str.extract_groups(_AMOUNT_PATTERN), _amount_from_parts)


def amount_out_of_range(amount: pl.Expr) -> pl.Expr:
    """True where a parsed amount is beyond ±1e12 baht (or not finite)."""
    return let(amount, lambda value: (value.abs() > MAX_ABS_AMOUNT_THB) | value.is_nan())


def in_million_baht(amount: pl.Expr) -> pl.Expr:
    """Scale an amount read under a `(ล้านบาท)` header to baht."""
    return amount * MILLION


def parse_integer(text: pl.Expr) -> pl.Expr:
    """Read a non-negative count (`5`, `5 คน`, `1,200`, `๕`, `5.0`) into Int64; else null."""
    digits = (
        clean_value(text)
        .str.replace_all(_INTEGER_UNIT_PATTERN, "")
        .str.replace_all(r"\s", "")
        .str.extract(rf"^\+?({_DIGITS})(?:\.0+)?$", 1)
    )
    return digits.str.replace_all(",", "").cast(pl.Int64, strict=False)


def is_percentage(text: pl.Expr) -> pl.Expr:
    """True where the value is typed as a percentage such as `15%` or `12.5 %`."""
    return clean_value(text).str.contains(r"^[+-]?\d+(?:[.,]\d+)?\s*%$").fill_null(False)
