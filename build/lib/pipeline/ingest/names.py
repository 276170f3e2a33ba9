"""Enterprise names: abbreviated Thai legal forms written out in full.

`บจก.X` / `บจก. X` -> `บริษัท X จำกัด`; `บมจ.X` -> `บริษัท X จำกัด (มหาชน)`;
`หจก.X` -> `ห้างหุ้นส่วนจำกัด X` (the `name_abbreviation` repair). Text is cleaned first.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.text import clean_text

_COMPANY = r"^บจก\.?\s*(.+?)(?:\s*จำกัด)?$"
_PUBLIC_COMPANY = r"^บมจ\.?\s*(.+?)(?:\s*จำกัด)?(?:\s*\(มหาชน\))?$"
_LIMITED_PARTNERSHIP = r"^หจก\.?\s*(.+)$"


def expand_legal_form(name: pl.Expr) -> pl.Expr:
    """Clean a name and write an abbreviated legal form out in full."""
    cleaned = clean_text(name)
    return (
        pl.when(cleaned.str.contains(_COMPANY))
        .then(cleaned.str.replace(_COMPANY, "บริษัท ${1} จำกัด"))
        .when(cleaned.str.contains(_PUBLIC_COMPANY))
        .then(cleaned.str.replace(_PUBLIC_COMPANY, "บริษัท ${1} จำกัด (มหาชน)"))
        .when(cleaned.str.contains(_LIMITED_PARTNERSHIP))
        .then(cleaned.str.replace(_LIMITED_PARTNERSHIP, "ห้างหุ้นส่วนจำกัด ${1}"))
        .otherwise(cleaned)
    )


def name_repair(name: pl.Expr) -> pl.Expr:
    """`name_abbreviation` where expand_legal_form wrote out a legal form, else null."""
    abbreviated = clean_text(name).str.contains(r"^(?:บจก|บมจ|หจก)").fill_null(False)
    return pl.when(abbreviated).then(pl.lit("name_abbreviation"))
