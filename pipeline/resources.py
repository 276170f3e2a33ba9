"""The Dagster resource that gives assets their paths and connections to the build database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb

from pipeline.config import Settings
from pipeline.pii import set_hash_key


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
        """A read-write connection to the build database, closed when the step ends.

        Steps never hold the file between them, so the publish step can checkpoint and copy it.
        """
        settings = self.settings()
        database = settings.build_database
        database.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(os.fspath(database), config={"memory_limit": settings.duckdb_memory_limit})
        try:
            set_hash_key(connection, settings.pii_key_file)
            yield connection
        finally:
            connection.close()
