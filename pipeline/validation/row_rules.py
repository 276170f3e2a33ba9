"""Row-level rules of a suite, evaluated in DuckDB over every candidate row in one pass.

Each expectation becomes a SQL predicate that is true where a row breaks it; the row then
carries the expectation's reason code. Values (sets, bounds, patterns) are bound parameters;
only column names, checked against a strict pattern, are written into the SQL.
A compound-uniqueness expectation quarantines every row after the first of its key (among
rows that pass the other rules), pointing to the row it repeats.

`split_rows` splits all candidate rows; `append_rows` splits only the rows of newly landed
files and adds them to the tables, which gives the same tables as long as no new row comes
before a staged row of the same key (it then says so, and the caller splits everything).
"""

from __future__ import annotations

import duckdb

from pipeline.contract import SOURCES_BY_NAME
from pipeline.landing import landed_cells_sql, restored_cells_sql
from pipeline.validation.suites import IDENTIFIER, UNIQUENESS, Expectation, Suite, quoted_column

def failure_predicate(expectation: Expectation, parameter: str) -> tuple[str, dict]:
    """SQL that is true where a row breaks `expectation`, with its bound parameters."""
    kwargs = expectation.kwargs
    kind = expectation.type
    if kind == "expect_column_values_to_not_be_null":
        return f"{quoted_column(kwargs['column'])} IS NULL", {}
    column = quoted_column(kwargs["column"])
    if kind == "expect_column_values_to_be_null":
        return f"{column} IS NOT NULL", {}
    if kind == "expect_column_values_to_be_in_set":
        return f"{column} IS NOT NULL AND NOT list_contains(${parameter}, {column})", {parameter: kwargs["value_set"]}
    if kind == "expect_column_values_to_not_be_in_set":
        return f"{column} IS NOT NULL AND list_contains(${parameter}, {column})", {parameter: kwargs["value_set"]}
    if kind == "expect_column_values_to_match_regex":
        return f"{column} IS NOT NULL AND NOT regexp_matches({column}, ${parameter})", {parameter: kwargs["regex"]}
    if kind == "expect_column_values_to_be_between":
        clauses, params = [], {}
        if kwargs.get("min_value") is not None:
            clauses.append(f"{column} < ${parameter}_min")
            params[f"{parameter}_min"] = kwargs["min_value"]
        if kwargs.get("max_value") is not None:
            clauses.append(f"{column} > ${parameter}_max")
            params[f"{parameter}_max"] = kwargs["max_value"]
        return f"{column} IS NOT NULL AND ({' OR '.join(clauses)})", params
    raise ValueError(f"{kind} has no row-level form; mark it meta.level = 'table' in the suite")


def _same_row(left: str, right: str) -> str:
    """Join condition: the same landed row (file, sheet, row number)."""
    return (
        f"{left}._source_file = {right}._source_file AND {left}._sheet IS NOT DISTINCT FROM {right}._sheet "
        f"AND {left}._row_number = {right}._row_number"
    )


def flag_rows(
    connection: duckdb.DuckDBPyConnection, suite: Suite, candidates: str, flagged: str, staged: str | None = None
) -> bool:
    """Create temp view `flagged` = `candidates` + `_reasons` (VARCHAR[]) + `_duplicate_of`.

    Only the rows that break a rule are stored, by their lineage, in temp table
    `<flagged>_flags`; the view joins them to the candidates, so the (wide, many) candidate rows
    are never copied: the staging table is the one materialisation.
    With `staged` (the rows accepted earlier), a candidate repeating a staged key is flagged as
    a repeat of it; False when a candidate would come before the staged row of its key.
    """
    flags = f"{flagged}_flags"
    cases, params = [], {}
    for index, rule in enumerate(r for r in suite.row_rules if r.type != UNIQUENESS):
        predicate, rule_params = failure_predicate(rule, f"p{index}")
        cases.append(f"CASE WHEN {predicate} THEN '{_code(rule)}' END")
        params.update(rule_params)
    reasons = f"list_filter([{', '.join(cases)}]::VARCHAR[], lambda r: r IS NOT NULL)" if cases else "[]::VARCHAR[]"
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {flags} AS
        SELECT * FROM (
            SELECT _source_file, _sheet, _row_number, {reasons} AS _reasons, NULL::VARCHAR AS _duplicate_of
            FROM {candidates}
        ) WHERE len(_reasons) > 0
        """,
        params,
    )
    for rule in (r for r in suite.row_rules if r.type == UNIQUENESS):
        if not _flag_repeats(connection, candidates, flags, rule, staged):
            return False
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW {flagged} AS
        SELECT c.*, coalesce(f._reasons, []::VARCHAR[]) AS _reasons, f._duplicate_of
        FROM {candidates} c LEFT JOIN {flags} f ON {_same_row("c", "f")}
        """
    )
    return True


def _code(rule: Expectation) -> str:
    if not IDENTIFIER.match(rule.reason_code):
        raise ValueError(f"reason code {rule.reason_code!r} is not a plain identifier")
    return rule.reason_code


def _row_label(alias: str) -> str:
    return f"{alias}._source_file || coalesce(' sheet ' || {alias}._sheet, '') || ' row ' || {alias}._row_number"


def _flag_repeats(
    connection: duckdb.DuckDBPyConnection, candidates: str, flags: str, rule: Expectation, staged: str | None
) -> bool:
    """Flag every row after the first of its key, among rows with no other reason (yet).

    With `staged`, whose rows are each the first of their key, a candidate of a staged key is
    a repeat of that row, provided it comes after it (False otherwise: nothing is flagged).
    """
    keys = [quoted_column(c) for c in rule.kwargs["column_list"]]
    order = [quoted_column(c) for c in rule.meta.get("keep_first_by", [])] + ['"_source_file"', '"_row_number"', '"_sheet"']
    window = f"PARTITION BY {', '.join(keys)} ORDER BY {', '.join(order)}"
    columns = list(dict.fromkeys(keys + order))
    eligible = f"""
        SELECT {", ".join(f"c.{name}" for name in columns)} FROM {candidates} c
        WHERE {" AND ".join(f"c.{k} IS NOT NULL" for k in keys)}
          AND NOT EXISTS (SELECT 1 FROM {flags} f WHERE {_same_row("f", "c")})
    """
    code = _code(rule)
    if staged is not None:
        # Ranked together with the staged rows of their keys, by the same window as a full split:
        # a staged row that is not first any more means the split must start again.
        (overtaken,) = connection.execute(
            f"""
            WITH eligible AS ({eligible}),
            clashing AS (
                SELECT {", ".join(columns)}, TRUE AS _staged FROM {staged} SEMI JOIN eligible USING ({", ".join(keys)})
                UNION ALL
                SELECT {", ".join(columns)}, FALSE AS _staged FROM eligible SEMI JOIN {staged} USING ({", ".join(keys)})
            )
            SELECT count(*) FROM (SELECT _staged, row_number() OVER ({window}) AS _rank FROM clashing)
            WHERE _staged AND _rank > 1
            """
        ).fetchall()[0]
        if overtaken:
            return False
        connection.execute(
            f"""
            INSERT INTO {flags}
            WITH eligible AS ({eligible})
            SELECT e._source_file, e._sheet, e._row_number, ['{code}']::VARCHAR[] AS _reasons,
                   {_row_label("s")} AS _duplicate_of
            FROM eligible e JOIN {staged} s USING ({", ".join(keys)})
            """
        )
    # Only keys that occur more than once need ranking: an aggregate finds them, so the window
    # sorts just their rows, not the whole table.
    connection.execute(
        f"""
        INSERT INTO {flags}
        WITH eligible AS ({eligible}),
        repeated AS (SELECT {', '.join(keys)} FROM eligible GROUP BY ALL HAVING count(*) > 1),
        ranked AS (
            SELECT _source_file, _sheet, _row_number,
                row_number() OVER ({window}) AS _rank,
                first_value({_row_label("eligible")}) OVER ({window}) AS _first
            FROM eligible SEMI JOIN repeated USING ({', '.join(keys)})
        )
        SELECT _source_file, _sheet, _row_number, ['{code}']::VARCHAR[] AS _reasons, _first AS _duplicate_of
        FROM ranked WHERE _rank > 1
        """
    )
    return True


_STAGED_COLUMNS = "* EXCLUDE (_reasons, _duplicate_of, _raw_values, _row_kind)"
# The quarantine record of each flagged row; raw values are filled in by _with_raw_values.
_QUARANTINED = """
    SELECT ? AS source, _source_file AS source_file, _sheet AS sheet, _row_number AS row_number,
           _reasons AS reason_codes, _duplicate_of AS duplicate_of,
           _source_file || coalesce(' sheet ' || _sheet, '') || ' row ' || _row_number || ': '
               || array_to_string(_reasons, ', ')
               || coalesce(' (repeats ' || _duplicate_of || ')', '') AS message,
           _raw_values AS raw_values, _file_sha256 AS file_sha256, _run_id AS run_id
    FROM flagged WHERE len(_reasons) > 0
"""


def split_rows(
    connection: duckdb.DuckDBPyConnection, suite: Suite, candidates: str, staging_table: str, quarantine_table: str
) -> tuple[int, int]:
    """Write accepted rows to `staging_table` and the others, with reasons, to `quarantine_table`.

    Staged rows keep the finding columns (check_*, *_invalid) the suite states rules about, so
    Great Expectations can re-check the same rules on the staged table. The staging table is
    not sorted (sorting millions of wide rows cost as much as writing them): query it with an
    ORDER BY, as any table.
    """
    flag_rows(connection, suite, candidates, "flagged")
    connection.execute(
        f"CREATE OR REPLACE TABLE {staging_table} AS SELECT {_STAGED_COLUMNS} FROM flagged WHERE len(_reasons) = 0"
    )
    connection.execute(
        f"CREATE OR REPLACE TABLE {quarantine_table} AS {_QUARANTINED} ORDER BY source_file, sheet, row_number",
        [suite.source],
    )
    staged = connection.execute(f"SELECT count(*) FROM {staging_table}").fetchall()[0][0]
    quarantined = connection.execute(f"SELECT count(*) FROM {quarantine_table}").fetchall()[0][0]
    return staged, quarantined


def append_rows(
    connection: duckdb.DuckDBPyConnection, suite: Suite, candidates: str, staging_table: str, quarantine_table: str
) -> tuple[int, int] | None:
    """Add the split of `candidates` (rows of newly landed files only) to the existing tables,
    raw values included. None, with the tables untouched, when a candidate would come before a
    staged row of its key: only a full split gives the right tables then."""
    if not flag_rows(connection, suite, candidates, "flagged", staged=staging_table):
        return None
    connection.execute("CREATE OR REPLACE TEMP TABLE quarantined_rows AS " + _QUARANTINED, [suite.source])
    connection.execute(f"INSERT INTO {staging_table} BY NAME SELECT {_STAGED_COLUMNS} FROM flagged WHERE len(_reasons) = 0")
    (staged,) = connection.execute("SELECT count(*) FROM flagged WHERE len(_reasons) = 0").fetchall()[0]
    with_raw_values, parameters = _with_raw_values(connection, suite.source, "quarantined_rows")
    connection.execute(f"INSERT INTO {quarantine_table} BY NAME {with_raw_values}", parameters)
    (quarantined,) = connection.execute("SELECT count(*) FROM quarantined_rows").fetchall()[0]
    connection.execute("DROP TABLE quarantined_rows")
    return staged, quarantined


def _with_raw_values(connection: duckdb.DuckDBPyConnection, source: str, quarantined_rows: str) -> tuple[str, dict]:
    """The quarantined rows with `raw_values` filled from landing: the row's cells as a JSON
    object header -> value, the header names taken from the file's landing record (a sheet
    narrower than another of its workbook has trailing nulls in its list: they are not its cells),
    each cell as read (landing stores some as NULL: pipeline/landing.py, restored_cells_sql).

    `raw_values_masked` is the same object for analysts: a cell read as a personal column, or
    as a column the contract does not know, shows only its shape (`mask_personal`). Returns the
    statement and its bound parameters.
    """
    contract_source = SOURCES_BY_NAME[source]
    restored = restored_cells_sql(contract_source, "l", "_stored_cells", "_sheet_headers.canonical")
    stored_cells = landed_cells_sql(connection, contract_source, "l")
    sql = f"""
        WITH joined AS (
            SELECT q.*, {stored_cells} AS _stored_cells, {restored.values + ',' if restored.values else ''}
                   list_filter(f.raw_headers, lambda h: h.sheet = coalesce(q.sheet, ''))[1] AS _sheet_headers
            FROM {quarantined_rows} q
            LEFT JOIN landing.{source} l
              ON l._source_file = q.source_file AND l._row_number = q.row_number
             AND l._sheet IS NOT DISTINCT FROM q.sheet
            LEFT JOIN landing.{source}_files f ON f.source_file = q.source_file
        ),
        -- Materialised: inlined, the sheet's headers were looked up again at every use, inside
        -- the lambda below for every cell (half the statement's time).
        named AS MATERIALIZED (
            SELECT * EXCLUDE (_sheet_headers, _stored_cells{''.join(', ' + c for c in restored.value_columns)}),
                   _sheet_headers.headers AS _headers, _sheet_headers.canonical AS _columns,
                   {restored.expression} AS _cells
            FROM joined
        )
        SELECT * EXCLUDE (_cells, _headers, _columns)
               REPLACE (to_json(map(_headers, _cells[1:len(_headers)]))::VARCHAR AS raw_values),
               to_json(map(_headers, list_transform(
                   list_zip(_cells[1:len(_headers)], _columns),
                   lambda cell: CASE WHEN list_contains($shared_columns, cell[2]) THEN cell[1]
                                     ELSE mask_personal(cell[1]) END
               )))::VARCHAR AS raw_values_masked
        FROM named
        ORDER BY source_file, sheet, row_number
    """
    return sql, {**restored.parameters, "shared_columns": contract_source.shared_names}


def attach_raw_values(connection: duckdb.DuckDBPyConnection, source: str, quarantine_table: str) -> None:
    """Fill `raw_values` of the rows of `quarantine_table` (see _with_raw_values)."""
    connection.execute(f"CREATE OR REPLACE TEMP TABLE quarantined_rows AS SELECT * FROM {quarantine_table}")
    with_raw_values, parameters = _with_raw_values(connection, source, "quarantined_rows")
    connection.execute(f"CREATE OR REPLACE TABLE {quarantine_table} AS {with_raw_values}", parameters)
    connection.execute("DROP TABLE quarantined_rows")
