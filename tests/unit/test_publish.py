"""Atomic publish and rollback of the analysts' file, on real DuckDB files; a build the file
already holds is not copied again."""

import hashlib
import os

import duckdb
import pytest

from pipeline import change_tracking
from pipeline.publish import PublishError, list_versions, publish, rollback


def _build(path, value: int) -> None:
    connection = duckdb.connect(os.fspath(path))
    connection.execute("CREATE SCHEMA IF NOT EXISTS marts")
    connection.execute("CREATE OR REPLACE TABLE marts.fiscal_year_rollup AS SELECT 2564 AS fiscal_year, ?::INT AS v", [value])
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
    connection = duckdb.connect(os.fspath(path))
    try:
        with change_tracking.build(connection, [("marts", "fiscal_year_rollup")], version, [], f"run-{version}"):
            connection.execute("CREATE SCHEMA IF NOT EXISTS marts")
            connection.execute(
                "CREATE OR REPLACE TABLE marts.fiscal_year_rollup AS SELECT 2564 AS fiscal_year, ?::INT AS v", [value]
            )
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
