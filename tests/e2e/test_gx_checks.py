"""Great Expectations over a staged table: results per expectation, failures reported (not
raised), personal values masked in the examples shown in the UI; a table extended by new files,
checked on their rows and combined with the outcomes before, gives the outcomes of checking
the whole table; so does a table checked in batches of files."""

import duckdb
import pytest

from pipeline.validation.gx_checks import validate_appended, validate_in_batches, validate_table
from pipeline.validation.suites import Expectation, Suite, load_suite


def test_results_per_expectation_with_masked_examples():
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA staging")
    connection.execute(
        "CREATE TABLE staging.toy AS SELECT * FROM (VALUES ('3101700012345', 'x'), ('3101700054321', 'bad')) t(tax_id, code)"
    )
    suite = Suite(
        "toy",
        (
            Expectation("expect_column_values_to_be_in_set", {"column": "code", "value_set": ["x"]}, {"reason_code": "value_not_in_list"}),
            Expectation("expect_column_values_to_match_regex", {"column": "tax_id", "regex": "^0"}, {"reason_code": "tax_id_personal_for_juristic"}),
            Expectation(
                "expect_table_columns_to_match_set",
                {"column_set": ["tax_id", "code", "enterprise_key"], "exact_match": False},
                {"reason_code": "table_schema", "level": "table"},
            ),
            Expectation("expect_compound_columns_to_be_unique", {"column_list": ["tax_id", "code"]}, {"reason_code": "duplicate_registration"}),
        ),
        {},
    )
    outcomes = {o.expectation.reason_code: o for o in validate_table(connection, suite, "staging.toy")}
    assert outcomes["value_not_in_list"].success is False
    assert outcomes["value_not_in_list"].unexpected_count == 1
    assert outcomes["value_not_in_list"].examples == ["bad"]
    personal = outcomes["tax_id_personal_for_juristic"]
    assert personal.success is False and personal.unexpected_count == 2
    assert all(example.endswith("(masked)") and "3101700012345" not in example for example in personal.examples)
    assert outcomes["table_schema"].success is False  # enterprise_key is missing
    assert outcomes["duplicate_registration"].success is True


APPEND_SUITE = Suite(
    "toy",
    (
        Expectation("expect_column_values_to_be_in_set", {"column": "code", "value_set": ["x", "y"]}, {"reason_code": "value_not_in_list"}),
        Expectation("expect_column_values_to_not_be_null", {"column": "code"}, {"reason_code": "required_missing"}),
        Expectation("expect_column_values_to_be_between", {"column": "amount", "min_value": 0}, {"reason_code": "amount_negative"}),
        Expectation("expect_compound_columns_to_be_unique", {"column_list": ["office", "document_no"]}, {"reason_code": "duplicate_document"}),
        Expectation("expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 5}, {"reason_code": "table_row_count", "level": "table"}),
        Expectation(
            "expect_table_columns_to_match_set",
            {"column_set": ["office", "document_no", "code", "amount"], "exact_match": False},
            {"reason_code": "table_schema", "level": "table"},
        ),
    ),
    {},
)
EARLIER_ROWS = "('a.csv', 'HQ', 'D1', 'x', 10.0), ('a.csv', 'HQ', 'D2', 'bad', -1.0), ('a.csv', 'R1', NULL, NULL, NULL)"
NEW_ROWS = {
    "clean": "('b.csv', 'HQ', 'D3', 'y', 5.0)",
    # a value off the list, a negative amount, a null code: the counts add up
    "failing": "('b.csv', 'R2', 'D9', 'zz', -3.0), ('b.csv', 'R2', 'D8', NULL, 1.0)",
    # a document of a.csv again, and a key with a null part as an earlier row's: uniqueness fails
    "repeating": "('b.csv', 'HQ', 'D1', 'x', 1.0), ('b.csv', 'R1', NULL, 'x', 2.0)",
    # more rows than the row count allows
    "too_many": "('b.csv', 'HQ', 'D4', 'x', 1.0), ('b.csv', 'HQ', 'D5', 'x', 1.0), ('b.csv', 'HQ', 'D6', 'x', 1.0)",
}


@pytest.mark.parametrize("added", sorted(NEW_ROWS))
def test_outcomes_of_an_extended_table_equal_those_of_the_whole_table(added):
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA staging")
    columns = "t(_source_file, office, document_no, code, amount)"
    connection.execute(f"CREATE TABLE staging.toy AS SELECT * FROM (VALUES {EARLIER_ROWS}) {columns}")
    before = validate_table(connection, APPEND_SUITE, "staging.toy")
    connection.execute(f"INSERT INTO staging.toy SELECT * FROM (VALUES {NEW_ROWS[added]}) {columns}")

    combined = validate_appended(connection, APPEND_SUITE, "staging.toy", ["b.csv"], before)
    whole = validate_table(connection, APPEND_SUITE, "staging.toy")

    def counts(outcomes):
        return {
            o.expectation.reason_code: (o.success, o.element_count, o.unexpected_count, o.missing_count,
                                        None if o.unexpected_percent is None else round(o.unexpected_percent, 9))
            for o in outcomes
        }

    assert counts(combined) == counts(whole)
    if added != "clean":
        assert not all(o.success for o in whole)


def _counts(outcomes):
    return {
        o.expectation.reason_code: (o.success, o.element_count, o.unexpected_count, o.missing_count,
                                    None if o.unexpected_percent is None else round(o.unexpected_percent, 9))
        for o in outcomes
    }


@pytest.mark.parametrize("added", sorted(NEW_ROWS))
def test_outcomes_in_batches_of_files_equal_those_of_the_whole_table(added):
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA staging")
    connection.execute(
        f"CREATE TABLE staging.toy AS SELECT * FROM (VALUES {EARLIER_ROWS}, {NEW_ROWS[added]}) "
        "t(_source_file, office, document_no, code, amount)"
    )
    # A batch of at most one row: each file is a batch of its own.
    assert _counts(validate_in_batches(connection, APPEND_SUITE, "staging.toy", batch_rows=1)) == _counts(
        validate_table(connection, APPEND_SUITE, "staging.toy")
    )


@pytest.mark.parametrize("source", ["spending", "registrations"])
def test_the_sample_checked_in_batches_gives_the_outcomes_of_one_check(sample_warehouse, source):
    suite = load_suite(source)
    connection = duckdb.connect(str(sample_warehouse.build_database), read_only=True)
    try:
        files = connection.execute(f"SELECT count(DISTINCT _source_file) FROM staging.{source}").fetchall()[0][0]
        assert files > 1
        batched = validate_in_batches(connection, suite, f"staging.{source}", batch_rows=500)
        whole = validate_table(connection, suite, f"staging.{source}")
    finally:
        connection.close()
    assert _counts(batched) == _counts(whole)
    assert [o.expectation.name for o in batched] == [e.name for e in suite.expectations]
