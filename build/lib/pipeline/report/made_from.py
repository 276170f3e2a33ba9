"""What the report and the exports were last made from, so a refresh that published no new
warehouse does not make them again.

They are made from the published warehouse by the code of this package: their version is the
warehouse's (recorded by the publish in audit.publication) with that code. It is noted in
REPORTS_DIR/.made-from.json once an output is written, so an output whose writing was cut
short, or that was deleted, is made again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline import change_tracking
from pipeline.publish import recorded_version

RECORD_NAME = ".made-from.json"
_CODE_DIR = Path(__file__).parent


def _code() -> str:
    files = sorted([*_CODE_DIR.glob("*.py"), *(_CODE_DIR / "templates").glob("*")])
    return "\n".join(f"{path.name}\n{path.read_text(encoding='utf-8')}" for path in files)


def warehouse_version(warehouse_path: Path) -> str | None:
    """The version of what would be made from the warehouse now; None when it is not known."""
    published = recorded_version(warehouse_path)
    return None if published is None else change_tracking.digest("reports", published, _code())


def _recorded(reports_dir: Path) -> dict[str, str]:
    try:
        value = json.loads((reports_dir / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def is_current(reports_dir: Path, output: str, version: str | None, paths: list[Path]) -> bool:
    """Whether `output` (its files `paths`) was last made from this version and is all there."""
    return version is not None and _recorded(reports_dir).get(output) == version and all(p.is_file() for p in paths)


def record(reports_dir: Path, output: str, version: str | None) -> None:
    """After writing `output`: note what it was made from (atomically, beside the outputs)."""
    made = {key: value for key, value in _recorded(reports_dir).items() if key != output}
    if version is not None:
        made[output] = version
    reports_dir.mkdir(parents=True, exist_ok=True)
    partial = reports_dir / f"{RECORD_NAME}.{os.getpid()}.partial"
    partial.write_text(json.dumps(made, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, reports_dir / RECORD_NAME)
