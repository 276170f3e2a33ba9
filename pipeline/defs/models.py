"""SQL models of `sql/staging`, `sql/audit`, `sql/core` and `sql/marts` as Dagster assets keyed [schema, table].

A model is rebuilt when its inputs changed (pipeline/change_tracking.py). An incremental model
(sql_models.SqlModel.incremental) whose only changed input is its row source, extended by new
files since the model was built, gets just those files' rows added.
"""

import sys

import dagster as dg

from pipeline import change_tracking, pii, sql_functions, steps, tiers
from pipeline.catalog import table_description
from pipeline.metadata import table_metadata
from pipeline.resources import WarehouseResource
from pipeline.sql_models import SqlModel, discover_models


def model_asset(model: SqlModel) -> dg.AssetsDefinition:
    output = [(model.schema, model.table)]
    # An analysts' table is created in the tier's catalog (pipeline/tiers.py).
    target = tiers.qualified(model.schema, model.table)
    code = change_tracking.digest("model", model.sql, change_tracking.source_code(pii, sql_functions, sys.modules[__name__]))

    @steps.asset(
        key=[model.schema, model.table],
        deps=[dg.AssetKey(list(reference)) for reference in model.references],
        description=table_description(model.schema, model.table) or model.description or None,
    )
    def _materialise(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        # Schema and table come from the file's own path in sql/, never from data.
        with warehouse.build_connection() as connection:
            if tiers.catalog_of(model.schema, model.table) is None:
                connection.execute(f"CREATE SCHEMA IF NOT EXISTS {model.schema}")
            # The same SQL over tables of the same versions: the table is what a rebuild gives.
            with change_tracking.build(
                connection, output, code, model.references, context.run_id,
                row_source=model.incremental[0] if model.incremental else None,
            ) as build:
                if build.new_files:
                    # The column name comes from the model's own SQL file (checked as an identifier).
                    connection.execute(
                        f"INSERT INTO {target} BY NAME SELECT * FROM ({model.select}) "
                        f"WHERE {model.incremental[1]} IN (SELECT unnest(?::VARCHAR[]))",
                        [build.new_files],
                    )
                    build.appended()
                elif build.rebuilt:
                    connection.execute(f"CREATE OR REPLACE TABLE {target} AS {model.select}")
            metadata = table_metadata(connection, model.schema, model.table)
        return dg.MaterializeResult(metadata={**metadata, "rebuilt": build.rebuilt, "build_mode": build.mode})

    return _materialise


defs = dg.Definitions(assets=[model_asset(model) for model in discover_models()])
