"""The last step of a refresh: the validated build becomes the analysts' warehouse."""


import dagster as dg

from pipeline.metadata import BUILD_POOL
from pipeline.publish import list_versions, publish
from pipeline.resources import WarehouseResource
from pipeline.sql_models import discover_models

# Publishing waits for every mart and audit table, and so for every blocking check upstream.
PUBLISHED_TABLES = [dg.AssetKey([m.schema, m.table]) for m in discover_models(("audit", "marts"))]


@dg.asset(
    key=["warehouse", "published"],
    group_name="publish",
    deps=PUBLISHED_TABLES,
    kinds={"duckdb"},
    pool=BUILD_POOL,
    description="The analysts' DuckDB file (WAREHOUSE_PATH), replaced atomically by a checkpointed copy "
    "of the build database once everything upstream and its blocking checks have passed.",
)
def published_warehouse(warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    path = publish(settings.build_database, settings.warehouse_path, settings.kept_versions)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "size_bytes": path.stat().st_size,
            "versions_kept": len(list_versions(path)),
        }
    )
