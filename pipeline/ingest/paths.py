"""The one place that says where the ingestion's reference files live.

Located from this file, never from the current working directory, so the package behaves
the same under pytest, Dagster and ad-hoc scripts.
"""

from __future__ import annotations

from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
PROVINCES_CSV = REFERENCE_DIR / "th_provinces.csv"
PROVINCE_ALIASES_CSV = REFERENCE_DIR / "province_aliases.csv"
