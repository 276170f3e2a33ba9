"""The sample-data generator: determinism, layout per the contract, headline figures and
defect rates, checked against the committed files in data/raw themselves."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from devtools.sample_data import defect_table_markdown, generate, ids, spec
from pipeline import contract, reasons
from support import PROJECT_ROOT as ROOT
from support import SAMPLE_RAW_DIR as RAW
from support import TRUTH_PATH as TRUTH

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------------------
# reading the committed files back
# --------------------------------------------------------------------------------------
def decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(BOM):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp874"), "cp874"


def read_rows(path: Path) -> list[list]:
    """All rows of a file (title and header rows included), cells as str / number / datetime / None."""
    if path.suffix == ".csv":
        text, _ = decode(path.read_bytes())
        return [[c if c != "" else None for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


def canon(cell) -> str | None:
    if cell is None:
        return None
    return str(cell).strip().replace(contract.MILLION_BAHT_MARKER, "(บาท)").lower()


def header_map(source: contract.Source) -> dict[str, str]:
    m = {}
    for c in source.columns:
        m[c.thai.lower()] = c.canonical
        m[c.canonical.lower()] = c.canonical
    return m


def find_header(rows: list[list], source: contract.Source) -> tuple[int, dict[str, int]]:
    hm = header_map(source)
    for i, r in enumerate(rows[:10]):
        cols = {hm[canon(c)]: j for j, c in enumerate(r) if canon(c) in hm}
        if set(source.required_names) <= set(cols):
            return i, cols
    raise AssertionError("header not found")


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads(TRUTH.read_text("utf-8"))


@pytest.fixture(scope="module")
def files(truth) -> dict[str, dict]:
    """path -> {rows, header_index, cols, source, data (rows below the header)}"""
    out = {}
    for f in truth["files"]:
        src = contract.SOURCES_BY_NAME[f["source"]]
        rows = read_rows(RAW / f["path"])
        h, cols = find_header(rows, src)
        out[f["path"]] = {"rows": rows, "header": h, "cols": cols, "source": f["source"], "data": rows[h + 1:], "truth": f}
    return out


def cell(files, path: str, row: int, column: str):
    f = files[path]
    return f["rows"][row - 1][f["cols"][column]]


def first_non_empty(r: list):
    for c in r:
        if c is not None and str(c).strip() != "":
            return c
    return None


def digits(v) -> str:
    if isinstance(v, float):
        v = int(v)
    return re.sub(r"[\s-]", "", str(v).translate(THAI_DIGITS))


# --------------------------------------------------------------------------------------
# determinism: the committed data is what the generator writes
# --------------------------------------------------------------------------------------
def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.parts[len(root.parts)] in {s.folder for s in contract.SOURCES}
    }


def test_generator_reproduces_committed_data_byte_for_byte(tmp_path):
    out = tmp_path / "raw"
    truth_path = tmp_path / "truth.json"
    generate(scale=1, seed=2564, out=out, truth=truth_path)
    assert _hashes(out) == _hashes(RAW)
    assert truth_path.read_bytes() == TRUTH.read_bytes()


def test_docstring_table_matches_spec():
    import devtools.sample_data as sd

    assert defect_table_markdown() in sd.__doc__


# --------------------------------------------------------------------------------------
# layout per the contract
# --------------------------------------------------------------------------------------
def test_file_layout(truth, files):
    paths = set(files)
    assert {"cluster_plans/cluster_plan_2564.xlsx", "cluster_plans/cluster_plan_2565.xlsx"} <= paths
    assert {"outcomes/outcome_survey_2564.xlsx", "outcomes/outcome_survey_2565.xlsx"} <= paths
    for year in (2564, 2565):
        for code in contract.OFFICE_FILE_CODES.values():
            assert any(p.startswith(f"registrations/registrations_{code}_{year}.") for p in paths), (code, year)
    months = {re.search(r"spending_(\d{4})_(\d\d)\.", p).groups() for p in paths if p.startswith("spending/")}
    assert months == {(str(y), f"{m:02d}") for y, m in spec.SPEND_MONTHS}
    on_disk = {p.relative_to(RAW).as_posix() for p in RAW.rglob("*") if p.is_file()}
    assert on_disk == paths
    assert any(p.endswith(".xlsx") for p in paths if p.startswith("registrations/"))


def test_headers_recognised_from_contract(truth, files):
    langs = Counter()
    for path, f in files.items():
        t = f["truth"]
        assert f["header"] + 1 == t["header_row"] == t["title_rows"] + 1, path
        header = f["rows"][f["header"]]
        assert [h for h in header if h is not None] == t["headers"], path
        src = contract.SOURCES_BY_NAME[f["source"]]
        english = all(h == h.strip() and h.lower() in {c.canonical for c in src.columns} or h == "หมายเหตุเจ้าหน้าที่" for h in t["headers"])
        langs[(f["source"], "en" if english else "th")] += 1
        assert t["header_language"] == ("en" if english else "th"), path
        assert len(f["data"]) == t["rows"], path
    assert langs[("registrations", "en")] >= 2 and langs[("spending", "en")] >= 1
    # letter case varies among the English headers
    eng = [h for f in files.values() if f["truth"]["header_language"] == "en" for h in f["truth"]["headers"]]
    assert any(h.isupper() for h in eng) and any(h.islower() for h in eng) and any(h[0].isupper() and not h.isupper() for h in eng)
    # shuffled column order in some files
    assert any(f["truth"]["columns"][:2] != contract.SOURCES_BY_NAME[f["source"]].canonical_names[:2] for f in files.values())
    # the million-baht plan
    hdr = files["cluster_plans/cluster_plan_2565.xlsx"]["truth"]["headers"]
    assert "งบประมาณที่ได้รับจัดสรร (ล้านบาท)" in hdr


def test_both_encodings_present(truth):
    enc = Counter()
    for f in truth["files"]:
        if f["format"] != "csv":
            continue
        raw = (RAW / f["path"]).read_bytes()
        _, detected = decode(raw)
        assert detected == f["encoding"], f["path"]
        enc[detected] += 1
    assert enc["cp874"] >= 2 and enc["utf-8-sig"] >= 2 and enc["utf-8"] >= 1


# --------------------------------------------------------------------------------------
# headline figures
# --------------------------------------------------------------------------------------
def test_headline_figures(truth):
    y64, y65 = truth["fiscal_years"]["2564"], truth["fiscal_years"]["2565"]
    assert (truth["scale"], truth["seed"]) == (1, 2564)
    assert y64["active_clusters"] == 29 and y64["enterprises"] == 680 and y64["registrations_accepted"] == 680
    assert y64["budget_allocated_thb"] == 19_000_000.00
    assert abs(y64["economic_value_reported_thb"] - 1.2e9) <= 0.05 * 1.2e9
    assert y65["active_clusters"] == 34 and y65["budget_allocated_thb"] == 17_000_000.00
    for y in (y64, y65):
        assert 0.95 * y["budget_allocated_thb"] <= y["spend_executed_thb"] <= 0.99 * y["budget_allocated_thb"]
        assert abs(y["spend_committed_thb"] - y["budget_allocated_thb"]) <= 0.05 * y["budget_allocated_thb"]
        assert y["clusters_over_allocation"] >= 1 and y["spend_programme_wide_thb"] > 0
    assert y65["enterprises_returning"] > 0.3 * y65["enterprises"]
    # per cluster figures add up to the year
    for fy, y in truth["fiscal_years"].items():
        cl = [c for c in truth["clusters"] if c["fiscal_year"] == int(fy)]
        assert round(sum(c["allocation_thb"] for c in cl), 2) == y["budget_allocated_thb"]
        assert sum(c["enterprises"] for c in cl) == y["enterprises"]
        assert round(sum(c["spend_executed_thb"] for c in cl) + y["spend_programme_wide_thb"], 2) == y["spend_executed_thb"]
        assert round(sum(c["economic_value_reported_thb"] for c in cl), 2) == y["economic_value_reported_thb"]
        assert all(c["allocation_thb"] == 0 for c in cl if c["status"] != "active")


def test_plans_from_files(files):
    """Allocation totals and active clusters read straight from the plan workbooks."""

    def amount(v, million):
        if isinstance(v, str):
            v = Decimal(v.replace(",", ""))
        v = Decimal(str(v))
        return v * 1_000_000 if million else v

    for year, expect_n, expect_sum in ((2564, 29, 19_000_000), (2565, 34, 17_000_000)):
        f = files[f"cluster_plans/cluster_plan_{year}.xlsx"]
        c = f["cols"]
        seen, total, active = set(), Decimal(0), 0
        totals = [r for r in f["data"] if first_non_empty(r) == contract.TOTAL_ROW_MARKER]
        assert len(totals) == 1 and f["data"][-1] is totals[0]
        for r in f["data"][:-1]:
            if r[c["cluster_code"]] in seen:
                continue
            seen.add(r[c["cluster_code"]])
            total += amount(r[c["budget_allocated_thb"]], year == 2565)
            active += r[c["status"]] == "ดำเนินการ"
        assert (active, total) == (expect_n, expect_sum)


def test_predecessor_identity_derivable(truth):
    """A continuing cluster without a predecessor link is unique by sector + lead province."""
    by_key = defaultdict(set)
    for c in truth["clusters"]:
        by_key[(c["fiscal_year"], c["sector"], c["lead_province"])].add(c["cluster_code"])
    assert all(len(v) == 1 for v in by_key.values())
    missing = [c for c in truth["clusters"] if c["predecessor_code"] and not c["predecessor_in_file"]]
    assert missing
    prev = {(c["sector"], c["lead_province"]): c["cluster_code"] for c in truth["clusters"] if c["fiscal_year"] == 2564}
    for c in missing:
        assert prev[(c["sector"], c["lead_province"])] == c["predecessor_code"]


# --------------------------------------------------------------------------------------
# defect rates, counted in the truth file and in the files themselves
# --------------------------------------------------------------------------------------
def test_every_defect_kind_at_its_rate(truth):
    kinds = {d.kind for d in spec.DEFECTS}
    assert set(truth["defect_rates"]) == kinds == set(truth["defect_counts"])
    codes = {d["code"] for d in truth["defect_table"] if d["code"]}
    assert codes <= set(reasons.all_reasons())
    for d in truth["defect_table"]:
        assert d["count"] > 0, d["kind"]
        if d["expected"] is not None:
            assert d["count"] == d["expected"], d
            if d["basis"] != "files":
                assert abs(d["count"] / d["basis_count"] - d["rate"]) <= 1 / d["basis_count"] * len(d["fiscal_years"]), d
    assert not truth["defects_truncated"]
    assert Counter(x["kind"] for x in truth["defects"]) == {k: v for k, v in truth["defect_counts"].items() if v}


def test_defect_rows_point_at_the_defect(truth, files):
    checks = {
        "reg_tax_id_scientific": lambda v: re.fullmatch(r"\d\.\d{5}E\+1[12]", str(v)),
        "reg_tax_id_12_digits": lambda v: len(digits(v)) == 12,
        "reg_year_ce": lambda v: digits(v) == "2021" or digits(v) == "2022",
        "reg_year_short": lambda v: digits(v) in ("64", "65"),
        "reg_tsic_leading_zero": lambda v: len(digits(v)) == 4,
        "reg_cluster_by_name": lambda v: str(v).startswith("คลัสเตอร์"),
        "reg_employees_text": lambda v: str(v).endswith(" คน"),
        "reg_name_abbreviation": lambda v: str(v).startswith(("บจก.", "หจก.")),
        "reg_name_spacing": lambda v: v != str(v).strip() or "  " in v or "\u200b" in v,
        "reg_excel_serial_date": lambda v: 43000 < float(v) < 45000,
        "reg_province_alias": lambda v: v not in PROVINCES_TH,
        "spend_excel_serial_date": lambda v: 43000 < float(v) < 45000,
        "spend_cluster_old_name": lambda v: str(v).startswith("คลัสเตอร์"),
        "spend_zero_dash": lambda v: v == "-",
        "spend_carry_over": lambda v: v == contract.CARRY_OVER_MARKER,
        "spend_programme_wide": lambda v: v is None,
        "spend_commitment": lambda v: v == "ผูกพัน",
        "survey_cost_percentage": lambda v: str(v).endswith("%"),
        "survey_million_baht": lambda v: float(str(v).translate(THAI_DIGITS)) < 1000,
        "survey_excel_serial_date": lambda v: 43000 < float(v) < 45000,
        "plan_province_alias": lambda v: v not in PROVINCES_TH,
        "plan_predecessor_missing": lambda v: v is None,
        "plan_allocation_text": lambda v: isinstance(v, str) and "," in v,
        "plan_million_baht": lambda v: isinstance(v, (int, float)) and v < 10,
    }
    thai = re.compile("[๐-๙]")
    seen = Counter()
    for d in truth["defects"]:
        if d["column"] and d["column"] != "_extra":
            v = cell(files, d["file"], d["row"], d["column"])
            if d["kind"] in checks:
                assert checks[d["kind"]](v), d
                seen[d["kind"]] += 1
            if d["kind"].endswith("thai_digits"):
                assert thai.search(str(v)), d
                seen[d["kind"]] += 1
        elif d["handling"] == "non_data":
            r = files[d["file"]]["rows"][d["row"] - 1]
            if d["code"] == "total_row":
                assert first_non_empty(r) == contract.TOTAL_ROW_MARKER, d
            elif d["code"] == "blank_row":
                assert first_non_empty(r) is None, d
            else:
                assert d["row"] < files[d["file"]]["truth"]["header_row"], d
    assert set(checks) <= set(seen)


PROVINCES_TH = {
    line.split(",")[2] for line in (ROOT / "pipeline" / "reference" / "th_provinces.csv").read_text("utf-8").splitlines()[1:]
}


def test_defects_counted_in_the_files(truth, files):
    """Count defect shapes in the raw files directly and compare with the stated rates."""
    counts = truth["defect_counts"]
    n = Counter()
    reg_ids = defaultdict(list)
    for path, f in files.items():
        c = f["cols"]
        for r in f["data"]:
            first = first_non_empty(r)
            if first == contract.TOTAL_ROW_MARKER:
                n["total"] += 1
                continue
            if first is None:
                n["blank_" + f["source"]] += 1
                continue
            if any(isinstance(v, str) and re.search("[๐-๙]", v) for v in r):
                n["thai_" + f["source"]] += 1
            if f["source"] == "registrations":
                tax = r[c["tax_id"]]
                if re.fullmatch(r"\d\.\d{5}E\+1[12]", str(tax)):
                    n["scientific"] += 1
                    continue
                d = digits(tax)
                if len(d) == 12:
                    n["twelve"] += 1
                    assert ids.is_valid(np.array([int(d)]))[0], tax
                elif not ids.is_valid(np.array([int(d)]))[0]:
                    n["checksum"] += 1
                year = digits(r[c["fiscal_year"]])
                n["ce"] += year in ("2021", "2022")
                n["short"] += year in ("64", "65")
                fy = {"2021": 2564, "2022": 2565, "64": 2564, "65": 2565}.get(year, int(year) if year.isdigit() else 0)
                reg_ids[fy].append(d.zfill(13))
            elif f["source"] == "outcomes":
                n["percent"] += str(r[c["cost_reduction_thb"]]).endswith("%")
                sales = r[c["annual_sales_thb"]]
                if isinstance(sales, (int, float)) or re.fullmatch(r"[\d.]+", str(sales)):
                    n["million"] += float(sales) < 1000
    assert n["total"] == counts["plan_total_row"] + counts["spend_subtotal_row"]
    assert n["blank_spending"] == counts["spend_blank_row"]
    assert n["scientific"] == counts["reg_tax_id_scientific"]
    assert n["twelve"] == counts["reg_tax_id_12_digits"]
    assert n["checksum"] == counts["reg_tax_id_checksum"]
    assert n["ce"] == counts["reg_year_ce"] and n["short"] == counts["reg_year_short"]
    assert n["thai_registrations"] == counts["reg_thai_digits"]
    assert n["thai_spending"] == counts["spend_thai_digits"]
    assert n["thai_outcomes"] == counts["survey_thai_digits"]
    assert n["percent"] == counts["survey_cost_percentage"]
    assert n["million"] == counts["survey_million_baht"]
    # registrations: each accepted enterprise once; duplicates are the repeated tax IDs
    dups = sum(v - 1 for ids_ in reg_ids.values() for v in Counter(ids_).values() if v > 1)
    assert dups == counts["reg_duplicate"]


def test_duplicate_documents_in_later_files(truth, files):
    seen, dups = {}, []
    for path in sorted(p for p in files if p.startswith("spending/")):
        f = files[path]
        c = f["cols"]
        for i, r in enumerate(f["data"]):
            if first_non_empty(r) in (None, contract.TOTAL_ROW_MARKER):
                continue
            key = (r[c["office"]], digits(r[c["budget_fiscal_year"]])[-2:], str(r[c["document_no"]]).translate(THAI_DIGITS))
            if key in seen:
                dups.append((seen[key], path))
            else:
                seen[key] = path
    assert len(dups) == truth["defect_counts"]["spend_duplicate_document"]
    assert all(later > first for first, later in dups)


def test_duplicate_survey_rows_are_identical_copies(truth, files):
    n = 0
    for year in (2564, 2565):
        f = files[f"outcomes/outcome_survey_{year}.xlsx"]
        rows = [tuple(r) for r in f["data"]]
        first = {}
        for i, r in enumerate(rows):
            if r in first:
                n += 1
                assert first[r] < i
            else:
                first[r] = i
    assert n == truth["defect_counts"]["survey_duplicate"]


def test_province_variants_present(files):
    seen = set()
    for f in files.values():
        col = f["cols"].get("province", f["cols"].get("lead_province"))
        if col is not None:
            seen |= {r[col] for r in f["data"] if r[col] is not None}
    for v in ("กทม.", "กรุงเทพฯ", "Bangkok", "BKK", "Korat", "Chonburi", "Chon Buri"):
        assert v in seen, v
    assert any(v.startswith("จ.") for v in seen) and any(v.startswith("จังหวัด") for v in seen)


def test_dates_and_amount_layouts(files):
    """Every date layout of the contract occurs, and the amount layouts too."""
    seen = Counter()
    for path, f in files.items():
        c = f["cols"]
        for col in ("registered_on", "posted_on", "surveyed_on"):
            if col not in c:
                continue
            for r in f["data"]:
                v = r[c[col]]
                if v is None:
                    continue
                if isinstance(v, dt.datetime):
                    seen["cell_be" if v.year > 2400 else "cell_ce"] += 1
                elif isinstance(v, (int, float)) or re.fullmatch(r"\d{5}", str(v)):
                    seen["serial"] += 1
                elif re.fullmatch(r"\d{4}-\d\d-\d\d", v):
                    seen["iso_be"] += 1
                elif re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", v.translate(THAI_DIGITS)):
                    seen["dmy"] += 1
                elif re.fullmatch(r"\d{1,2} \S+\.\S*\. \d\d", v):
                    seen["thai_short"] += 1
                elif re.fullmatch(r"\d{1,2} \S+ \d{4}", v):
                    seen["thai_long"] += 1
                else:
                    raise AssertionError((path, col, v))
        if "amount_thb" in c:
            for r in f["data"]:
                v = r[c["amount_thb"]]
                if isinstance(v, str):
                    for name, pat in (("paren", r"\([\d,]+\.\d\d\)"), ("minus", r"-[\d,.]+"), ("baht", r"[\d,.]+ บาท"), ("dash", "-"), ("comma", r"\d{1,3}(,\d{3})+(\.\d\d)?")):
                        if re.fullmatch(pat, v):
                            seen[name] += 1
    for k in ("cell_be", "serial", "iso_be", "dmy", "thai_short", "thai_long", "paren", "minus", "baht", "dash", "comma"):
        assert seen[k] > 0, (k, seen)
