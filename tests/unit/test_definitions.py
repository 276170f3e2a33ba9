"""The code location loads and its asset graph has the expected shape."""

import dagster as dg

from pipeline.contract import SOURCES
from pipeline.definitions import defs


def _keys() -> set[str]:
    return {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}


def test_every_source_is_landed_staged_and_quarantined():
    keys = _keys()
    for source in SOURCES:
        assert f"landing/{source.name}" in keys
        assert f"landing/{source.name}_files" in keys
        assert f"staging/{source.name}" in keys
        assert f"audit/quarantine_{source.name}" in keys


def test_models_and_publish_are_assets():
    keys = _keys()
    for expected in (
        "staging/cluster_reference",
        "core/fct_outcome",
        "marts/cluster_outcomes",
        "marts/fiscal_year_rollup",
        "audit/quarantine",
        "audit/file_manifest",
        "audit/repairs",
        "warehouse/published",
    ):
        assert expected in keys


def test_groups_equal_the_schema_of_the_key():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        expected_group = "publish" if key.path[0] == "warehouse" else key.path[0]
        assert node.group_name == expected_group, key


def test_publish_waits_for_the_marts():
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["warehouse", "published"])).parent_keys}
    assert {"marts/fiscal_year_rollup", "marts/cluster_outcomes", "audit/file_manifest"} <= parents


def test_each_staged_table_has_one_gx_check_per_expectation():
    from pipeline.validation.suites import load_suite

    check_keys = defs.resolve_asset_graph().asset_check_keys
    for source in SOURCES:
        names = {c.name for c in check_keys if c.asset_key == dg.AssetKey(["staging", source.name])}
        assert {e.name for e in load_suite(source.name).expectations} <= names


def test_nightly_schedule_runs_at_two_in_bangkok():
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Bangkok"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_kinds_and_freshness_follow_the_group():
    from pipeline.definitions import FRESHNESS_POLICY_BY_GROUP, KINDS_BY_GROUP

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.kinds == KINDS_BY_GROUP[node.group_name], key
        assert node.freshness_policy == FRESHNESS_POLICY_BY_GROUP.get(node.group_name), key


def test_a_process_that_loads_the_definitions_leaves_them_out_of_garbage_collections():
    # In a fresh interpreter: the definitions' modules and objects are frozen, and a full
    # collection afterwards does not scan them (pipeline/memory.py).
    import subprocess
    import sys

    probe = (
        "import gc, pipeline.definitions; frozen = gc.get_freeze_count(); "
        "print(frozen, len(gc.get_objects()))"
    )
    frozen, tracked = map(int, subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split())
    assert frozen > 100_000
    assert tracked < frozen / 10
