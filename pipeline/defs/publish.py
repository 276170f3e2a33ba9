"""The last step of a refresh: the validated build becomes the analysts' warehouse."""


import dagster as dg

from pipeline import refresh_summary, steps
from pipeline.defs.reference import REFERENCE_TABLES
from pipeline.lake import publish_to_lake
from pipeline.publish import list_versions, publish
from pipeline.resources import WarehouseResource
from pipeline.sql_models import discover_models
from pipeline.tiers import ANALYST_SCHEMAS, ANALYST_STORAGE_VERSION

# Publishing waits for every table of the analysts' schemas, and so for every blocking check upstream.
PUBLISHED_TABLES = [dg.AssetKey([m.schema, m.table]) for m in discover_models(ANALYST_SCHEMAS)] + [
    dg.AssetKey(["core", table]) for table in REFERENCE_TABLES
]


@steps.asset(
    key=["warehouse", "published"],
    deps=PUBLISHED_TABLES,
    description="The analysts' DuckDB file (WAREHOUSE_PATH): a copy of the analysts' tier the build writes "
    "(core, marts, audit; no personal data; in the storage format of DuckDB "
    f"{ANALYST_STORAGE_VERSION}), swapped in atomically once everything upstream and its blocking checks "
    "have passed; left as it is when it already holds tables of the same versions.",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    publication = publish(
        settings.build_database, settings.warehouse_path, settings.kept_versions, context.run_id,
        settings.duckdb_memory_limit,
    )
    if not publication.copied:
        context.log.info(f"{publication.path} already holds this build (version {publication.version[:12]}); not written again")
    lake_metadata = {}
    if settings.warehouse_ducklake:
        # The lake gets the same tier, as one snapshot; the report and exports read the file.
        lake_publication = publish_to_lake(settings.build_database, settings, context.run_id)
        lake_metadata = {"ducklake_committed": lake_publication.committed, "ducklake_snapshot": lake_publication.snapshot or -1}
        if not lake_publication.committed:
            context.log.info(f"{settings.warehouse_ducklake} already holds this build; no snapshot committed")
    outcome = "published: a new version written" if publication.copied else "kept: it already held this build, nothing written"
    figures = refresh_summary.figures(settings.build_database)
    return dg.MaterializeResult(
        metadata={
            "outcome": outcome,
            # The morning's questions on one page: what was rejected, by which rule, per source.
            "refresh_summary": dg.MetadataValue.md(f"**Warehouse {outcome}.**\n\n{figures.markdown()}"),
            "path": dg.MetadataValue.path(str(publication.path)),
            "size_bytes": publication.path.stat().st_size,
            "versions_kept": len(list_versions(publication.path)),
            "copied": publication.copied,
            "storage_version": ANALYST_STORAGE_VERSION,
            "database_version": publication.version or "unknown",
            # copied: the built tier's file; written: its tables afresh (the tier was mostly free space).
            "written_as": publication.how or "not written",
            **lake_metadata,
        }
    )


defs = dg.Definitions(assets=[published_warehouse])
