"""The nightly path runs only what changed raw files need: the sensor's first tick after a full
refresh and the schedule with no changed file start nothing; one new spending file gets a run
of the spending steps and what they feed (publish and report included), none of the other
sources' steps; `python -m pipeline.run --changed-only` makes the same selection. A quiet night
is recorded on the published warehouse as kept, unless the warehouse is not the current build
(a blocked publish), whose freshness then turns red."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from pipeline import run as run_command
from pipeline.definitions import defs
from pipeline.defs.jobs import REFRESH_JOB
from pipeline.defs.sensors import raw_files_sensor
from pipeline.resources import WarehouseResource
from support import SAMPLE_RAW_DIR, project_environment, query_read_only, run_refresh

PUBLISHED = dg.AssetKey(["warehouse", "published"])


@pytest.fixture
def refreshed(tmp_path):
    """The committed sample copied, fully refreshed on an instance of its own."""
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    with project_environment(raw, tmp_path) as paths, dg.instance_for_test() as instance:
        assert run_refresh(instance).success
        yield raw, paths, instance


# The evaluation contexts are closed when the tick is done, as the daemon does: left to the
# garbage collector, a context's close came after the fixture's instance had ended and made that
# finished instance Dagster's current one again (a later test then failed on its removed folder).
def _sensor_tick(instance, cursor=None):
    with dg.build_sensor_context(
        cursor=cursor, instance=instance, definitions=defs, resources={"warehouse": WarehouseResource()}
    ) as context:
        return raw_files_sensor.evaluate_tick(context)


def _schedule_tick(instance):
    schedule = defs.resolve_schedule_def("nightly_refresh")
    with dg.build_schedule_context(
        instance=instance, repository_def=defs.get_repository_def(), resources={"warehouse": WarehouseResource()}
    ) as context:
        return schedule.evaluate_tick(context)


def _new_spending_file(raw):
    """A new monthly ledger: an existing one's header and first rows under a new name."""
    ledger = sorted((raw / "spending").glob("*.csv"))[0]
    lines = ledger.read_bytes().splitlines(keepends=True)
    target = ledger.with_name("new_month_" + ledger.name)
    target.write_bytes(b"".join(lines[: max(3, len(lines) // 2)]))
    return target


def test_nothing_runs_when_the_warehouse_reflects_the_raw_files(refreshed, capsys):
    _raw, paths, instance = refreshed
    runs_before = len(instance.get_runs())
    first = _sensor_tick(instance)  # an empty cursor, as on the first start of the UI after `make run`
    assert not first.run_requests
    assert "already reflects" in first.skip_message
    nightly = _schedule_tick(instance)
    assert not nightly.run_requests
    assert "nothing changed" in nightly.skip_message
    # Recorded on the published warehouse as kept, so its freshness shows it current.
    kept = instance.get_latest_materialization_event(PUBLISHED).asset_materialization
    assert kept.description.startswith("Kept: nothing changed")
    assert kept.metadata["copied"].value is False
    assert run_command.main(["--changed-only"]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert len(instance.get_runs()) == runs_before


def test_a_quiet_night_after_a_blocked_publish_records_nothing(refreshed):
    _raw, paths, instance = refreshed
    paths["WAREHOUSE_PATH"].unlink()  # as after a first publish that a blocking check stopped
    before = instance.get_latest_materialization_event(PUBLISHED)
    nightly = _schedule_tick(instance)
    assert not nightly.run_requests
    assert "not the current build" in nightly.skip_message
    assert instance.get_latest_materialization_event(PUBLISHED).timestamp == before.timestamp


def test_one_new_spending_file_runs_only_what_it_feeds(refreshed):
    raw, paths, instance = refreshed
    added = _new_spending_file(raw)
    (request,) = _sensor_tick(instance).run_requests
    assert request.tags["raw/sources"] == "spending"
    selected = {key.to_user_string() for key in request.asset_selection}
    assert {"landing/spending", "staging/spending", "core/fct_spending", "marts/fiscal_year_rollup",
            "warehouse/published", "reports/programme_report"} <= selected
    assert not selected & {"landing/registrations", "staging/registrations", "landing/outcomes", "landing/cluster_plans"}
    checked = {key.asset_key.to_user_string() for key in request.asset_check_keys}
    assert "staging/spending" in checked and "staging/registrations" not in checked
    (nightly,) = _schedule_tick(instance).run_requests
    assert nightly.asset_selection == request.asset_selection

    result = defs.resolve_job_def(REFRESH_JOB).get_subset(
        asset_selection=set(request.asset_selection), asset_check_selection=set(request.asset_check_keys)
    ).execute_in_process(instance=instance, raise_on_error=False, tags=request.tags)
    assert result.success
    steps = {event.step_key for event in result.all_events if event.is_step_success}
    assert {"land_spending", "validate_spending", "warehouse__published"} <= steps
    assert not steps & {"land_registrations", "validate_registrations", "land_outcomes", "validate_outcomes", "gx_registrations"}
    relative = added.relative_to(raw).as_posix()
    assert query_read_only(
        paths["WAREHOUSE_PATH"], "SELECT count(*) FROM audit.file_manifest WHERE source_file = ?", [relative]
    ) == [(1,)]
    # Landed: the next look finds nothing to run.
    assert not _schedule_tick(instance).run_requests


def test_the_command_line_makes_the_same_selection(refreshed, capsys):
    raw, _paths, instance = refreshed
    _new_spending_file(raw)
    assert run_command.main(["--changed-only"]) == 0
    assert "raw files of spending changed" in capsys.readouterr().out
