"""A publish killed half-way: the analysts' file is never replaced by a partial one.

`publish()` copies the analysts' tier into `.<name>.<pid>.partial` beside the warehouse,
verifies it and renames it over the warehouse. A SIGKILL while it is written leaves that
partial file (and its write-ahead log) behind; it must never become the warehouse, and the next
publish (or rollback) deletes it once its process is gone, while a partial of a process still
running is left alone.
"""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap

import duckdb
import pytest

from pipeline import tiers
from pipeline.publish import list_versions, publish, remove_stale_partials, rollback

from support import PROJECT_ROOT

KILL_TIMEOUT_SECONDS = 120


def _build(path, value: int, rows: int = 1) -> None:
    """A build whose analysts' tier holds a rollup of `rows` rows, written as the steps write it."""
    connection = tiers.connect_build(path, read_only=False)
    try:
        connection.execute(
            f"CREATE OR REPLACE TABLE {tiers.qualified('marts', 'fiscal_year_rollup')} AS SELECT 2564 AS fiscal_year, ?::INT AS v, "
            "repeat('x', 200) AS padding FROM range(?)",
            [value, rows],
        )
    finally:
        connection.close()


def _value(path) -> int:
    connection = duckdb.connect(os.fspath(path), read_only=True)
    try:
        return connection.execute("SELECT max(v) FROM marts.fiscal_year_rollup").fetchall()[0][0]
    finally:
        connection.close()


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _partials(folder) -> list:
    return sorted(folder.glob(".*.partial"))


def _dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)


# The child publishes for real, and waits once the tier is copied into the new file, before
# the publication's comments and the checkpoint (the only test double: a real publish of a small
# build is too quick to be killed in the middle).
_SLOW_PUBLISH = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pipeline.publish as publish_module

    def written_then_wait(*args, **kwargs):
        print("half written", flush=True)
        time.sleep(600)

    publish_module.apply_comments = written_then_wait
    publish_module.publish(Path(sys.argv[1]), Path(sys.argv[2]), kept_versions=3)
    """
)


def test_a_publish_killed_mid_write_leaves_the_warehouse_and_the_next_publish_cleans_up(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "wh" / "cluster_programme.duckdb"
    _build(build, 1, rows=2000)
    publish(build, warehouse, kept_versions=3)
    before = _digest(warehouse)
    _build(build, 2, rows=4000)

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_PUBLISH, str(build), str(warehouse)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=PROJECT_ROOT,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "half written", line + child.stdout.read()
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=KILL_TIMEOUT_SECONDS) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()

    # The kill left half a file beside the warehouse; the warehouse itself did not change.
    (partial,) = _partials(warehouse.parent)
    assert partial.name == f".cluster_programme.duckdb.{child.pid}.partial"
    assert 0 < partial.stat().st_size <= tiers.tier_file(build).stat().st_size
    assert _digest(warehouse) == before and _value(warehouse) == 1
    assert partial not in list_versions(warehouse)

    # The next publish never takes the partial: it writes its own file and deletes the leftover.
    publish(build, warehouse, kept_versions=3)
    assert _value(warehouse) == 2
    assert _partials(warehouse.parent) == [] and list(warehouse.parent.glob(".*.partial.wal")) == []
    assert [_value(v) for v in list_versions(warehouse)] == [1]


def test_leftover_partials_are_ignored_and_only_dead_ones_are_removed(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "cluster_programme.duckdb"
    _build(build, 1)
    publish(build, warehouse, kept_versions=3)
    _build(build, 2)
    publish(build, warehouse, kept_versions=3)

    # A complete, valid database left as a partial (killed after verifying, before the rename)
    # must not be published by anyone: not by the next publish, not by a rollback.
    dead = warehouse.with_name(f".{warehouse.name}.{_dead_pid()}.partial")
    _build(dead, 99)
    live = warehouse.with_name(f".{warehouse.name}.{os.getppid()}.partial")  # our parent: alive
    _build(live, 98)
    unrelated = warehouse.with_name(".other.duckdb.1.partial")
    unrelated.write_bytes(b"not ours")

    rollback(warehouse)
    assert _value(warehouse) == 1, "rollback restored the kept version, not a partial"
    assert not dead.exists(), "the dead process's partial was removed"
    assert live.exists() and unrelated.exists(), "a running process's partial and other files are left alone"

    _build(build, 3)
    publish(build, warehouse, kept_versions=3)
    assert _value(warehouse) == 3
    assert all(_value(v) in (1, 2) for v in list_versions(warehouse))
    assert remove_stale_partials(warehouse) == []
    assert live.exists()


@pytest.mark.parametrize("name", ["cluster programme's.duckdb", "คลัง[1].duckdb"])
def test_partial_clean_up_is_safe_for_unusual_warehouse_names(tmp_path, name):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / name
    _build(build, 1)
    stale = warehouse.with_name(f".{warehouse.name}.{_dead_pid()}.partial")
    stale.write_bytes(b"half")
    publish(build, warehouse, kept_versions=1)
    assert _value(warehouse) == 1
    assert not stale.exists()
