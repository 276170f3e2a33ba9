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
    "of the build database once everything upstream and its blocking checks have passed; left as it is "
    "when it already holds tables of the same versions.",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    publication = publish(settings.build_database, settings.warehouse_path, settings.kept_versions, context.run_id)
    if not publication.copied:
        context.log.info(f"{publication.path} already holds this build (version {publication.version[:12]}); not copied")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.path)),
            "size_bytes": publication.path.stat().st_size,
            "versions_kept": len(list_versions(publication.path)),
            "copied": publication.copied,
            "database_version": publication.version or "unknown",
        }
    )
