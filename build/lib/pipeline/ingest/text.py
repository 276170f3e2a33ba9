"""Text clean-up shared by every value parser: Thai digits, zero-width characters, spaces.

All functions take and return polars expressions (String in, String out unless stated), so
they run vectorised over whole columns.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
ARABIC_DIGITS = "0123456789"

# Zero-width space/non-joiner/joiner and the BOM used as a zero-width no-break space.
ZERO_WIDTH_PATTERN = "[\u200b\u200c\u200d\ufeff]"
THAI_DIGIT_PATTERN = f"[{THAI_DIGITS}]"


def thai_digits(text: pl.Expr) -> pl.Expr:
    """Replace Thai digits ๐..๙ with 0..9."""
    return text.str.replace_many(list(THAI_DIGITS), list(ARABIC_DIGITS))


def has_thai_digits(text: pl.Expr) -> pl.Expr:
    """True where the text holds at least one Thai digit (for the `thai_digits` repair)."""
    return text.str.contains(THAI_DIGIT_PATTERN).fill_null(False)


def clean_text(text: pl.Expr) -> pl.Expr:
    """Remove zero-width characters, trim, collapse internal whitespace; blank -> null."""
    cleaned = (
        text.str.replace_all(ZERO_WIDTH_PATTERN, "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return cleaned.replace("", None)


def clean_value(text: pl.Expr) -> pl.Expr:
    """clean_text then thai_digits: the usual first step before reading a number or code."""
    return thai_digits(clean_text(text))


# Characters a "blank" cell may consist of (whitespace, NBSP, ideographic space, zero-width).
BLANK_CHARACTERS = " \t\r\n\v\f\u00a0\u3000\u200b\u200c\u200d\ufeff"


def non_blank_or_null(text: pl.Expr) -> pl.Expr:
    """The text without leading/trailing blank characters; null if nothing else is left.

    A cheap (regex-free) test for blank cells, used on every cell of a file.
    """
    return text.str.strip_chars(BLANK_CHARACTERS).replace("", None)


def compact_key(text: pl.Expr) -> pl.Expr:
    """A forgiving lookup key: cleaned, lower-case, without any whitespace.

    Used to match coded values and headers whatever their spacing or letter case.
    """
    return clean_text(text).str.to_lowercase().str.replace_all(r"\s+", "")


def text_was_cleaned(raw: pl.Expr) -> pl.Expr:
    """True where clean_text changed a non-blank value (the `text_cleaned` repair)."""
    cleaned = clean_text(raw)
    return (cleaned.is_not_null() & (cleaned != raw)).fill_null(False)


def let(value: pl.Expr, body: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """`body(value)`, with `value` computed once however often `body` uses it.

    Eager polars recomputes a sub-expression at each use (no common-subexpression elimination
    in these when/then trees); binding it as a struct field makes the other uses column reads.
    That is what keeps regex-heavy parsers fast on millions of cells.
    """
    bound = pl.struct(value.alias("value"))
    return bound.struct.with_fields(body(pl.field("value")).alias("result")).struct.field("result")
