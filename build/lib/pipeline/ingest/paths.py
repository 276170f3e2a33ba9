"""The ingestion's reference files (province names and their aliases), in the package."""

from __future__ import annotations

from pipeline.config import REFERENCE_DIR

PROVINCES_CSV = REFERENCE_DIR / "th_provinces.csv"
PROVINCE_ALIASES_CSV = REFERENCE_DIR / "province_aliases.csv"
