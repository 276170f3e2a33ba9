"""DuckDB extensions, loaded only from the installed wheels of PyPI's `duckdb-extension-<name>`
packages: nothing is ever installed from the network.

Each wheel holds one binary built for exactly one DuckDB release
(`duckdb_extension_<name>/extensions/v<release>/<name>.duckdb_extension`), so the pinned
`duckdb` and the wheels must agree (`version_mismatches`, checked by a test). Connections that
load extensions get an extension directory inside this environment and auto-install off, so a
missing one is an error naming it, not a download.
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

import duckdb

from pipeline.catalog import sql_literal

# What the DuckLake warehouse needs: the lake itself, its PostgreSQL catalog, S3 storage.
LAKE_EXTENSIONS = ("ducklake", "postgres", "httpfs")
# DuckDB's own name of an extension, where the package is named otherwise.
DUCKDB_NAMES = {"postgres": "postgres_scanner"}
# Where DuckDB would keep extensions it installs: inside the environment, never ~/.duckdb.
EXTENSION_DIRECTORY = Path(sys.prefix) / "duckdb_extensions"


class ExtensionError(RuntimeError):
    pass


def package_name(extension: str) -> str:
    return f"duckdb-extension-{extension}"


def version_mismatches(extensions: tuple[str, ...] = LAKE_EXTENSIONS) -> list[str]:
    """What disagrees between the installed duckdb and the extension wheels, each saying what to bump."""
    problems = []
    for extension in extensions:
        try:
            installed = version(package_name(extension))
        except PackageNotFoundError:
            problems.append(f"{package_name(extension)} is not installed (pin {package_name(extension)}=={duckdb.__version__})")
            continue
        if installed != duckdb.__version__:
            problems.append(
                f"{package_name(extension)}=={installed} is built for DuckDB {installed}, but duckdb=={duckdb.__version__} "
                f"is installed: pin both to one release in constraints.txt"
            )
    return problems


def extension_file(extension: str) -> Path:
    try:
        package = importlib.import_module(f"duckdb_extension_{extension}")
    except ImportError as error:
        raise ExtensionError(f"DuckDB extension {extension!r}: {package_name(extension)} is not installed") from error
    path = Path(str(files(package))) / "extensions" / f"v{duckdb.__version__}" / f"{extension}.duckdb_extension"
    if not path.is_file():
        raise ExtensionError(f"DuckDB extension {extension!r}: {package_name(extension)} has no build for DuckDB {duckdb.__version__}")
    return path


def connect_with_extensions(extensions: tuple[str, ...] = LAKE_EXTENSIONS, **config) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with `extensions` loaded from their wheels and auto-install off."""
    connection = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "extension_directory": str(EXTENSION_DIRECTORY),
            **config,
        }
    )
    for extension in extensions:
        name = DUCKDB_NAMES.get(extension, extension)
        (installed,) = connection.execute(
            "SELECT count(*) FROM duckdb_extensions() WHERE extension_name = ? AND installed", [name]
        ).fetchone()
        if not installed:
            # A copy of the wheel's file into the extension directory, under DuckDB's own name for
            # it; INSTALL takes no bound parameter, and the path is the installed wheel's file.
            connection.execute(f"INSTALL {sql_literal(str(extension_file(extension)))}")
        connection.execute(f"LOAD {name}")
    return connection
