"""Row-level rules from a suite, evaluated in DuckDB: each expectation kind, values bound as
parameters, duplicates pointing to the kept row."""

import duckdb
import pytest

from pipeline.validation.row_rules import failure_predicate, split_rows
from pipeline.validation.suites import Expectation, Suite, load_suite
from pipeline.contract import SOURCES
from support import PROJECT_ROOT


def _rule(kind, code, **kwargs):
    return Expectation(kind, kwargs, {"reason_code": code})


@pytest.fixture()
def connection():
    connection = duckdb.connect()
    connection.execute(
        """
        CREATE TABLE candidates AS SELECT * FROM (VALUES
            ('a.csv', NULL, 2, 'x', 'k1', 1,  '{}', 'data', 'r', 'h'),
            ('a.csv', NULL, 3, 'y', 'k1', 1,  '{}', 'data', 'r', 'h'),
            ('b.csv', NULL, 2, NULL, 'k2', 9, '{}', 'data', 'r', 'h'),
            ('b.csv', NULL, 3, 'x', 'k1', 2,  '{}', 'data', 'r', 'h'),
            ('b.csv', NULL, 4, 'x''; DROP TABLE candidates; --', 'k3', 2, '{}', 'data', 'r', 'h')
        ) t(_source_file, _sheet, _row_number, code, key, n, _raw_values, _row_kind, _run_id, _file_sha256)
        """
    )
    yield connection
    connection.close()


SUITE = Suite(
    "toy",
    (
        _rule("expect_column_values_to_not_be_null", "required_missing", column="code"),
        _rule("expect_column_values_to_be_in_set", "value_not_in_list", column="code", value_set=["x", "z"]),
        _rule("expect_column_values_to_be_between", "integer_invalid", column="n", min_value=0, max_value=5),
        _rule("expect_compound_columns_to_be_unique", "duplicate_key", column_list=["key"]),
    ),
    {},
)


def test_rows_are_split_with_every_reason(connection):
    staged, quarantined = split_rows(connection, SUITE, "candidates", "staged", "quarantined")
    assert (staged, quarantined) == (1, 4)
    reasons = {
        (f, r): codes
        for f, r, codes in connection.execute(
            "SELECT source_file, row_number, reason_codes FROM quarantined"
        ).fetchall()
    }
    assert reasons[("a.csv", 3)] == ["value_not_in_list"]
    assert reasons[("b.csv", 2)] == ["required_missing", "integer_invalid"]
    assert reasons[("b.csv", 3)] == ["duplicate_key"]
    assert reasons[("b.csv", 4)] == ["value_not_in_list"]  # a value that looks like SQL stays a value


def test_a_duplicate_points_to_the_row_it_repeats(connection):
    split_rows(connection, SUITE, "candidates", "staged", "quarantined")
    (message, pointer) = connection.execute(
        "SELECT message, duplicate_of FROM quarantined WHERE source_file = 'b.csv' AND row_number = 3"
    ).fetchall()[0]
    assert pointer == "a.csv row 2"
    assert message == "b.csv row 3: duplicate_key (repeats a.csv row 2)"


def test_every_row_is_staged_or_quarantined(connection):
    staged, quarantined = split_rows(connection, SUITE, "candidates", "staged", "quarantined")
    assert staged + quarantined == connection.execute("SELECT count(*) FROM candidates").fetchall()[0][0]


def test_values_are_bound_not_formatted():
    sql, params = failure_predicate(
        _rule("expect_column_values_to_be_in_set", "value_not_in_list", column="code", value_set=["it's"]), "p0"
    )
    assert "it's" not in sql and params == {"p0": ["it's"]}


def test_a_column_name_that_is_not_an_identifier_is_refused():
    with pytest.raises(ValueError):
        failure_predicate(_rule("expect_column_values_to_not_be_null", "x", column='a"; --'), "p0")


@pytest.mark.parametrize("source", [s.name for s in SOURCES])
def test_every_row_rule_has_a_sql_form(source):
    for index, rule in enumerate(load_suite(source).row_rules):
        if rule.type != "expect_compound_columns_to_be_unique":
            failure_predicate(rule, f"p{index}")
