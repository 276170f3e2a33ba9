"""Atomic publish and rollback of the analysts' file, on real DuckDB files; a build the file
already holds is not copied again."""

import hashlib
import os

import duckdb
import pytest

from pipeline import change_tracking, tiers
from pipeline.publish import COPIED, WRITTEN, PublishError, list_versions, publish, rollback


ROLLUP = tiers.qualified("marts", "fiscal_year_rollup")


def _build(path, value: int) -> None:
    """A build whose analysts' tier holds a rollup holding `value`, written as the steps write it."""
    connection = tiers.connect_build(path, read_only=False)
    connection.execute(f"CREATE OR REPLACE TABLE {ROLLUP} AS SELECT 2564 AS fiscal_year, ?::INT AS v", [value])
    connection.close()


def _value(path) -> int:
    connection = duckdb.connect(os.fspath(path), read_only=True)
    try:
        return connection.execute("SELECT v FROM marts.fiscal_year_rollup").fetchall()[0][0]
    finally:
        connection.close()


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publish_replaces_the_file_and_keeps_versions(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "wh" / "cluster_programme.duckdb"
    for value in (1, 2, 3, 4):
        _build(build, value)
        publish(build, warehouse, kept_versions=2)
    assert _value(warehouse) == 4
    versions = list_versions(warehouse)
    assert len(versions) == 2
    assert [_value(v) for v in versions] == [3, 2]
    assert not list(warehouse.parent.glob(".*.partial"))


def test_rollback_restores_the_previous_version(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "cluster_programme.duckdb"
    for value in (1, 2):
        _build(build, value)
        publish(build, warehouse, kept_versions=3)
    rollback(warehouse)
    assert _value(warehouse) == 1
    with pytest.raises(PublishError):
        rollback(warehouse)


def test_reader_keeps_its_snapshot_through_a_publish(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "cluster_programme.duckdb"
    _build(build, 1)
    publish(build, warehouse, kept_versions=1)
    analyst = duckdb.connect(os.fspath(warehouse), read_only=True)
    try:
        _build(build, 2)
        publish(build, warehouse, kept_versions=1)  # not blocked by the open reader
        assert analyst.execute("SELECT v FROM marts.fiscal_year_rollup").fetchall() == [(1,)]
    finally:
        analyst.close()
    assert _value(warehouse) == 2


def test_a_failed_publish_leaves_the_file_byte_identical(tmp_path, monkeypatch):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "cluster_programme.duckdb"
    _build(build, 1)
    publish(build, warehouse, kept_versions=1)
    before = _digest(warehouse)
    _build(build, 2)

    def broken_verify(path):
        raise OSError("disk full while verifying the copy")

    monkeypatch.setattr("pipeline.publish._verify_readable", broken_verify)
    with pytest.raises(OSError):
        publish(build, warehouse, kept_versions=1)
    assert _digest(warehouse) == before
    assert not list(tmp_path.glob(".*.partial"))


def test_publishing_nothing_is_a_clear_error(tmp_path):
    with pytest.raises(PublishError, match="does not exist"):
        publish(tmp_path / "missing.duckdb", tmp_path / "wh.duckdb", kept_versions=1)


def _build_version(path, value: int, version: str) -> None:
    """A build whose rollup, holding `value`, is recorded at a version of its own (the code
    `version`), as the refresh records it."""
    connection = tiers.connect_build(path, read_only=False)
    try:
        with change_tracking.build(connection, [("marts", "fiscal_year_rollup")], version, [], f"run-{version}"):
            connection.execute(f"CREATE OR REPLACE TABLE {ROLLUP} AS SELECT 2564 AS fiscal_year, ?::INT AS v", [value])
    finally:
        connection.close()


def test_a_build_the_warehouse_already_holds_is_not_copied_again(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "cluster_programme.duckdb"
    _build_version(build, 1, "v1")
    assert publish(build, warehouse, kept_versions=3).copied
    identity = warehouse.stat().st_ino, _digest(warehouse)

    again = publish(build, warehouse, kept_versions=3)
    assert not again.copied and again.version is not None
    assert (warehouse.stat().st_ino, _digest(warehouse)) == identity
    assert list_versions(warehouse) == []

    _build_version(build, 2, "v2")
    assert publish(build, warehouse, kept_versions=3).copied
    assert _value(warehouse) == 2
    # Rolled back to the first build: the next publish of the second copies it again.
    rollback(warehouse)
    assert _value(warehouse) == 1
    assert publish(build, warehouse, kept_versions=3).copied
    assert _value(warehouse) == 2


def _storage_version(path) -> str:
    connection = duckdb.connect(os.fspath(path), read_only=True)
    try:
        return connection.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    finally:
        connection.close()


def test_the_publish_copies_the_built_tier_and_nothing_of_the_build_database(tmp_path):
    build, warehouse = tmp_path / "cluster_programme.build.duckdb", tmp_path / "wh" / "cluster_programme.duckdb"
    _build(build, 7)
    connection = tiers.connect_build(build, read_only=False)
    connection.execute("CREATE SCHEMA IF NOT EXISTS landing")
    connection.execute("CREATE TABLE landing.registrations AS SELECT 'Somchai' AS contact_name")
    connection.close()
    publication = publish(build, warehouse, kept_versions=1)
    assert publication.how == COPIED
    assert _value(warehouse) == 7
    assert _storage_version(warehouse) == f"{tiers.ANALYST_STORAGE_VERSION}+"
    schemas = {row[0] for row in duckdb.connect(os.fspath(warehouse), read_only=True).execute("SELECT schema_name FROM duckdb_tables()").fetchall()}
    assert schemas == {"marts", "audit"}  # the rollup, and audit.publication


def test_a_tier_holding_a_restricted_table_is_never_published(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "cluster_programme.duckdb"
    _build(build, 1)
    publish(build, warehouse, kept_versions=1)
    before = _digest(warehouse)
    connection = tiers.connect_build(build, read_only=False)
    connection.execute(f"CREATE TABLE {tiers.TIER_CATALOG}.audit.quarantine_registrations AS SELECT 'Somchai' AS raw_values")
    connection.close()
    with pytest.raises(PublishError, match="audit.quarantine_registrations"):
        publish(build, warehouse, kept_versions=1)
    assert _digest(warehouse) == before


def test_a_tier_mostly_free_space_is_written_afresh_compact(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "cluster_programme.duckdb"
    connection = tiers.connect_build(build, read_only=False)
    # A big table replaced by a small one leaves the tier file mostly free blocks.
    connection.execute(f"CREATE TABLE {tiers.TIER_CATALOG}.core.big AS SELECT range AS n, md5(range::VARCHAR) AS h FROM range(400000)")
    connection.execute(f"CHECKPOINT {tiers.TIER_CATALOG}")
    connection.execute(f"DROP TABLE {tiers.TIER_CATALOG}.core.big")
    connection.execute(f"CREATE OR REPLACE TABLE {ROLLUP} AS SELECT 2564 AS fiscal_year, 5 AS v")
    connection.close()
    publication = publish(build, warehouse, kept_versions=1)
    assert publication.how == WRITTEN
    assert _value(warehouse) == 5
    assert _storage_version(warehouse) == f"{tiers.ANALYST_STORAGE_VERSION}+"
    assert warehouse.stat().st_size < tiers.tier_file(build).stat().st_size / 2


def test_analysts_tables_an_earlier_layout_left_in_the_build_database_are_dropped(tmp_path):
    build = tmp_path / "build.duckdb"
    connection = duckdb.connect(os.fspath(build))
    connection.execute("CREATE SCHEMA marts")
    connection.execute("CREATE TABLE marts.fiscal_year_rollup AS SELECT 1 AS v")
    connection.close()
    connection = tiers.connect_build(build, read_only=False)
    try:
        assert connection.execute("SELECT database_name FROM duckdb_tables()").fetchall() == []
        connection.execute(f"CREATE TABLE {ROLLUP} AS SELECT 2 AS v")
        assert connection.execute("SELECT v FROM marts.fiscal_year_rollup").fetchall() == [(2,)]
    finally:
        connection.close()


def test_a_tier_in_another_storage_format_is_written_afresh_in_the_analysts_one(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "cluster_programme.duckdb"
    duckdb.connect(os.fspath(tiers.tier_file(build))).close()  # the library's default format
    _build(build, 3)
    assert _storage_version(tiers.tier_file(build)) != f"{tiers.ANALYST_STORAGE_VERSION}+"
    publication = publish(build, warehouse, kept_versions=1)
    assert publication.how == WRITTEN
    assert _value(warehouse) == 3 and _storage_version(warehouse) == f"{tiers.ANALYST_STORAGE_VERSION}+"
