"""SQL models of `sql/staging`, `sql/audit`, `sql/core` and `sql/marts` as Dagster assets keyed [schema, table].

A model is rebuilt when its inputs changed (pipeline/build_state.py). An incremental model
(sql_models.SqlModel.incremental) whose only changed input is its row source, extended by new
files since the model was built, gets just those files' rows added.
"""

import sys

import dagster as dg

from pipeline import build_state, pii, sql_functions
from pipeline.alerts import MARTS_FRESHNESS_POLICY
from pipeline.catalog import table_description
from pipeline.metadata import BUILD_POOL, table_metadata
from pipeline.resources import WarehouseResource
from pipeline.sql_models import SqlModel, discover_models


def _base_record(model: SqlModel) -> str:
    """build_state name of what an incremental model was built from besides its row source."""
    return f"{model.schema}.{model.table}:base"


def _files_to_add(connection, model: SqlModel, code: str) -> tuple[list[str] | None, str | None, str | None]:
    """(new source files whose rows alone need adding, or None; the fingerprint of the inputs
    but the row source; the row source's version)."""
    (source, _column) = model.incremental
    others = [reference for reference in model.references if reference != source]
    base = build_state.fingerprint(connection, code, others)
    source_version = build_state.table_version(connection, *source)
    built_from = build_state.recorded_outcome(connection, _base_record(model), base)
    extension = build_state.last_extension(connection, *source)
    if (
        built_from is None
        or extension is None
        or extension[0] != built_from[0]["source_version"]
        or not build_state.table_exists(connection, model.schema, model.table)
    ):
        return None, base, source_version
    return extension[1], base, source_version


def model_asset(model: SqlModel) -> dg.AssetsDefinition:
    output = [(model.schema, model.table)]
    code = build_state.digest("model", model.sql, build_state.source_code(pii, sql_functions, sys.modules[__name__]))

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
            mode = "rebuilt" if rebuilt else "kept"
            if rebuilt:
                new_files, base, source_version = (
                    _files_to_add(connection, model, code) if model.incremental else (None, None, None)
                )
                # Forgotten first: a step that stops half-way leaves a table of unknown version.
                build_state.record(connection, output, None, context.run_id)
                if model.incremental:
                    build_state.record_outcome(connection, _base_record(model), None, None, context.run_id)
                if new_files:
                    # The column name comes from the model's own SQL file (checked as an identifier).
                    connection.execute(
                        f"INSERT INTO {model.schema}.{model.table} BY NAME SELECT * FROM ({model.select}) "
                        f"WHERE {model.incremental[1]} IN (SELECT unnest(?::VARCHAR[]))",
                        [new_files],
                    )
                    mode = "appended"
                else:
                    connection.execute(f"CREATE OR REPLACE TABLE {model.schema}.{model.table} AS {model.select}")
                build_state.record(connection, output, inputs, context.run_id)
                if model.incremental:
                    build_state.record_outcome(
                        connection, _base_record(model), base, {"source_version": source_version}, context.run_id
                    )
            metadata = table_metadata(connection, model.schema, model.table)
        return dg.MaterializeResult(metadata={**metadata, "rebuilt": rebuilt, "build_mode": mode})

    return _materialise


defs = dg.Definitions(assets=[model_asset(model) for model in discover_models()])
