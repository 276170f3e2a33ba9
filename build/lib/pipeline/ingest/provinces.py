"""Province names -> ISO 3166-2 codes (`TH-xx`).

The lookup is built once from reference/th_provinces.csv (Thai name, ISO and common English
names, Thai and English abbreviations) plus reference/province_aliases.csv (other spellings
and nicknames such as `กรุงเทพฯ`, `Korat`, `Ayutthaya`). Keys are compared after cleaning,
lower-casing, dropping a `จ.` / `จังหวัด` / `Changwat` prefix or `Province` suffix, and
removing spaces, dots, hyphens, apostrophes and `ฯ`, so `Chonburi` = `Chon Buri` = `จ.ชลบุรี`.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from pipeline.ingest.paths import PROVINCE_ALIASES_CSV, PROVINCES_CSV
from pipeline.ingest.text import clean_text

_ALIAS_COLUMNS = ("name_th", "name_en_iso", "name_en_common", "abbr_th", "abbr_en", "iso_3166_2")


def province_key(text: pl.Expr) -> pl.Expr:
    """The comparison key for a province name (see module docstring)."""
    return (
        clean_text(text)
        .str.to_lowercase()
        .str.replace(r"^(?:จังหวัด|จ\.|จ\s|changwat\s)\s*", "")
        .str.replace(r"\s+province$", "")
        .str.replace_all(r"[\s.\-'ฯ]", "")
    )


@cache
def provinces() -> pl.DataFrame:
    """The 77 provinces as in reference/th_provinces.csv (all columns String)."""
    return pl.read_csv(PROVINCES_CSV, infer_schema=False)


@cache
def province_lookup() -> pl.DataFrame:
    """One row per accepted key: key, iso_3166_2. Raises if a key points to two provinces."""
    from_reference = provinces().unpivot(
        index="iso_3166_2", on=list(_ALIAS_COLUMNS[:-1]), value_name="alias"
    ).select("alias", "iso_3166_2")
    iso_codes = provinces().select(pl.col("iso_3166_2").alias("alias"), "iso_3166_2")
    aliases = pl.read_csv(PROVINCE_ALIASES_CSV, infer_schema=False)
    lookup = (
        pl.concat([from_reference, iso_codes, aliases.select("alias", "iso_3166_2")])
        .with_columns(key=province_key(pl.col("alias")))
        .drop_nulls("key")
        .unique(["key", "iso_3166_2"])
    )
    ambiguous = lookup.group_by("key").agg(pl.col("iso_3166_2").n_unique().alias("n")).filter(
        pl.col("n") > 1
    )
    if ambiguous.height:
        raise ValueError(f"province keys map to several provinces: {ambiguous['key'].to_list()}")
    unknown = set(aliases["iso_3166_2"]) - set(provinces()["iso_3166_2"])
    if unknown:
        raise ValueError(f"{PROVINCE_ALIASES_CSV.name} names unknown ISO codes: {sorted(unknown)}")
    return lookup.select("key", "iso_3166_2").sort("key")


@cache
def _key_to_iso() -> dict[str, str]:
    lookup = province_lookup()
    return dict(zip(lookup["key"].to_list(), lookup["iso_3166_2"].to_list(), strict=True))


@cache
def _iso_to_thai_name() -> dict[str, str]:
    return dict(zip(provinces()["iso_3166_2"], provinces()["name_th"], strict=True))


def province_iso(text: pl.Expr) -> pl.Expr:
    """ISO code `TH-xx` for any accepted province spelling; null if unknown or blank."""
    return province_key(text).replace_strict(_key_to_iso(), default=None, return_dtype=pl.String)


def province_repair(text: pl.Expr, iso: pl.Expr | None = None) -> pl.Expr:
    """`province_alias` where the province was found but not written as its exact Thai name.

    `iso` may pass province_iso(text) when it is already computed.
    """
    iso = province_iso(text) if iso is None else iso
    thai_name = iso.replace_strict(_iso_to_thai_name(), default=None, return_dtype=pl.String)
    return pl.when(iso.is_not_null() & (clean_text(text) != thai_name)).then(
        pl.lit("province_alias")
    )
