"""Great Expectations 1.x run over a staged table, for Dagster asset checks.

Why the pandas data source and not GX's SQL data source on DuckDB: GX 1.24 reads SQL metric
results after it has closed the connection, so over duckdb-engine every metric comes back
empty (IndexError in `resolve_metric_bundle`; GX issues #10738 and #11579). The pandas
source computes the same metrics in memory, so we hand GX only the columns the suite names.
GX is imported inside the function: the import costs 2 to 5 s, paid only by validating steps.
It is not imported in a background thread ahead of time: that import ran while Dagster's
storage used SQLAlchemy, whose `sqlalchemy.orm` it was initialising, and a run failed on the
half-initialised module (AttributeError in `sqlalchemy.orm.base`).

A staged table is checked in batches of whole files (`validate_in_batches`), so no more than
about GX_BATCH_ROWS rows are converted to pandas at once: row-level counts add up across
batches; uniqueness and the row count run on the whole table, reading only their columns.

A staged table extended by new files is checked on the new rows only (`validate_appended`):
a row-level expectation's counts add up, so its outcome on the whole table is the recorded
one plus the new rows'. Uniqueness, recorded as holding, is checked on the new rows and the
earlier rows that share a key with one (every row a new duplicate can involve); the row count
runs over the whole table, reading no column.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from pipeline.memory import release_memory
from pipeline.validation.suites import UNIQUENESS, Expectation, Suite, quoted_column

# Columns whose values are personal data: never shown as examples in the UI.
PERSONAL_COLUMNS = frozenset(
    {
        "tax_id", "contact_name", "phone", "email", "payee_name", "payee_tax_id", "enterprise_ref",
        "beneficiary_tax_id", "enterprise_id", "enterprise_name_th",
    }
)
EXAMPLES_SHOWN = 5
# Rows of whole files converted to pandas at once (about 1 GB of the suite's columns of the
# ledger): a full refresh at scale 1000 converted all 11 M staged ledger lines, 5 GB.
GX_BATCH_ROWS = 2_000_000


@dataclass(frozen=True)
class Outcome:
    expectation: Expectation
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: list
    # Null values, which most row-level expectations do not count against a row.
    missing_count: int | None = None


# Outcomes that new rows' counts alone do not give.
WHOLE_TABLE_TYPES = frozenset({UNIQUENESS, "expect_table_row_count_to_be_between"})
# Outcomes that depend on the table's columns only: those of any of its rows hold for it.
SCHEMA_TYPES = frozenset({"expect_table_columns_to_match_set"})


def _columns_of(expectations: list[Expectation]) -> list[str]:
    names: set[str] = set()
    for expectation in expectations:
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


def validate_table(
    connection: duckdb.DuckDBPyConnection,
    suite: Suite,
    table: str,
    expectations: list[Expectation] | None = None,
    rows: str | None = None,
    params: dict | None = None,
) -> list[Outcome]:
    """Outcomes of the suite (or of `expectations` of it) on the table, or on `rows` of it (our
    own SQL over the table, with bound `params`), in suite order."""
    expectations = suite.expectations if expectations is None else expectations
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
    columns = [c for c in _columns_of(expectations) if c in present]
    # Decimals as doubles, as DuckDB's .df() gives them; through Arrow, which converts strings
    # to pandas several times faster than .df().
    selected = (
        ", ".join(f'"{c}"::DOUBLE AS "{c}"' if present[c].startswith("DECIMAL") else f'"{c}"' for c in columns)
        if columns
        else "1 AS _no_columns"
    )
    relation = connection.sql(f"SELECT {selected} FROM {f'({rows})' if rows else table}", params=params)
    frame = relation.to_arrow_table().to_pandas(date_as_object=False)

    context = gx.get_context(mode="ephemeral")
    batch_definition = (
        context.data_sources.add_pandas(f"{suite.source}_staged")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("all_rows")
    )
    gx_suite = gx.ExpectationSuite(name=suite.source)
    for expectation in expectations:
        gx_suite.add_expectation(
            ExpectationConfiguration(
                type=expectation.type, kwargs=expectation.kwargs, meta=expectation.meta
            ).to_domain_obj()
        )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(gx_suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES_SHOWN})
    # GX keeps its last context as the current project, and with it this DataFrame (1.8 GB for
    # the staged spending of scale 1000) until the next validation: an empty one lets it go.
    del batch, batch_definition, context, frame
    gx.get_context(mode="ephemeral")
    release_memory()
    outcomes = []
    for expectation, item in zip(expectations, result.results, strict=True):
        details = item.result or {}
        outcomes.append(
            Outcome(
                expectation=expectation,
                success=bool(item.success),
                element_count=details.get("element_count"),
                unexpected_count=details.get("unexpected_count"),
                unexpected_percent=details.get("unexpected_percent"),
                examples=_masked(expectation, list(details.get("partial_unexpected_list") or [])[:EXAMPLES_SHOWN]),
                missing_count=details.get("missing_count"),
            )
        )
    return outcomes


def _file_batches(connection: duckdb.DuckDBPyConnection, table: str, batch_rows: int) -> list[list[str]]:
    """The table's source files, in batches of at most `batch_rows` rows (a larger file alone)."""
    files = connection.execute(f"SELECT _source_file, count(*) FROM {table} GROUP BY ALL ORDER BY ALL").fetchall()
    batches: list[list[str]] = []
    rows_in_last = 0
    for source_file, rows in files:  # one iteration per file
        if not batches or rows_in_last + rows > batch_rows:
            batches.append([])
            rows_in_last = 0
        batches[-1].append(source_file)
        rows_in_last += rows
    return batches


def validate_in_batches(
    connection: duckdb.DuckDBPyConnection, suite: Suite, table: str, batch_rows: int = GX_BATCH_ROWS
) -> list[Outcome]:
    """Outcomes of the suite on the whole table (as `validate_table` gives them), its row-level
    expectations run on batches of files, their counts added."""
    batches = _file_batches(connection, table, batch_rows)
    if len(batches) <= 1:
        return validate_table(connection, suite, table)
    row_level = [e for e in suite.expectations if e.type not in WHOLE_TABLE_TYPES]
    combined: dict[str, Outcome | None] = {}
    for files in batches:
        rows = f"SELECT * FROM {table} WHERE _source_file IN (SELECT unnest($files::VARCHAR[]))"
        for outcome in validate_table(connection, suite, table, row_level, rows, {"files": files}) if row_level else []:
            name = outcome.expectation.name
            if name not in combined or outcome.expectation.type in SCHEMA_TYPES:
                combined[name] = outcome
            else:
                combined[name] = _added(combined[name], outcome)
    # Whole-table expectations, and any whose counts could not be added, on every row at once.
    rest = [e for e in suite.expectations if combined.get(e.name) is None]
    for outcome in validate_table(connection, suite, table, rest) if rest else []:
        combined[outcome.expectation.name] = outcome
    return [combined[expectation.name] for expectation in suite.expectations]


def validate_appended(
    connection: duckdb.DuckDBPyConnection, suite: Suite, table: str, new_files: list[str], before: list[Outcome]
) -> list[Outcome] | None:
    """Outcomes on `table` after the rows of `new_files` were added to it, given the outcomes
    `before` on the rows it had; None when a recorded outcome lacks the counts to add to."""
    by_name = {outcome.expectation.name: outcome for outcome in before}
    params = {"new_files": new_files}
    new_rows = f"SELECT * FROM {table} WHERE _source_file IN (SELECT unnest($new_files::VARCHAR[]))"
    (new_count,) = connection.execute(f"SELECT count(*) FROM ({new_rows})", params).fetchall()[0]
    combined: dict[str, Outcome | None] = {}
    row_level = [e for e in suite.expectations if e.type not in WHOLE_TABLE_TYPES]
    for outcome in validate_table(connection, suite, table, row_level, new_rows, params) if row_level else []:
        name = outcome.expectation.name
        combined[name] = outcome if outcome.expectation.type in SCHEMA_TYPES else _added(by_name.get(name), outcome)
    for expectation in suite.expectations:
        previous = by_name.get(expectation.name)
        if expectation.type == UNIQUENESS and previous is not None and previous.unexpected_count == 0:
            rows = _rows_sharing_keys(table, expectation, new_rows)
            (around,) = validate_table(connection, suite, table, [expectation], rows, params)
            combined[expectation.name] = _unique_with(previous, around, new_count)
    whole_table = [e for e in suite.expectations if combined.get(e.name) is None and e.type in WHOLE_TABLE_TYPES]
    for outcome in validate_table(connection, suite, table, whole_table) if whole_table else []:
        combined[outcome.expectation.name] = outcome
    if any(combined.get(expectation.name) is None for expectation in suite.expectations):
        return None
    return [combined[expectation.name] for expectation in suite.expectations]


def _rows_sharing_keys(table: str, expectation: Expectation, new_rows: str) -> str:
    """SQL: the new rows, and the earlier rows with the key of one of them (pandas, so GX, takes
    nulls in a key as equal; a key of nulls only is not checked)."""
    keys = [quoted_column(c) for c in expectation.kwargs["column_list"]]
    # A semi join on the new rows' distinct keys, not a correlated EXISTS: under the UNION ALL,
    # DuckDB 1.5.5 never returns from the EXISTS form at scale 1000 (docs/duckdb-version.md).
    return f"""
        SELECT * FROM ({new_rows})
        UNION ALL
        SELECT t.* FROM {table} t
        SEMI JOIN (SELECT DISTINCT {", ".join(keys)} FROM ({new_rows})) n
          ON {" AND ".join(f"n.{k} IS NOT DISTINCT FROM t.{k}" for k in keys)}
        WHERE t._source_file NOT IN (SELECT unnest($new_files::VARCHAR[]))
          AND NOT ({" AND ".join(f"t.{k} IS NULL" for k in keys)})
    """


def _counted(expectation: Expectation, elements: int, unexpected: int, missing: int | None, examples: list) -> Outcome:
    """An outcome from its counts, as GX states it."""
    # GX counts a percentage of the non-null values where it reports nulls apart.
    counted = elements - (missing or 0)
    percent = 100.0 * unexpected / counted if counted else None
    mostly = expectation.kwargs.get("mostly")
    success = unexpected == 0 if mostly is None else (counted == 0 or 1 - unexpected / counted >= mostly)
    return Outcome(
        expectation=expectation, success=success, element_count=elements, unexpected_count=unexpected,
        unexpected_percent=percent, examples=examples[:EXAMPLES_SHOWN], missing_count=missing,
    )


def _has_counts(*outcomes: Outcome) -> bool:
    return all(o.element_count is not None and o.unexpected_count is not None for o in outcomes) and (
        len({o.missing_count is None for o in outcomes}) == 1
    )


def _added(before: Outcome | None, new: Outcome) -> Outcome | None:
    """A row-level outcome over the rows of both."""
    if before is None or not _has_counts(before, new):
        return None
    missing = None if new.missing_count is None else before.missing_count + new.missing_count
    return _counted(
        new.expectation, before.element_count + new.element_count, before.unexpected_count + new.unexpected_count,
        missing, before.examples + new.examples,
    )


def _unique_with(before: Outcome, around: Outcome, new_count: int) -> Outcome | None:
    """Uniqueness over the whole table: held before, so its only repeats are among `around`
    (the new rows and the earlier ones sharing their keys, whose keys are not all null)."""
    if not _has_counts(before, around):
        return None
    missing = None if around.missing_count is None else before.missing_count + around.missing_count
    return _counted(around.expectation, before.element_count + new_count, around.unexpected_count, missing, around.examples)


_OUTCOME_FIELDS = ("success", "element_count", "unexpected_count", "unexpected_percent", "examples", "missing_count")


def outcomes_to_json(outcomes: list[Outcome]) -> list[dict]:
    """Outcomes as JSON-ready dicts, in suite order (kept by pipeline.change_tracking)."""
    return [{name: getattr(outcome, name) for name in _OUTCOME_FIELDS} for outcome in outcomes]


def outcomes_from_json(suite: Suite, recorded: list[dict]) -> list[Outcome]:
    return [
        Outcome(expectation=expectation, **{name: values.get(name) for name in _OUTCOME_FIELDS})
        for expectation, values in zip(suite.expectations, recorded, strict=True)
    ]
