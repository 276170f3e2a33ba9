"""Great Expectations over a staged table: results per expectation, failures reported (not
raised), personal values masked in the examples shown in the UI."""

import duckdb

from pipeline.validation.gx_checks import validate_table
from pipeline.validation.suites import Expectation, Suite


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
