"""The report's data: read from the published warehouse's marts and audit tables, shaped with
SQL and polars into the few frames the template and the charts show."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from pipeline.ingest.years import BE_CE_OFFSET
from pipeline.report.announced import announced_frame, measures_frame
from pipeline.report.format import fiscal_year_label_expr

ROLLUP_SQL = """
SELECT fiscal_year, fiscal_year_ce, active_clusters, planned_clusters, enterprises, enterprises_returning,
       budget_allocated_thb::DOUBLE AS budget_allocated_thb, spend_executed_thb::DOUBLE AS spend_executed_thb,
       spend_committed_thb::DOUBLE AS spend_committed_thb, spend_programme_wide_thb::DOUBLE AS spend_programme_wide_thb,
       economic_value_thb::DOUBLE AS economic_value_thb, economic_value_computed_thb::DOUBLE AS economic_value_computed_thb,
       jobs_created, new_products, utilisation_pct, value_per_baht,
       enterprises_yoy_pct, spend_executed_yoy_pct, economic_value_yoy_pct
FROM marts.fiscal_year_rollup ORDER BY fiscal_year
"""

# The lead province's name comes from province_outcomes, which lists every lead province.
CLUSTERS_SQL = """
SELECT c.fiscal_year, c.fiscal_year_ce, c.rank_value_per_baht, c.cluster_code, c.cluster_key, c.cluster_name_th,
       c.sector_en, c.sector_th, c.region_en, c.lead_province_iso, p.province_name_th AS lead_province_th,
       p.province_name_en AS lead_province_en, c.responsible_office, c.status, c.enterprises, c.enterprises_new,
       c.enterprises_returning, c.budget_allocated_thb::DOUBLE AS budget_allocated_thb,
       c.spend_executed_thb::DOUBLE AS spend_executed_thb, c.spend_committed_thb::DOUBLE AS spend_committed_thb,
       c.utilisation_pct, c.economic_value_reported_thb::DOUBLE AS economic_value_thb, c.value_per_baht,
       c.jobs_created, c.survey_coverage_pct, c.reported_value_mismatches, d.predecessor_code,
       coalesce(d.predecessor_derived, false) AS predecessor_derived
FROM marts.cluster_outcomes c
LEFT JOIN marts.province_outcomes p ON p.fiscal_year = c.fiscal_year AND p.province_iso = c.lead_province_iso
LEFT JOIN core.dim_cluster d ON d.fiscal_year = c.fiscal_year AND d.cluster_code = c.cluster_code
ORDER BY c.fiscal_year, c.rank_value_per_baht, c.cluster_code
"""

# Each cluster's executed spend by channel and activity, for its own page.
CLUSTER_SPEND_SQL = """
SELECT s.cluster_key, s.fiscal_year, s.channel, coalesce(ch.channel_name, s.channel) AS channel_name,
       s.activity, coalesce(a.activity_th, s.activity) AS activity_th, sum(s.amount_thb)::DOUBLE AS spend_executed_thb
FROM core.fct_spending s
LEFT JOIN core.dim_channel ch USING (channel)
LEFT JOIN core.dim_activity a USING (activity)
WHERE s.is_executed AND s.cluster_key IS NOT NULL
GROUP BY ALL ORDER BY s.cluster_key, s.fiscal_year, spend_executed_thb DESC, s.channel, s.activity
"""

# Enterprises of each cluster surveyed in one round only (attrition), for its page's notes.
CLUSTER_ROUNDS_SQL = """
SELECT fiscal_year, cluster_code, count(*) FILTER (WHERE round_missing) AS enterprises_one_round
FROM core.fct_outcome GROUP BY ALL
"""

CHANNELS_SQL = """
SELECT fiscal_year, fiscal_year_ce, channel, coalesce(channel_name, channel) AS channel_name,
       activity, coalesce(activity_th, activity) AS activity_th,
       spend_executed_thb::DOUBLE AS spend_executed_thb, spend_committed_thb::DOUBLE AS spend_committed_thb,
       share_of_year_pct, clusters
FROM marts.spending_by_channel ORDER BY fiscal_year, channel, activity
"""

PROVINCES_SQL = """
SELECT fiscal_year, fiscal_year_ce, province_iso, coalesce(province_name_th, province_iso) AS province_name_th,
       coalesce(province_name_en, province_iso) AS province_name_en,
       coalesce(region_en, 'unknown') AS region_en, coalesce(region_th, region_en, 'unknown') AS region_th,
       enterprises, clusters_led, budget_allocated_thb::DOUBLE AS budget_allocated_thb,
       economic_value_reported_thb::DOUBLE AS economic_value_thb
FROM marts.province_outcomes ORDER BY fiscal_year, region_en, province_iso
"""

# A row with several reason codes counts once under each of them.
QUARANTINE_SQL = """
SELECT source, reason_code, coalesce(r.label_en, reason_code) AS label_en, r.label_th, count(*) AS quarantined_rows
FROM (
    SELECT source, unnest(CASE WHEN len(coalesce(reason_codes, [])) = 0 THEN ['(none)'] ELSE reason_codes END)
               AS reason_code
    FROM audit.quarantine
)
LEFT JOIN core.dim_reason r USING (reason_code)
GROUP BY ALL ORDER BY source, quarantined_rows DESC, reason_code
"""

QUARANTINE_BY_SOURCE_SQL = """
SELECT source, count(*) AS quarantined_rows, count(DISTINCT source_file) AS files
FROM audit.quarantine GROUP BY source ORDER BY source
"""

FILES_SQL = """
SELECT source,
       count(*) AS files,
       count(*) FILTER (WHERE status = 'loaded') AS loaded,
       count(*) FILTER (WHERE status = 'rejected') AS rejected,
       count(*) FILTER (WHERE status = 'duplicate_file') AS duplicate_file,
       count(*) FILTER (WHERE status = 'removed') AS removed,
       count(*) FILTER (WHERE reconciled = false) AS unreconciled,
       coalesce(sum(rows_staged), 0)::BIGINT AS rows_staged,
       coalesce(sum(rows_quarantined), 0)::BIGINT AS rows_quarantined
FROM audit.file_manifest GROUP BY source ORDER BY source
"""

REJECTED_FILES_SQL = """
SELECT source, source_file, status, reason_code, r.label_en, r.label_th, r.fix_en, reason, duplicate_of
FROM audit.file_manifest LEFT JOIN core.dim_reason r USING (reason_code) WHERE status <> 'loaded'
ORDER BY CASE status WHEN 'rejected' THEN 0 WHEN 'duplicate_file' THEN 1 ELSE 2 END, source, source_file
"""


@dataclass(frozen=True)
class ReportData:
    rollup: pl.DataFrame
    headline: pl.DataFrame
    clusters: pl.DataFrame
    channels: pl.DataFrame
    provinces: pl.DataFrame
    regions: pl.DataFrame
    province_table: pl.DataFrame
    quarantine: pl.DataFrame
    quarantine_by_source: pl.DataFrame
    files: pl.DataFrame
    rejected_files: pl.DataFrame
    cluster_spend: pl.DataFrame

    @property
    def fiscal_years(self) -> list[int]:
        return self.rollup.get_column("fiscal_year").to_list()


def _with_label(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(fiscal_year_label_expr().alias("fiscal_year_label"))


def compare_with_announced(rollup: pl.DataFrame, announced: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per fiscal year and headline measure: the warehouse's figure and the announced one.

    status is 'matches' (within the precision the figure was stated with), 'differs',
    'not announced', or 'not in warehouse' (an announced year the warehouse does not have).
    """
    announced = announced_frame() if announced is None else announced
    measures = measures_frame()
    warehouse = (
        rollup.select(
            pl.col("fiscal_year").cast(pl.Int64),
            *[pl.col(name).cast(pl.Float64) for name in measures.get_column("measure")],
        )
        .unpivot(index="fiscal_year", variable_name="measure", value_name="warehouse")
    )
    compared = (
        warehouse.join(announced, on=["fiscal_year", "measure"], how="full", coalesce=True)
        .join(measures, on="measure", how="inner")
        .with_columns(difference=pl.col("warehouse") - pl.col("announced"))
        .with_columns(
            difference_pct=pl.when(pl.col("announced") != 0).then(100 * pl.col("difference") / pl.col("announced")),
            status=pl.when(pl.col("warehouse").is_null())
            .then(pl.lit("not in warehouse"))
            .when(pl.col("announced").is_null())
            .then(pl.lit("not announced"))
            .when(pl.col("difference").abs() <= pl.col("rounded_to") / 2)
            .then(pl.lit("matches"))
            .otherwise(pl.lit("differs")),
        )
        .sort("fiscal_year", "measure_order")
    )
    return _with_label(compared).with_columns((pl.col("fiscal_year") - BE_CE_OFFSET).alias("fiscal_year_ce"))


def region_summary(provinces: pl.DataFrame) -> pl.DataFrame:
    """Enterprises and reported economic value per region and fiscal year."""
    return _with_label(
        provinces.group_by("fiscal_year", "region_en", "region_th")
        .agg(
            pl.col("enterprises").sum(),
            pl.col("economic_value_thb").sum(),
            pl.col("clusters_led").sum(),
            pl.col("province_iso").n_unique().alias("provinces"),
        )
        .sort("fiscal_year", "region_en")
    )


def province_table(provinces: pl.DataFrame, fiscal_years: list[int]) -> pl.DataFrame:
    """One row per province, with enterprises and economic value of each fiscal year side by side.

    Columns `enterprises_<year>` and `economic_value_thb_<year>`, for every year in fiscal_years;
    sorted by region, then by the latest year's economic value, largest first.
    """
    wide = provinces.pivot(
        on="fiscal_year",
        index=["region_en", "region_th", "province_iso", "province_name_th", "province_name_en"],
        values=["enterprises", "economic_value_thb"],
        aggregate_function="sum",
        separator="_",
    )
    # pivot names columns "<value>_<year>" only when there are several value columns; make it so.
    expected = [f"{value}_{year}" for year in fiscal_years for value in ("enterprises", "economic_value_thb")]
    wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(name) for name in expected if name not in wide.columns)
    latest = f"economic_value_thb_{fiscal_years[-1]}" if fiscal_years else None
    order = ["region_en"] + ([latest] if latest else []) + ["province_iso"]
    descending = [False] + ([True] if latest else []) + [False]
    return wide.sort(order, descending=descending, nulls_last=True)


def read_report_data(connection: duckdb.DuckDBPyConnection) -> ReportData:
    rollup = _with_label(connection.sql(ROLLUP_SQL).pl())
    provinces = _with_label(connection.sql(PROVINCES_SQL).pl())
    fiscal_years = sorted(set(rollup.get_column("fiscal_year").to_list()) | set(provinces.get_column("fiscal_year").to_list()))
    return ReportData(
        rollup=rollup,
        headline=compare_with_announced(rollup),
        clusters=_with_label(
            connection.sql(CLUSTERS_SQL).pl().join(
                connection.sql(CLUSTER_ROUNDS_SQL).pl(), on=["fiscal_year", "cluster_code"], how="left",
                maintain_order="left",
            )
        ),
        cluster_spend=_with_label(connection.sql(CLUSTER_SPEND_SQL).pl()),
        channels=_with_label(connection.sql(CHANNELS_SQL).pl()),
        provinces=provinces,
        regions=region_summary(provinces),
        province_table=province_table(provinces, fiscal_years),
        quarantine=connection.sql(QUARANTINE_SQL).pl(),
        quarantine_by_source=connection.sql(QUARANTINE_BY_SOURCE_SQL).pl(),
        files=connection.sql(FILES_SQL).pl(),
        rejected_files=connection.sql(REJECTED_FILES_SQL).pl(),
    )
