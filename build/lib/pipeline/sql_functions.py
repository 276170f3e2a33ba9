"""SQL macros shared by the build's SQL files, defined on every build connection.

They are temporary (session) macros, so the published warehouse carries none of them; the
personal-ID hash `enterprise_key` is defined by pipeline/pii.py, with its key.
"""

from __future__ import annotations

import duckdb

from pipeline.ingest.years import BE_CE_OFFSET


def define_macros(connection: duckdb.DuckDBPyConnection) -> None:
    # Buddhist-era years, and the fiscal year (1 October BE-544 to 30 September BE-543). The
    # offset is a constant of the code, written into the one macro every other one uses.
    connection.execute(f"CREATE OR REPLACE TEMP MACRO be_ce_offset() AS {int(BE_CE_OFFSET)}")
    connection.execute("CREATE OR REPLACE TEMP MACRO ce_year(be_year) AS be_year - be_ce_offset()")
    connection.execute(
        "CREATE OR REPLACE TEMP MACRO fiscal_year_start(fiscal_year) AS make_date(fiscal_year - be_ce_offset() - 1, 10, 1)"
    )
    connection.execute(
        "CREATE OR REPLACE TEMP MACRO fiscal_year_end(fiscal_year) AS make_date(fiscal_year - be_ce_offset(), 9, 30)"
    )
    connection.execute(
        "CREATE OR REPLACE TEMP MACRO fiscal_year_of(day) AS year(day) + be_ce_offset() + (month(day) >= 10)::INTEGER"
    )
    # How free text names a cluster, for matching a name to the year's plan: without the word
    # "คลัสเตอร์" (cluster) that offices add or leave out, without spaces, in lower case.
    connection.execute(
        "CREATE OR REPLACE TEMP MACRO cluster_name_key(name) AS "
        r"regexp_replace(lower(replace(name, 'คลัสเตอร์', '')), '\s+', '', 'g')"
    )
    # A personal value as analysts may see it: its shape only (every digit 9, every letter x,
    # punctuation and spaces kept), so `1.05554E+12` or a 12-digit ID still shows why the row was
    # rejected while the value itself stays in the build database.
    connection.execute(
        "CREATE OR REPLACE TEMP MACRO mask_personal(value) AS "
        r"regexp_replace(regexp_replace(value, '\p{N}', '9', 'g'), '[\p{L}\p{M}]', 'x', 'g')"
    )
