"""The one list of codes (pipeline/reasons.yml) matches the codes the rules raise, every code
has its labels, and docs/reason-codes.md is the list as generated."""

import pytest

from pipeline import contract, reasons
from pipeline.ingest import read
from pipeline.landing import FILE_REMOVED
from pipeline.ingest.normalise import REPAIR_CODES
from pipeline.validation.suites import load_suite
from support import PROJECT_ROOT


def test_the_reason_codes_document_is_generated_from_the_list():
    assert reasons.main(["--check", "--out", str(PROJECT_ROOT / reasons.REASON_CODES_DOC_PATH)]) == 0


def test_row_and_table_rules_are_those_the_suites_raise():
    raised = set().union(*(load_suite(source.name).reason_codes for source in contract.SOURCES))
    assert raised == set(reasons.codes_of("row_rules")) | set(reasons.codes_of("table_rules"))


def test_repairs_are_those_the_normalisation_and_validation_apply():
    assert set(reasons.codes_of("repairs")) == {*REPAIR_CODES, "cluster_name_resolved"}


def test_file_and_non_data_codes_are_those_the_reader_sets():
    assert {read.FILE_EMPTY, read.FILE_UNREADABLE, read.ENCODING_UNKNOWN, read.HEADER_NOT_FOUND,
            read.REQUIRED_COLUMNS_MISSING, FILE_REMOVED, "duplicate_file"} == set(reasons.codes_of("file_rejections"))
    assert {read.ROW_BLANK, read.ROW_TOTAL, read.ROW_TITLE} == set(reasons.codes_of("non_data"))


@pytest.mark.parametrize("code", list(reasons.all_reasons()))
def test_every_code_has_a_thai_and_an_english_label(code):
    reason = reasons.all_reasons()[code]
    assert reason.label_en.strip() and reason.label_th.strip() and reason.what.strip()
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in reason.label_th), reason.label_th
    if reason.kind in ("row_rules", "file_rejections") and code != "file_removed":
        # The offices act on these: each says what to change, in both languages.
        assert reason.fix_en.strip() and any("\u0e00" <= ch <= "\u0e7f" for ch in reason.fix_th), code


def test_an_unlisted_code_is_labelled_by_itself():
    assert reasons.label("duplicate_survey") == "The survey round is recorded twice"
    assert reasons.label("not_a_code") == "not_a_code"
