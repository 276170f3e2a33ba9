"""Great Expectations over a staged table: results per expectation, failures reported (not
raised), personal values masked in the examples shown in the UI; a table extended by new files,
checked on their rows and combined with the outcomes before, gives the outcomes of checking
the whole table; a table staged afresh is checked on a proof sample for the rules the split
applied, and GX and the split's SQL find the same rows breaking each of those rules (the proof
of the translation that lets the refresh check only a sample)."""

import duckdb
import pytest

from pipeline import tiers
from pipeline.contract import SOURCES
from pipeline.defs.staging import validate_model
from pipeline.pii import set_hash_key
from pipeline.sql_functions import define_macros
from pipeline.validation.gx_checks import SCHEMA_TYPES, proven_by_split, validate_appended, validate_rebuilt, validate_table
from pipeline.validation.row_rules import failure_predicate
from pipeline.validation.suites import UNIQUENESS, Expectation, Suite, load_suite


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
def test_a_table_whose_rows_all_fit_the_proof_gets_the_outcomes_of_the_whole_table(added):
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA staging")
    connection.execute(
        f"CREATE TABLE staging.toy AS SELECT *, row_number() OVER () AS _row_number FROM (VALUES {EARLIER_ROWS}, "
        f"{NEW_ROWS[added]}) t(_source_file, office, document_no, code, amount)"
    )
    assert _counts(validate_rebuilt(connection, APPEND_SUITE, "staging.toy")) == _counts(
        validate_table(connection, APPEND_SUITE, "staging.toy")
    )


@pytest.mark.parametrize("source", ["spending", "registrations"])
def test_a_proof_sample_checks_part_of_every_file_and_the_table_rules_all_rows(sample_warehouse, source):
    suite = load_suite(source)
    connection = tiers.connect_build(sample_warehouse.build_database)
    try:
        rows, files = connection.execute(f"SELECT count(*), count(DISTINCT _source_file) FROM staging.{source}").fetchone()
        (sampled_files,) = connection.execute(
            f"SELECT count(DISTINCT _source_file) FROM staging.{source} WHERE hash(_source_file, _row_number) % 4 = 0"
        ).fetchone()
        sampled = validate_rebuilt(connection, suite, f"staging.{source}", proof_rows=rows // 4)
        whole = validate_table(connection, suite, f"staging.{source}")
    finally:
        connection.close()
    assert sampled_files == files > 1
    assert [o.expectation.name for o in sampled] == [e.name for e in suite.expectations]
    for on_sample, on_all in zip(sampled, whole, strict=True):
        if proven_by_split(on_sample.expectation) and on_sample.expectation.type not in SCHEMA_TYPES:
            # Every k-th row by hash: about a quarter of the rows, none of them breaking the rule.
            assert rows // 8 < on_sample.element_count < rows // 2, on_sample.expectation.name
            assert on_sample.success and on_sample.unexpected_count == 0, on_sample.expectation.name
        else:
            assert _counts([on_sample]) == _counts([on_all]), on_sample.expectation.name


@pytest.mark.parametrize("source", [source.name for source in SOURCES])
def test_gx_and_the_splits_sql_find_the_same_rows_breaking_each_rule(sample_warehouse, source, tmp_path):
    """The proof of the translation: over every landed row of the sample (its planted defects
    included), before the split, GX and the SQL the split applies count the same rows
    breaking each row-level rule, and every staged row passes all of them."""
    suite = load_suite(source)
    connection = tiers.connect_build(sample_warehouse.build_database)
    try:
        set_hash_key(connection, tmp_path / "pii_hash.key")
        define_macros(connection)
        connection.execute(f"CREATE TEMP VIEW candidates AS {validate_model(validate_source(source)).select}")
        rules = [e for e in suite.row_rules if e.type != UNIQUENESS]
        by_gx = {o.expectation.name: o.unexpected_count for o in validate_table(
            connection, suite, f"staging.{source}", rules, "SELECT * FROM candidates"
        )}
        by_sql, predicates, all_params = {}, [], {}
        for index, rule in enumerate(rules):
            predicate, params = failure_predicate(rule, f"p{index}")
            (by_sql[rule.name],) = connection.execute(f"SELECT count(*) FROM candidates WHERE {predicate}", params).fetchone()
            predicates.append(f"coalesce({predicate}, false)")
            all_params.update(params)
        (breaking_any,) = connection.execute(
            f"SELECT count(*) FROM candidates WHERE {' OR '.join(predicates)}", all_params
        ).fetchone()
        unique_codes = [e.reason_code for e in suite.row_rules if e.type == UNIQUENESS]
        (quarantined_by_rules,) = connection.execute(
            f"SELECT count(*) FROM audit.quarantine_{source} WHERE len(list_filter(reason_codes, "
            "lambda r: NOT list_contains($unique, r))) > 0",
            {"unique": unique_codes},
        ).fetchone()
        on_staged = validate_table(connection, suite, f"staging.{source}", rules)
    finally:
        connection.close()
    assert by_gx == by_sql
    # The rows the split quarantined for these rules are exactly those their SQL finds.
    assert breaking_any == quarantined_by_rules
    assert all(o.success and o.unexpected_count == 0 for o in on_staged)


def validate_source(name: str):
    return next(source for source in SOURCES if source.name == name)
