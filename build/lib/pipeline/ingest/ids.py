"""Identifiers: Thai tax IDs, community-enterprise registration codes, TSIC codes.

Tax ID statuses (`tax_id_status`):
- `ok`          13 digits with a valid check digit
- `repaired`    12 digits; restoring the leading `0` lost by Excel gives a valid check digit
                (the `tax_id_leading_zero` repair)
- `checksum`    13 digits whose check digit is wrong
- `unreadable`  scientific notation such as `1.05554E+12` (digits lost for good)
- `invalid`     anything else
- `missing`     blank
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.text import clean_value, let

TAX_ID_OK = "ok"
TAX_ID_REPAIRED = "repaired"
TAX_ID_CHECKSUM = "checksum"
TAX_ID_UNREADABLE = "unreadable"
TAX_ID_INVALID = "invalid"
TAX_ID_MISSING = "missing"
TAX_ID_STATUSES = (
    TAX_ID_OK, TAX_ID_REPAIRED, TAX_ID_CHECKSUM, TAX_ID_UNREADABLE, TAX_ID_INVALID, TAX_ID_MISSING
)

_SCIENTIFIC_PATTERN = r"^\d+(?:\.\d+)?[eE]\+?\d+$"
# Separators people put inside an ID: spaces, hyphens and dash look-alikes.
_ID_SEPARATORS = r"[\s\-\u2013\u2014]"


def _id_digits(text: pl.Expr) -> pl.Expr:
    """Cleaned ID text without separators (a numeric Excel cell's `.0` dropped)."""
    return (
        clean_value(text)
        .str.replace_all(_ID_SEPARATORS, "")
        .str.replace(r"^(\d+)\.0+$", "${1}")
    )


def tax_id_check_digit_ok(digits13: pl.Expr) -> pl.Expr:
    """True where a 13-digit string's last digit is its check digit.

    check = (11 - sum(d_i * (13 - i) for i in 0..11) mod 11) mod 10
    """
    # The digits by arithmetic on the number (one parse), not 13 slices of text each cast: a
    # third of the time of reading a ledger went here. Callers pass 13 digits, which fit an Int64.
    return let(
        digits13.cast(pl.Int64, strict=False),
        lambda number: (
            11 - pl.sum_horizontal((number // 10 ** (12 - i) % 10) * (13 - i) for i in range(12)) % 11
        ) % 10 == number % 10,
    )


def _tax_id_from_digits(digits: pl.Expr) -> pl.Expr:
    is_13 = digits.str.contains(r"^\d{13}$").fill_null(False)
    is_12 = digits.str.contains(r"^\d{12}$").fill_null(False)
    restored = pl.lit("0") + digits
    restored_ok = is_12 & tax_id_check_digit_ok(restored).fill_null(False)
    status = (
        pl.when(digits.is_null())
        .then(pl.lit(TAX_ID_MISSING))
        .when(is_13 & tax_id_check_digit_ok(digits))
        .then(pl.lit(TAX_ID_OK))
        .when(is_13)
        .then(pl.lit(TAX_ID_CHECKSUM))
        .when(restored_ok)
        .then(pl.lit(TAX_ID_REPAIRED))
        .when(digits.str.contains(_SCIENTIFIC_PATTERN))
        .then(pl.lit(TAX_ID_UNREADABLE))
        .otherwise(pl.lit(TAX_ID_INVALID))
    )
    tax_id = pl.when(is_13).then(digits).when(restored_ok).then(restored)
    return pl.struct(tax_id.alias("tax_id"), status.alias("tax_id_status"))


def tax_id_parts(text: pl.Expr) -> pl.Expr:
    """Struct {tax_id: 13-digit String or null, tax_id_status: String}.

    `tax_id` is set for `ok`, `repaired` and `checksum` (the digits as written, so a wrong
    ID can still be shown and traced); the status says whether it may be used.
    """
    return let(_id_digits(text), _tax_id_from_digits)


def normalise_tax_id(text: pl.Expr) -> pl.Expr:
    """The 13-digit tax ID (see tax_id_parts for when it is set)."""
    return tax_id_parts(text).struct.field("tax_id")


def tax_id_status(text: pl.Expr) -> pl.Expr:
    """One of TAX_ID_STATUSES."""
    return tax_id_parts(text).struct.field("tax_id_status")


def is_juristic_tax_id(tax_id: pl.Expr) -> pl.Expr:
    """True for a juristic person's number (first digit `0`); takes a normalised tax ID."""
    return tax_id.str.starts_with("0")


# `R-PP-AA-TT/N-NNNN`: R region, PP province, AA district, TT sub-district, N type, NNNN serial.
_CE_CODE_FORMATTED = r"^\d-\d{2}-\d{2}-\d{2}/\d-\d{4}$"


def normalise_community_enterprise_code(text: pl.Expr) -> pl.Expr:
    """`5-90-11-18/1-0012` or `590111810012` -> `590111810012`; anything else -> null."""
    compact = clean_value(text).str.replace_all(r"\s", "")
    readable = compact.str.contains(_CE_CODE_FORMATTED) | compact.str.contains(r"^\d{12}$")
    return pl.when(readable).then(compact.str.replace_all(r"\D", ""))


def community_enterprise_province_code(ce_code: pl.Expr) -> pl.Expr:
    """The 2-digit province code PP of a normalised 12-digit community-enterprise code."""
    return ce_code.str.slice(1, 2)


def is_formatted_community_enterprise_code(text: pl.Expr) -> pl.Expr:
    """True where the text is written in the dashed `R-PP-AA-TT/N-NNNN` form."""
    compact = clean_value(text).str.replace_all(r"\s", "")
    return compact.str.contains(_CE_CODE_FORMATTED).fill_null(False)


def normalise_tsic(text: pl.Expr) -> pl.Expr:
    """TSIC code as 5 digits: 4 digits are zero-padded (leading zero lost); else null."""
    return let(
        _id_digits(text),
        lambda digits: pl.when(digits.str.contains(r"^\d{5}$"))
        .then(digits)
        .when(digits.str.contains(r"^\d{4}$"))
        .then(pl.lit("0") + digits),
    )


def tsic_repair(text: pl.Expr) -> pl.Expr:
    """`tsic_leading_zero` where normalise_tsic padded a 4-digit code, else null."""
    padded = _id_digits(text).str.contains(r"^\d{4}$").fill_null(False)
    return pl.when(padded).then(pl.lit("tsic_leading_zero"))
