"""Staging assets: every landed data row accepted into `staging.<source>` or quarantined.

The split is made by the row-level rules of the source's expectation suite, evaluated in
DuckDB over `sql/validate/<source>.sql` (which resolves cluster references, enterprise
identity and other findings). Great Expectations then runs the suite over the staged table as
one asset check per expectation: the rules the split applied on a proof sample, the table-level
ones on the whole table (pipeline/validation/gx_checks.py).

Cost follows the new files: when the only change since the tables were built is files landed
since (same rules, code and references; no file changed or removed), only their rows are split
and added, and Great Expectations checks only those rows (the whole-table expectations read
just the columns they need), its outcomes combined with the recorded ones.
"""

import sys
from importlib.metadata import version

import dagster as dg
import polars as pl

from pipeline import change_tracking, pii, sql_functions, steps
from pipeline.config import SQL_DIR
from pipeline.contract import SOURCES, Source
from pipeline.landing import COLUMNS_BUT_CELLS
from pipeline.metadata import markdown_table, table_metadata
from pipeline.reasons import counts_markdown
from pipeline.resources import WarehouseResource
from pipeline.sql_models import SqlModel
from pipeline.validation import gx_checks, row_rules
from pipeline.validation.gx_checks import (
    outcomes_from_json, outcomes_to_json, proven_by_split, validate_appended, validate_rebuilt,
)
from pipeline.validation.row_rules import append_rows, attach_raw_values, split_rows
from pipeline.validation.suites import load_suite, suite_text


def validate_model(source: Source) -> SqlModel:
    path = SQL_DIR / "validate" / f"{source.name}.sql"
    return SqlModel("validate", source.name, path, path.read_text(encoding="utf-8"))


def staging_asset(source: Source) -> dg.AssetsDefinition:
    model = validate_model(source)
    landing_table = ("landing", source.name)
    suite = load_suite(source.name)
    deps = [dg.AssetKey(list(reference)) for reference in model.references]
    outputs = [("staging", source.name), ("audit", f"quarantine_{source.name}")]
    code = change_tracking.digest(
        "validate", model.sql, suite_text(source.name), COLUMNS_BUT_CELLS,
        change_tracking.source_code(row_rules, pii, sql_functions, sys.modules[__name__]),
    )

    staging_table, quarantine_table = f"staging.{source.name}", f"audit.quarantine_{source.name}"
    # Raw cells are left out of the candidates (most rows are staged, which never carry them)
    # and joined to the quarantined rows afterwards (row_rules.attach_raw_values).
    candidates = (
        f"SELECT {COLUMNS_BUT_CELLS}, NULL::VARCHAR AS _raw_values "
        f"FROM ({model.select})"
    )

    def _split(connection, build: change_tracking.Build) -> None:
        """Only the new files' rows added, when they can be; else every row split again."""
        if build.new_files:
            # The new files' rows, computed once for the several statements of the split.
            connection.execute(
                f"CREATE OR REPLACE TEMP TABLE new_candidates AS {candidates} "
                "WHERE _source_file IN (SELECT unnest(?::VARCHAR[]))",
                [build.new_files],
            )
            if append_rows(connection, suite, "new_candidates", staging_table, quarantine_table) is not None:
                build.appended()
            connection.execute("DROP TABLE new_candidates")
        if build.mode != "appended":
            # A view: all candidate rows are materialised once, in split_rows.
            connection.execute(f"CREATE OR REPLACE TEMP VIEW candidates AS {candidates}")
            split_rows(connection, suite, "candidates", staging_table, quarantine_table)
            attach_raw_values(connection, source.name, quarantine_table)

    @steps.multi_asset(
        name=f"validate_{source.name}",
        specs=[
            dg.AssetSpec(
                ["staging", source.name],
                deps=deps,
                description=f"Accepted {source.name} rows: typed, repaired, with lineage "
                "(_source_file, _sheet, _row_number, _file_sha256, _run_id).",
            ),
            dg.AssetSpec(
                ["audit", f"quarantine_{source.name}"],
                deps=deps,
                description=f"Rejected {source.name} rows: raw values as read, reason codes and lineage.",
            ),
        ],
    )
    def _validate(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.build_connection() as connection:
            connection.execute("CREATE SCHEMA IF NOT EXISTS staging")
            connection.execute("CREATE SCHEMA IF NOT EXISTS audit")
            # Unchanged landed rows, references, rules and code: the tables are as a rebuild
            # would leave them, and are kept.
            with change_tracking.build(
                connection, outputs, code, model.references, context.run_id, row_source=landing_table
            ) as build:
                if build.rebuilt:
                    _split(connection, build)
            if build.mode == "appended":
                context.log.info(f"{source.name}: only new files since the last split; their rows were added: {build.new_files}")
            elif build.new_files:
                context.log.info(f"{source.name}: a new row comes before a staged row of its key; all rows are split again")
            (quarantined,) = connection.execute(f"SELECT count(*) FROM audit.quarantine_{source.name}").fetchall()[0]
            reasons = dict(
                connection.execute(
                    f"SELECT reason, count(*) FROM (SELECT unnest(reason_codes) AS reason "
                    f"FROM audit.quarantine_{source.name}) GROUP BY reason ORDER BY reason"
                ).fetchall()
            )
            # Staging holds personal data, so its metadata shows no preview rows.
            staging_metadata = table_metadata(connection, "staging", source.name, preview=False)
            quarantine_metadata = table_metadata(connection, "audit", f"quarantine_{source.name}", preview=False)
        if quarantined:
            context.log.warning(f"{source.name}: {quarantined} rows quarantined: {reasons}")
        if not build.rebuilt:
            context.log.info(f"{source.name}: landed rows, references and rules unchanged; tables kept")
        # rebuilt: the tables changed; build_mode: whether all rows were split again or new ones added.
        yield dg.MaterializeResult(
            asset_key=["staging", source.name],
            metadata={**staging_metadata, "rows_quarantined": quarantined, "rebuilt": build.rebuilt, "build_mode": build.mode},
        )
        yield dg.MaterializeResult(
            asset_key=["audit", f"quarantine_{source.name}"],
            metadata={
                **quarantine_metadata,
                "rows_by_reason": dg.MetadataValue.md(counts_markdown(reasons)),
                "rebuilt": build.rebuilt, "build_mode": build.mode,
            },
        )

    return _validate


def _examples_table(examples: list) -> str:
    """A check's unexpected values (personal ones already masked) as a one-column table."""
    values = [None if value is None else str(value) for value in examples]
    return markdown_table(pl.DataFrame({"unexpected value": values}, schema={"unexpected value": pl.String}))


def suite_checks(source: Source) -> dg.AssetChecksDefinition:
    suite = load_suite(source.name)
    staged = dg.AssetKey(["staging", source.name])
    code = change_tracking.digest(
        "gx", suite_text(source.name), change_tracking.source_code(gx_checks), version("great_expectations")
    )

    def _outcomes(connection) -> list:
        """The suite's outcomes on the staged table: when it was only extended since outcomes
        were recorded, the added rows' outcomes combined with those."""
        extension = change_tracking.extension(connection, ("staging", source.name))
        if extension is not None:
            version_before, new_files = extension
            before = change_tracking.fingerprint_of_versions(connection, code, {("staging", source.name): version_before})
            recorded = change_tracking.recorded_outcome(connection, f"gx_{source.name}", before)
            if recorded is not None:
                combined = validate_appended(
                    connection, suite, f"staging.{source.name}", new_files, outcomes_from_json(suite, recorded[0])
                )
                if combined is not None:
                    return combined
        return validate_rebuilt(connection, suite, f"staging.{source.name}")

    @steps.multi_asset_check(
        name=f"gx_{source.name}",
        specs=[
            dg.AssetCheckSpec(
                name=expectation.name,
                asset=staged,
                blocking=expectation.blocking,
                description=expectation.meta.get("description"),
            )
            for expectation in suite.expectations
        ],
    )
    def _gx(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        with warehouse.build_connection() as connection:
            # The staged table's version, and the suite: the same ones were validated already?
            inputs = change_tracking.fingerprint(connection, code, [("staging", source.name)])
            recorded = change_tracking.recorded_outcome(connection, f"gx_{source.name}", inputs)
            if recorded is not None:
                outcomes, computed_in = outcomes_from_json(suite, recorded[0]), recorded[1]
            else:
                outcomes, computed_in = _outcomes(connection), context.run.run_id
                change_tracking.record_outcome(
                    connection, f"gx_{source.name}", inputs, outcomes_to_json(outcomes), context.run.run_id
                )
        if recorded is not None:
            context.log.info(f"staging.{source.name} unchanged since run {computed_in}: its outcomes are reported")
        for outcome in outcomes:
            yield dg.AssetCheckResult(
                asset_key=staged,
                check_name=outcome.expectation.name,
                passed=outcome.success,
                severity=dg.AssetCheckSeverity.ERROR if outcome.expectation.blocking else dg.AssetCheckSeverity.WARN,
                metadata={
                    "expectation": outcome.expectation.type,
                    "kwargs": dg.MetadataValue.json(outcome.expectation.kwargs),
                    "reason_code": outcome.expectation.reason_code,
                    # The split applied such a rule to every row: GX proves it on a sample (gx_checks).
                    "checked_on": "proof sample" if proven_by_split(outcome.expectation) else "whole table",
                    "element_count": outcome.element_count,
                    "unexpected_count": outcome.unexpected_count,
                    "unexpected_percent": outcome.unexpected_percent,
                    "examples": dg.MetadataValue.md(_examples_table(outcome.examples)),
                    "quarantine": f"audit.quarantine_{source.name}",
                    "validated_in_run": computed_in,
                },
            )

    return _gx


defs = dg.Definitions(
    assets=[staging_asset(source) for source in SOURCES],
    asset_checks=[suite_checks(source) for source in SOURCES],
)
