"""Every analyst-facing table and column is described once (catalog -> DuckDB comments ->
data dictionary), the analysts' file holds only the analysts' tier, and no personal value is
readable in it."""

import json
import os
import re

import duckdb
import pytest

from pipeline import tiers
from pipeline.catalog import (
    ANALYSTS_TIER,
    BUILD_ONLY_SCHEMAS,
    BUILD_TIER,
    DATA_DICTIONARY_PATH,
    DOCUMENTED_SCHEMAS,
    column_description,
    documented_tables,
    render_data_dictionary,
    table_description,
    tier_description,
)
from pipeline.contract import REGISTRATIONS
from pipeline.tiers import ANALYST_SCHEMAS


@pytest.fixture(scope="module")
def analyst(sample_warehouse):
    """The published warehouse opened read-only, as an analyst opens it."""
    connection = duckdb.connect(os.fspath(sample_warehouse.warehouse_path), read_only=True)
    yield connection
    connection.close()


# A build connection sees its two files (the build database, the analysts' tier as built); an
# analyst's connection the one file.
_OWN_FILES = f"database_name IN (current_database(), '{tiers.TIER_CATALOG}')"


def _tables(connection) -> set[str]:
    return {f"{schema}.{table}" for schema, table in _all_tables(connection)}


def test_every_table_and_column_carries_a_comment(analyst):
    missing_tables = analyst.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND comment IS NULL"
    ).fetchall()
    missing_columns = analyst.execute(
        "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND comment IS NULL"
    ).fetchall()
    assert missing_tables == [] and missing_columns == []


def test_every_table_and_column_of_the_build_database_is_described(sample_warehouse):
    """Landing, staging and the build state included: what a data engineer opens is described too."""
    build = tiers.connect_build(sample_warehouse.build_database)
    try:
        tables = _all_tables(build)
        columns = build.execute(
            f"SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE {_OWN_FILES}"
        ).fetchall()
    finally:
        build.close()
    assert {schema for schema, _ in tables} >= {"landing", "staging", "tracking", "feedback", "audit", "core", "marts"}
    assert [f"{s}.{t}" for s, t in tables if not table_description(s, t)] == []
    assert [f"{s}.{t}.{c}" for s, t, c in columns if not column_description(s, t, c)] == []


def test_an_undescribed_column_is_found():
    assert column_description("staging", "spending", "amount_thb") and column_description("staging", "spending", "amount_thb_invalid")
    assert column_description("staging", "spending", "a_column_nobody_described") is None
    assert column_description("staging", "spending", "a_column_nobody_described_invalid") is None
    assert table_description("landing", "not_a_source") is None


def test_the_catalog_describes_only_tables_that_exist_in_their_tier(analyst, sample_warehouse):
    assert set(documented_tables(ANALYSTS_TIER)) <= _tables(analyst)
    build = tiers.connect_build(sample_warehouse.build_database)
    try:
        assert set(documented_tables(BUILD_TIER)) <= _tables(build)
    finally:
        build.close()


def test_the_analysts_file_holds_only_their_tier(analyst, sample_warehouse):
    schemas = {
        schema for (schema,) in analyst.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal"
        ).fetchall()
    }
    assert schemas & set(BUILD_ONLY_SCHEMAS) == set(), "landing or staging reached the analysts' file"
    assert schemas - {"main"} == set(ANALYST_SCHEMAS)
    published = _tables(analyst)
    assert set(documented_tables(BUILD_TIER)) & published == set()
    assert {"audit.quarantine", "audit.file_manifest", "audit.publication", "marts.fiscal_year_rollup"} <= published
    # The build database keeps everything, the restricted tier included.
    build = tiers.connect_build(sample_warehouse.build_database)
    try:
        in_build = _tables(build)
    finally:
        build.close()
    assert set(documented_tables(BUILD_TIER)) <= in_build
    assert {"tracking.table_versions", "staging.registrations"} <= in_build
    assert published - {"audit.publication"} <= in_build


def test_the_data_dictionary_is_current_and_describes_the_tiers(sample_warehouse):
    connection = duckdb.connect(os.fspath(sample_warehouse.warehouse_path), read_only=True)
    try:
        rendered = render_data_dictionary(connection)
    finally:
        connection.close()
    assert DATA_DICTIONARY_PATH.read_text(encoding="utf-8") == rendered, (
        "docs/data-dictionary.md is stale: run `python -m pipeline.catalog` on a fresh sample warehouse"
    )
    assert all(f"`{schema}." in rendered for schema in DOCUMENTED_SCHEMAS)
    assert tier_description(ANALYSTS_TIER) in rendered and tier_description(BUILD_TIER) in rendered
    assert all(f"`{name}`" in rendered for name in documented_tables(BUILD_TIER))


def _rows_holding(connection, tables: list[tuple[str, str]], values: list[str]) -> dict[str, int]:
    """Per table, the rows whose text (every column cast to text) contains one of `values`."""
    connection.execute("CREATE OR REPLACE TEMP TABLE personal_values AS SELECT unnest(?::VARCHAR[]) AS value", [values])
    found = {}
    for schema, table in tables:  # one query per table of the catalogue, not per row
        (count,) = connection.execute(
            f"SELECT count(*) FROM (SELECT t::VARCHAR AS row_text FROM {schema}.{table} t) "
            "SEMI JOIN personal_values ON contains(row_text, value)"
        ).fetchall()[0]
        if count:
            found[f"{schema}.{table}"] = count
    return found


def _all_tables(connection) -> list[tuple[str, str]]:
    return connection.execute(
        f"SELECT schema_name, table_name FROM duckdb_tables() WHERE {_OWN_FILES} ORDER BY ALL"
    ).fetchall()


def test_no_personal_value_of_the_sample_is_in_any_text_of_the_analysts_file(analyst, sample_warehouse, truth):
    personal = truth["personal_values"]
    assert len(personal) > 1000 and not truth["personal_values_truncated"]
    assert _rows_holding(analyst, _all_tables(analyst), personal) == {}
    # The same search does find them where they belong: the restricted build database.
    build = tiers.connect_build(sample_warehouse.build_database)
    try:
        in_build = _rows_holding(
            build, [("landing", "registrations"), ("staging", "spending"), ("audit", "quarantine_registrations")], personal
        )
    finally:
        build.close()
    assert set(in_build) == {"landing.registrations", "staging.spending", "audit.quarantine_registrations"}


def test_quarantined_rows_keep_their_shared_values_and_only_the_shape_of_personal_ones(analyst, sample_warehouse):
    sql = "SELECT source_file, row_number, raw_values FROM {} WHERE source = 'registrations'"
    published = {(f, r): json.loads(v) for f, r, v in analyst.execute(sql.format("audit.quarantine")).fetchall()}
    build = tiers.connect_build(sample_warehouse.build_database)
    try:
        as_read = {(f, r): json.loads(v) for f, r, v in build.execute(sql.format("audit.quarantine_registrations")).fetchall()}
    finally:
        build.close()
    assert published.keys() == as_read.keys() and len(published) > 50
    spellings = {name.lower(): column for column in REGISTRATIONS.columns for name in (column.thai, column.canonical)}
    shown = masked = 0
    for row, cells in as_read.items():
        for header, value in cells.items():
            column = spellings.get(header.lower())
            if column is not None and not column.personal:
                assert published[row][header] == value, (row, header)
                shown += 1
            elif value is not None:  # personal, or a column the contract does not know
                assert re.fullmatch(r"[9x\W]*", published[row][header]), (row, header, published[row][header])
                assert len(published[row][header]) == len(value)
                masked += 1
    assert shown > 10 * len(published) and masked > 3 * len(published)


def test_no_personal_data_in_core_or_marts(analyst, sample_warehouse):
    build = tiers.connect_build(sample_warehouse.build_database)
    try:
        personal_values = [
            value
            for (value,) in build.execute(
                """
                SELECT DISTINCT value FROM (
                    SELECT tax_id AS value FROM staging.registrations WHERE NOT tax_id_is_juristic
                    UNION ALL SELECT contact_name FROM staging.registrations
                    UNION ALL SELECT phone FROM staging.registrations
                    UNION ALL SELECT email FROM staging.registrations
                    UNION ALL SELECT payee_name FROM staging.spending WHERE NOT starts_with(coalesce(payee_tax_id, ''), '0')
                    UNION ALL SELECT payee_tax_id FROM staging.spending WHERE NOT starts_with(payee_tax_id, '0')
                    UNION ALL SELECT enterprise_ref FROM staging.outcomes WHERE NOT starts_with(enterprise_ref, '0')
                                                                           AND enterprise_ref_kind = 'tax_id'
                ) WHERE value IS NOT NULL AND length(value) >= 5
                """
            ).fetchall()
        ]
    finally:
        build.close()
    assert len(personal_values) > 100
    analyst.execute("CREATE OR REPLACE TEMP TABLE staged_personal AS SELECT unnest(?::VARCHAR[]) AS value", [personal_values])
    text_columns = analyst.execute(
        """SELECT schema_name, table_name, column_name FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name IN ('core', 'marts') AND data_type = 'VARCHAR'"""
    ).fetchall()
    assert text_columns
    leaks = []
    for schema, table, column in text_columns:  # one query per column of the catalogue, not per row
        (count,) = analyst.execute(
            f'SELECT count(*) FROM {schema}.{table} t JOIN staged_personal p ON t."{column}" = p.value'
        ).fetchall()[0]
        if count:
            leaks.append(f"{schema}.{table}.{column}: {count}")
    assert leaks == []
