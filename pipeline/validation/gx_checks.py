"""Great Expectations 1.x run over a staged table, for Dagster asset checks.

Why the pandas data source and not GX's SQL data source on DuckDB: GX 1.24 reads SQL metric
results after it has closed the connection, so over duckdb-engine every metric comes back
empty (IndexError in `resolve_metric_bundle`; GX issues #10738 and #11579). The pandas
source computes the same metrics in memory, so we hand GX only the columns the suite names.
GX is imported inside the function: the import costs 2 to 5 s, paid only by validating steps.
It is not imported in a background thread ahead of time: that import ran while Dagster's
storage used SQLAlchemy, whose `sqlalchemy.orm` it was initialising, and a run failed on the
half-initialised module (AttributeError in `sqlalchemy.orm.base`).

Where GX adds something. The row-level rules already decided the split: the validating step
applied their SQL translation (pipeline/validation/row_rules.py) to every landed row, so on the
accepted rows they hold by construction, and GX run over every staged row would only prove that
translation again on each refresh (116 s of a 454 s full refresh at scale 1000). So GX checks
those rules on a proof sample: every row when a check has at most GX_PROOF_ROWS rows to look at,
else an even, deterministic sample of them (every k-th row by a hash of file and row number, so
every file is in it). The translation itself is proven on whole files of every kind of row by
the tests (tests/e2e/test_gx_checks.py). The table-level expectations (uniqueness, the row
count, and those the suite marks `level: table`) run on the whole table, reading only their
columns.

A staged table extended by new files is checked on the new rows only (`validate_appended`):
a row-level expectation's counts add up, so its outcome on the whole table is the recorded
one plus the new rows' (their proof sample, for the rules the split applied). Uniqueness,
recorded as holding, is checked on the new rows and the earlier rows that share a key with one
(every row a new duplicate can involve); the row count runs over the whole table, reading no
column.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import duckdb

from pipeline.memory import freeze_long_lived_objects, release_memory
from pipeline.validation.suites import UNIQUENESS, Expectation, Suite, quoted_column

# Columns whose values are personal data: never shown as examples in the UI.
PERSONAL_COLUMNS = frozenset(
    {
        "tax_id", "contact_name", "phone", "email", "payee_name", "payee_tax_id", "enterprise_ref",
        "beneficiary_tax_id", "enterprise_id", "enterprise_name_th",
    }
)
EXAMPLES_SHOWN = 5
# At most about this many rows are handed to GX for the rules the split applied (0.5 s for the
# ledger's suite at scale 100 on this machine's 2 cores; all 11.8 M staged ledger lines of
# scale 1000 took 100 s).
GX_PROOF_ROWS = 250_000
# Memory is handed back to the system after a batch of at least this many cells: the
# collection it takes (0.1 s with GX's objects loaded) was a third of a small table's check.
RELEASE_AFTER_CELLS = 2_000_000


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


@functools.cache
def _freeze_great_expectations() -> None:
    """GX's modules, imported by the first validation of the process, left out of later collections."""
    freeze_long_lived_objects()


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

    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    _freeze_great_expectations()
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
    # A prepared statement, not a relation: `connection.sql` with parameters ran the statement
    # once more before handing the rows over (1.9 s against 0.15 s for a 225,000-row sample).
    selection = connection.execute(f"SELECT {selected} FROM {f'({rows})' if rows else table}", params or {})
    frame = selection.to_arrow_table().to_pandas(date_as_object=False)
    large_batch = frame.size >= RELEASE_AFTER_CELLS

    context = gx.get_context(mode="ephemeral")
    # No "Calculating Metrics" progress bars on the terminal: the step reports its outcomes.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
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
    if large_batch:
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


def proven_by_split(expectation: Expectation) -> bool:
    """Whether the validating step applied this rule to every row (its outcome on accepted rows
    is known), so that GX only proves the rule's translation, on a sample."""
    return (expectation.is_row_level and expectation.type != UNIQUENESS) or expectation.type in SCHEMA_TYPES


def _proof_sample(connection: duckdb.DuckDBPyConnection, rows: str, params: dict, proof_rows: int) -> tuple[str, dict]:
    """SQL and parameters of the proof sample of `rows`: all of them, or every k-th by a hash
    of file and row number so that about `proof_rows` remain."""
    (count,) = connection.execute(f"SELECT count(*) FROM ({rows})", params).fetchall()[0]
    stride = max(1, -(-count // max(proof_rows, 1)))
    if stride == 1:
        return rows, params
    # The stride typed as the hash is (UBIGINT): an untyped one made the modulo HUGEINT, 8 times slower.
    sampled = f"SELECT * FROM ({rows}) WHERE hash(_source_file, _row_number) % $proof_stride::UBIGINT = 0"
    return sampled, {**params, "proof_stride": stride}


def validate_rebuilt(
    connection: duckdb.DuckDBPyConnection, suite: Suite, table: str, proof_rows: int = GX_PROOF_ROWS
) -> list[Outcome]:
    """Outcomes of the suite on a table staged afresh: the rules the split applied on its proof
    sample, the others on the whole table; in suite order."""
    proven = [e for e in suite.expectations if proven_by_split(e)]
    rest = [e for e in suite.expectations if not proven_by_split(e)]
    rows, params = _proof_sample(connection, f"SELECT * FROM {table}", {}, proof_rows)
    combined = {o.expectation.name: o for o in validate_table(connection, suite, table, proven, rows, params)} if proven else {}
    for outcome in validate_table(connection, suite, table, rest) if rest else []:
        combined[outcome.expectation.name] = outcome
    return [combined[expectation.name] for expectation in suite.expectations]


def validate_appended(
    connection: duckdb.DuckDBPyConnection, suite: Suite, table: str, new_files: list[str], before: list[Outcome],
    proof_rows: int = GX_PROOF_ROWS,
) -> list[Outcome] | None:
    """Outcomes on `table` after the rows of `new_files` were added to it, given the outcomes
    `before` on the rows it had; None when a recorded outcome lacks the counts to add to."""
    by_name = {outcome.expectation.name: outcome for outcome in before}
    params = {"new_files": new_files}
    new_rows = f"SELECT * FROM {table} WHERE _source_file IN (SELECT unnest($new_files::VARCHAR[]))"
    (new_count,) = connection.execute(f"SELECT count(*) FROM ({new_rows})", params).fetchall()[0]
    combined: dict[str, Outcome | None] = {}
    additive = [e for e in suite.expectations if e.type not in WHOLE_TABLE_TYPES]
    sampled, sample_params = _proof_sample(connection, new_rows, params, proof_rows)
    for expectations, rows, bound in (
        ([e for e in additive if proven_by_split(e)], sampled, sample_params),
        ([e for e in additive if not proven_by_split(e)], new_rows, params),
    ):
        for outcome in validate_table(connection, suite, table, expectations, rows, bound) if expectations else []:
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
