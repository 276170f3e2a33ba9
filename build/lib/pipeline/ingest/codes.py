"""Coded values from the contract's closed lists, consent flags, certification lists.

Labels are matched on a forgiving key (cleaned, lower-case, no whitespace), so
`การค้า / บริการ` or `ต้นแบบ/3d Printing` still find their code. The English code itself is
accepted too (a file exported from another system may already carry it).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from pipeline import contract
from pipeline.ingest.text import clean_text, compact_key


def _keys(labels: list[str]) -> list[str]:
    # The same expression as compact_key, run once over the (small, constant) label list.
    return pl.Series(labels, dtype=pl.String).to_frame("label").select(
        compact_key(pl.col("label"))
    )["label"].to_list()


def label_lookup(label_to_code: Mapping[str, str], *, accept_codes: bool = True) -> dict[str, str]:
    """key -> code for replace_strict, from a contract mapping of Thai label -> code."""
    labels = list(label_to_code)
    codes = list(label_to_code.values())
    lookup = dict(zip(_keys(labels), codes, strict=True))
    if accept_codes:
        lookup.update(zip(_keys(codes), codes, strict=True))
    return lookup


def coded_value(text: pl.Expr, label_to_code: Mapping[str, str]) -> pl.Expr:
    """The contract code for a Thai label (or for the code itself); null if not in the list."""
    return compact_key(text).replace_strict(
        label_lookup(label_to_code), default=None, return_dtype=pl.String
    )


# Channels are given by their code (`ITC`, `SME Rescue`, ...); the code is what we keep.
CHANNEL_CODES = (
    {code: code for code in contract.CHANNELS}
    | {code.replace(".", ""): code for code in contract.CHANNELS}
    | {name: code for code, name in contract.CHANNELS.items()}
)
# Offices are kept as the contract writes them (`กสอ.`, `ศภ.1`); dots, spaces and the file
# codes (`hq`, `ipc1`) are tolerated.
OFFICE_CODES = {office: office for office in contract.OFFICES} | {
    office.replace(".", ""): office for office in contract.OFFICES
} | {file_code: office for office, file_code in contract.OFFICE_FILE_CODES.items()}


def channel_code(text: pl.Expr) -> pl.Expr:
    """`ITC`, `TIDC`, `SME Rescue`, `RISPM` or `กสอ.`; null if not in the list."""
    return compact_key(text).replace_strict(
        label_lookup(CHANNEL_CODES, accept_codes=False), default=None, return_dtype=pl.String
    )


def office_code(text: pl.Expr) -> pl.Expr:
    """One of contract.OFFICES (`กสอ.`, `ศภ.1` .. `ศภ.11`); null if not an office."""
    return compact_key(text).replace_strict(
        label_lookup(OFFICE_CODES, accept_codes=False), default=None, return_dtype=pl.String
    )


_CONSENT_YES = tuple(contract.CONSENT_YES) + ("✔", "☑", "yes", "true", "ยินยอม")
_CONSENT_NO = ("ไม่", "ไม่ใช่", "ไม่ยินยอม", "N", "no", "false", "-")


def consent(text: pl.Expr) -> pl.Expr:
    """PDPA consent: `ใช่`/`Y`/`/`/`✓` -> true; blank or `ไม่` -> false; else null."""
    lookup = {key: True for key in _keys(list(_CONSENT_YES))} | {
        key: False for key in _keys(list(_CONSENT_NO))
    }
    key = compact_key(text)
    return (
        pl.when(key.is_null())
        .then(pl.lit(False))
        .otherwise(key.replace_strict(lookup, default=None, return_dtype=pl.Boolean))
    )


def certification_list(text: pl.Expr) -> pl.Expr:
    """`อย.;มผช.;GMP` -> ["อย.", "มผช.", "GMP"] (`;` or `,` separated, cleaned, no blanks)."""
    return (
        clean_text(text)
        .str.replace_all(r"[;,，；]", ";")
        .str.split(";")
        .list.eval(clean_text(pl.element()))
        .list.drop_nulls()
    )


# A cluster code such as `CL64-007`: ASCII letters, digits, a hyphen, digits.
_CLUSTER_CODE_PATTERN = r"^[A-Za-z]+\d*\s*-\s*\d+$"


def cluster_ref(text: pl.Expr) -> pl.Expr:
    """A cluster reference as given: a code upper-cased without spaces, or the cleaned name."""
    cleaned = clean_text(text)
    looks_like_code = cleaned.str.contains(_CLUSTER_CODE_PATTERN).fill_null(False)
    return (
        pl.when(looks_like_code)
        .then(cleaned.str.to_uppercase().str.replace_all(r"\s", ""))
        .otherwise(cleaned)
    )


def is_cluster_code(ref: pl.Expr) -> pl.Expr:
    """True where a cluster_ref is written as a code rather than a name."""
    return ref.str.contains(_CLUSTER_CODE_PATTERN).fill_null(False)
