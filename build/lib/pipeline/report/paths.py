"""Where the report and the exports are written: REPORTS_DIR (pipeline.config.Settings),
read when a function is called, never at import time."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings

REPORT_FILE_NAME = "programme_report.html"
EXPORTS_FOLDER = "exports"


def reports_dir() -> Path:
    return Settings.from_env().reports_dir


def report_path() -> Path:
    return reports_dir() / REPORT_FILE_NAME


def exports_dir() -> Path:
    return reports_dir() / EXPORTS_FOLDER
