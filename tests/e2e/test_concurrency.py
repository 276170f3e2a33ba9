"""Two overlapping refreshes on one instance: the duckdb_build pool makes them take turns.

What is exercised: two `dagster job execute` processes of refresh_warehouse, started at the
same moment against one DAGSTER_HOME (a copy of dagster.yaml: pools default_limit 1) and one
build database. Each runs its steps with the job's multiprocess executor, one process per step,
exactly as a run launched by the daemon does (the queue only decides when a run starts; the
pool is enforced by each run's executor through the instance's concurrency slots). Starting
them from the CLI rather than through the queue guarantees that both runs are in progress at
once, which is what has to be safe: without the pool, steps of both runs (and parallel steps of
one run) would open the build database read-write at the same time and DuckDB would refuse
with a lock error.

Shown: both runs succeed, the runs overlapped in time, no two build-writing steps ever ran at
the same time (across both runs), no lock error was logged, and the published warehouse has
the same marts as a refresh run alone.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from support import PROJECT_ROOT, dagster_cli_environment
from pipeline.defs.jobs import REFRESH_JOB
from pipeline.steps import BUILD_POOL

RUN_TIMEOUT_SECONDS = 1200
LOCK_ERRORS = ("Could not set lock on file", "Conflicting lock", "database is locked")


def _dagster_cli() -> str:
    return str(Path(sys.executable).with_name("dagster"))


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
    connection = duckdb.connect(os.fspath(warehouse), read_only=True)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY table_name"
            ).fetchall()
        ]
        return {name: connection.execute(f"SELECT * FROM marts.{name} ORDER BY ALL").fetchall() for name in tables}
    finally:
        connection.close()


def _step_intervals(instance: dg.DagsterInstance, run_id: str) -> list[tuple[float, float, str]]:
    """(start, end, run:step) of every step of a run, from its STEP_START and STEP_SUCCESS/FAILURE events."""
    starts, ends = {}, {}
    for record in instance.all_logs(
        run_id,
        of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE},
    ):
        event = record.dagster_event
        (starts if event.event_type == dg.DagsterEventType.STEP_START else ends)[event.step_key] = record.timestamp
    assert starts.keys() == ends.keys()
    return sorted((starts[key], ends[key], f"{run_id[:8]}:{key}") for key in starts)


def test_every_step_of_the_refresh_is_in_the_build_pool():
    """What makes the slow test below pass: a step outside the pool would write the build
    database alongside the others."""
    from pipeline.definitions import defs

    job = defs.resolve_job_def(REFRESH_JOB)
    pools = {node.name: node.definition.pool for node in job.graph.node_dict.values()}
    assert pools and set(pools.values()) == {BUILD_POOL}, {name: pool for name, pool in pools.items() if pool != BUILD_POOL}


@pytest.mark.slow
def test_two_overlapping_refreshes_take_turns_and_both_succeed(tmp_path, sample_warehouse):
    _overlapping_refreshes(tmp_path, sample_warehouse, *dagster_cli_environment(tmp_path))


@pytest.mark.slow
def test_on_the_postgres_instance_two_overlapping_refreshes_take_turns(tmp_path, sample_warehouse, postgres, monkeypatch):
    """The same, with run, event-log and schedule storage (and so the pool's slots) in PostgreSQL."""
    env, paths = dagster_cli_environment(tmp_path, postgres)
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD"):
        monkeypatch.setenv(name, env[name])  # this process reads the instance too
    with dg.DagsterInstance.from_config(str(paths["DAGSTER_HOME"])) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    _overlapping_refreshes(tmp_path, sample_warehouse, env, paths)


def _overlapping_refreshes(tmp_path, sample_warehouse, env, paths):
    home, warehouse = paths["DAGSTER_HOME"], paths["WAREHOUSE_PATH"]
    # The instance's storage, and the pool's limit (which Dagster creates on first use), are
    # created once here, as a first refresh would: two runs creating them at the same moment race.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.initialize_concurrency_limit_to_default(BUILD_POOL)
    command = [_dagster_cli(), "job", "execute", "-m", "pipeline.definitions", "-j", REFRESH_JOB]
    logs = [tmp_path / f"run_{n}.log" for n in (1, 2)]
    processes = []
    for log in logs:
        with open(log, "wb") as handle:
            processes.append(subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    try:
        codes = [process.wait(timeout=max(1, deadline - time.monotonic())) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    outputs = [log.read_text(encoding="utf-8", errors="replace") for log in logs]
    for code, output, log in zip(codes, outputs, logs):
        assert code == 0, f"a run failed (log {log}):\n{output[-4000:]}"
        for message in LOCK_ERRORS:
            assert message not in output, f"DuckDB lock error in {log}"

    instance = dg.DagsterInstance.from_config(str(home))
    try:
        records = instance.get_run_records(dg.RunsFilter(job_name=REFRESH_JOB))
        assert len(records) == 2
        assert all(record.dagster_run.status == dg.DagsterRunStatus.SUCCESS for record in records)
        # The two runs were in progress at the same time.
        first, second = sorted(records, key=lambda r: r.start_time)
        assert second.start_time < first.end_time, "the runs did not overlap; the test proved nothing"
        # ... yet no two steps writing the build database ever ran at once, across both runs.
        intervals = sorted(itertools.chain.from_iterable(_step_intervals(instance, r.dagster_run.run_id) for r in records))
        assert len(intervals) > 20
        for (_, end, step), (start, _, next_step) in itertools.pairwise(intervals):
            assert end <= start, f"{step} and {next_step} ran at the same time"
        runs_of_steps = [step.split(":")[0] for _, _, step in intervals]
        assert any(a != b for a, b in itertools.pairwise(runs_of_steps)), "the runs' steps never interleaved"
        assert instance.event_log_storage.get_concurrency_info(BUILD_POOL).slot_count == 1
    finally:
        instance.dispose()

    # The warehouse published last is complete and equals a refresh run alone.
    assert _marts(warehouse) == _marts(sample_warehouse.warehouse_path)
    assert _marts(warehouse)["fiscal_year_rollup"]


def test_a_step_waits_while_another_process_holds_the_build_database(tmp_path):
    """The second guard behind the pool: a step that finds the build database held by another
    process (two runs starting together before the pool exists) waits for it instead of failing."""
    from support import project_environment
    from pipeline.resources import WarehouseResource

    with project_environment(tmp_path / "raw", tmp_path / "work") as paths:
        paths["BUILD_DIR"].mkdir(parents=True)
        database = paths["BUILD_DIR"] / "cluster_programme.build.duckdb"
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_DATABASE, os.fspath(database), "3"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout.readline().strip() == "held"
            started = time.monotonic()
            with WarehouseResource().build_connection() as connection:
                waited = time.monotonic() - started
                assert connection.execute("SELECT answer FROM held").fetchall() == [(42,)]
        finally:
            holder.wait(timeout=60)
    assert holder.returncode == 0
    assert waited > 1, f"connected after {waited:.2f} s, while the file was held"


# Opens the database read-write (DuckDB's one-writer lock), says so, holds it, lets go.
HOLD_DATABASE = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("CREATE TABLE held AS SELECT 42 AS answer")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""
