"""Sample-data generator: the raw files of docs/raw-data-contract.md, with every defect.

    python -m devtools.sample_data --scale 1 --seed 2564 --out data/raw --truth tests/fixtures/sample_truth.json

Writes data/raw/{cluster_plans,registrations,spending,outcomes}/ (each folder deleted and
rewritten) and the truth file (tests/fixtures/sample_truth.json): what the pipeline must
find after cleaning. Same seed and scale give byte-identical files.

Modules: spec (parameters, this table as data), entities (the clean world), defects
(injection, row status and defect log), layout (file plans, row numbers), render (cells
per file), writers (csv / xlsx), truth (expected figures), ids (tax IDs, CE codes).

At scale 1: FY 2564 29 active clusters, 680 enterprises, 19,000,000.00 baht allocated,
reported economic value ~1.2e9; FY 2565 34 active clusters, 700 enterprises, 17,000,000.00.
Counts multiply with --scale. Quarantined rows are always EXTRA rows (duplicates, extra
enterprises, extra ledger rows), except amount_unit_suspect / cost_reduction_percentage
in the surveys, which hit real rows; the truth is computed from what stays accepted.

Defect table (rate: expected count = floor(rate * basis + 0.5) per fiscal year;
"all/observed" = structural, the truth file states the observed share). handling:
quarantine (row rejected with `code`), repair (row staged, `code` counted in
audit.repairs), non_data (title / total / blank row), flag (kept, flagged), check (must be
read right, nothing recorded; over_allocation is the asset check).

| kind | source | rate | basis | handling | code | what |
|---|---|---|---|---|---|---|
| plan_title_row | cluster_plans | 1 | files | non_data | title_row | 1-3 title rows above the header (2564: 2, 2565: 3) |
| plan_total_row | cluster_plans | 1 | files | non_data | total_row | last row `รวม` with the allocation total |
| plan_duplicate_cluster | cluster_plans | 0.03 | listed_clusters | quarantine | duplicate_cluster | a cluster listed a second time right below, name without the `คลัสเตอร์` prefix |
| plan_predecessor_missing | cluster_plans | 0.1 | continuing_clusters (FY 2565) | flag | predecessor_missing | continuing cluster with blank predecessor_code; identity = sector + lead province (same Thai name) |
| plan_allocation_text | cluster_plans | 0.3 | listed_clusters (FY 2564) | check | - | allocation typed as text (`1,250,000.00` / `1,250,000`) |
| plan_million_baht | cluster_plans | 1 | listed_clusters (FY 2565) | repair | amount_million_baht | header `งบประมาณที่ได้รับจัดสรร (ล้านบาท)`, values like 0.615 |
| plan_province_alias | cluster_plans | 0.15 | listed_clusters | repair | province_alias | lead province written as alias (English, `จ.` prefix, `กทม.`, `Korat`, ...) |
| plan_name_spacing | cluster_plans | 0.05 | listed_clusters | repair | text_cleaned | cluster name with leading/trailing spaces or U+200B |
| plan_name_prefix_missing | cluster_plans | 0.05 | listed_clusters | check | - | cluster name without the `คลัสเตอร์` prefix (never referenced by name elsewhere) |
| over_allocation | cluster_plans | 0.07 | active_clusters | check | over_allocation | cluster whose executed spend exceeds its allocation (listed on the plan row) |
| reg_title_row | registrations | all/observed | files | non_data | title_row | a title row above the header in some xlsx files |
| reg_extra_column | registrations | all/observed | files | check | - | an unknown extra column (`หมายเหตุเจ้าหน้าที่`), kept aside (listed on the header row) |
| reg_duplicate | registrations | 0.03 | registrations | quarantine | duplicate_registration | same enterprise again in the same year (same or other office, later date, name written differently) |
| reg_tax_id_scientific | registrations | 0.01 | registrations | quarantine | tax_id_unreadable | tax ID as `1.05554E+12` (extra enterprise) |
| reg_tax_id_checksum | registrations | 0.015 | registrations | quarantine | tax_id_checksum | 13-digit tax ID with a wrong check digit (extra enterprise) |
| reg_personal_id_for_juristic | registrations | 0.01 | registrations | quarantine | tax_id_personal_for_juristic | company/partnership with a (valid) personal ID (extra enterprise) |
| reg_cluster_unknown | registrations | 0.01 | registrations | quarantine | cluster_unknown | cluster code not in that year's plan (extra enterprise) |
| reg_date_outside_fy | registrations | 0.01 | registrations | quarantine | date_outside_fiscal_year | registration date outside the stated fiscal year (extra enterprise) |
| reg_tax_id_12_digits | registrations | 0.04 | registrations | repair | tax_id_leading_zero | juristic tax ID with the leading 0 lost (12 digits; number cell in xlsx) |
| reg_year_ce | registrations | 0.03 | registrations | repair | year_ce | fiscal_year as CE (`2021`) |
| reg_year_short | registrations | 0.03 | registrations | repair | year_short | fiscal_year as short BE (`64`) |
| reg_thai_digits | registrations | 0.03 | registrations | repair | thai_digits | Thai digits in one cell (tax_id, registered_on or employees) |
| reg_name_spacing | registrations | 0.05 | registrations | repair | text_cleaned | enterprise name with leading/trailing/double spaces or U+200B |
| reg_name_abbreviation | registrations | 0.08 | registrations | repair | name_abbreviation | `บจก.` / `หจก.` for บริษัท … จำกัด / ห้างหุ้นส่วนจำกัด … |
| reg_province_alias | registrations | 0.2 | registrations | repair | province_alias | province written as alias |
| reg_cluster_by_name | registrations | 0.03 | registrations | repair | cluster_name_resolved | cluster given by this year's Thai name |
| reg_tsic_leading_zero | registrations | 0.04 | registrations | repair | tsic_leading_zero | TSIC `01270` typed `1270` (number cell in xlsx) |
| reg_excel_serial_date | registrations | 0.03 | registrations | repair | excel_serial_date | registered_on as Excel serial (number cell in xlsx, text `44270` in csv) |
| reg_employees_text | registrations | 0.05 | registrations | check | - | employees typed `5 คน` |
| reg_revenue_text_baht | registrations | 0.05 | registrations | check | - | revenue typed `1,250,000 บาท` |
| spend_title_row | spending | all/observed | files | non_data | title_row | title rows above the header in some xlsx ledgers |
| spend_subtotal_row | spending | all/observed | files | non_data | total_row | `รวม` subtotal row after each office block in some files |
| spend_blank_row | spending | all/observed | files | non_data | blank_row | blank rows inside the data of some files |
| spend_duplicate_document | spending | 0.01 | spending_rows | quarantine | duplicate_document | the identical row again in a later monthly file |
| spend_cluster_unknown | spending | 0.005 | spending_rows | quarantine | cluster_unknown | cluster code not in the budget year's plan (extra row) |
| spend_date_outside_window | spending | 0.002 | spending_rows (FY 2565) | quarantine | date_outside_fiscal_year | budget-2565 row posted in FY 2564 (before its budget year starts; extra row) |
| spend_commitment | spending | all/observed | spending_rows | check | - | commitment row (ผูกพัน) beside its disbursements: never add them up |
| spend_refund_later | spending | all/observed | spending_rows | check | - | refund (คืนเงิน, negative) posted 1-5 months after the disbursement |
| spend_carry_over | spending | 0.04 | spending_rows (FY 2564) | check | - | budget-2564 row posted Oct 2564 - Feb 2565 with remark `กันเหลื่อมปี` |
| spend_programme_wide | spending | all/observed | spending_rows | check | - | blank cluster_code: programme-wide cost, counts in the year's executed spend |
| spend_zero_dash | spending | 0.003 | spending_rows | check | - | amount `-` (= zero) on an extra disbursement row |
| spend_excel_serial_date | spending | 0.04 | spending_rows | repair | excel_serial_date | posted_on as Excel serial |
| spend_cluster_old_name | spending | 0.01 | spending_rows (FY 2565) | repair | cluster_name_resolved | budget-2565 row giving a renamed cluster by its 2564 Thai name |
| spend_cluster_by_name | spending | 0.01 | spending_rows | repair | cluster_name_resolved | cluster given by the year's Thai name |
| spend_year_ce | spending | 0.01 | spending_rows | repair | year_ce | budget_fiscal_year as CE |
| spend_year_short | spending | 0.01 | spending_rows | repair | year_short | budget_fiscal_year as short BE |
| spend_thai_digits | spending | 0.01 | spending_rows | repair | thai_digits | Thai digits in one cell (amount, posted_on or document_no) |
| survey_baseline_only | outcomes | 0.06 | survey_enterprises | flag | round_missing | attrition: baseline but no follow-up |
| survey_after_only | outcomes | 0.015 | survey_enterprises | flag | round_missing | follow-up without baseline |
| survey_round_missing_induced | outcomes | all/observed | survey_enterprises | flag | round_missing | the other round of this enterprise is quarantined (amount_unit_suspect / cost_reduction_percentage) |
| survey_unregistered | outcomes | 0.01 | survey_enterprises | quarantine | enterprise_unregistered | valid tax ID that no registration has (extra row) |
| survey_duplicate | outcomes | 0.015 | survey_rows | quarantine | duplicate_survey | identical copy of a row later in the sheet |
| survey_million_baht | outcomes | 0.01 | survey_rows | quarantine | amount_unit_suspect | annual sales typed in million baht (`2.35`) |
| survey_cost_percentage | outcomes | 0.01 | survey_rows | quarantine | cost_reduction_percentage | cost reduction typed `15%` (after rows) |
| survey_value_mismatch | outcomes | 0.02 | survey_rows | flag | reported_value_mismatch | reported value off by 3-30% from its components (after rows) |
| survey_excel_serial_date | outcomes | 0.03 | survey_rows | repair | excel_serial_date | surveyed_on as Excel serial |
| survey_thai_digits | outcomes | 0.02 | survey_rows | repair | thai_digits | Thai digits in one cell (annual_sales_thb, surveyed_on or employees) |
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import polars as pl

from pipeline import contract

from . import defects, render, spec, truth, writers
from .entities import build_world
from .layout import number_rows, plan_files

__all__ = ["generate"]


def _peak_mb() -> float:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _log(verbose: bool, t0: float, msg: str) -> None:
    if verbose:
        print(f"[{time.perf_counter() - t0:6.1f}s, peak {_peak_mb():,.0f} MB] {msg}", file=sys.stderr)


def generate(
    scale: int = 1,
    seed: int = 2564,
    out: str | Path = "data/raw",
    truth: str | Path | None = "tests/fixtures/sample_truth.json",
    verbose: bool = False,
) -> dict:
    """Write the four source folders under `out` (deleted first) and the truth file.
    Returns a small summary {files, bytes, truth}."""
    t0 = time.perf_counter()
    world = build_world(scale, seed)
    _log(verbose, t0, f"world: {world.parts.height} registrations, {world.spending.height} spending rows")
    plans = plan_files(world)
    tables, logs = {}, {}
    tables["cluster_plans"], logs["cluster_plans"] = defects.plans(world, plans["cluster_plans"])
    plan_rows = tables["cluster_plans"]
    tables["registrations"], logs["registrations"] = defects.registrations(world, plans["registrations"], plan_rows)
    tables["spending"], logs["spending"] = defects.spending(world, plans["spending"], plan_rows)
    tables["outcomes"], logs["outcomes"] = defects.surveys(world, plans["outcomes"], tables["registrations"])
    tables = {k: number_rows(v, plans[k]) for k, v in tables.items()}
    world.spending = world.spending.head(0)  # the clean rows live on in tables["spending"]
    _log(verbose, t0, "defects injected")

    out = Path(out)
    for s in contract.SOURCES:
        shutil.rmtree(out / s.folder, ignore_errors=True)
        (out / s.folder).mkdir(parents=True, exist_ok=True)
    aliases = render.province_aliases(world.provinces)
    n_files = n_bytes = 0
    personal: set[str] = set()  # for the truth file only
    for source, fp in plans.items():
        for p in fp.values():
            df = tables[source].filter(pl.col("file") == p.path).sort("row")
            cells = render.RENDER[source](df, p, world, aliases)
            del df
            header = render.headers(p)
            if truth is not None:
                personal |= truth_module.personal_values(cells, p)
            path = out / p.path
            if p.fmt == "xlsx":
                writers.write_xlsx(path, p, header, cells)
            else:
                writers.write_csv(path, p, header, cells)
            n_files += 1
            n_bytes += path.stat().st_size
        # keep only what the truth needs (less memory at large scales)
        keep = TRUTH_COLUMNS[source]
        if keep is not None:
            tables[source] = tables[source].select([c for c in tables[source].columns if c in keep])
        _log(verbose, t0, f"{source}: {len(fp)} files written")
    summary = {"files": n_files, "bytes": n_bytes, "truth": None}
    if truth is not None:
        t = truth_module.build(world, tables, logs, plans, personal)
        tp = Path(truth)
        tp.parent.mkdir(parents=True, exist_ok=True)
        tp.write_text(truth_module.dumps(t), encoding="utf-8")
        summary["truth"] = t
        _log(verbose, t0, f"truth written to {tp}")
    return summary


truth_module = truth
_COMMON = {"rid", "file", "row", "status", "reason", "role", "year", "cid", "eid"}
TRUTH_COLUMNS = {
    "cluster_plans": None,  # small: keep all
    "registrations": _COMMON,
    "spending": _COMMON | {"budget_year", "tx", "amount", "carry"},
    "outcomes": _COMMON | {"round", "reported", "computed", "mism"},
}


def defect_table_markdown() -> str:
    lines = ["| kind | source | rate | basis | handling | code | what |", "|---|---|---|---|---|---|---|"]
    for d in spec.DEFECTS:
        rate = "all/observed" if d.rate is None else f"{d.rate:g}"
        yrs = "" if d.basis == "files" or d.years == spec.FY else f" (FY {', '.join(map(str, d.years))})"
        lines.append(f"| {d.kind} | {d.source} | {rate} | {d.basis}{yrs} | {d.handling} | {d.code or '-'} | {d.description} |")
    return "\n".join(lines)

