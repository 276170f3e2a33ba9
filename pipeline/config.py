"""Where things live. Every path the pipeline reads or writes derives from here.

Settings come from environment variables with defaults that serve a new user; they are read
when `Settings.from_env()` is called (when Dagster builds resources), never at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

# What the runtime reads ships inside the package (a wheel install has no checkout): the SQL of
# `sql/` is the package `pipeline.sql` (pyproject.toml maps it), the rest lives beside this file.
PACKAGE_DIR = Path(__file__).resolve().parent
SQL_DIR = Path(str(files("pipeline.sql")))
EXPECTATIONS_DIR = PACKAGE_DIR / "expectations"
REFERENCE_DIR = PACKAGE_DIR / "reference"
CATALOG_PATH = PACKAGE_DIR / "catalog.yml"
TEMPLATES_DIR = PACKAGE_DIR / "report" / "templates"

# What it writes goes under the folder it is started from (the checkout, through `make`), unless
# a setting says otherwise; relative settings are relative to that folder too.
DEFAULT_RAW_DATA_DIR = Path("data", "raw")
DEFAULT_WAREHOUSE_PATH = Path("data", "warehouse", "cluster_programme.duckdb")
DEFAULT_BUILD_DIR = Path("data", "build")
DEFAULT_REPORTS_DIR = Path("data", "reports")
FEEDBACK_FOLDER = "feedback"  # under BUILD_DIR unless FEEDBACK_DIR says otherwise
DEFAULT_KEPT_VERSIONS = 3
DEFAULT_PII_KEY_FILE = Path(".secrets", "pii_hash.key")
# DuckDB's own default is 80 % of RAM; past this it spills to BUILD_DIR instead (sorts, joins).
# 2 GB: the landing's one INSERT and the splits run as fast as with 3 GB, and the refresh's
# peak at scale 1000 is 3.4 GB instead of 4.1 GB (docs/performance.md).
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    path = Path(value).expanduser() if value else default
    return path if path.is_absolute() else Path.cwd() / path


@dataclass(frozen=True)
class Settings:
    raw_data_dir: Path
    warehouse_path: Path
    build_dir: Path
    kept_versions: int
    pii_key_file: Path
    reports_dir: Path
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    # The analysts' warehouse as a DuckLake (pipeline/lake.py) besides the file: its catalog as
    # DuckDB's ATTACH takes it, and where its Parquet files go. Unset: the file only.
    warehouse_ducklake: str | None = None
    warehouse_data_path: str | None = None
    # The offices' feedback workbooks (pipeline/feedback.py) hold the offices' own personal data:
    # by default inside the restricted build folder, never beside the analysts' exports.
    feedback_dir: Path | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        build_dir = _path_from_env("BUILD_DIR", DEFAULT_BUILD_DIR)
        return cls(
            raw_data_dir=_path_from_env("RAW_DATA_DIR", DEFAULT_RAW_DATA_DIR),
            warehouse_path=_path_from_env("WAREHOUSE_PATH", DEFAULT_WAREHOUSE_PATH),
            build_dir=build_dir,
            kept_versions=int(os.environ.get("WAREHOUSE_KEEP_VERSIONS", DEFAULT_KEPT_VERSIONS)),
            pii_key_file=_path_from_env("PII_KEY_FILE", DEFAULT_PII_KEY_FILE),
            reports_dir=_path_from_env("REPORTS_DIR", DEFAULT_REPORTS_DIR),
            duckdb_memory_limit=os.environ.get("DUCKDB_MEMORY_LIMIT", "").strip() or DEFAULT_DUCKDB_MEMORY_LIMIT,
            warehouse_ducklake=os.environ.get("WAREHOUSE_DUCKLAKE", "").strip() or None,
            warehouse_data_path=os.environ.get("WAREHOUSE_DATA_PATH", "").strip() or None,
            feedback_dir=_path_from_env("FEEDBACK_DIR", build_dir / FEEDBACK_FOLDER),
        )

    @property
    def build_database(self) -> Path:
        """The database every asset writes; analysts never open it."""
        return self.build_dir / "cluster_programme.build.duckdb"
