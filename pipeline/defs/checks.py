"""Table-level rules across sources and models, as SQL asset checks (`sql/checks/`,
pipeline/sql_checks.py), and the check of the headline figures against the announcement.

Each SQL check is a query that returns the offending rows: none means it passes. Blocking checks
stop the downstream assets (and so the publish) where a table would be wrong; warnings mark
what is only doubtful.
"""

import dagster as dg
import polars as pl

from pipeline import change_tracking, steps
from pipeline.metadata import markdown_table
from pipeline.report.announced import announced_frame
from pipeline.resources import WarehouseResource
from pipeline.sql_checks import SqlCheck, discover_checks

SHOWN_ROWS = 20


def sql_check(check: SqlCheck) -> dg.AssetChecksDefinition:
    @steps.asset_check(
        asset=dg.AssetKey(list(check.asset)),
        name=check.name,
        description=check.description,
        blocking=check.blocking,
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
                "examples": dg.MetadataValue.md(markdown_table(offending.head(SHOWN_ROWS))),
            },
        )

    return _check


@steps.asset_check(
    asset=dg.AssetKey(["marts", "fiscal_year_rollup"]),
    name="matches_announced_figures",
    description="The headline figures equal the department's announcement (29 clusters, 680 enterprises, "
    "19,000,000 baht, about 1.2 billion baht in 2564; 34 clusters, 17,000,000 baht in 2565), "
    "within the precision each was announced with. A warning: new data may rightly differ.",
    blocking=False,
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
        metadata={"compared": dg.MetadataValue.md(markdown_table(compared)), "differing": differing.height},
    )


defs = dg.Definitions(asset_checks=[*(sql_check(check) for check in discover_checks()), matches_announced_figures])
