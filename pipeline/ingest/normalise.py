"""Typed, normalised columns per source, from a RawRead. No quarantine decisions here.

`normalise(source, raw) -> pl.DataFrame` keeps every row of `raw.data` (data, blank and total
rows; filter on `_row_kind == "data"`) and returns:

Lineage (all sources)
- `_source_file` String: RawRead.relative_path (POSIX, relative to the raw-data folder)
- `_file_year` Int32: the 4-digit BE year in the file name (`cluster_plan_2564.xlsx` -> 2564;
  the fiscal year of plans and registrations, the posting year of spending), null if none or
  outside 2400..2700 (as for year values)
- `_sheet`, `_row_number`, `_row_kind`: as in RawRead
- `_repairs` List[String]: repair codes applied to the row, one entry per code (empty for
  non-data rows)
- `_extra` (JSON object, header -> value as read), `_raw_1`, `_raw_2`, ... (the cells as
  read, named by RawRead.raw_headers): as in RawRead

Invalid flags: every parsed column `<col>` (years, dates, amounts, counts, coded values,
offices, provinces, TSIC, community-enterprise codes, consent, enterprise_ref) has
`<col>_invalid` (Boolean): true where the cell is not blank but could not be read (or, for
amounts, is outside ±1e12 baht). So `<col>` null and `<col>_invalid` false means blank. Tax IDs
carry `<col>_status` instead (see ids.py). Text columns are cleaned (zero-width characters
removed, whitespace trimmed and collapsed; blank -> null) and have no flag.

cluster_plans
- seq Int64; cluster_code, predecessor_code String (a code upper-cased without spaces, else the
  cleaned text); cluster_name_th, cluster_name_en String
- cluster_group (`agro_community` / `target_industry`), sector (English code of
  contract.SECTORS), status (`active` / `merged` / `cancelled`): null if not in the list
- lead_province String (cleaned, as given), lead_province_iso String `TH-xx`
- responsible_office String, one of contract.OFFICES
- budget_allocated_thb Float64 in baht (x 1e6 under a `(ล้านบาท)` header)
- target_enterprises Int64; target_economic_value_mthb Float64 (million baht, as the column is)

registrations
- application_no String; registered_on Date (CE); fiscal_year Int32 (BE)
- cluster_ref String (cleaned code, upper-cased, or the cluster name as given),
  cluster_ref_is_code Boolean
- entity_type (English code of contract.ENTITY_TYPES)
- tax_id String(13) (set for status ok, repaired and checksum), tax_id_status (ok / repaired /
  checksum / unreadable / invalid / missing), tax_id_is_juristic Boolean (first digit `0`)
- community_enterprise_code String(12 digits), community_enterprise_province_code String(2)
- enterprise_name_th String (cleaned, `บจก.`/`หจก.`/`บมจ.` written out)
- province String (as given, cleaned), province_iso String `TH-xx`
- tsic_code String(5); business_sector (`manufacturing` / `trade_services`)
- employees Int64; annual_revenue_thb Float64
- contact_name, phone, email String; pdpa_consent Boolean (blank -> false)

spending
- budget_fiscal_year Int32; document_no String; posted_on Date
- transaction_type (`commitment` / `disbursement` / `refund`; the amount's sign is as written)
- office (contract.OFFICES); cluster_ref, cluster_ref_is_code (blank = programme-wide)
- activity (English code of contract.ACTIVITIES); channel (code of contract.CHANNELS)
- description String; amount_thb Float64
- payee_name String; payee_tax_id, payee_tax_id_status; beneficiary_tax_id,
  beneficiary_tax_id_status (as tax_id above)
- remark String; is_carry_over Boolean (remark contains `กันเหลื่อมปี`)

outcomes
- survey_id String; fiscal_year Int32; cluster_ref, cluster_ref_is_code
- enterprise_ref String: the 13-digit tax ID or the 12-digit community-enterprise code;
  enterprise_ref_kind (`tax_id` / `community_enterprise_code`); enterprise_ref_tax_id_status;
  enterprise_ref_community_enterprise_code (set whenever the text reads as a CE code, also when
  a plain 12-digit value was taken as a tax ID, so matching can fall back on it)
- round (`baseline` / `after`); surveyed_on Date
- annual_sales_thb, cost_reduction_thb, new_investment_thb, reported_economic_value_thb Float64
- cost_reduction_is_percentage Boolean (`15%`; then cost_reduction_thb is null and its
  `_invalid` flag false: the reason is `cost_reduction_percentage`, not `amount_invalid`)
- employees, new_products Int64; certifications List[String]
"""

from __future__ import annotations

import dataclasses
import operator
import os
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

import polars as pl

from pipeline import contract
from pipeline.ingest import amounts, codes, dates, ids, names, provinces, text, years
from pipeline.ingest.read import ROW_DATA, RawRead, raw_cell_columns

REPAIR_THAI_DIGITS = "thai_digits"
REPAIR_TEXT_CLEANED = "text_cleaned"
REPAIR_TAX_ID_LEADING_ZERO = "tax_id_leading_zero"
REPAIR_AMOUNT_MILLION_BAHT = "amount_million_baht"
# The repair codes of docs/reason-codes.md this layer applies, in the order `_repairs` lists
# them. Each is a bit in a per-row mask while columns are typed (cheap to combine), turned
# into the list once at the end. (`cluster_name_resolved` belongs to the validation layer.)
REPAIR_CODES = (
    REPAIR_THAI_DIGITS,
    REPAIR_TEXT_CLEANED,
    "year_ce",
    "year_short",
    "excel_serial_date",
    REPAIR_TAX_ID_LEADING_ZERO,
    "tsic_leading_zero",
    "name_abbreviation",
    "province_alias",
    REPAIR_AMOUNT_MILLION_BAHT,
)
_REPAIR_BITS = {code: 1 << position for position, code in enumerate(REPAIR_CODES)}
_COLUMN_THREADS = min(4, os.cpu_count() or 1)
# The path of each row's file, when the rows of several files are normalised together.
_PATH = "__path"


# Working columns of the per-column frame: the raw text and its cleaned form.
_RAW = "__raw"
_CLEAN = "__clean"
RAW = pl.col(_RAW)
CLEAN = pl.col(_CLEAN)


@dataclass
class _Typed:
    """What one raw column becomes, computed in stages over a frame holding `__raw`/`__clean`.

    values: read from the raw text; derived and repairs: may also use the values by name
    (so a parsed value is computed once, then flagged).
    """

    values: list[pl.Expr]
    derived: list[pl.Expr] = field(default_factory=list)
    repairs: list[pl.Expr] = field(default_factory=list)
    reads_digits: bool = True  # Thai digits converted here count as a `thai_digits` repair
    # Parse each distinct value once and join the result back (values repeat a lot in ledgers,
    # names and descriptions included); off for identifiers, unique by nature.
    per_distinct_value: bool = True


def _invalid(name: str) -> pl.Expr:
    """Not blank, yet no value could be read."""
    return (pl.col(name).is_null() & CLEAN.is_not_null()).alias(f"{name}_invalid")


def _flagged_value(name: str, value: pl.Expr, repairs: list[pl.Expr] | None = None) -> _Typed:
    return _Typed([value.alias(name)], [_invalid(name)], repairs or [])


_WAS_CLEANED = pl.when(CLEAN.is_not_null() & (CLEAN != RAW)).then(pl.lit(REPAIR_TEXT_CLEANED))


# -------------------------------------------------------------------------------------------
# One builder per kind of column: (canonical name, RawRead) -> _Typed


def _plain_text(name: str, _: RawRead) -> _Typed:
    return _Typed([CLEAN.alias(name)], reads_digits=False)


def _code_text(name: str, _: RawRead) -> _Typed:
    """An identifier written by people (document or application number): digits converted."""
    return _Typed([text.thai_digits(CLEAN).alias(name)], per_distinct_value=False)


def _person_or_place_name(name: str, _: RawRead) -> _Typed:
    return _Typed([CLEAN.alias(name)], repairs=[_WAS_CLEANED], reads_digits=False)


def _enterprise_name(name: str, _: RawRead) -> _Typed:
    return _Typed(
        [names.expand_legal_form(CLEAN).alias(name)],
        repairs=[_WAS_CLEANED, names.name_repair(CLEAN)],
        reads_digits=False,
    )


def _year(name: str, _: RawRead) -> _Typed:
    return _flagged_value(name, years.year_be(CLEAN), [years.year_repair(CLEAN)])


def _date(name: str, _: RawRead) -> _Typed:
    return _flagged_value(name, dates.parse_date(CLEAN), [dates.date_repair(CLEAN, parsed=pl.col(name))])


def _amount(name: str, read: RawRead) -> _Typed:
    value = amounts.parse_amount(CLEAN)
    repairs = []
    if name in read.million_baht_columns:
        value = amounts.in_million_baht(value)
        repairs.append(pl.when(pl.col(name).is_not_null()).then(pl.lit(REPAIR_AMOUNT_MILLION_BAHT)))
    invalid = CLEAN.is_not_null() & (
        pl.col(name).is_null() | amounts.amount_out_of_range(pl.col(name)).fill_null(False)
    )
    return _Typed([value.alias(name)], [invalid.alias(f"{name}_invalid")], repairs)


def _percentage_aware_amount(name: str, read: RawRead) -> _Typed:
    """An amount that may be typed as a percentage; a percentage is not `_invalid`."""
    typed = _amount(name, read)
    is_percentage = amounts.is_percentage(CLEAN)
    typed.values.append(is_percentage.alias(f"{name.removesuffix('_thb')}_is_percentage"))
    typed.derived = [(d & ~is_percentage).alias(f"{name}_invalid") for d in typed.derived]
    return typed


def _integer(name: str, _: RawRead) -> _Typed:
    return _flagged_value(name, amounts.parse_integer(CLEAN))


def _coded(label_to_code: dict[str, str]) -> Callable[[str, RawRead], _Typed]:
    def build(name: str, _: RawRead) -> _Typed:
        return _flagged_value(name, codes.coded_value(CLEAN, label_to_code))

    return build


def _office(name: str, _: RawRead) -> _Typed:
    return _flagged_value(name, codes.office_code(CLEAN))


def _channel(name: str, _: RawRead) -> _Typed:
    return _flagged_value(name, codes.channel_code(CLEAN))


def _consent(name: str, _: RawRead) -> _Typed:
    typed = _flagged_value(name, codes.consent(CLEAN))
    typed.reads_digits = False
    return typed


def _province(name: str, _: RawRead) -> _Typed:
    iso = f"{name}_iso"
    return _Typed(
        [CLEAN.alias(name), provinces.province_iso(CLEAN).alias(iso)],
        [(pl.col(iso).is_null() & CLEAN.is_not_null()).alias(f"{name}_invalid")],
        [provinces.province_repair(CLEAN, iso=pl.col(iso))],
        reads_digits=False,
    )


def _tax_id(name: str, _: RawRead) -> _Typed:
    parts = f"__parts_{name}"
    tax_id = pl.col(parts).struct.field("tax_id")
    status = pl.col(parts).struct.field("tax_id_status")
    derived = [tax_id.alias(name), status.alias(f"{name}_status")]
    if name == "tax_id":
        derived.append(ids.is_juristic_tax_id(tax_id).alias("tax_id_is_juristic"))
    repair = pl.when(status == ids.TAX_ID_REPAIRED).then(pl.lit(REPAIR_TAX_ID_LEADING_ZERO))
    return _Typed([ids.tax_id_parts(CLEAN).alias(parts)], derived, [repair])


def _community_enterprise_code(name: str, _: RawRead) -> _Typed:
    typed = _flagged_value(name, ids.normalise_community_enterprise_code(CLEAN))
    typed.derived.append(
        ids.community_enterprise_province_code(pl.col(name)).alias("community_enterprise_province_code")
    )
    return typed


def _tsic(name: str, _: RawRead) -> _Typed:
    return _flagged_value(name, ids.normalise_tsic(CLEAN), [ids.tsic_repair(CLEAN)])


def _cluster_code(name: str, _: RawRead) -> _Typed:
    """A plan's own code or predecessor code: kept under its canonical name."""
    return _Typed([codes.cluster_ref(text.thai_digits(CLEAN)).alias(name)])


def _cluster_ref(_name: str, _: RawRead) -> _Typed:
    """A cluster given by code or name in a fact source: output as `cluster_ref`."""
    return _Typed(
        [codes.cluster_ref(text.thai_digits(CLEAN)).alias("cluster_ref")],
        [codes.is_cluster_code(pl.col("cluster_ref")).alias("cluster_ref_is_code")],
    )


def _remark(name: str, _: RawRead) -> _Typed:
    carry_over = CLEAN.str.contains(contract.CARRY_OVER_MARKER, literal=True).fill_null(False)
    return _Typed(
        [CLEAN.alias(name), carry_over.alias("is_carry_over")], reads_digits=False
    )


def _certifications(name: str, _: RawRead) -> _Typed:
    return _Typed([codes.certification_list(CLEAN).alias(name)], reads_digits=False)


def _enterprise_ref(name: str, _: RawRead) -> _Typed:
    parts, ce_code, formatted = f"__parts_{name}", f"{name}_community_enterprise_code", f"__formatted_{name}"
    tax_id = pl.col(parts).struct.field("tax_id")
    status = pl.col(parts).struct.field("tax_id_status")
    kind = (
        pl.when(pl.col(formatted))
        .then(pl.lit("community_enterprise_code"))
        .when(status.is_in([ids.TAX_ID_OK, ids.TAX_ID_REPAIRED]))
        .then(pl.lit("tax_id"))
        .when(pl.col(ce_code).is_not_null())
        .then(pl.lit("community_enterprise_code"))
        .when(status == ids.TAX_ID_CHECKSUM)
        .then(pl.lit("tax_id"))
    )
    ref = (
        pl.when(kind == "tax_id")
        .then(tax_id)
        .when(kind == "community_enterprise_code")
        .then(pl.col(ce_code))
    )
    repair = pl.when((kind == "tax_id") & (status == ids.TAX_ID_REPAIRED)).then(
        pl.lit(REPAIR_TAX_ID_LEADING_ZERO)
    )
    return _Typed(
        [
            ids.tax_id_parts(CLEAN).alias(parts),
            ids.normalise_community_enterprise_code(CLEAN).alias(ce_code),
            ids.is_formatted_community_enterprise_code(CLEAN).alias(formatted),
        ],
        [
            ref.alias(name),
            kind.alias(f"{name}_kind"),
            status.alias(f"{name}_tax_id_status"),
            (ref.is_null() & CLEAN.is_not_null()).alias(f"{name}_invalid"),
        ],
        [repair],
    )


_Builder = Callable[[str, RawRead], _Typed]

COLUMN_KINDS: dict[str, dict[str, _Builder]] = {
    contract.CLUSTER_PLANS.name: {
        "seq": _integer,
        "cluster_code": _cluster_code,
        "predecessor_code": _cluster_code,
        "cluster_name_th": _person_or_place_name,
        "cluster_name_en": _person_or_place_name,
        "cluster_group": _coded(contract.CLUSTER_GROUPS),
        "sector": _coded(contract.SECTORS),
        "lead_province": _province,
        "responsible_office": _office,
        "budget_allocated_thb": _amount,
        "target_enterprises": _integer,
        "target_economic_value_mthb": _amount,
        "status": _coded(contract.CLUSTER_STATUSES),
    },
    contract.REGISTRATIONS.name: {
        "application_no": _code_text,
        "registered_on": _date,
        "fiscal_year": _year,
        "cluster_code": _cluster_ref,
        "entity_type": _coded(contract.ENTITY_TYPES),
        "tax_id": _tax_id,
        "community_enterprise_code": _community_enterprise_code,
        "enterprise_name_th": _enterprise_name,
        "province": _province,
        "tsic_code": _tsic,
        "business_sector": _coded(contract.BUSINESS_SECTORS),
        "employees": _integer,
        "annual_revenue_thb": _amount,
        "contact_name": _person_or_place_name,
        "phone": _code_text,
        "email": _plain_text,
        "pdpa_consent": _consent,
    },
    contract.SPENDING.name: {
        "budget_fiscal_year": _year,
        "document_no": _code_text,
        "posted_on": _date,
        "transaction_type": _coded(contract.TRANSACTION_TYPES),
        "office": _office,
        "cluster_code": _cluster_ref,
        "activity": _coded(contract.ACTIVITIES),
        "channel": _channel,
        "description": _plain_text,
        "amount_thb": _amount,
        "payee_name": _person_or_place_name,
        "payee_tax_id": _tax_id,
        "beneficiary_tax_id": _tax_id,
        "remark": _remark,
    },
    contract.OUTCOMES.name: {
        "survey_id": _code_text,
        "fiscal_year": _year,
        "cluster_code": _cluster_ref,
        "enterprise_ref": _enterprise_ref,
        "round": _coded(contract.SURVEY_ROUNDS),
        "surveyed_on": _date,
        "annual_sales_thb": _amount,
        "cost_reduction_thb": _percentage_aware_amount,
        "new_investment_thb": _amount,
        "employees": _integer,
        "new_products": _integer,
        "certifications": _certifications,
        "reported_economic_value_thb": _amount,
    },
}


def _check_kinds_cover_contract() -> None:
    for source in contract.SOURCES:
        kinds = COLUMN_KINDS[source.name]
        if set(kinds) != set(source.canonical_names):
            raise RuntimeError(f"normalise.COLUMN_KINDS out of step with contract for {source.name}")


_check_kinds_cover_contract()


def _typed_columns(name: str, build: _Builder, raw: RawRead) -> pl.DataFrame:
    """The output columns of one raw column (plus `__repairs_<name>`), row-aligned with raw.data."""
    typed = build(name, raw)
    repairs = list(typed.repairs)
    if typed.reads_digits:
        repairs.append(pl.when(text.has_thai_digits(RAW)).then(pl.lit(REPAIR_THAI_DIGITS)))
    repair_mask = reduce(
        operator.or_,
        # No default: a code missing from REPAIR_CODES fails loudly instead of vanishing.
        [r.replace_strict(_REPAIR_BITS, return_dtype=pl.Int32).fill_null(0) for r in repairs],
        pl.lit(0, dtype=pl.Int32),
    ).alias(f"__repairs_{name}")

    def computed(frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.with_columns(text.clean_text(RAW).alias(_CLEAN)).with_columns(typed.values)
        if typed.derived:
            frame = frame.with_columns(typed.derived)
        return frame.with_columns(repair_mask).drop(_CLEAN)

    values = raw.data.select(pl.col(name).alias(_RAW))
    if typed.per_distinct_value:
        distinct = computed(values.unique())
        result = values.join(distinct, on=_RAW, how="left", nulls_equal=True, maintain_order="left")
    else:
        result = computed(values)
    # The column's main value first, then its flags.
    first = [name] if name in result.columns else []
    return result.select(*first, pl.exclude(_RAW, name))


def normalise(source: contract.Source, raw: RawRead) -> pl.DataFrame:
    """Typed columns for `source` from a RawRead (see the module docstring for the columns)."""
    # Columns are independent: computed by a few threads (polars releases the GIL).
    with ThreadPoolExecutor(max_workers=_COLUMN_THREADS) as pool:
        pieces = list(pool.map(lambda item: _typed_columns(item[0], item[1], raw), COLUMN_KINDS[source.name].items()))
    raw_cells = raw.raw_cell_columns
    several_files = _PATH in raw.data.columns
    path = pl.col(_PATH) if several_files else pl.lit(raw.relative_path, dtype=pl.String)
    lineage = raw.data.select(*([_PATH] if several_files else []), "_sheet", "_row_number", "_row_kind", "_extra", *raw_cells)
    combined = pl.concat([lineage, *pieces], how="horizontal")
    repair_mask = reduce(operator.or_, [pl.col(f"__repairs_{name}") for name in COLUMN_KINDS[source.name]])
    combined = combined.with_columns(
        pl.when(pl.col("_row_kind") == ROW_DATA).then(repair_mask).otherwise(0).alias("__repair_mask")
    )
    # Few distinct masks: spell each out as a list once, then join.
    mask_lists = combined.select(pl.col("__repair_mask").unique()).with_columns(
        pl.concat_list(
            pl.when((pl.col("__repair_mask") & bit) != 0).then(pl.lit(code))
            for code, bit in _REPAIR_BITS.items()
        )
        .list.drop_nulls()
        .alias("_repairs")
    )
    combined = combined.join(mask_lists, on="__repair_mask", how="left", maintain_order="left")
    typed_names = [c for piece in pieces for c in piece.columns if not c.startswith("__")]
    # The first four-digit number of the path standing alone: `cluster_plan_2564.xlsx`, but also
    # `แผน 2564 (แก้ไข).XLSX` or `2564/cluster_plan.xlsx` as offices name files.
    file_year = path.str.extract(r"(?:^|\D)(\d{4})(?:\D|$)", 1).cast(pl.Int32)
    # Only a plausible BE year counts (`cluster_plan_3000.xlsx` has none: its rows get year_invalid).
    file_year = pl.when(file_year.is_between(years.MIN_BE_YEAR, years.MAX_BE_YEAR)).then(file_year)
    return combined.select(
        path.alias("_source_file"),
        file_year.alias("_file_year"),
        "_sheet",
        "_row_number",
        "_row_kind",
        *typed_names,
        "_repairs",
        "_extra",
        *raw_cells,
    )


def normalise_files(source: contract.Source, reads: list[RawRead]) -> list[pl.DataFrame]:
    """`normalise` of each read, in order, computed in one pass for reads that share their units
    (million-baht columns): a call costs about 36 ms whatever its rows, most of a small file's
    time, and offices send dozens of small files."""
    normalised: list[pl.DataFrame | None] = [None] * len(reads)
    by_units: dict[tuple[str, ...], list[int]] = {}
    for index, read in enumerate(reads):  # one per file
        by_units.setdefault(tuple(read.million_baht_columns), []).append(index)
    for indices in by_units.values():
        if len(indices) == 1:
            normalised[indices[0]] = normalise(source, reads[indices[0]])
            continue
        # Diagonal: files have different numbers of raw cells (the missing ones are null).
        rows = pl.concat(
            [reads[i].data.with_columns(pl.lit(reads[i].relative_path, dtype=pl.String).alias(_PATH)) for i in indices],
            how="diagonal",
        )
        together = normalise(source, dataclasses.replace(reads[indices[0]], data=rows))
        parts = together.partition_by("_source_file", as_dict=True, maintain_order=True)
        for i in indices:
            own = parts.get((reads[i].relative_path,), together.clear())
            # Each file keeps only its own cells, as when normalised alone.
            others = [c for c in raw_cell_columns(together.columns) if c not in reads[i].raw_cell_columns]
            normalised[i] = own.drop(others)
    return normalised


__all__ = ["COLUMN_KINDS", "normalise", "normalise_files"]
