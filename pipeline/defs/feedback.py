"""The offices' feedback workbooks (pipeline/feedback.py), from the build database on every refresh."""

import dagster as dg
import polars as pl

from pipeline import steps
from pipeline.contract import SOURCES
from pipeline.feedback import sender_label, write_workbooks
from pipeline.metadata import markdown_table
from pipeline.resources import WarehouseResource


@steps.asset(
    key=["feedback", "office_workbooks"],
    deps=[
        dg.AssetKey(["audit", "file_manifest"]),
        dg.AssetKey(["core", "dim_reason"]),
        *(dg.AssetKey(["audit", f"quarantine_{source.name}"]) for source in SOURCES),
        *(dg.AssetKey(["staging", source.name]) for source in SOURCES),
    ],
    description="One Excel workbook per office that sent files (กสอ., ศภ.1-ศภ.11) and one for finance's "
    "ledgers, in Thai with English beside it: a summary against the previous refresh, the quarantined rows "
    "with the values sent, the reason and what to change, the repairs made, and the files not loaded. "
    "They hold the offices' own personal data: written to FEEDBACK_DIR (restricted), not with the exports.",
)
def office_workbooks(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    folder = warehouse.settings().feedback_dir
    with warehouse.build_connection() as connection:
        written = write_workbooks(connection, folder, context.run.run_id)
    listing = pl.DataFrame(
        {
            "workbook": [w.path.name for w in written],
            "sender": [sender_label(w.sender) for w in written],
            "rows quarantined": [f"{w.rows_quarantined:,}" for w in written],
            "rows repaired": [f"{w.rows_repaired:,}" for w in written],
            "files not loaded": [f"{w.files_rejected:,}" for w in written],
            "this refresh": ["written" if w.rewritten else "kept (nothing it shows changed)" for w in written],
        }
    )
    rewritten = sum(w.rewritten for w in written)
    context.log.info(f"{rewritten} of {len(written)} feedback workbooks written to {folder}; the others showed no change")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(folder)),
            "workbooks": dg.MetadataValue.md(markdown_table(listing)),
            "count": len(written),
            "rewritten": rewritten,
        }
    )


defs = dg.Definitions(assets=[office_workbooks])
