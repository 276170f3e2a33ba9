"""Value parsers of pipeline.ingest: every format example of docs/raw-data-contract.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest

from pipeline import contract
from pipeline.ingest import amounts, codes, dates, ids, names, provinces, text, years
from support import PROJECT_ROOT


def evaluate(parser: Callable[[pl.Expr], pl.Expr], value: str | None):
    """Run a vectorised parser on a one-value String column and return the result."""
    frame = pl.DataFrame({"value": [value]}, schema={"value": pl.String})
    return frame.select(parser(pl.col("value"))).to_series().to_list()[0]


def valid_tax_id(first12: str) -> str:
    weighted = sum(int(digit) * (13 - i) for i, digit in enumerate(first12))
    return first12 + str((11 - weighted % 11) % 10)


COMPANY_ID = valid_tax_id("010555618772")  # 0105556187729
PERSONAL_ID = valid_tax_id("310010012345")


# --- text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("๐๑๒๓๔๕๖๗๘๙", "0123456789"), ("ปี ๒๕๖๔", "ปี 2564"), ("2564", "2564"), (None, None)],
)
def test_thai_digits(raw, expected):
    assert evaluate(text.thai_digits, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  กาแฟ\u200bดี  ", "กาแฟดี"),
        ("บริษัท  กาแฟ   ดี จำกัด", "บริษัท กาแฟ ดี จำกัด"),
        ("\ufeffชื่อ\u200c\u200d", "ชื่อ"),
        ("a\tb\u00a0c", "a b c"),
        ("   ", None),
        ("\u200b", None),
        (None, None),
    ],
)
def test_clean_text(raw, expected):
    assert evaluate(text.clean_text, raw) == expected


def test_text_was_cleaned_only_when_changed():
    assert evaluate(text.text_was_cleaned, " ก ") is True
    assert evaluate(text.text_was_cleaned, "ก") is False
    assert evaluate(text.text_was_cleaned, None) is False


# --- years -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "year", "repair"),
    [
        ("2564", 2564, None),
        ("2021", 2564, "year_ce"),
        ("64", 2564, "year_short"),
        ("๒๕๖๔", 2564, None),
        ("๖๕", 2565, "year_short"),
        (" 2565 ", 2565, None),
        ("2564.0", 2564, None),
        ("พ.ศ. 2564", 2564, None),
        ("3000", None, None),
        ("2399", None, None),
        ("1800", None, None),
        ("256", None, None),
        ("abc", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_year(raw, year, repair):
    assert evaluate(years.year_be, raw) == year
    assert evaluate(years.year_repair, raw) == repair


# --- dates -------------------------------------------------------------------------------

MARCH_15 = dt.date(2021, 3, 15)
THAI_MONTHS = [
    ("มกราคม", "ม.ค."), ("กุมภาพันธ์", "ก.พ."), ("มีนาคม", "มี.ค."), ("เมษายน", "เม.ย."),
    ("พฤษภาคม", "พ.ค."), ("มิถุนายน", "มิ.ย."), ("กรกฎาคม", "ก.ค."), ("สิงหาคม", "ส.ค."),
    ("กันยายน", "ก.ย."), ("ตุลาคม", "ต.ค."), ("พฤศจิกายน", "พ.ย."), ("ธันวาคม", "ธ.ค."),
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15/03/2564", MARCH_15),
        ("15 มี.ค. 64", MARCH_15),
        ("15 มีนาคม 2564", MARCH_15),
        ("2564-03-15", MARCH_15),
        ("2564-03-15 00:00:00", MARCH_15),  # an Excel date cell holding a BE year
        ("2021-03-15", MARCH_15),
        ("2021-03-15 00:00:00", MARCH_15),  # an Excel date cell holding a CE year
        ("44270", MARCH_15),  # Excel serial number
        ("15/03/2021", MARCH_15),
        ("15/03/64", MARCH_15),
        ("๑๕/๐๓/๒๕๖๔", MARCH_15),
        ("๑๕ มี.ค. ๖๔", MARCH_15),
        ("15 มีค 64", MARCH_15),
        ("15 มี.ค.2564", MARCH_15),
        ("15 มีนาคม พ.ศ. 2564", MARCH_15),
        (" 15/3/2564 ", MARCH_15),
        ("15-03-2564", MARCH_15),
        ("1/10/2563", dt.date(2020, 10, 1)),  # day-first always
        ("31/02/2564", None),
        ("29/02/2563", dt.date(2020, 2, 29)),
        ("29/02/2564", None),
        ("15/13/2564", None),
        ("3000-01-01", None),
        ("15/03/3000", None),
        ("2564", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(raw, expected):
    assert evaluate(dates.parse_date, raw) == expected


@pytest.mark.parametrize(("month", "number"), [(m, i) for i, m in enumerate(THAI_MONTHS, start=1)])
def test_every_thai_month_name(month, number):
    long_name, short_name = month
    expected = dt.date(2020 if number >= 10 else 2021, number, 1)
    be_year = expected.year + 543
    assert evaluate(dates.parse_date, f"1 {long_name} {be_year}") == expected
    assert evaluate(dates.parse_date, f"1 {short_name} {be_year % 100}") == expected
    assert evaluate(dates.parse_date, f"1 {short_name.replace('.', '')} {be_year}") == expected


def test_excel_serial_date_repair():
    assert evaluate(dates.date_repair, "44270") == "excel_serial_date"
    assert evaluate(dates.date_repair, "15/03/2564") is None
    assert evaluate(dates.date_repair, "99999") is None  # year 2173: not a date


# --- amounts, integers, percentages ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,250,000.00", 1_250_000.0),
        ("1,250,000", 1_250_000.0),
        ("12,000 บาท", 12_000.0),
        ("(15,000.00)", -15_000.0),
        ("-15,000.00", -15_000.0),
        ("-", 0.0),
        ("๑,๒๕๐,๐๐๐", 1_250_000.0),
        ("1250000", 1_250_000.0),
        ("1250000.5", 1_250_000.5),
        ("  300,000  ", 300_000.0),
        ("", None),
        ("   ", None),
        (None, None),
        ("abc", None),
        ("1,2,3", None),
        ("15%", None),
    ],
)
def test_parse_amount(raw, expected):
    assert evaluate(amounts.parse_amount, raw) == expected


def test_amount_out_of_range_is_flagged_not_dropped():
    assert evaluate(amounts.parse_amount, "1e308") == 1e308
    frame = pl.DataFrame({"amount": [1e308, -2e12, 1e12, 5.0, None]})
    flagged = frame.select(amounts.amount_out_of_range(pl.col("amount"))).to_series().to_list()
    assert flagged == [True, True, False, False, None]


def test_million_baht_scaling():
    frame = pl.DataFrame({"amount": [1.5]})
    assert frame.select(amounts.in_million_baht(pl.col("amount"))).item() == 1_500_000.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("5", 5), ("5 คน", 5), ("๕", 5), ("12 ราย", 12), ("1,200", 1200), ("5.0", 5),
     ("-3", None), ("3.5", None), ("abc", None), ("", None), (None, None)],
)
def test_parse_integer(raw, expected):
    assert evaluate(amounts.parse_integer, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("15%", True), ("12.5 %", True), ("๑๕%", True), ("15,000", False), (None, False)]
)
def test_is_percentage(raw, expected):
    assert evaluate(amounts.is_percentage, raw) is expected


# --- tax IDs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "tax_id", "status"),
    [
        (COMPANY_ID, COMPANY_ID, "ok"),
        ("0-1055-56187-72-9", COMPANY_ID, "ok"),
        ("0 1055 56187 72 9", COMPANY_ID, "ok"),
        ("๐๑๐๕๕๕๖๑๘๗๗๒๙", COMPANY_ID, "ok"),
        (COMPANY_ID[1:], COMPANY_ID, "repaired"),  # 12 digits: Excel lost the leading zero
        ("1.05554E+12", None, "unreadable"),
        ("1.05554e12", None, "unreadable"),
        (COMPANY_ID[:-1] + "0", COMPANY_ID[:-1] + "0", "checksum"),
        (PERSONAL_ID, PERSONAL_ID, "ok"),
        ("12345", None, "invalid"),
        ("abc", None, "invalid"),
        ("", None, "missing"),
        (None, None, "missing"),
    ],
)
def test_tax_id(raw, tax_id, status):
    assert evaluate(ids.normalise_tax_id, raw) == tax_id
    assert evaluate(ids.tax_id_status, raw) == status


def test_tax_id_check_digit_matches_the_contract_formula():
    assert COMPANY_ID == "0105556187729"
    frame = pl.DataFrame({"id": [COMPANY_ID, "0105556187720", PERSONAL_ID]})
    assert frame.select(ids.tax_id_check_digit_ok(pl.col("id"))).to_series().to_list() == [True, False, True]


def test_twelve_digits_that_do_not_validate_with_a_zero_are_invalid():
    twelve = COMPANY_ID[1:-1] + str((int(COMPANY_ID[-1]) + 1) % 10)
    assert evaluate(ids.tax_id_status, twelve) == "invalid"


def test_juristic_means_first_digit_zero():
    frame = pl.DataFrame({"id": [COMPANY_ID, PERSONAL_ID, None]})
    assert frame.select(ids.is_juristic_tax_id(pl.col("id"))).to_series().to_list() == [True, False, None]


# --- community-enterprise codes, TSIC, names ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code", "province_code"),
    [
        ("5-90-11-18/1-0012", "590111810012", "90"),
        ("590111810012", "590111810012", "90"),
        ("๕-๙๐-๑๑-๑๘/๑-๐๐๑๒", "590111810012", "90"),
        (" 5-90-11-18/1-0012 ", "590111810012", "90"),
        ("5-90-11-18/1-001", None, None),
        ("", None, None),
    ],
)
def test_community_enterprise_code(raw, code, province_code):
    assert evaluate(ids.normalise_community_enterprise_code, raw) == code
    parsed = pl.DataFrame({"code": [code]}, schema={"code": pl.String})
    assert parsed.select(ids.community_enterprise_province_code(pl.col("code"))).item() == province_code


@pytest.mark.parametrize(
    ("raw", "code", "repair"),
    [("10750", "10750", None), ("1075", "01075", "tsic_leading_zero"), ("๑๐๗๕๐", "10750", None),
     ("1075.0", "01075", "tsic_leading_zero"), ("107", None, None), ("", None, None)],
)
def test_tsic(raw, code, repair):
    assert evaluate(ids.normalise_tsic, raw) == code
    assert evaluate(ids.tsic_repair, raw) == repair


@pytest.mark.parametrize(
    ("raw", "expected", "repair"),
    [
        ("บจก.กาแฟดอย", "บริษัท กาแฟดอย จำกัด", "name_abbreviation"),
        ("บจก. กาแฟดอย", "บริษัท กาแฟดอย จำกัด", "name_abbreviation"),
        ("บจก.กาแฟดอย จำกัด", "บริษัท กาแฟดอย จำกัด", "name_abbreviation"),
        ("หจก.สมุนไพรไทย", "ห้างหุ้นส่วนจำกัด สมุนไพรไทย", "name_abbreviation"),
        ("หจก. สมุนไพรไทย", "ห้างหุ้นส่วนจำกัด สมุนไพรไทย", "name_abbreviation"),
        ("บริษัท กาแฟดอย จำกัด", "บริษัท กาแฟดอย จำกัด", None),
        ("  วิสาหกิจชุมชน\u200b  ผึ้งหลวง ", "วิสาหกิจชุมชน ผึ้งหลวง", None),
    ],
)
def test_enterprise_names(raw, expected, repair):
    assert evaluate(names.expand_legal_form, raw) == expected
    assert evaluate(names.name_repair, raw) == repair


# --- provinces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso", "alias"),
    [
        ("กรุงเทพมหานคร", "TH-10", False),
        ("กรุงเทพฯ", "TH-10", True),
        ("กทม.", "TH-10", True),
        ("Bangkok", "TH-10", True),
        ("BKK", "TH-10", True),
        ("bangkok", "TH-10", True),
        ("Krung Thep Maha Nakhon", "TH-10", True),
        ("ชลบุรี", "TH-20", False),
        ("จ.ชลบุรี", "TH-20", True),
        ("จังหวัดชลบุรี", "TH-20", True),
        ("Chonburi", "TH-20", True),
        ("Chon Buri", "TH-20", True),
        ("CHON BURI", "TH-20", True),
        ("Korat", "TH-30", True),
        ("นครราชสีมา", "TH-30", False),
        ("Ayutthaya", "TH-14", True),
        ("Phuket", "TH-83", True),
        ("ภูเก็ต", "TH-83", False),
        ("เชียงใหม่", "TH-50", False),
        ("Chiang Mai", "TH-50", True),
        ("ชม", "TH-50", True),
        ("CMI", "TH-50", True),
        ("จันทบุรี", "TH-22", False),  # starts with จ but is not the จ. prefix
        ("Atlantis", None, False),
        ("", None, False),
    ],
)
def test_province(raw, iso, alias):
    assert evaluate(provinces.province_iso, raw) == iso
    assert evaluate(provinces.province_repair, raw) == ("province_alias" if alias else None)


def test_every_reference_spelling_finds_its_province():
    reference = provinces.provinces()
    assert reference.height == 77
    for column in ("name_th", "name_en_iso", "name_en_common", "abbr_th", "abbr_en"):
        found = reference.select(provinces.province_iso(pl.col(column))).to_series()
        assert found.to_list() == reference["iso_3166_2"].to_list(), column


# --- coded values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"), [("ใช่", True), ("Y", True), ("y", True), ("/", True), ("✓", True),
                          ("", False), (None, False), ("ไม่", False), ("maybe", None)]
)
def test_consent(raw, expected):
    assert evaluate(codes.consent, raw) is expected


@pytest.mark.parametrize(
    ("mapping", "raw", "expected"),
    [
        (contract.ENTITY_TYPES, "บริษัทจำกัด", "company"),
        (contract.ENTITY_TYPES, "วิสาหกิจชุมชน", "community_enterprise"),
        (contract.BUSINESS_SECTORS, "การค้า / บริการ", "trade_services"),
        (contract.TRANSACTION_TYPES, "คืนเงิน", "refund"),
        (contract.ACTIVITIES, "ต้นแบบ/3D printing", "prototyping"),
        (contract.CLUSTER_STATUSES, " ยุบรวม ", "merged"),
        (contract.SURVEY_ROUNDS, "หลังเข้าร่วม", "after"),
        (contract.SECTORS, "กาแฟ", "coffee"),
        (contract.SECTORS, "ชา", None),
    ],
)
def test_coded_values(mapping, raw, expected):
    assert evaluate(lambda e: codes.coded_value(e, mapping), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("กสอ.", "กสอ."), ("ศภ.1", "ศภ.1"), ("ศภ. 11", "ศภ.11"), ("ipc3", "ศภ.3"), ("ศภ.12", None)]
)
def test_office(raw, expected):
    assert evaluate(codes.office_code, raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("ITC", "ITC"), ("sme rescue", "SME Rescue"), ("กสอ.", "กสอ."), ("X", None)])
def test_channel(raw, expected):
    assert evaluate(codes.channel_code, raw) == expected


def test_certifications_split_on_semicolons():
    assert evaluate(codes.certification_list, "อย.;มผช.;GMP;ฮาลาล;ISO 13485") == [
        "อย.", "มผช.", "GMP", "ฮาลาล", "ISO 13485"
    ]
    assert evaluate(codes.certification_list, " GMP ; ") == ["GMP"]


@pytest.mark.parametrize(
    ("raw", "expected", "is_code"),
    [("CL64-007", "CL64-007", True), ("cl64-007 ", "CL64-007", True),
     ("คลัสเตอร์กาแฟเชียงใหม่", "คลัสเตอร์กาแฟเชียงใหม่", False), (None, None, False)],
)
def test_cluster_ref(raw, expected, is_code):
    assert evaluate(codes.cluster_ref, raw) == expected
    assert evaluate(lambda e: codes.is_cluster_code(codes.cluster_ref(e)), raw) is is_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("15,000.00-", -15_000.0), ("+500", 500.0), ("-1,000-", None), ("(-5)", None), ("\u22121,000", -1_000.0),
     ("\u2013", 0.0), ("1,000.50 THB", 1_000.5), ("฿ 500", 500.0)],
)
def test_parse_amount_other_ledger_layouts(raw, expected):
    assert evaluate(amounts.parse_amount, raw) == expected
