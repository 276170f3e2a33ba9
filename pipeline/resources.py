"""The Dagster resource that gives assets their paths and connections to the build database."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb

from pipeline.config import Settings
from pipeline.pii import set_hash_key
from pipeline.sql_functions import define_macros
from pipeline.tiers import attach_analysts_tier

# How long a step waits for another process's hold on the build database. The duckdb_build pool
# normally keeps writers apart; this covers the moment it cannot, e.g. two runs that start
# together on an instance whose pool has never been used (Dagster creates its limit lazily).
BUILD_LOCK_WAIT_SECONDS = 600
_LOCK_CONFLICT = "Could not set lock on file"


class WarehouseResource(dg.ConfigurableResource):
    """Paths of the raw folder, the build database and the analysts' warehouse.

    Each field left unset falls back to its environment variable (RAW_DATA_DIR, WAREHOUSE_PATH,
    BUILD_DIR), read when a run builds the resource, so tests and users can point one
    definitions object at any folder.
    """

    raw_data_dir: str | None = None
    warehouse_path: str | None = None
    build_dir: str | None = None

    def settings(self) -> Settings:
        settings = Settings.from_env()
        overrides = {
            name: Path(value)
            for name, value in (
                ("raw_data_dir", self.raw_data_dir),
                ("warehouse_path", self.warehouse_path),
                ("build_dir", self.build_dir),
            )
            if value
        }
        return replace(settings, **overrides)

    @contextmanager
    def build_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the build database with the analysts' tier attached
        (pipeline/tiers.py), closed when the step ends.

        Steps never hold the files between them, so the publish step can checkpoint and copy the tier.
        """
        settings = self.settings()
        database = settings.build_database
        # The build database holds personal data: its folder is created for its owner only.
        database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        connection = _connect_when_free(database, {"memory_limit": settings.duckdb_memory_limit})
        try:
            attach_analysts_tier(connection, database, read_only=False)
            set_hash_key(connection, settings.pii_key_file)
            define_macros(connection)
            yield connection
        finally:
            connection.close()


def _connect_when_free(database: Path, config: dict) -> duckdb.DuckDBPyConnection:
    """A read-write connection, once no other process holds the file (DuckDB allows one writer)."""
    deadline = time.monotonic() + BUILD_LOCK_WAIT_SECONDS
    while True:
        try:
            return duckdb.connect(os.fspath(database), config=config)
        except duckdb.IOException as error:
            if _LOCK_CONFLICT not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
