"""SQL models of `sql/staging`, `sql/audit`, `sql/core` and `sql/marts` as Dagster assets keyed [schema, table]."""

import sys

import dagster as dg

from pipeline import build_state, pii
from pipeline.alerts import MARTS_FRESHNESS_POLICY
from pipeline.catalog import table_description
from pipeline.metadata import BUILD_POOL, table_metadata
from pipeline.resources import WarehouseResource
from pipeline.sql_models import SqlModel, discover_models


def model_asset(model: SqlModel) -> dg.AssetsDefinition:
    output = [(model.schema, model.table)]
    code = build_state.digest("model", model.sql, build_state.source_code(pii, sys.modules[__name__]))

    @dg.asset(
        key=[model.schema, model.table],
        group_name=model.schema,
        deps=[dg.AssetKey(list(reference)) for reference in model.references],
        kinds={"duckdb", "sql"},
        description=table_description(model.schema, model.table) or model.description or None,
        pool=BUILD_POOL,
        freshness_policy=MARTS_FRESHNESS_POLICY if model.schema == "marts" else None,
    )
    def _materialise(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        # Schema and table come from the file's own path in sql/, never from data.
        with warehouse.build_connection() as connection:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {model.schema}")
            # The same SQL over tables of the same versions: the table is what a rebuild gives.
            inputs = build_state.fingerprint(connection, code, model.references)
            rebuilt = not build_state.is_current(connection, output, inputs)
            if rebuilt:
                build_state.record(connection, output, None, context.run_id)
                connection.execute(
                    f"CREATE OR REPLACE TABLE {model.schema}.{model.table} AS {model.sql.rstrip().rstrip(';')}"
                )
                build_state.record(connection, output, inputs, context.run_id)
            metadata = table_metadata(connection, model.schema, model.table)
        return dg.MaterializeResult(metadata={**metadata, "rebuilt": rebuilt})

    return _materialise


defs = dg.Definitions(assets=[model_asset(model) for model in discover_models()])
