"""Every analyst-facing table and column is described once (catalog -> DuckDB comments ->
data dictionary), and no personal data is readable in `core.*` or `marts.*`."""

import os

import duckdb
import pytest

from pipeline.catalog import DATA_DICTIONARY_PATH, DOCUMENTED_SCHEMAS, documented_tables, render_data_dictionary


@pytest.fixture(scope="module")
def analyst(sample_warehouse):
    """An in-memory session with the published warehouse attached read-only."""
    connection = duckdb.connect()
    connection.execute("ATTACH ? AS wh (READ_ONLY)", [os.fspath(sample_warehouse.warehouse_path)])
    yield connection
    connection.close()


def test_every_table_and_column_carries_a_comment(analyst):
    missing_tables = analyst.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE database_name = 'wh' AND schema_name IN ('core', 'marts', 'audit') AND comment IS NULL"
    ).fetchall()
    missing_columns = analyst.execute(
        "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE database_name = 'wh' AND schema_name IN ('core', 'marts', 'audit') AND comment IS NULL"
    ).fetchall()
    assert missing_tables == [] and missing_columns == []


def test_the_catalog_describes_only_tables_that_exist(analyst):
    existing = {
        f"{s}.{t}"
        for s, t in analyst.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'wh'"
        ).fetchall()
    }
    assert set(documented_tables()) <= existing


def test_the_data_dictionary_is_current(sample_warehouse):
    connection = duckdb.connect(os.fspath(sample_warehouse.warehouse_path), read_only=True)
    try:
        rendered = render_data_dictionary(connection)
    finally:
        connection.close()
    assert DATA_DICTIONARY_PATH.read_text(encoding="utf-8") == rendered, (
        "docs/data-dictionary.md is stale: run `python -m pipeline.catalog` on a fresh sample warehouse"
    )
    assert all(f"`{schema}." in rendered for schema in DOCUMENTED_SCHEMAS)


def test_no_personal_data_in_core_or_marts(analyst):
    analyst.execute(
        """
        CREATE TEMP TABLE personal_values AS
        SELECT DISTINCT value FROM (
            SELECT tax_id AS value FROM wh.staging.registrations WHERE NOT tax_id_is_juristic
            UNION ALL SELECT contact_name FROM wh.staging.registrations
            UNION ALL SELECT phone FROM wh.staging.registrations
            UNION ALL SELECT email FROM wh.staging.registrations
            UNION ALL SELECT payee_name FROM wh.staging.spending WHERE NOT starts_with(coalesce(payee_tax_id, ''), '0')
            UNION ALL SELECT payee_tax_id FROM wh.staging.spending WHERE NOT starts_with(payee_tax_id, '0')
            UNION ALL SELECT enterprise_ref FROM wh.staging.outcomes WHERE NOT starts_with(enterprise_ref, '0')
                                                                   AND enterprise_ref_kind = 'tax_id'
        ) WHERE value IS NOT NULL AND length(value) >= 5
        """
    )
    assert analyst.execute("SELECT count(*) FROM personal_values").fetchall()[0][0] > 100
    text_columns = analyst.execute(
        """SELECT schema_name, table_name, column_name FROM duckdb_columns()
           WHERE database_name = 'wh' AND schema_name IN ('core', 'marts') AND data_type = 'VARCHAR'"""
    ).fetchall()
    assert text_columns
    leaks = []
    for schema, table, column in text_columns:  # one query per column of the catalogue, not per row
        (count,) = analyst.execute(
            f'SELECT count(*) FROM wh.{schema}.{table} t JOIN personal_values p ON t."{column}" = p.value'
        ).fetchall()[0]
        if count:
            leaks.append(f"{schema}.{table}.{column}: {count}")
    assert leaks == []
