"""read_raw_file and normalise on small hand-written CSV and xlsx files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import polars.testing
import pytest

from pipeline import contract
from pipeline.ingest import FileRejected, normalise, read_raw_file
from pipeline.ingest import read as read_module
from pipeline.ingest.normalise import normalise_files

REGISTRATION_HEADERS = [c.thai for c in contract.REGISTRATIONS.columns]
COMPANY_ID = "0105556187729"


def registration_row(application_no: str, **overrides: str) -> list[str]:
    values = {
        "application_no": application_no,
        "registered_on": "15/03/2564",
        "fiscal_year": "2564",
        "cluster_code": "CL64-001",
        "entity_type": "บริษัทจำกัด",
        "tax_id": COMPANY_ID,
        "community_enterprise_code": "",
        "enterprise_name_th": "บริษัท กาแฟดอย จำกัด",
        "province": "เชียงใหม่",
        "tsic_code": "10750",
        "business_sector": "การผลิต",
        "employees": "12",
        "annual_revenue_thb": "1,250,000.00",
        "contact_name": "สมชาย ใจดี",
        "phone": "0812345678",
        "email": "a@example.com",
        "pdpa_consent": "ใช่",
    }
    values.update(overrides)
    return [values[c] for c in contract.REGISTRATIONS.canonical_names]


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_text(rows).encode(encoding))
    return path


def raw_values(read, row_number: int) -> dict:
    return read.raw_values(read.data.filter(pl.col("_row_number") == row_number).row(0, named=True))


# --- CSV -----------------------------------------------------------------------------------


def test_cp874_csv_with_title_blank_total_rows_and_an_extra_column(tmp_path):
    rows = [
        ["ทะเบียนผู้ประกอบการ ศภ.1 ปีงบประมาณ 2564"],  # row 1: title
        ["หน่วย: ราย"],  # row 2: title
        REGISTRATION_HEADERS + ["หมายเหตุภายใน"],  # row 3: header
        registration_row("A-001") + ["โทรกลับ"],  # row 4
        [""] * 18,  # row 5: blank
        registration_row("A-002", enterprise_name_th="บจก.ชาดี", province="Korat") + [""],  # row 6
        ["รวม", "", "", "", "", "", "", "", "", "", "", "", "2,500,000.00"],  # row 7: total
    ]
    path = write_csv(tmp_path / "raw" / "registrations" / "registrations_ipc1_2564.csv", rows, "cp874")

    read = read_raw_file(path, contract.REGISTRATIONS, tmp_path / "raw")

    assert read.encoding == "cp874"
    assert read.file_format == "csv"
    assert read.relative_path == "registrations/registrations_ipc1_2564.csv"
    assert read.header_row_number == 3
    assert read.title_rows == 2
    assert read.header_language == "th"
    assert read.size_bytes == path.stat().st_size
    assert len(read.sha256) == 64
    assert read.data["_row_number"].to_list() == [4, 5, 6, 7]
    assert read.data["_row_kind"].to_list() == ["data", "blank_row", "data", "total_row"]
    assert read.row_kind_counts() == {"data": 2, "blank_row": 1, "total_row": 1, "title_row": 2}
    assert read.data["_sheet"].to_list() == [None] * 4
    assert read.extra_columns == ["หมายเหตุภายใน"]
    assert json.loads(read.data["_extra"][0]) == {"หมายเหตุภายใน": "โทรกลับ"}
    assert read.data["_extra"][2] is None  # extra column blank in that row
    assert raw_values(read, 6)["ชื่อสถานประกอบการ"] == "บจก.ชาดี"
    assert read.data["pdpa_consent"][0] == "ใช่"  # no `\r` left from the CRLF line ends
    assert read.data.columns[: len(contract.REGISTRATIONS.canonical_names)] == contract.REGISTRATIONS.canonical_names

    typed = normalise(contract.REGISTRATIONS, read)
    second = typed.filter(pl.col("_row_number") == 6).to_dicts()[0]
    assert second["enterprise_name_th"] == "บริษัท ชาดี จำกัด"
    assert second["province_iso"] == "TH-30"
    assert sorted(second["_repairs"]) == ["name_abbreviation", "province_alias"]
    assert second["_file_year"] == 2564


def test_utf8_bom_csv_with_english_headers_in_odd_case_and_shuffled_order(tmp_path):
    canonical = contract.REGISTRATIONS.canonical_names
    order = list(reversed(canonical))
    headers = [name.upper().replace("_", " ") if i % 2 else name.title() for i, name in enumerate(order)]
    row = dict(zip(canonical, registration_row("B-9", tax_id="0-1055-56187-72-9"), strict=True))
    path = tmp_path / "b.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([headers, [row[c] for c in order]]).encode("utf-8"))

    read = read_raw_file(path, contract.REGISTRATIONS, tmp_path)

    assert read.encoding == "utf-8-sig"
    assert read.header_language == "en"
    assert read.header_row_number == 1
    assert read.data["application_no"].to_list() == ["B-9"]
    assert read.data["tax_id"].to_list() == ["0-1055-56187-72-9"]
    typed = normalise(contract.REGISTRATIONS, read)
    assert typed["tax_id"].to_list() == [COMPANY_ID]
    assert typed["tax_id_status"].to_list() == ["ok"]


def test_plain_utf8_csv_with_mixed_headers_and_missing_optional_columns(tmp_path):
    required = [c for c in contract.REGISTRATIONS.columns if c.required]
    headers = [c.thai if i % 2 else c.canonical for i, c in enumerate(required)]
    values = dict(zip(contract.REGISTRATIONS.canonical_names, registration_row("C-1"), strict=True))
    path = write_csv(tmp_path / "c.csv", [headers, [values[c.canonical] for c in required]])

    read = read_raw_file(path, contract.REGISTRATIONS, tmp_path)

    assert read.encoding == "utf-8"
    assert read.header_language == "mixed"
    assert read.data["email"].to_list() == [None]  # optional column absent -> null
    assert read.data.schema["email"] == pl.String


def test_csv_ragged_rows_and_a_quoted_multiline_cell_keep_record_numbers(tmp_path):
    header = REGISTRATION_HEADERS
    plain = {"annual_revenue_thb": "1250000"}  # rows are joined by hand: no commas inside values
    text = (
        "สรุป\n"  # a 1-field title row must not narrow the table
        + ",".join(header) + "\n"
        + ",".join(registration_row("R-1", **plain)[:5]) + "\n"  # short row
        + ",".join(registration_row("R-2", enterprise_name_th='"กาแฟ\nดอย"', **plain)) + ",x,y\n"  # long row
        + ",".join(registration_row("R-3", **plain)) + "\n"
    )
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")

    read = read_raw_file(path, contract.REGISTRATIONS, tmp_path)

    assert read.data["_row_number"].to_list() == [3, 4, 5]
    assert read.data["application_no"].to_list() == ["R-1", "R-2", "R-3"]
    assert read.data["enterprise_name_th"][1] == "กาแฟ\nดอย"
    assert read.data["tax_id"][0] is None
    assert json.loads(read.data["_extra"][1]) == {"_column_18": "x", "_column_19": "y"}


def test_a_complete_row_whose_name_starts_with_ruam_is_data(tmp_path):
    canonical = contract.REGISTRATIONS.canonical_names
    order = ["enterprise_name_th"] + [c for c in canonical if c != "enterprise_name_th"]
    values = dict(zip(canonical, registration_row("D-1", enterprise_name_th="รวมใจพัฒนา"), strict=True))
    headers = {c.canonical: c.thai for c in contract.REGISTRATIONS.columns}
    path = write_csv(tmp_path / "d.csv", [[headers[c] for c in order], [values[c] for c in order], ["รวม 1 ราย"]])

    read = read_raw_file(path, contract.REGISTRATIONS, tmp_path)

    assert read.data["_row_kind"].to_list() == ["data", "total_row"]


def test_headers_only_is_accepted_with_no_rows(tmp_path):
    path = write_csv(tmp_path / "h.csv", [REGISTRATION_HEADERS])
    read = read_raw_file(path, contract.REGISTRATIONS, tmp_path)
    assert read.data.height == 0
    assert normalise(contract.REGISTRATIONS, read).height == 0


# --- xlsx ----------------------------------------------------------------------------------


def write_spending_workbook(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "ledger"
    # Row 1 left empty on purpose: calamine drops leading empty rows unless told not to.
    sheet["B2"] = "รายงานการเบิกจ่าย ปีงบประมาณ 2564"
    sheet["B3"] = "หน่วย: บาท"
    headers = [c.thai for c in contract.SPENDING.columns]
    for column, header in enumerate(headers, start=2):  # table starts in column B
        sheet.cell(4, column, header)
    base = {
        "budget_fiscal_year": 2564,
        "document_no": "DOC-1",
        "transaction_type": "เบิกจ่าย",
        "office": "ศภ.1",
        "cluster_code": "CL64-001",
        "activity": "วัสดุ",
        "channel": "ITC",
        "amount_thb": 1250000,
    }
    rows = [
        {**base, "posted_on": dt.datetime(2564, 3, 15)},  # a BE year typed into a date cell
        {**base, "document_no": "DOC-2", "posted_on": 44270},  # serial number in a General cell
        {**base, "document_no": "DOC-3", "posted_on": "15/03/2564", "amount_thb": "(15,000.00)",
         "transaction_type": "คืนเงิน"},
    ]
    for offset, row in enumerate(rows):
        for column, name in enumerate(contract.SPENDING.canonical_names, start=2):
            if name in row:
                sheet.cell(5 + offset, column, row[name])
    sheet.cell(9, 2, "รวม")  # row 8 blank, row 9 subtotal
    sheet.cell(9, 11, 2485000)
    notes = workbook.create_sheet("notes")
    notes["A1"] = "คำอธิบาย"
    workbook.save(path)


def openpyxl_row_of(path: Path, value: str) -> int:
    sheet = openpyxl.load_workbook(path).active
    return next(cell.row for row in sheet.iter_rows() for cell in row if cell.value == value)


def test_xlsx_row_numbers_dates_and_serials(tmp_path):
    path = tmp_path / "spending" / "spending_2564_03.xlsx"
    path.parent.mkdir()
    write_spending_workbook(path)

    read = read_raw_file(path, contract.SPENDING, tmp_path)

    assert read.file_format == "xlsx"
    assert read.encoding is None
    assert read.sheets == ["ledger"]
    assert read.ignored_sheets == ["notes"]
    assert read.header_row_number == openpyxl_row_of(path, "ปีงบประมาณ") == 4
    assert read.title_rows == 3
    data = read.data
    assert data["_sheet"].unique().to_list() == ["ledger"]
    for document in ("DOC-1", "DOC-2", "DOC-3"):
        row_number = data.filter(pl.col("document_no") == document)["_row_number"].item()
        assert row_number == openpyxl_row_of(path, document)
    assert data["_row_kind"].to_list() == ["data", "data", "data", "blank_row", "total_row"]
    assert data["posted_on"][:2].to_list() == ["2564-03-15 00:00:00", "44270"]
    assert data["amount_thb"][0] == "1250000"
    assert data["budget_fiscal_year"][0] == "2564"

    typed = normalise(contract.SPENDING, read).filter(pl.col("_row_kind") == "data")
    assert typed["posted_on"].to_list() == [dt.date(2021, 3, 15)] * 3
    assert typed["_repairs"].to_list() == [[], ["excel_serial_date"], []]
    assert typed["amount_thb"].to_list() == [1_250_000.0, 1_250_000.0, -15_000.0]
    assert typed["transaction_type"].to_list() == ["disbursement", "disbursement", "refund"]
    assert typed["office"].to_list() == ["ศภ.1"] * 3
    assert typed["_file_year"].to_list() == [2564] * 3


def test_xlsx_million_baht_header_is_repaired(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["แผนการพัฒนาคลัสเตอร์ ปีงบประมาณ 2564"])
    headers = [c.thai for c in contract.CLUSTER_PLANS.columns]
    headers[headers.index("งบประมาณที่ได้รับจัดสรร (บาท)")] = "งบประมาณที่ได้รับจัดสรร (ล้านบาท)"
    sheet.append(headers)
    sheet.append([1, "CL64-001", "", "คลัสเตอร์กาแฟเชียงใหม่", "", "เกษตรแปรรูป/ชุมชน", "กาแฟ",
                  "จ.เชียงใหม่", "ศภ.1", 0.75, 25, 40, "ดำเนินการ"])
    sheet.append(["รวม", "", "", "", "", "", "", "", "", 0.75])
    path = tmp_path / "cluster_plan_2564.xlsx"
    workbook.save(path)

    read = read_raw_file(path, contract.CLUSTER_PLANS, tmp_path)
    typed = normalise(contract.CLUSTER_PLANS, read)

    assert read.million_baht_columns == ["budget_allocated_thb"]
    plan = typed.filter(pl.col("_row_kind") == "data").to_dicts()[0]
    assert plan["budget_allocated_thb"] == 750_000.0
    assert plan["target_economic_value_mthb"] == 40.0
    assert plan["lead_province_iso"] == "TH-50"
    assert plan["status"] == "active"
    assert plan["cluster_group"] == "agro_community"
    assert plan["sector"] == "coffee"
    assert plan["predecessor_code"] is None
    assert sorted(plan["_repairs"]) == ["amount_million_baht", "province_alias"]
    assert typed.filter(pl.col("_row_kind") == "total_row")["_repairs"].to_list() == [[]]


def test_xlsx_content_decides_the_format(tmp_path):
    source = tmp_path / "x.xlsx"
    write_spending_workbook(source)
    renamed = tmp_path / "spending_2564_04.csv"
    renamed.write_bytes(source.read_bytes())
    assert read_raw_file(renamed, contract.SPENDING, tmp_path).file_format == "xlsx"


# --- outcomes --------------------------------------------------------------------------------


def test_outcomes_enterprise_ref_percentage_and_certifications(tmp_path):
    headers = [c.thai for c in contract.OUTCOMES.columns]
    rows = [
        headers,
        ["S1", "2564", "CL64-001", COMPANY_ID[1:], "ก่อนเข้าร่วม", "1 ธ.ค. 63", "1,000,000", "15%", "0",
         "5", "1", "อย.;GMP", "1,200,000"],
        ["S2", "2564", "CL64-001", "5-90-11-18/1-0012", "หลังเข้าร่วม", "15/08/2564", "2,000,000",
         "abc", "-", "6", "2", "", ""],
    ]
    path = write_csv(tmp_path / "o.csv", rows)
    typed = normalise(contract.OUTCOMES, read_raw_file(path, contract.OUTCOMES, tmp_path))
    first, second = typed.to_dicts()

    assert first["enterprise_ref"] == COMPANY_ID
    assert first["enterprise_ref_kind"] == "tax_id"
    assert "tax_id_leading_zero" in first["_repairs"]
    assert first["cost_reduction_is_percentage"] is True
    assert first["cost_reduction_thb"] is None
    assert first["cost_reduction_thb_invalid"] is False
    assert first["certifications"] == ["อย.", "GMP"]
    assert first["round"] == "baseline"
    assert first["surveyed_on"] == dt.date(2020, 12, 1)
    assert second["enterprise_ref"] == "590111810012"
    assert second["enterprise_ref_kind"] == "community_enterprise_code"
    assert second["cost_reduction_thb_invalid"] is True
    assert second["new_investment_thb"] == 0.0
    assert second["reported_economic_value_thb"] is None
    assert second["reported_economic_value_thb_invalid"] is False


# --- rejections ----------------------------------------------------------------------------


def rejection(path: Path, source: contract.Source = contract.REGISTRATIONS) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_raw_file(path, source, path.parent)
    assert path.name in caught.value.message
    return caught.value


def test_zero_byte_file_is_file_empty(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert rejection(path).code == "file_empty"


def test_file_with_only_blank_lines_is_file_empty(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n , ,\n\n", encoding="utf-8")
    assert rejection(path).code == "file_empty"


def test_binary_renamed_csv_is_file_unreadable(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert rejection(path).code == "file_unreadable"
    path.write_bytes(bytes(range(256)) * 4)  # no known signature, NUL bytes
    assert rejection(path).code == "file_unreadable"


def test_truncated_xlsx_is_file_unreadable(tmp_path):
    whole = tmp_path / "whole.xlsx"
    write_spending_workbook(whole)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(whole.read_bytes()[:1500])
    assert rejection(truncated, contract.SPENDING).code == "file_unreadable"


def test_zip_that_is_not_a_workbook_is_file_unreadable(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert rejection(path, contract.SPENDING).code == "file_unreadable"


def test_text_named_xlsx_is_file_unreadable(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_text(",".join(REGISTRATION_HEADERS), encoding="utf-8")
    assert rejection(path).code == "file_unreadable"


@pytest.mark.parametrize(
    "content",
    [
        "ชื่อ,ค่า\nกาแฟ,1\n".encode("utf-8")[:-4] + b"\xff\xfe\n",  # invalid UTF-8, 0xFF undefined in cp874
        "name,note\ncafé,naïve résumé déjà vu\n".encode("latin-1"),  # decodes as cp874 but is not Thai
        "a,b\n1,2\n".encode("utf-16"),
    ],
)
def test_unknown_encoding(tmp_path, content):
    path = tmp_path / "latin.csv"
    path.write_bytes(content)
    assert rejection(path).code == "encoding_unknown"


# cp874 is converted and checked a slice at a time; small slices here, so rows straddle the cuts.
SMALL_SLICE = 1000


def test_a_cp874_file_of_several_slices_reads_as_its_utf8_twin(tmp_path, monkeypatch):
    monkeypatch.setattr(read_module, "_CP874_SLICE", SMALL_SLICE)
    rows = [REGISTRATION_HEADERS] + [registration_row(f"A-{n:05d}") for n in range(60)]
    cp874 = write_csv(tmp_path / "raw" / "registrations" / "cp874.csv", rows, "cp874")
    utf8 = write_csv(tmp_path / "raw" / "registrations" / "utf8.csv", rows, "utf-8")
    assert cp874.stat().st_size > 2 * read_module._CP874_SLICE
    as_cp874 = read_raw_file(cp874, contract.REGISTRATIONS, tmp_path / "raw")
    as_utf8 = read_raw_file(utf8, contract.REGISTRATIONS, tmp_path / "raw")
    assert as_cp874.encoding == "cp874"
    polars.testing.assert_frame_equal(as_cp874.data, as_utf8.data)


def test_a_cp874_file_is_judged_on_all_its_slices(tmp_path, monkeypatch):
    monkeypatch.setattr(read_module, "_CP874_SLICE", SMALL_SLICE)
    thai_head = "\n".join(",".join(row) for row in [REGISTRATION_HEADERS] + [registration_row("A-1")] * 30)
    head = (thai_head + "\n").encode("cp874")
    assert len(head) > read_module._CP874_SLICE
    undefined = tmp_path / "undefined.csv"
    undefined.write_bytes(head + b"\xff\n")
    assert f"byte {len(head)} undecodable" in rejection(undefined).message
    # Latin-1 accents after the first slice: more than 1 % of the text decodes to stray marks.
    latin = tmp_path / "latin_tail.csv"
    latin.write_bytes(head + ("café " * (len(head) // 100)).encode("latin-1"))
    assert rejection(latin).code == "encoding_unknown"
    # A Thai mark that opens a slice after a Thai letter is no stray mark.
    text = "ก" * read_module._CP874_SLICE + "ั" * 5
    assert read_module._cp874_to_utf8(text.encode("cp874"), "cut.csv") == text.encode("utf-8")


def test_header_not_found(tmp_path):
    rows = [["ไม่มีหัวตาราง"]] * 3 + [["a", "b", "c"]] * 12
    path = write_csv(tmp_path / "noheader.csv", rows)
    assert rejection(path).code == "header_not_found"


def test_header_beyond_row_ten_is_not_found(tmp_path):
    rows = [["ชื่อเรื่อง"]] * 10 + [REGISTRATION_HEADERS, registration_row("Z-1")]
    path = write_csv(tmp_path / "late.csv", rows)
    assert rejection(path).code == "header_not_found"


def test_required_column_missing_names_the_column(tmp_path):
    headers = [h for h in REGISTRATION_HEADERS if h not in ("เลขประจำตัวผู้เสียภาษี", "จังหวัด")]
    path = write_csv(tmp_path / "missing.csv", [headers])
    rejected = rejection(path)
    assert rejected.code == "required_columns_missing"
    assert "tax_id" in rejected.message and "province" in rejected.message
    assert "เลขประจำตัวผู้เสียภาษี" in rejected.message


def test_csv_record_wider_than_any_single_line_is_not_truncated(tmp_path):
    # Each physical line has fewer separators than the header, but the quoted multi-line record
    # as a whole is wider: the reader must widen, not cut the trailing fields.
    row = registration_row("W-1", annual_revenue_thb="1250000")
    head, tail = ",".join(row[:10]), ",".join(row[10:] + [f"extra{i}" for i in range(12)])
    text = ",".join(REGISTRATION_HEADERS) + "\n" + head + ',"note\nline two",' + tail + "\n"
    path = tmp_path / "wide.csv"
    path.write_text(text, encoding="utf-8")

    read = read_raw_file(path, contract.REGISTRATIONS, tmp_path)

    extra = json.loads(read.data["_extra"].item())
    assert extra["_column_30"] == "extra11"  # 10 + note + 7 + 12 fields
    assert read.data["tax_id"].item() == COMPANY_ID


@pytest.mark.parametrize("source", contract.SOURCES, ids=lambda s: s.name)
def test_every_header_spelling_is_unambiguous(source):
    from pipeline.ingest.read import header_lookup

    lookup = header_lookup(source)
    # Thai + canonical per column, plus a million-baht variant per `(บาท` / `_thb` column.
    expected = 2 * len(source.columns) + sum(
        ("(บาท" in c.thai) + c.canonical.endswith("_thb") for c in source.columns
    )
    assert lookup.height == expected
    assert lookup["key"].n_unique() == lookup.height


def test_bom_does_not_hide_the_first_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([REGISTRATION_HEADERS, registration_row("E-1")]).encode())
    read = read_raw_file(path, contract.REGISTRATIONS, tmp_path)
    assert read.data["application_no"].to_list() == ["E-1"]  # the first column, right after the BOM
    assert "เลขที่ใบสมัคร" in raw_values(read, 2)


def test_workbook_with_only_empty_sheets_is_file_empty(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.create_sheet("second")
    path = tmp_path / "empty.xlsx"
    workbook.save(path)
    assert rejection(path).code == "file_empty"


def test_xlsx_headers_only_is_accepted_with_no_rows(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append([c.thai for c in contract.OUTCOMES.columns])
    path = tmp_path / "outcome_survey_2564.xlsx"
    workbook.save(path)
    read = read_raw_file(path, contract.OUTCOMES, tmp_path)
    assert read.data.height == 0
    assert read.header_row_number == 1


@pytest.mark.parametrize("source", contract.SOURCES, ids=lambda source: source.name)
def test_files_normalised_together_are_each_as_normalised_alone(source, tmp_path):
    """Every committed sample file of the source, plus (for the plans) one in million baht:
    landing normalises small files in one pass; each file's rows come out as on its own."""
    sample = Path(__file__).resolve().parents[2] / "data" / "raw"
    reads = []
    for path in sorted((sample / source.folder).iterdir()):
        try:
            reads.append(read_raw_file(path, source, sample))
        except FileRejected:
            pass  # the sample's planted bad files
    if source is contract.CLUSTER_PLANS:
        test_xlsx_million_baht_header_is_repaired(tmp_path)
        reads.insert(1, read_raw_file(tmp_path / "cluster_plan_2564.xlsx", source, tmp_path))
        assert len({tuple(read.million_baht_columns) for read in reads}) == 2
    assert len(reads) >= 2
    together = normalise_files(source, reads)
    assert len(together) == len(reads)
    for read, rows in zip(reads, together, strict=True):
        pl.testing.assert_frame_equal(rows, normalise(source, read))
