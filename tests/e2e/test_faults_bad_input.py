"""Bad files and bad values through the real job, on the committed sample plus hand-written files.

One raw folder is built once for the module: a copy of the committed sample, and beside it, in
`<source>/faults/`, hand-written files for fiscal year 2566 (a year the sample does not have,
so the sample's own figures stay those of the truth file):

- one small file per reason code of docs/reason-codes.md and per source that can produce it,
  in both encodings and both header languages (CSV: UTF-8 with BOM and Thai headers, cp874
  and English headers; workbooks: Thai and English headers);
- one file per source with title, blank and total rows (the non-data codes);
- one file per source and file-rejection code (20 files: UTF-16, Shift-JIS, Latin-1, missing
  required columns, no header, empty, binary or broken);
- files the contract accepts although they look odd: headers only, extra columns, the header
  on line 4 under title rows;
- one "bad values" file per source: amount 1e308, negative counts, 31/02, year 3000, a 10 kB
  cell, text that a spreadsheet would run as a formula.

The whole `refresh_warehouse` job runs once over that folder. Every bad value ends in
audit.quarantine with its reason code (or, where the contract says so, stays text), every
loaded file reconciles, rejected files are named with their reason in audit.file_manifest and
in the `no_rejected_files` check, formula-like text is neutralised in the CSV exports, and the
sample's marts for 2564 and 2565 are exactly those of a run without the extra files.
"""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from support import (
    PROJECT_ROOT, SAMPLE_RAW_DIR, Materialised, WorkbookRows, expected_sender, markdown_rows, project_environment,
    run_refresh, sheet_rows,
)
from pipeline import tiers
from pipeline import contract, reasons
from pipeline.feedback import QUARANTINED_SHEET, REJECTED_SHEET

YEAR = 2566
CLUSTER = "CL66-001"  # the cluster every valid hand-written row refers to
FORMULA = '=HYPERLINK("http://x","y")'
LONG_TEXT = "ก" * 10_240  # a 10 kB cell (10,240 characters)
FORMULA_PATTERN = re.compile(r"^[=+\-@\t\r]")

# Both encodings and both header languages for every code (UTF-8 without BOM, cp874 with Thai
# headers and UTF-8 with English ones are in the sample and in the files below).
CSV_VARIANTS = {  # id: (encoding, header language)
    "utf8bom-th": ("utf-8-sig", "th"),
    "cp874-en": ("cp874", "en"),
}
XLSX_VARIANTS = {"xlsx-th": (None, "th"), "xlsx-en": (None, "en")}
MANIFEST_ENCODING = {"utf-8-sig": "utf-8-sig", "utf-8": "utf-8", "cp874": "cp874", None: None}


# --------------------------------------------------------------------------------------------
# Identifiers and rows


def _with_check_digit(digits12: str) -> str:
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits12))
    return digits12 + str((11 - total % 11) % 10)


def juristic_id(n: int) -> str:
    return _with_check_digit(f"099{n:09d}")


def personal_id(n: int) -> str:
    return _with_check_digit(f"199{n:09d}")


def wrong_check_digit(tax_id: str) -> str:
    return tax_id[:12] + str((int(tax_id[12]) + 1) % 10)


class Rows:
    """Valid rows of fiscal year 2566 with fresh identifiers; overrides make them bad."""

    def __init__(self) -> None:
        self.n = 0
        self.registered: list[str] = []  # tax IDs the base registration file registers

    def _next(self) -> int:
        self.n += 1
        return self.n

    def registration(self, **overrides) -> dict:
        n = self._next()
        return {
            "application_no": f"F66-{n:05d}", "registered_on": "15/03/2566", "fiscal_year": str(YEAR),
            "cluster_code": CLUSTER, "entity_type": "บริษัทจำกัด", "tax_id": juristic_id(n),
            "enterprise_name_th": f"บริษัท ทดสอบ{n} จำกัด", "province": "เชียงใหม่", "tsic_code": "10750",
            "business_sector": "การผลิต", "employees": "12", "annual_revenue_thb": "1,250,000.00",
            "contact_name": "สมชาย ใจดี", "phone": "0812345678", "email": "a@example.com", "pdpa_consent": "ใช่",
            **overrides,
        }

    def spending(self, **overrides) -> dict:
        n = self._next()
        return {
            "budget_fiscal_year": str(YEAR), "document_no": f"F66-{n:05d}", "posted_on": "15/03/2566",
            "transaction_type": "เบิกจ่าย", "office": "กสอ.", "cluster_code": "", "activity": "วัสดุ",
            "channel": "กสอ.", "description": "ค่าวัสดุทดสอบ", "amount_thb": "1,000.00", **overrides,
        }

    def enterprise(self) -> str:
        """A tax ID that the base registration file registers in 2566."""
        tax_id = juristic_id(self._next())
        self.registered.append(tax_id)
        return tax_id

    def outcome(self, **overrides) -> dict:
        n = self._next()
        return {
            "survey_id": f"FS66-{n:05d}", "fiscal_year": str(YEAR), "cluster_code": CLUSTER,
            "enterprise_ref": overrides.pop("enterprise_ref", None) or self.enterprise(), "round": "ก่อนเข้าร่วม",
            "surveyed_on": "15/03/2566", "annual_sales_thb": "3,000,000", "cost_reduction_thb": "0",
            "new_investment_thb": "0", "employees": "10", "new_products": "0", **overrides,
        }

    def plan(self, **overrides) -> dict:
        n = self._next()
        return {
            "seq": "1", "cluster_code": f"CL66-{100 + n:03d}", "cluster_name_th": f"คลัสเตอร์ทดสอบ{n}",
            "cluster_group": "อุตสาหกรรมเป้าหมาย", "sector": "กาแฟ", "lead_province": "เชียงใหม่",
            "responsible_office": "ศภ.1", "budget_allocated_thb": "500,000", "target_enterprises": "20",
            "target_economic_value_mthb": "10.5", "status": "ดำเนินการ", **overrides,
        }


def _repeat(first: dict, **changes) -> list[dict]:
    return [first, {**first, **changes}]


# Per source: reason code -> rows of its file (built per variant, so identifiers never collide).
# A code whose rows are two is a repeat: the first row is staged, the second quarantined.
CODE_ROWS = {
    "registrations": {
        "required_missing": lambda r: [r.registration(application_no="")],
        "year_invalid": lambda r: [r.registration(fiscal_year="2800")],
        "date_invalid": lambda r: [r.registration(registered_on="15/13/2566")],
        "amount_invalid": lambda r: [r.registration(annual_revenue_thb="1,2,3")],
        "integer_invalid": lambda r: [r.registration(employees="สิบสองคน")],
        "value_not_in_list": lambda r: [r.registration(entity_type="มูลนิธิ")],
        "province_unknown": lambda r: [r.registration(province="แอตแลนติส")],
        "tax_id_unreadable": lambda r: [r.registration(tax_id="1.05554E+12")],
        "tax_id_checksum": lambda r: [r.registration(tax_id=wrong_check_digit(juristic_id(900_000 + r.n)))],
        "tax_id_invalid": lambda r: [r.registration(tax_id="12345")],
        "community_enterprise_code_invalid": lambda r: [
            r.registration(entity_type="วิสาหกิจชุมชน", tax_id=personal_id(r.n + 1), community_enterprise_code="ABC-1")
        ],
        "tsic_invalid": lambda r: [r.registration(tsic_code="12")],
        "tax_id_personal_for_juristic": lambda r: [r.registration(tax_id=personal_id(r.n + 1))],
        "cluster_unknown": lambda r: [r.registration(cluster_code="CL66-999")],
        "date_outside_fiscal_year": lambda r: [r.registration(registered_on="15/03/2564")],
        "duplicate_registration": lambda r: _repeat(r.registration(), application_no=f"F66-R{r.n:05d}"),
    },
    "spending": {
        "required_missing": lambda r: [r.spending(document_no="")],
        "year_invalid": lambda r: [r.spending(budget_fiscal_year="2800")],
        "date_invalid": lambda r: [r.spending(posted_on="15/13/2566")],
        "amount_invalid": lambda r: [r.spending(amount_thb="หนึ่งพันบาท")],
        "value_not_in_list": lambda r: [r.spending(channel="Facebook")],
        "cluster_unknown": lambda r: [r.spending(cluster_code="CL66-999")],
        "date_outside_fiscal_year": lambda r: [r.spending(posted_on="15/03/2570")],
        "duplicate_document": lambda r: _repeat(r.spending(), description="ซ้ำ"),
    },
    "outcomes": {
        "required_missing": lambda r: [r.outcome(survey_id="")],
        "year_invalid": lambda r: [r.outcome(fiscal_year="2800")],
        "date_invalid": lambda r: [r.outcome(surveyed_on="15/13/2566")],
        "amount_invalid": lambda r: [r.outcome(new_investment_thb="abc")],
        "integer_invalid": lambda r: [r.outcome(new_products="สอง")],
        "value_not_in_list": lambda r: [r.outcome(round="กลางทาง")],
        "cluster_unknown": lambda r: [r.outcome(cluster_code="CL66-999")],
        "enterprise_ref_invalid": lambda r: [r.outcome(enterprise_ref="ABC")],
        "enterprise_unregistered": lambda r: [r.outcome(enterprise_ref=juristic_id(800_000 + r.n))],
        "cost_reduction_percentage": lambda r: [r.outcome(cost_reduction_thb="15%")],
        "amount_unit_suspect": lambda r: [r.outcome(annual_sales_thb="3.5")],
        "duplicate_survey": lambda r: _repeat(r.outcome(), survey_id=f"FS66-R{r.n:05d}"),
    },
    "cluster_plans": {
        "required_missing": lambda r: [r.plan(cluster_name_th="")],
        "year_invalid": lambda r: [r.plan()],  # written as cluster_plan_3000_<variant>.xlsx
        "value_not_in_list": lambda r: [r.plan(sector="เหมืองแร่")],
        "province_unknown": lambda r: [r.plan(lead_province="แอตแลนติส")],
        "amount_invalid": lambda r: [r.plan(budget_allocated_thb="หนึ่งล้าน")],
        "integer_invalid": lambda r: [r.plan(target_enterprises="ยี่สิบ")],
        "duplicate_cluster": lambda r: _repeat(r.plan(), cluster_name_th="คลัสเตอร์ทดสอบซ้ำ"),
    },
}

FILE_NAMES = {
    "registrations": "registrations/faults/registrations_hq_{year}_{label}.{ext}",
    "spending": "spending/faults/spending_{year}_{label}.{ext}",
    "outcomes": "outcomes/faults/outcome_survey_{year}_{label}.{ext}",
    "cluster_plans": "cluster_plans/faults/cluster_plan_{year}_{label}.{ext}",
}


def _variants(source: str) -> dict:
    return XLSX_VARIANTS if source == "cluster_plans" else CSV_VARIANTS


def _path(source: str, label: str, variant: str, year: int = YEAR) -> str:
    extension = "xlsx" if variant.startswith("xlsx") else "csv"
    return FILE_NAMES[source].format(year=year, label=label, ext=extension)


CODE_CASES = [
    (source, code, variant)
    for source, codes in CODE_ROWS.items()
    for code in codes
    for variant in _variants(source)
]
NON_DATA_CASES = [(source, variant) for source in CODE_ROWS for variant in _variants(source)]


# --------------------------------------------------------------------------------------------
# Writers


def _headers(source: contract.Source, language: str) -> list[str]:
    return [c.thai if language == "th" else c.canonical for c in source.columns]


def _cells(source: contract.Source, row: dict) -> list:
    return [row.get(name, "") for name in source.canonical_names]


def csv_bytes(rows: list[list], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_xlsx(path: Path, rows: list[list], sheet: str = "Sheet1") -> None:
    """Strings always as text cells (a leading `=` stays text), numbers as numbers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(path)
    worksheet = workbook.add_worksheet(sheet)
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            if isinstance(value, (int, float)):
                worksheet.write_number(r, c, value)
            elif value not in (None, ""):
                worksheet.write_string(r, c, value)
    workbook.close()


def write_table(raw: Path, relative: str, source_name: str, variant: str, rows: list[dict],
                above: list[list] = (), below: list[list] = ()) -> None:
    source = contract.SOURCES_BY_NAME[source_name]
    encoding, language = {**CSV_VARIANTS, **XLSX_VARIANTS}[variant]
    grid = [*above, _headers(source, language), *(_cells(source, row) for row in rows), *below]
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if encoding is None:
        write_xlsx(path, grid)
    else:
        path.write_bytes(csv_bytes(grid, encoding))


# --------------------------------------------------------------------------------------------
# The raw folder


@dataclass
class BadValue:
    source: str
    row_number: int
    what: str
    reason: str | None  # None: staged, text kept as written
    column: str | None = None
    text: str | None = None


@dataclass
class Scenario:
    raw: Path
    rows: Rows = field(default_factory=Rows)
    code_files: dict = field(default_factory=dict)  # (source, code, variant) -> path
    non_data_files: dict = field(default_factory=dict)  # (source, variant) -> path
    rejected: dict = field(default_factory=dict)  # path -> (code, words the message must contain)
    bad_values: list = field(default_factory=list)
    bad_value_files: dict = field(default_factory=dict)  # source -> (path, data rows written)
    formula_clusters: dict = field(default_factory=dict)  # cluster code -> name


def _write_code_files(scenario: Scenario) -> None:
    for source, code, variant in CODE_CASES:
        rows = CODE_ROWS[source][code](scenario.rows)
        year = 3000 if (source, code) == ("cluster_plans", "year_invalid") else YEAR
        relative = _path(source, f"{code}_{variant}", variant, year)
        write_table(scenario.raw, relative, source, variant, rows)
        scenario.code_files[(source, code, variant)] = relative


def _write_non_data_files(scenario: Scenario) -> None:
    makers = {
        "registrations": scenario.rows.registration, "spending": scenario.rows.spending,
        "outcomes": scenario.rows.outcome, "cluster_plans": scenario.rows.plan,
    }
    for source, variant in NON_DATA_CASES:
        relative = _path(source, f"non_data_{variant}", variant)
        width = len(contract.SOURCES_BY_NAME[source].columns)
        title = [[f"รายงานทดสอบ ปีงบประมาณ {YEAR}"] + [""] * (width - 1), ["หน่วย: บาท"] + [""] * (width - 1)]
        below = [[""] * width, ["รวม"] + [""] * (width - 2) + ["1,000.00"]]
        write_table(scenario.raw, relative, source, variant, [makers[source]()], above=title, below=below)
        scenario.non_data_files[(source, variant)] = relative


def _write_rejected_files(scenario: Scenario) -> None:
    raw, rows = scenario.raw, scenario.rows
    registration_grid = [_headers(contract.REGISTRATIONS, "th"), _cells(contract.REGISTRATIONS, rows.registration())]
    spending_headers = _headers(contract.SPENDING, "en")
    files: dict[str, tuple[bytes | None, str, tuple[str, ...]]] = {
        # registrations
        "registrations/faults/registrations_hq_2566_utf16.csv": (
            "\r\n".join(",".join(r) for r in registration_grid).encode("utf-16"), "encoding_unknown", ("UTF-16",)),
        "registrations/faults/registrations_hq_2566_no_tax_id.csv": (
            csv_bytes([[h for h in registration_grid[0] if h != "เลขประจำตัวผู้เสียภาษี"]], "utf-8-sig"),
            "required_columns_missing", ("tax_id", "เลขประจำตัวผู้เสียภาษี")),
        "registrations/faults/registrations_hq_2566_no_header.csv": (
            csv_bytes([["รายชื่อผู้สมัคร"], ["ลำดับ", "ชื่อ", "หมายเหตุ"], ["1", "ก", "ข"]], "utf-8"),
            "header_not_found", ("required headers",)),
        "registrations/faults/registrations_hq_2566_zero.csv": (b"", "file_empty", ("zero bytes",)),
        "registrations/faults/registrations_hq_2566_scan.csv": (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "file_unreadable", ("PDF",)),
        # spending
        "spending/faults/spending_2566_sjis.csv": (
            csv_bytes([spending_headers, ["2566", "J-1", "15/03/2566", "支払", "本部", "", "資材", "ITC", "東京の会議費用", "1000"]],
                      "shift_jis"), "encoding_unknown", ("UTF-8", "cp874")),
        "spending/faults/spending_2566_no_amount.csv": (
            csv_bytes([[h for h in spending_headers if h != "amount_thb"]], "utf-8"),
            "required_columns_missing", ("amount_thb",)),
        "spending/faults/spending_2566_no_header.xlsx": (None, "header_not_found", ("of any sheet",)),
        "spending/faults/spending_2566_blank_lines.csv": (b"\r\n,,,\r\n\r\n", "file_empty", ("no rows with any value",)),
        "spending/faults/spending_2566_truncated.xlsx": (None, "file_unreadable", ("not a readable xlsx",)),
        # outcomes
        "outcomes/faults/outcome_survey_2566_latin1.csv": (
            "survey_id,note\nS-1,café résumé naïve déjà vu\n".encode("latin-1"), "encoding_unknown", ("not plausible Thai",)),
        "outcomes/faults/outcome_survey_2566_no_ref.xlsx": (None, "required_columns_missing", ("enterprise_ref",)),
        "outcomes/faults/outcome_survey_2566_notes.xlsx": (None, "header_not_found", ("of any sheet",)),
        "outcomes/faults/outcome_survey_2566_empty.xlsx": (None, "file_empty", ("no rows with any value",)),
        "outcomes/faults/outcome_survey_2566_utf16_no_bom.csv": (
            "\r\n".join(",".join(r) for r in registration_grid).encode("utf-16-le"), "file_unreadable", ("NUL bytes",)),
        # cluster plans
        "cluster_plans/faults/cluster_plan_2566_utf16be.csv": (
            b"\xfe\xff" + ",".join(_headers(contract.CLUSTER_PLANS, "th")).encode("utf-16-be"), "encoding_unknown",
            ("UTF-16",)),
        "cluster_plans/faults/cluster_plan_2566_no_budget.xlsx": (None, "required_columns_missing", ("budget_allocated_thb",)),
        "cluster_plans/faults/cluster_plan_2566_header_row_12.xlsx": (None, "header_not_found", ("first 10",)),
        "cluster_plans/faults/cluster_plan_2566_zero.xlsx": (b"", "file_empty", ("zero bytes",)),
        "cluster_plans/faults/cluster_plan_2566_renamed.xlsx": (
            b"cluster_code,name\nCL66-1,x\n", "file_unreadable", ("not a zip-based workbook",)),
    }
    for relative, (content, code, words) in files.items():
        path = raw / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is not None:
            path.write_bytes(content)
        scenario.rejected[relative] = (code, words)

    write_xlsx(raw / "spending/faults/spending_2566_no_header.xlsx", [["หมายเหตุ"], ["ไฟล์นี้ไม่มีตาราง"]], sheet="notes")
    good = io.BytesIO()
    workbook = xlsxwriter.Workbook(good)
    workbook.add_worksheet().write_row(0, 0, _headers(contract.SPENDING, "th"))
    workbook.close()
    (raw / "spending/faults/spending_2566_truncated.xlsx").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    outcome_headers = [h for h in _headers(contract.OUTCOMES, "th") if h != "เลขประจำตัวผู้เสียภาษี/รหัสวิสาหกิจชุมชน"]
    write_xlsx(raw / "outcomes/faults/outcome_survey_2566_no_ref.xlsx", [outcome_headers])
    write_xlsx(raw / "outcomes/faults/outcome_survey_2566_notes.xlsx", [["คำอธิบาย"], ["แบบสำรวจรอบถัดไป"]], sheet="notes")
    write_xlsx(raw / "outcomes/faults/outcome_survey_2566_empty.xlsx", [])
    plan_headers = _headers(contract.CLUSTER_PLANS, "th")
    write_xlsx(raw / "cluster_plans/faults/cluster_plan_2566_no_budget.xlsx",
               [[h for h in plan_headers if h != "งบประมาณที่ได้รับจัดสรร (บาท)"]])
    write_xlsx(raw / "cluster_plans/faults/cluster_plan_2566_header_row_12.xlsx",
               [[f"หมายเหตุ {i}"] for i in range(11)] + [plan_headers, _cells(contract.CLUSTER_PLANS, rows.plan())])


def _write_accepted_odd_files(scenario: Scenario) -> dict:
    raw, rows = scenario.raw, scenario.rows
    # Headers only: a valid, empty report.
    source = contract.SPENDING
    (raw / "spending/faults/spending_2566_headers_only.csv").write_bytes(csv_bytes([_headers(source, "th")], "cp874"))
    # Extra columns: kept aside in `_extra`, the row loads.
    headers = _headers(contract.REGISTRATIONS, "th") + ["หมายเหตุภายใน", "ผู้บันทึก"]
    registration = rows.registration()
    (raw / "registrations/faults/registrations_hq_2566_extra_columns.csv").write_bytes(
        csv_bytes([headers, _cells(contract.REGISTRATIONS, registration) + ["โทรกลับ", "สมศรี"]], "utf-8")
    )
    # The header on line 4, under three title rows.
    write_table(
        raw, "spending/faults/spending_2566_title_rows.csv", "spending", "utf8bom-th",
        [rows.spending(), rows.spending()],
        above=[[f"รายงานการเบิกจ่าย ปีงบประมาณ {YEAR}"], ["หน่วยงาน: กสอ."], ["หน่วย: บาท"]],
    )
    return {"extra_columns_tax_id": registration["tax_id"]}


def _write_bad_values(scenario: Scenario) -> None:
    raw, rows = scenario.raw, scenario.rows
    bad = scenario.bad_values

    def add(source, what, reason, row, column=None, text=None):
        bad.append(BadValue(source, len(by_source.setdefault(source, [])) + 2, what, reason, column, text))
        by_source[source].append(row)

    by_source: dict[str, list[dict]] = {}
    registration = rows.registration
    add("registrations", "revenue 1e308", "amount_invalid", registration(annual_revenue_thb="1e308"))
    add("registrations", "revenue 1e309 (infinite)", "amount_invalid", registration(annual_revenue_thb="1e309"))
    add("registrations", "negative employees", "integer_invalid", registration(employees="-5"))
    add("registrations", "31/02", "date_invalid", registration(registered_on="31/02/2566"))
    add("registrations", "year 3000", "year_invalid", registration(fiscal_year="3000"))
    add("registrations", "10 kB name", None, registration(enterprise_name_th=LONG_TEXT), "enterprise_name_th", LONG_TEXT)
    add("registrations", "formula name", None, registration(enterprise_name_th=FORMULA), "enterprise_name_th", FORMULA)
    add("registrations", "@ name", None, registration(enterprise_name_th="@SUM(1+1)*cmd|' /C calc'!A0"),
        "enterprise_name_th", "@SUM(1+1)*cmd|' /C calc'!A0")

    spending = rows.spending
    add("spending", "amount 1e308", "amount_invalid", spending(amount_thb="1e308"))
    add("spending", "amount -1e308", "amount_invalid", spending(amount_thb="-1e308"))
    add("spending", "amount (1e13)", "amount_invalid", spending(amount_thb="(10,000,000,000,000.00)"))
    add("spending", "31/02/2564", "date_invalid", spending(posted_on="31/02/2564"))
    add("spending", "year 3000", "year_invalid", spending(budget_fiscal_year="3000"))
    add("spending", "10 kB description", None, spending(description=LONG_TEXT), "description", LONG_TEXT)
    add("spending", "formula description", None, spending(description=FORMULA), "description", FORMULA)

    outcome = rows.outcome
    add("outcomes", "sales 1e308", "amount_invalid", outcome(annual_sales_thb="1e308"))
    add("outcomes", "negative employees", "integer_invalid", outcome(employees="-5"))
    add("outcomes", "negative new products", "integer_invalid", outcome(new_products="-1"))
    add("outcomes", "31/02", "date_invalid", outcome(surveyed_on="31/02/2566"))
    add("outcomes", "year 3000", "year_invalid", outcome(fiscal_year="3000"))
    add("outcomes", "formula certification", None, outcome(certifications=FORMULA))

    plan = rows.plan
    add("cluster_plans", "budget 1e308 (text)", "amount_invalid", plan(budget_allocated_thb="1e308"))
    add("cluster_plans", "budget 1e308 (number cell)", "amount_invalid", plan(budget_allocated_thb=1e308))
    add("cluster_plans", "negative target (text)", "integer_invalid", plan(target_enterprises="-5"))
    add("cluster_plans", "negative target (number cell)", "integer_invalid", plan(target_enterprises=-5))
    names = {
        "10 kB name": "คลัสเตอร์" + LONG_TEXT,
        "formula name": FORMULA,
        "plus name": "+66 คลัสเตอร์โทรศัพท์",
        "minus name": "-คลัสเตอร์ลบ",
        "at name": "@คลัสเตอร์แอท",
        "tab name": "\tคลัสเตอร์แท็บ",
        "html name": '<script>alert("x")</script>คลัสเตอร์',
    }
    for what, name in names.items():
        row = plan(cluster_name_th=name)
        add("cluster_plans", what, None, row, "cluster_name_th", name)
        scenario.formula_clusters[row["cluster_code"]] = name

    for source, source_rows in by_source.items():
        variant = "xlsx-th" if source == "cluster_plans" else "utf8bom-th"
        relative = _path(source, "bad_values", variant)
        write_table(raw, relative, source, variant, source_rows)
        scenario.bad_value_files[source] = (relative, len(source_rows))


def _write_base_files(scenario: Scenario) -> None:
    """The cluster every row refers to, and the enterprises the surveys refer to."""
    raw, rows = scenario.raw, scenario.rows
    write_table(raw, _path("cluster_plans", "base", "xlsx-th"), "cluster_plans", "xlsx-th",
                [rows.plan(cluster_code=CLUSTER, cluster_name_th="คลัสเตอร์กาแฟทดสอบ", sector="กาแฟ")])
    registrations = [rows.registration(tax_id=tax_id) for tax_id in rows.registered]
    write_table(raw, _path("registrations", "base", "utf8bom-th"), "registrations", "utf8bom-th", registrations)


@dataclass
class Run:
    scenario: Scenario
    warehouse: Materialised
    reports: Path
    odd: dict


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp("bad_input")
    raw = base / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    scenario = Scenario(raw)
    _write_code_files(scenario)
    _write_non_data_files(scenario)
    _write_rejected_files(scenario)
    odd = _write_accepted_odd_files(scenario)
    _write_bad_values(scenario)
    _write_base_files(scenario)  # last: registers every enterprise the surveys above refer to
    with project_environment(raw, base / "work") as paths:
        result = run_refresh()
    return Run(
        scenario,
        Materialised(result, paths["WAREHOUSE_PATH"], paths["BUILD_DIR"] / "cluster_programme.build.duckdb"),
        paths["REPORTS_DIR"],
        odd,
    )


@pytest.fixture(scope="module")
def manifest(run) -> dict[str, dict]:
    return {r["source_file"]: r for r in run.warehouse.frame("SELECT * FROM audit.file_manifest").to_dicts()}


@pytest.fixture(scope="module")
def quarantine(run) -> dict[tuple[str, int], dict]:
    rows = run.warehouse.frame("SELECT source_file, row_number, reason_codes, duplicate_of FROM audit.quarantine")
    return {(r["source_file"], r["row_number"]): r for r in rows.to_dicts()}


# --------------------------------------------------------------------------------------------
# The run as a whole


def test_the_refresh_succeeds_and_every_loaded_file_reconciles(run, manifest):
    assert run.warehouse.result.success
    loaded = [r for r in manifest.values() if r["status"] == "loaded"]
    assert loaded and all(r["reconciled"] for r in loaded), [r["source_file"] for r in loaded if not r["reconciled"]]
    (check,) = [e for e in run.warehouse.result.get_asset_check_evaluations() if e.check_name == "every_row_accounted_for"]
    assert check.passed
    # Every hand-written data row is staged or quarantined: nothing vanished.
    (landed, accounted) = run.warehouse.query_build(
        """SELECT (SELECT count(*) FROM landing.registrations WHERE _row_kind = 'data')
                  + (SELECT count(*) FROM landing.spending WHERE _row_kind = 'data')
                  + (SELECT count(*) FROM landing.outcomes WHERE _row_kind = 'data')
                  + (SELECT count(*) FROM landing.cluster_plans WHERE _row_kind = 'data'),
                  (SELECT count(*) FROM staging.registrations) + (SELECT count(*) FROM staging.spending)
                  + (SELECT count(*) FROM staging.outcomes) + (SELECT count(*) FROM staging.cluster_plans)
                  + (SELECT count(*) FROM audit.quarantine)"""
    )[0]
    assert landed == accounted


def test_the_sample_years_are_exactly_as_without_the_bad_files(run, sample_warehouse):
    marts = ("fiscal_year_rollup", "cluster_outcomes", "province_outcomes", "spending_by_channel")
    for mart in marts:
        sql = f"SELECT * FROM marts.{mart} WHERE fiscal_year <= 2565 ORDER BY ALL"
        assert run.warehouse.query(sql) == sample_warehouse.query(sql), mart
    rollup = run.warehouse.query("SELECT fiscal_year, active_clusters, enterprises FROM marts.fiscal_year_rollup ORDER BY 1")
    assert rollup[:2] == [(2564, 29, 680), (2565, 34, 700)]
    assert rollup[2][0] == YEAR and rollup[2][1] > 0 and rollup[2][2] > 0


# --------------------------------------------------------------------------------------------
# Whole files


def test_each_bad_file_is_rejected_naming_the_file_and_the_reason(run, manifest):
    for path, (code, words) in run.scenario.rejected.items():
        row = manifest[path]
        assert (row["status"], row["reason_code"]) == ("rejected", code), path
        assert path in row["reason"] and row["reason"].startswith(code), row["reason"]
        for word in words:
            assert word in row["reason"], (path, row["reason"])
    codes = {code for code, _ in run.scenario.rejected.values()}
    assert codes == {"file_empty", "file_unreadable", "encoding_unknown", "header_not_found", "required_columns_missing"}
    sources = {(path.split("/")[0], code) for path, (code, _) in run.scenario.rejected.items()}
    assert len(sources) == 20, "every source has a file for every rejection code"


def test_the_ui_check_lists_every_rejected_file_with_its_reason(run, manifest):
    (evaluation,) = [e for e in run.warehouse.result.get_asset_check_evaluations() if e.check_name == "no_rejected_files"]
    assert not evaluation.passed
    assert evaluation.severity.value == "WARN"
    rejected = {path for path, row in manifest.items() if row["status"] == "rejected"}
    assert rejected == set(run.scenario.rejected)
    assert evaluation.metadata["offending_rows"].value == len(rejected)
    shown = {row["source_file"]: row for row in markdown_rows(evaluation.metadata["examples"].value)}
    assert set(shown) == rejected
    assert all(row["reason_code"] and row["source_file"] in row["reason"] for row in shown.values())
    # The landing assets' metadata (shown on landing/<source>_files in the UI) names them too.
    for source in CODE_ROWS:
        (materialisation,) = [
            m for m in run.warehouse.result.asset_materializations_for_node(f"land_{source}")
            if m.asset_key.path == ["landing", f"{source}_files"]
        ]
        listed = [row["file"] for row in markdown_rows(materialisation.metadata["rejected"].value)]
        assert set(listed) == {p for p in rejected if p.startswith(f"{source}/")}


def test_the_senders_workbooks_list_their_rejected_files_and_quarantined_rows(run, manifest, quarantine):
    """What each office is sent back: its rejected files with the reason's label and what to change,
    and every quarantined row of its files by row number with each reason's label."""
    feedback = run.warehouse.build_database.parent / "feedback"
    for path, (code, _) in run.scenario.rejected.items():
        rows = sheet_rows(feedback / f"feedback_{expected_sender(path)}.xlsx", REJECTED_SHEET)
        (row,) = [r for r in rows if r["ไฟล์ File"] == Path(path).name]
        label = reasons.all_reasons()[code]
        assert (row["Reason (English)"], row["เหตุผล (ไทย)"], row["What to change"]) == (label.label_en, label.label_th, label.fix_en)
    shown = WorkbookRows(feedback, QUARANTINED_SHEET)
    for (path, row_number), row in quarantine.items():
        sent = shown.row(path, row_number)
        assert sent is not None, (path, row_number)
        assert sent["Reason (English)"].split("\n") == [reasons.label(code) for code in row["reason_codes"]]


def test_headers_only_file_loads_with_zero_rows(manifest):
    row = manifest["spending/faults/spending_2566_headers_only.csv"]
    assert (row["status"], row["encoding"], row["header_language"]) == ("loaded", "cp874", "th")
    assert (row["rows_read"], row["rows_staged"], row["rows_quarantined"], row["reconciled"]) == (0, 0, 0, True)


def test_extra_columns_are_kept_aside_and_the_row_loads(run, manifest):
    path = "registrations/faults/registrations_hq_2566_extra_columns.csv"
    assert (manifest[path]["status"], manifest[path]["rows_staged"]) == ("loaded", 1)
    (extra,) = run.warehouse.query_build("SELECT _extra FROM staging.registrations WHERE _source_file = ?", [path])[0]
    assert json.loads(extra) == {"หมายเหตุภายใน": "โทรกลับ", "ผู้บันทึก": "สมศรี"}


def test_a_csv_header_on_line_4_under_title_rows(run, manifest):
    row = manifest["spending/faults/spending_2566_title_rows.csv"]
    assert (row["status"], row["header_row_number"], row["title_rows"]) == ("loaded", 4, 3)
    assert (row["rows_staged"], row["rows_quarantined"], row["reconciled"]) == (2, 0, True)
    numbers = run.warehouse.query_build(
        "SELECT list(_row_number ORDER BY _row_number) FROM staging.spending WHERE _source_file = ?",
        ["spending/faults/spending_2566_title_rows.csv"],
    )[0][0]
    assert numbers == [5, 6], "row numbers are the ones the office sees"


# --------------------------------------------------------------------------------------------
# One file per reason code, source, encoding and header language


@pytest.mark.parametrize(("source", "code", "variant"), CODE_CASES, ids=["-".join(case) for case in CODE_CASES])
def test_each_reason_code_is_produced_end_to_end(run, manifest, quarantine, source, code, variant):
    path = run.scenario.code_files[(source, code, variant)]
    row = manifest[path]
    encoding, language = {**CSV_VARIANTS, **XLSX_VARIANTS}[variant]
    assert (row["status"], row["encoding"], row["header_language"]) == ("loaded", MANIFEST_ENCODING[encoding], language)
    assert row["reconciled"]
    quarantined = {number: q for (file, number), q in quarantine.items() if file == path}
    if code.startswith("duplicate_"):
        # The first listing is staged; the repeat is quarantined and points to it.
        assert (row["rows_staged"], row["rows_quarantined"]) == (1, 1)
        (repeat,) = quarantined.values()
        assert repeat["reason_codes"] == [code]
        sheet = " sheet Sheet1" if variant.startswith("xlsx") else ""
        assert repeat["duplicate_of"] == f"{path}{sheet} row 2"
    else:
        assert (row["rows_staged"], row["rows_quarantined"]) == (0, 1)
        (bad,) = quarantined.values()
        assert code in bad["reason_codes"], bad["reason_codes"]


@pytest.mark.parametrize(("source", "variant"), NON_DATA_CASES, ids=["-".join(case) for case in NON_DATA_CASES])
def test_title_blank_and_total_rows_are_counted_not_quarantined(run, manifest, source, variant):
    row = manifest[run.scenario.non_data_files[(source, variant)]]
    assert row["status"] == "loaded" and row["reconciled"]
    assert (row["title_rows"], row["blank_rows"], row["total_rows"]) == (2, 1, 1)
    assert (row["rows_staged"], row["rows_quarantined"], row["rows_read"]) == (1, 0, 5)
    assert row["header_row_number"] == 3


# --------------------------------------------------------------------------------------------
# Bad values


def test_bad_values_each_end_with_their_reason_or_stay_text(run, quarantine):
    staging_tables = {s: f"staging.{s}" for s in CODE_ROWS}
    for bad in run.scenario.bad_values:
        path, _ = run.scenario.bad_value_files[bad.source]
        key = (path, bad.row_number)
        if bad.reason is not None:
            assert key in quarantine, f"{bad.source} {bad.what}: not quarantined"
            assert bad.reason in quarantine[key]["reason_codes"], (bad.what, quarantine[key]["reason_codes"])
        else:
            assert key not in quarantine, (bad.what, quarantine.get(key))
            if bad.column:
                (value,) = run.warehouse.query_build(
                    f"SELECT {bad.column} FROM {staging_tables[bad.source]} WHERE _source_file = ? AND _row_number = ?",
                    [path, bad.row_number],
                )[0]
                assert value == bad.text.strip(), bad.what


def test_bad_value_files_reconcile(run, manifest):
    for source, (path, written) in run.scenario.bad_value_files.items():
        row = manifest[path]
        expected_quarantined = sum(1 for b in run.scenario.bad_values if b.source == source and b.reason)
        assert row["reconciled"], path
        assert (row["rows_staged"] + row["rows_quarantined"], row["rows_quarantined"]) == (written, expected_quarantined), path


def test_formula_and_long_text_are_kept_as_text_in_core(run):
    names = run.scenario.formula_clusters
    core = dict(run.warehouse.query(
        "SELECT cluster_code, cluster_name_th FROM core.dim_cluster WHERE cluster_code IN (SELECT unnest(?::VARCHAR[]))",
        [list(names)],
    ))
    # Names are cleaned (trimmed), otherwise kept exactly: no formula is evaluated or dropped.
    assert core == {code: name.strip() for code, name in names.items()}
    assert len(core[next(c for c, n in names.items() if n.endswith(LONG_TEXT))]) == len("คลัสเตอร์") + len(LONG_TEXT)
    enterprise_names = {r[0] for r in run.warehouse.query("SELECT enterprise_name_th FROM core.dim_enterprise")}
    assert FORMULA in enterprise_names and LONG_TEXT in enterprise_names
    descriptions = {r[0] for r in run.warehouse.query("SELECT description FROM core.fct_spending WHERE fiscal_year = ?", [YEAR])}
    assert FORMULA in descriptions and LONG_TEXT in descriptions


def test_formula_text_is_neutralised_in_every_csv_export(run):
    exports = run.reports / "exports"
    csv_files = sorted(exports.glob("*.csv"))
    assert csv_files
    for csv_file in csv_files:
        text_columns = [
            name for name, dtype in pl.read_parquet_schema(csv_file.with_suffix(".parquet")).items() if dtype == pl.String
        ]
        with open(csv_file, encoding="utf-8-sig", newline="") as handle:
            for record in csv.DictReader(handle):
                for column in text_columns:
                    value = record[column]
                    assert not FORMULA_PATTERN.match(value), (csv_file.name, column, value[:60])
    exported = {}
    with open(exports / "cluster_outcomes.csv", encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            exported[record["cluster_code"]] = record["cluster_name_th"]
    parquet = dict(pl.read_parquet(exports / "cluster_outcomes.parquet").select("cluster_code", "cluster_name_th").iter_rows())
    for code, name in run.scenario.formula_clusters.items():
        kept = name.strip()
        assert parquet[code] == kept, "Parquet keeps the text as it is"
        assert exported[code] == ("'" + kept if FORMULA_PATTERN.match(kept) else kept), code


def test_html_in_a_name_is_escaped_in_the_report(run):
    report = (run.reports / "programme_report.html").read_text(encoding="utf-8")
    assert '<script>alert("x")</script>' not in report


# --------------------------------------------------------------------------------------------
# A source with nothing loadable


def test_a_source_whose_only_files_are_rejected_or_absent_is_never_published_empty(tmp_path):
    """Registrations and outcomes have only rejected files, spending has no folder at all: the
    validation steps still run (no crash on a missing table), the blocking row-count checks fail
    naming the empty sources, and no warehouse is published; a good refresh then publishes."""
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR / "cluster_plans", raw / "cluster_plans")
    (raw / "outcomes").mkdir()
    (raw / "outcomes" / "outcome_survey_2564.xlsx").write_bytes(b"")
    (raw / "registrations").mkdir()
    (raw / "registrations" / "registrations_hq_2564.csv").write_bytes("เลขที่ใบสมัคร,ปีงบประมาณ\n".encode("utf-16"))
    with project_environment(raw, tmp_path / "work") as paths:
        result = run_refresh()
    assert not result.success
    failed = {
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.check_name.startswith("table_row_count")
    }
    # Outcomes depend on registrations, so their step is not reached once registrations block.
    assert {asset for asset, _ in failed} == {"staging/registrations", "staging/spending"}
    assert not paths["WAREHOUSE_PATH"].exists()
    build = tiers.connect_build(paths["BUILD_DIR"] / "cluster_programme.build.duckdb")
    try:
        rejected = dict(
            build.execute(
                "SELECT source_file, reason_code FROM landing.outcomes_files WHERE status = 'rejected' "
                "UNION ALL SELECT source_file, reason_code FROM landing.registrations_files WHERE status = 'rejected'"
            ).fetchall()
        )
    finally:
        build.close()
    assert rejected == {
        "outcomes/outcome_survey_2564.xlsx": "file_empty",
        "registrations/registrations_hq_2564.csv": "encoding_unknown",
    }


# --------------------------------------------------------------------------------------------
# A sheet at Excel's row limit

EXCEL_MAX_ROWS = 1_048_576
MAX_SECONDS = 180
MAX_PEAK_RSS_MB = 4096

_LAND_HUGE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    import duckdb
    from pipeline import contract
    from pipeline.landing import land_source

    raw = Path(sys.argv[1])
    started = time.monotonic()
    connection = duckdb.connect(sys.argv[2])
    report = land_source(connection, contract.SPENDING, raw, "huge-sheet")
    rows = connection.execute(
        "SELECT rows_read, data_rows, header_row_number FROM landing.spending_files").fetchall()[0]
    last = connection.execute(
        "SELECT max(_row_number), count(*) FILTER (WHERE amount_thb = 1000) FROM landing.spending").fetchall()[0]
    connection.close()
    print(json.dumps({
        "seconds": time.monotonic() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "loaded": report.loaded, "rejected": report.rejected,
        "rows_read": rows[0], "data_rows": rows[1], "header_row_number": rows[2],
        "last_row_number": last[0], "amounts_read": last[1],
    }))
    """
)


@pytest.mark.slow
def test_a_sheet_at_excels_row_limit_lands_in_bounded_time_and_memory(tmp_path):
    """1,048,576 rows (header + 1,048,575 ledger lines), written by xlsxwriter in constant_memory
    mode (the slow part, about a minute), landed in a separate process to measure it alone."""
    raw = tmp_path / "raw"
    path = raw / "spending" / "spending_2566_01.xlsx"
    path.parent.mkdir(parents=True)
    required = [c for c in contract.SPENDING.columns if c.required]
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet("ledger")
    sheet.write_row(0, 0, [c.canonical for c in required])
    write_row = sheet.write_row
    for row in range(1, EXCEL_MAX_ROWS):
        write_row(row, 0, (2566, row, "15/03/2566", "เบิกจ่าย", "กสอ.", "วัสดุ", "ITC", 1000))
    workbook.close()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    finished = subprocess.run(
        [sys.executable, "-c", _LAND_HUGE, str(raw), str(tmp_path / "build.duckdb")],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=MAX_SECONDS * 3,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    measured = json.loads(finished.stdout.strip().splitlines()[-1])
    assert measured["rejected"] == {} and measured["loaded"] == ["spending/spending_2566_01.xlsx"]
    assert measured["header_row_number"] == 1
    assert measured["data_rows"] == measured["rows_read"] == EXCEL_MAX_ROWS - 1
    assert measured["last_row_number"] == EXCEL_MAX_ROWS, "the last row of the sheet is read"
    assert measured["amounts_read"] == EXCEL_MAX_ROWS - 1
    assert measured["seconds"] < MAX_SECONDS, measured
    assert measured["peak_rss_mb"] < MAX_PEAK_RSS_MB, measured
