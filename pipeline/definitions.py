"""The code location: the `defs` of every module of `pipeline/defs/`, with what all assets share
applied once here: the group (the first part of the key), the kinds shown in the UI (by group),
the published warehouse's freshness policy, the warehouse resource and the in-process executor.
(The one pool of every step is bound by the decorators of pipeline/steps.py.)
"""

import importlib
import pkgutil
import warnings

import dagster as dg

import pipeline.defs
from pipeline.alerts import WAREHOUSE_FRESHNESS_POLICY
from pipeline.memory import freeze_long_lived_objects
from pipeline.resources import WarehouseResource

# An asset's group is the first part of its key (its schema), except where named here.
GROUP_OF_KEY_PREFIX = {"warehouse": "publish"}
# What each group's assets are built with or written as.
KINDS_BY_GROUP = {
    "landing": {"polars", "duckdb"},
    "staging": {"duckdb", "great_expectations"},
    "audit": {"duckdb", "sql"},
    "core": {"duckdb", "sql"},
    "marts": {"duckdb", "sql"},
    "publish": {"duckdb"},
    "reports": {"html", "plotly", "parquet", "csv"},
    "feedback": {"duckdb", "excel"},
}
FRESHNESS_POLICY_BY_GROUP = {"publish": WAREHOUSE_FRESHNESS_POLICY}


def shared_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    group = GROUP_OF_KEY_PREFIX.get(spec.key.path[0], spec.key.path[0])
    return spec.replace_attributes(
        group_name=group, kinds=KINDS_BY_GROUP[group], freshness_policy=FRESHNESS_POLICY_BY_GROUP.get(group)
    )


def _modules_defs() -> list[dg.Definitions]:
    names = sorted(info.name for info in pkgutil.iter_modules(pipeline.defs.__path__))
    return [importlib.import_module(f"pipeline.defs.{name}").defs for name in names]


# The in-process executor is also the default for runs launched from the UI ("Materialize all"):
# every step runs in one pool, one at a time, so separate step processes buy no parallelism and
# cost several seconds of start-up each.
with warnings.catch_warnings():
    # Marked preview in Dagster 1.13; what it gives is pinned by tests/test_definitions.py.
    warnings.simplefilter("ignore", dg.PreviewWarning)
    defs = dg.Definitions.merge(
        *_modules_defs(),
        dg.Definitions(resources={"warehouse": WarehouseResource()}, executor=dg.in_process_executor),
    ).map_asset_specs(func=shared_policy)

# In every process that loads the definitions (this command's, a run's, the code server's): the
# modules and definitions live as long as it does, so garbage collections need not scan them.
freeze_long_lived_objects()
