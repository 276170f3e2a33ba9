"""How an analyst connects: one call, whatever holds the warehouse.

    from pipeline.analyst import connect
    connection = connect()
    connection.sql("SELECT * FROM marts.fiscal_year_rollup ORDER BY fiscal_year").show()

A read-only DuckDB connection to the configured warehouse: the DuckLake of WAREHOUSE_DUCKLAKE
when that is set (its extensions loaded from the installed wheels, the lake the default
database), else the file WAREHOUSE_PATH. The same SQL runs on both. `attach_script()` prints
the statements that do the same in the DuckDB CLI.
"""

from __future__ import annotations

import os

import duckdb

from pipeline import lake
from pipeline.catalog import sql_literal
from pipeline.config import Settings
from pipeline.extensions import DUCKDB_NAMES, LAKE_EXTENSIONS, extension_file


def connect(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    settings = settings or Settings.from_env()
    if not settings.warehouse_ducklake:
        return duckdb.connect(os.fspath(settings.warehouse_path), read_only=True)
    connection = lake.connect(settings, read_only=True)
    connection.execute(f"USE {lake.LAKE}")
    return connection


def attach_script(settings: Settings | None = None) -> str:
    """SQL for the DuckDB CLI (`duckdb -init <file>`, or pasted) that opens the same warehouse read-only."""
    settings = settings or Settings.from_env()
    if not settings.warehouse_ducklake:
        return f"ATTACH {sql_literal(os.fspath(settings.warehouse_path))} AS warehouse (READ_ONLY);\nUSE warehouse;\n"
    lines = ["SET autoinstall_known_extensions = false;"]
    for extension in LAKE_EXTENSIONS:
        lines.append(f"INSTALL {sql_literal(str(extension_file(extension)))};")
        lines.append(f"LOAD {DUCKDB_NAMES.get(extension, extension)};")
    lines.append(f"ATTACH {sql_literal(settings.warehouse_ducklake)} AS {lake.LAKE} (READ_ONLY);")
    lines.append(f"USE {lake.LAKE};")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(attach_script(), end="")
