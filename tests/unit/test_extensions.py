"""DuckDB extensions come from the installed wheels, built for the installed duckdb; nothing is
installed from the network."""

import duckdb
import pytest

from pipeline import extensions


def test_the_extension_wheels_are_built_for_the_installed_duckdb():
    assert extensions.version_mismatches() == [], "\n".join(extensions.version_mismatches())


def test_a_mismatch_says_which_package_to_bump(monkeypatch):
    monkeypatch.setattr(extensions, "version", lambda package: "0.0.1")
    problems = extensions.version_mismatches(("ducklake",))
    assert problems == [
        f"duckdb-extension-ducklake==0.0.1 is built for DuckDB 0.0.1, but duckdb=={duckdb.__version__} is installed: "
        "pin both to one release in constraints.txt"
    ]


def test_the_lake_extensions_load_from_the_environment_with_auto_install_off():
    connection = extensions.connect_with_extensions()
    try:
        loaded = dict(connection.execute(
            "SELECT extension_name, install_path FROM duckdb_extensions() WHERE loaded AND extension_name IN "
            "('ducklake', 'postgres_scanner', 'httpfs')"
        ).fetchall())
        (autoinstall,) = connection.execute("SELECT current_setting('autoinstall_known_extensions')").fetchone()
    finally:
        connection.close()
    assert set(loaded) == {"ducklake", "postgres_scanner", "httpfs"}
    assert all(path.startswith(str(extensions.EXTENSION_DIRECTORY)) for path in loaded.values()), loaded
    assert autoinstall is False


def test_an_extension_without_its_wheel_is_a_clear_error():
    with pytest.raises(extensions.ExtensionError, match="duckdb-extension-spatial is not installed"):
        extensions.extension_file("spatial")
