"""Landing assets: each source's raw files, parsed and normalised once per content change."""


import dagster as dg
import polars as pl

from pipeline import steps
from pipeline.contract import SOURCES, Source
from pipeline.landing import land_source
from pipeline.memory import release_memory
from pipeline.catalog import table_description
from pipeline.change_tracking import table_exists
from pipeline.metadata import FILE_HEADER, REJECTED_REASON_HEADER, column_schema, markdown_table
from pipeline.resources import WarehouseResource


def _files_table(by_file: dict[str, str], about: str) -> str:
    return markdown_table(
        pl.DataFrame({FILE_HEADER: list(by_file), about: list(by_file.values())}, schema={FILE_HEADER: pl.String, about: pl.String})
    )


def landing_asset(source: Source) -> dg.AssetsDefinition:
    @steps.multi_asset(
        name=f"land_{source.name}",
        specs=[
            dg.AssetSpec(
                ["landing", source.name],
                description=table_description("landing", source.name),
            ),
            dg.AssetSpec(
                ["landing", f"{source.name}_files"],
                description=table_description("landing", f"{source.name}_files"),
            ),
        ],
    )
    def _land(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        settings = warehouse.settings()
        with warehouse.build_connection() as connection:
            report = land_source(connection, source, settings.raw_data_dir, context.run_id)
            (landed_rows,) = connection.execute(
                f"SELECT coalesce(sum(rows_read), 0) FROM landing.{source.name}_files WHERE status = 'loaded'"
            ).fetchall()[0]
            schemas = {
                table: {"dagster/column_schema": column_schema(connection, "landing", table)}
                for table in (source.name, f"{source.name}_files") if table_exists(connection, "landing", table)
            }
        release_memory()  # the parsed files' frames
        for path, reason in report.rejected.items():
            context.log.warning(f"rejected {path}: {reason}")
        yield dg.MaterializeResult(
            asset_key=["landing", source.name],
            metadata={
                **schemas.get(source.name, {}),
                "dagster/row_count": int(landed_rows),
                "files_parsed": len(report.loaded),
                "files_new": len(report.loaded) - len(report.changed),
                "files_changed": len(report.changed),
                "files_unchanged": len(report.unchanged),
                "files_rejected": len(report.rejected),
                "files_removed": len(report.removed),
                "parsed": dg.MetadataValue.json(report.loaded),
            },
        )
        yield dg.MaterializeResult(
            asset_key=["landing", f"{source.name}_files"],
            metadata={
                **schemas.get(f"{source.name}_files", {}),
                "rejected": dg.MetadataValue.md(_files_table(report.rejected, REJECTED_REASON_HEADER)),
                "duplicate_files": dg.MetadataValue.md(_files_table(report.duplicates, "same content as")),
                "removed": dg.MetadataValue.json(report.removed),
            },
        )

    return _land


defs = dg.Definitions(assets=[landing_asset(source) for source in SOURCES])
