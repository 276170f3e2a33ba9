"""Reference tables shipped with the project: provinces, the contract's code lists (sectors,
activities, channels) with their Thai labels, so analysts can show Thai names, and the reason
codes with their labels and fix hints (pipeline/reasons.yml), so SQL can label a code."""

import dagster as dg
import polars as pl

from pipeline import contract, reasons, steps, tiers
from pipeline.config import REFERENCE_DIR
from pipeline.metadata import table_metadata
from pipeline.resources import WarehouseResource


def _provinces() -> pl.DataFrame:
    raw = pl.read_csv(REFERENCE_DIR / "th_provinces.csv", schema_overrides={"province_code": pl.String})
    return raw.select(
        pl.col("iso_3166_2").alias("province_iso"),
        "province_code",
        pl.col("name_th").alias("province_name_th"),
        pl.col("name_en_common").alias("province_name_en"),
        pl.col("region_6_en").alias("region_en"),
        pl.col("region_6_th").alias("region_th"),
        "bkk_vicinity",
    ).sort("province_iso")


def _code_list(labels: dict[str, str], code_column: str, label_column: str) -> pl.DataFrame:
    return pl.DataFrame({code_column: list(labels.values()), label_column: list(labels.keys())})


REFERENCE_TABLES = {
    "dim_province": ("The 77 provinces: ISO 3166-2:TH code, Thai and English names, region.", _provinces),
    "dim_sector": (
        "Cluster sectors: English code used in the warehouse and the Thai name of the plans.",
        lambda: _code_list(contract.SECTORS, "sector_en", "sector_th"),
    ),
    "dim_activity": (
        "Spending activities: code used in the warehouse and the Thai label of the ledgers.",
        lambda: _code_list(contract.ACTIVITIES, "activity", "activity_th"),
    ),
    "dim_channel": (
        "Assistance channels: code as in the ledgers and the full name of the centre.",
        lambda: pl.DataFrame({"channel": list(contract.CHANNELS), "channel_name": list(contract.CHANNELS.values())}),
    ),
    "dim_reason": (
        "Reason, repair and flag codes: Thai and English label, what the sender should change, and the rule.",
        reasons.reasons_frame,
    ),
}


def reference_asset(table: str, description: str, build) -> dg.AssetsDefinition:
    @steps.asset(key=["core", table], description=description)
    def _reference(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.build_connection() as connection:
            connection.register("reference_rows", build())
            connection.execute(f"CREATE OR REPLACE TABLE {tiers.qualified('core', table)} AS SELECT * FROM reference_rows")
            connection.unregister("reference_rows")
            metadata = table_metadata(connection, "core", table)
        return dg.MaterializeResult(metadata=metadata)

    return _reference


defs = dg.Definitions(
    assets=[reference_asset(table, description, build) for table, (description, build) in REFERENCE_TABLES.items()]
)
