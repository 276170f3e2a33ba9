"""Great Expectations 1.x run over a staged table, for Dagster asset checks.

Why the pandas data source and not GX's SQL data source on DuckDB: GX 1.24 reads SQL metric
results after it has closed the connection, so over duckdb-engine every metric comes back
empty (IndexError in `resolve_metric_bundle`; GX issues #10738 and #11579). The pandas
source computes the same metrics in memory, so we hand GX only the columns the suite names.
GX is imported inside the function: the import costs about 5 s, paid only by validating steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from pipeline.validation.suites import Expectation, Suite

# Columns whose values are personal data: never shown as examples in the UI.
PERSONAL_COLUMNS = frozenset(
    {
        "tax_id", "contact_name", "phone", "email", "payee_name", "payee_tax_id", "enterprise_ref",
        "beneficiary_tax_id", "enterprise_id", "enterprise_name_th",
    }
)
EXAMPLES_SHOWN = 5


@dataclass(frozen=True)
class Outcome:
    expectation: Expectation
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: list


def _columns_of(suite: Suite) -> list[str]:
    names: set[str] = set()
    for expectation in suite.expectations:
        if "column" in expectation.kwargs:
            names.add(expectation.kwargs["column"])
        names.update(expectation.kwargs.get("column_list", []))
        names.update(expectation.kwargs.get("column_set", []))
    return sorted(names)


def _masked(expectation: Expectation, values: list) -> list:
    columns = {expectation.kwargs.get("column"), *expectation.kwargs.get("column_list", [])}
    if columns & PERSONAL_COLUMNS:
        return [f"{str(v)[:3]}…(masked)" for v in values]
    return [v if isinstance(v, (int, float, str, bool)) or v is None else str(v) for v in values]


def validate_table(connection: duckdb.DuckDBPyConnection, suite: Suite, table: str) -> list[Outcome]:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from great_expectations.execution_engine import pandas_execution_engine

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    # GX fingerprints every batch under HASH_THRESHOLD bytes by hashing all its values (a batch
    # marker only, used for nothing here): that was half the time of a check. Off.
    pandas_execution_engine.HASH_THRESHOLD = 0
    schema, name = table.split(".")
    present = dict(
        connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?", [schema, name]
        ).fetchall()
    )
    # Only columns that exist are read, so a missing one fails its expectation instead of the query.
    # Column names come from the repository's own suite; the table name from our asset key.
    columns = [c for c in _columns_of(suite) if c in present]
    # Decimals as doubles, as DuckDB's .df() gives them; through Arrow, which converts strings
    # to pandas several times faster than .df().
    selected = (
        ", ".join(f'"{c}"::DOUBLE AS "{c}"' if present[c].startswith("DECIMAL") else f'"{c}"' for c in columns)
        if columns
        else "1 AS _no_columns"
    )
    frame = connection.sql(f"SELECT {selected} FROM {table}").to_arrow_table().to_pandas(date_as_object=False)

    context = gx.get_context(mode="ephemeral")
    batch_definition = (
        context.data_sources.add_pandas(f"{suite.source}_staged")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("all_rows")
    )
    gx_suite = gx.ExpectationSuite(name=suite.source)
    for expectation in suite.expectations:
        gx_suite.add_expectation(
            ExpectationConfiguration(
                type=expectation.type, kwargs=expectation.kwargs, meta=expectation.meta
            ).to_domain_obj()
        )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(gx_suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES_SHOWN})
    outcomes = []
    for expectation, item in zip(suite.expectations, result.results, strict=True):
        details = item.result or {}
        outcomes.append(
            Outcome(
                expectation=expectation,
                success=bool(item.success),
                element_count=details.get("element_count"),
                unexpected_count=details.get("unexpected_count"),
                unexpected_percent=details.get("unexpected_percent"),
                examples=_masked(expectation, list(details.get("partial_unexpected_list") or [])[:EXAMPLES_SHOWN]),
            )
        )
    return outcomes


_OUTCOME_FIELDS = ("success", "element_count", "unexpected_count", "unexpected_percent", "examples")


def outcomes_to_json(outcomes: list[Outcome]) -> list[dict]:
    """Outcomes as JSON-ready dicts, in suite order (kept by pipeline.build_state)."""
    return [{name: getattr(outcome, name) for name in _OUTCOME_FIELDS} for outcome in outcomes]


def outcomes_from_json(suite: Suite, recorded: list[dict]) -> list[Outcome]:
    return [
        Outcome(expectation=expectation, **{name: values[name] for name in _OUTCOME_FIELDS})
        for expectation, values in zip(suite.expectations, recorded, strict=True)
    ]
