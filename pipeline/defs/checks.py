"""Table-level rules across sources and models, as SQL asset checks.

Each check is a query that returns the offending rows: none means it passes. Blocking checks
stop the downstream assets (and so the publish) where a table would be wrong; warnings mark
what is only doubtful.
"""

from dataclasses import dataclass

import dagster as dg
import polars as pl

from pipeline import change_tracking
from pipeline.metadata import BUILD_POOL
from pipeline.report.announced import announced_frame
from pipeline.resources import WarehouseResource

SHOWN_ROWS = 20


@dataclass(frozen=True)
class SqlCheck:
    asset: tuple[str, ...]
    name: str
    description: str
    offending_rows_sql: str
    blocking: bool
    # A failure can mean the tables disagree with the recorded build state (rows counted twice
    # or lost by an extension): the next refresh then rebuilds every table from the landing.
    reconciles: bool = False


SQL_CHECKS = (
    SqlCheck(
        ("audit", "file_manifest"),
        "every_row_accounted_for",
        "For every loaded file, rows read = title rows + staged + quarantined + blank + total rows.",
        """SELECT source_file, rows_read, title_rows, rows_staged, rows_quarantined, blank_rows, total_rows
           FROM audit.file_manifest WHERE status = 'loaded' AND NOT reconciled""",
        blocking=True,
        reconciles=True,
    ),
    SqlCheck(
        ("audit", "file_manifest"),
        "no_rejected_files",
        "Every raw file present could be read; a rejected file is named with its reason.",
        "SELECT source_file, reason_code, reason FROM audit.file_manifest WHERE status = 'rejected'",
        blocking=False,
    ),
    SqlCheck(
        ("marts", "fiscal_year_rollup"),
        "rollup_equals_sum_of_clusters",
        "Every additive figure of the rollup equals the sum over marts.cluster_outcomes (plus programme-wide spend).",
        """WITH sums AS (
               SELECT fiscal_year, count(*) FILTER (WHERE status = 'active') AS active_clusters,
                      sum(budget_allocated_thb) AS budget, sum(spend_executed_thb) AS executed,
                      sum(economic_value_reported_thb) AS reported, sum(economic_value_computed_thb) AS computed
               FROM marts.cluster_outcomes GROUP BY fiscal_year)
           SELECT r.fiscal_year FROM marts.fiscal_year_rollup r FULL JOIN sums s USING (fiscal_year)
           WHERE r.active_clusters IS DISTINCT FROM s.active_clusters
              OR r.budget_allocated_thb IS DISTINCT FROM s.budget
              OR r.spend_executed_thb - r.spend_programme_wide_thb IS DISTINCT FROM s.executed
              OR r.economic_value_thb IS DISTINCT FROM s.reported
              OR r.economic_value_computed_thb IS DISTINCT FROM s.computed""",
        blocking=True,
        reconciles=True,
    ),
    SqlCheck(
        ("marts", "fiscal_year_rollup"),
        "enterprises_equal_accepted_registrations",
        "Enterprises per year equal the distinct enterprises with an accepted registration.",
        """SELECT r.fiscal_year FROM marts.fiscal_year_rollup r
           LEFT JOIN (SELECT fiscal_year, count(DISTINCT enterprise_id) AS n FROM staging.registrations GROUP BY 1) s
             USING (fiscal_year)
           WHERE r.enterprises IS DISTINCT FROM coalesce(s.n, 0)""",
        blocking=True,
        reconciles=True,
    ),
    SqlCheck(
        ("core", "dim_cluster"),
        "cluster_key_unique_per_year",
        "No two clusters of one fiscal year share a cluster_key (the derived identity is unambiguous).",
        """SELECT fiscal_year, cluster_key, list(cluster_code) AS cluster_codes FROM core.dim_cluster
           GROUP BY fiscal_year, cluster_key HAVING count(*) > 1""",
        blocking=True,
    ),
    SqlCheck(
        ("core", "fct_spending"),
        "executed_spend_equals_staging",
        "Executed spend and commitments per budget year in the fact equal the accepted staging rows.",
        """WITH fact AS (SELECT fiscal_year, sum(amount_thb) FILTER (WHERE is_executed) AS executed,
                                sum(amount_thb) FILTER (WHERE transaction_type = 'commitment') AS committed
                         FROM core.fct_spending GROUP BY 1),
                staged AS (SELECT budget_fiscal_year AS fiscal_year,
                                  sum(amount_thb) FILTER (WHERE transaction_type IN ('disbursement', 'refund')) AS executed,
                                  sum(amount_thb) FILTER (WHERE transaction_type = 'commitment') AS committed
                           FROM staging.spending GROUP BY 1)
           SELECT fiscal_year, f.executed AS fact_executed, s.executed AS staged_executed
           FROM fact f FULL JOIN staged s USING (fiscal_year)
           WHERE f.executed IS DISTINCT FROM s.executed OR f.committed IS DISTINCT FROM s.committed""",
        blocking=True,
        reconciles=True,
    ),
    SqlCheck(
        ("marts", "cluster_outcomes"),
        "allocations_not_negative",
        "No cluster has a negative allocation.",
        "SELECT fiscal_year, cluster_code, budget_allocated_thb FROM marts.cluster_outcomes WHERE budget_allocated_thb < 0",
        blocking=True,
    ),
    SqlCheck(
        ("marts", "cluster_outcomes"),
        "spend_within_allocation",
        "A cluster whose executed spend is above its allocation (named, with its utilisation).",
        """SELECT fiscal_year, cluster_code, cluster_name_th, budget_allocated_thb, spend_executed_thb, utilisation_pct
           FROM marts.cluster_outcomes WHERE spend_executed_thb > budget_allocated_thb ORDER BY utilisation_pct DESC""",
        blocking=False,
    ),
)


def _json_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimals and dates as JSON can carry them."""
    return frame.with_columns(
        pl.col(pl.Decimal).cast(pl.Float64), pl.col(pl.Date, pl.Datetime).cast(pl.String)
    )


def sql_check(check: SqlCheck) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(check.asset)),
        name=check.name,
        description=check.description,
        blocking=check.blocking,
        pool=BUILD_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.build_connection() as connection:
            offending = connection.sql(check.offending_rows_sql).pl()
            if check.reconciles and not offending.is_empty():
                change_tracking.forget_built_tables(connection)
                context.log.warning(
                    f"{check.name} failed: what every table was built from is forgotten, so the next refresh "
                    "rebuilds them from the landed rows"
                )
        return dg.AssetCheckResult(
            passed=offending.is_empty(),
            severity=dg.AssetCheckSeverity.ERROR if check.blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                "offending_rows": offending.height,
                "examples": dg.MetadataValue.json(_json_ready(offending.head(SHOWN_ROWS)).to_dicts()),
            },
        )

    return _check


@dg.asset_check(
    asset=dg.AssetKey(["marts", "fiscal_year_rollup"]),
    name="matches_announced_figures",
    description="The headline figures equal the department's announcement (29 clusters, 680 enterprises, "
    "19,000,000 baht, about 1.2 billion baht in 2564; 34 clusters, 17,000,000 baht in 2565), "
    "within the precision each was announced with. A warning: new data may rightly differ.",
    blocking=False,
    pool=BUILD_POOL,
)
def matches_announced_figures(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    announced = announced_frame()
    with warehouse.build_connection() as connection:
        rollup = connection.sql(
            "UNPIVOT (SELECT fiscal_year, active_clusters::DOUBLE AS active_clusters, enterprises::DOUBLE AS enterprises, "
            "budget_allocated_thb::DOUBLE AS budget_allocated_thb, economic_value_thb::DOUBLE AS economic_value_thb "
            "FROM marts.fiscal_year_rollup) ON COLUMNS(* EXCLUDE (fiscal_year)) INTO NAME measure VALUE actual"
        ).pl()
    compared = announced.join(
        rollup.with_columns(pl.col("fiscal_year").cast(pl.Int64)), on=["fiscal_year", "measure"], how="left"
    ).with_columns(
        ((pl.col("actual") - pl.col("announced")).abs() <= pl.col("rounded_to") / 2).fill_null(False).alias("matches")
    )
    differing = compared.filter(~pl.col("matches"))
    return dg.AssetCheckResult(
        passed=differing.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"compared": dg.MetadataValue.json(compared.to_dicts()), "differing": differing.height},
    )


defs = dg.Definitions(asset_checks=[*(sql_check(check) for check in SQL_CHECKS), matches_announced_figures])
