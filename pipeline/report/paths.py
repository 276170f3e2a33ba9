"""Where the report and the exports are written.

REPORTS_DIR is read when a function is called (never at import time); a relative value is taken
relative to the project folder, like the other path settings in `pipeline.config`.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.config import PROJECT_ROOT

DEFAULT_REPORTS_DIR = PROJECT_ROOT / "data" / "reports"
REPORT_FILE_NAME = "programme_report.html"
EXPORTS_FOLDER = "exports"


def reports_dir() -> Path:
    value = os.environ.get("REPORTS_DIR", "").strip()
    if not value:
        return DEFAULT_REPORTS_DIR
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def report_path() -> Path:
    return reports_dir() / REPORT_FILE_NAME


def exports_dir() -> Path:
    return reports_dir() / EXPORTS_FOLDER
