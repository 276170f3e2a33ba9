"""Amounts, counts and percentages typed as text.

Amounts: `1,250,000.00`, `1,250,000`, `12,000 บาท`, `(15,000.00)` (negative), `-15,000.00`,
`15,000.00-` (trailing minus, as some ledgers print it), `-` alone (zero), Thai digits.
Blank -> null; unreadable -> null (the caller flags `amount_invalid`). Values are returned even
when implausibly large; `amount_out_of_range` says which ones the validation must reject.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.text import clean_value

MAX_ABS_AMOUNT_THB = 1e12
MILLION = 1_000_000.0

# Digits with either no grouping commas or correct thousands groups (`1,2,3` is unreadable).
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_NUMBER = rf"(?:{_DIGITS}(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)"
# Dash-like characters a lone "nil" cell is written with (hyphen, en dash, em dash, minus).
_NIL_PATTERN = r"^[-\u2013\u2014\u2212]$"
_CURRENCY_PATTERN = r"(?i)บาท|฿|thb"
_INTEGER_UNIT_PATTERN = r"คน|ราย(?:การ)?|ชิ้น"


def _amount_text(text: pl.Expr) -> pl.Expr:
    """Cleaned amount text without currency words and spaces (commas kept for checking)."""
    return (
        clean_value(text)
        .str.replace_all(_CURRENCY_PATTERN, "")
        .str.replace_all(r"\s", "")
        .str.replace_all("\u2212", "-")
    )


def _to_float(number_text: pl.Expr) -> pl.Expr:
    return number_text.str.replace_all(",", "").cast(pl.Float64, strict=False)


def parse_amount(text: pl.Expr) -> pl.Expr:
    """Read an amount into Float64 baht (no unit scaling); null if blank or unreadable."""
    compact = _amount_text(text)
    in_parentheses = compact.str.extract(rf"^\(({_NUMBER})\)$", 1)
    signed = compact.str.extract(rf"^([+-]?(?:{_NUMBER}))$", 1)
    trailing_minus = compact.str.extract(rf"^({_NUMBER})-$", 1)
    return (
        pl.when(clean_value(text).str.contains(_NIL_PATTERN))
        .then(pl.lit(0.0))
        .when(in_parentheses.is_not_null())
        .then(-_to_float(in_parentheses))
        .when(trailing_minus.is_not_null())
        .then(-_to_float(trailing_minus))
        .otherwise(_to_float(signed))
    )


def amount_out_of_range(amount: pl.Expr) -> pl.Expr:
    """True where a parsed amount is beyond ±1e12 baht (or not finite)."""
    return (amount.abs() > MAX_ABS_AMOUNT_THB) | amount.is_nan()


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
