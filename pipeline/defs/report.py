"""The programme report (static HTML) and the marts exported for BI tools, from the published warehouse."""

import dagster as dg

from pipeline import steps
from pipeline.report import made_from
from pipeline.report.exports import export_marts, mart_tables
from pipeline.report.paths import exports_dir, report_path, reports_dir
from pipeline.report.render import build_report
from pipeline.resources import WarehouseResource

PUBLISHED = dg.AssetKey(["warehouse", "published"])
REPORT_SOURCES = [
    dg.AssetKey(["marts", "fiscal_year_rollup"]),
    dg.AssetKey(["marts", "cluster_outcomes"]),
    dg.AssetKey(["marts", "province_outcomes"]),
    dg.AssetKey(["marts", "spending_by_channel"]),
    dg.AssetKey(["audit", "quarantine"]),
    dg.AssetKey(["audit", "file_manifest"]),
]


@steps.asset(
    key=["reports", "programme_report"],
    deps=[*REPORT_SOURCES, PUBLISHED],
    description="The programme report: headline figures of each fiscal year against the announced ones, "
    "clusters by value per baht, spend by channel and activity, budget utilisation, regions and provinces, "
    "data quality. One self-contained HTML file (REPORTS_DIR/programme_report.html) that opens without a "
    "network, rendered from the published warehouse opened read-only (again only when that changed).",
)
def programme_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    path = report_path()
    version = made_from.warehouse_version(warehouse.settings().warehouse_path)
    location = {"path": dg.MetadataValue.path(str(path)), "url": dg.MetadataValue.url(path.resolve().as_uri())}
    if made_from.is_current(reports_dir(), "programme_report", version, [path]):
        context.log.info(f"{path} was rendered from this warehouse already; kept")
        return dg.MaterializeResult(metadata={**location, "size_bytes": path.stat().st_size, "rebuilt": False})
    rendered = build_report(warehouse.settings().warehouse_path, path)
    made_from.record(reports_dir(), "programme_report", version)
    context.log.info(f"report written to {rendered.path} in {rendered.seconds:.2f} s")
    return dg.MaterializeResult(
        metadata={
            **location,
            "size_bytes": rendered.size_bytes,
            "render_seconds": rendered.seconds,
            "charts": rendered.charts,
            "fiscal_years": ", ".join(str(year) for year in rendered.fiscal_years),
            "rebuilt": True,
        }
    )


@steps.asset(
    key=["reports", "mart_exports"],
    deps=[*(dg.AssetKey(["marts", table]) for table in mart_tables()), PUBLISHED],
    description="Every mart of the published warehouse as Parquet and as a CSV that Excel opens correctly "
    "(UTF-8 with BOM, formula-like text neutralised), in REPORTS_DIR/exports/.",
)
def mart_exports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    folder = exports_dir()
    version = made_from.warehouse_version(warehouse.settings().warehouse_path)
    location = {"path": dg.MetadataValue.path(str(folder)), "url": dg.MetadataValue.url(folder.resolve().as_uri())}
    files = [folder / f"{table}.{kind}" for table in mart_tables() for kind in ("parquet", "csv")]
    if made_from.is_current(reports_dir(), "mart_exports", version, files):
        context.log.info(f"{folder} was exported from this warehouse already; kept")
        return dg.MaterializeResult(metadata={**location, "tables": len(mart_tables()), "rebuilt": False})
    exported = export_marts(warehouse.settings().warehouse_path, folder)
    made_from.record(reports_dir(), "mart_exports", version)
    listing = "\n".join(
        ["| table | rows | parquet | csv |", "|---|---|---|---|"]
        + [f"| {e.table} | {e.rows} | {e.parquet.name} | {e.csv.name} |" for e in exported]
    )
    return dg.MaterializeResult(
        metadata={**location, "files": dg.MetadataValue.md(listing), "tables": len(exported), "rebuilt": True}
    )


defs = dg.Definitions(assets=[programme_report, mart_exports])
