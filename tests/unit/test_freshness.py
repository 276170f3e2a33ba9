"""The published warehouse carries a freshness policy, and a missed nightly refresh turns it
WARN, then FAIL.

The second test runs Dagster's own freshness daemon (what `dagster dev` runs and the UI shows)
against the real code location, with the clock moved forward.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import dagster as dg
import yaml
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.test_utils import create_test_daemon_workspace_context, freeze_time
from dagster._core.workspace.load_target import ModuleTarget
from dagster._daemon.freshness import FreshnessDaemon

from pipeline.alerts import WAREHOUSE_FRESHNESS_POLICY
from pipeline.definitions import defs

from support import PROJECT_ROOT


PUBLISHED = dg.AssetKey(["warehouse", "published"])


def test_only_the_published_warehouse_has_the_nightly_freshness_policy():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        policy = graph.get(key).freshness_policy
        assert policy == (WAREHOUSE_FRESHNESS_POLICY if key == PUBLISHED else None), key
    assert WAREHOUSE_FRESHNESS_POLICY.fail_window.to_timedelta() == timedelta(hours=26)
    assert WAREHOUSE_FRESHNESS_POLICY.warn_window.to_timedelta() == timedelta(hours=25)


def test_instance_config_evaluates_freshness():
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    assert config["freshness"] == {"enabled": True}


def test_missed_nightly_refresh_turns_the_published_warehouse_warn_then_fail(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(home))
    watched = [PUBLISHED]
    try:
        refreshed_at = datetime.now(timezone.utc)
        for key in watched:  # what the nightly run records
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))
        target = ModuleTarget(
            module_name="pipeline.definitions",
            attribute=None,
            working_directory=str(PROJECT_ROOT),
            location_name="cluster_programme",
        )
        with create_test_daemon_workspace_context(target, instance) as workspace:
            daemon = FreshnessDaemon()
            for hours_later, expected in ((2, FreshnessState.PASS), (25.5, FreshnessState.WARN), (26.5, FreshnessState.FAIL)):
                with freeze_time(refreshed_at + timedelta(hours=hours_later)):
                    list(daemon.run_iteration(workspace))
                states = instance.get_freshness_state_records(watched)
                assert {k: states[k].freshness_state for k in watched} == dict.fromkeys(watched, expected), hours_later
            # Landing has no policy: nothing to show for it.
            landing = dg.AssetKey(["landing", "registrations"])
            list(daemon.run_iteration(workspace))
            record = instance.get_freshness_state_records([landing]).get(landing)
            assert record is None or record.freshness_state == FreshnessState.NOT_APPLICABLE
    finally:
        instance.dispose()
