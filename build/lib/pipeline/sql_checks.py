"""Discovery of the SQL checks in `sql/checks/`: `sql/checks/<schema>/<table>/<check>.sql`.

A check is a query returning the offending rows of the table it is on: none means it passes.
The file's leading comment block describes it; in that block, `-- blocking: yes|no` says whether
a failure stops what is downstream, and `-- reconciles: yes` marks a check whose failure can
mean the tables disagree with the recorded build state (rows counted twice or lost by an
extension), so the next refresh rebuilds every table from the landing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.config import SQL_DIR
from pipeline.sql_models import leading_comment

CHECKS_DIR = SQL_DIR / "checks"
_FLAG = re.compile(r"^(blocking|reconciles):\s*(yes|no)\s*$")


@dataclass(frozen=True)
class SqlCheck:
    asset: tuple[str, str]
    name: str
    description: str
    offending_rows_sql: str
    blocking: bool
    reconciles: bool = False


def discover_checks() -> list[SqlCheck]:
    checks = []
    for path in sorted(CHECKS_DIR.glob("*/*/*.sql")):
        sql = path.read_text(encoding="utf-8")
        description, flags = [], {}
        for line in leading_comment(sql).splitlines():
            match = _FLAG.match(line)
            if match:
                flags[match.group(1)] = match.group(2) == "yes"
            else:
                description.append(line)
        if "blocking" not in flags:
            raise ValueError(f"{path}: the leading comment must say `-- blocking: yes` or `-- blocking: no`")
        checks.append(
            SqlCheck(
                asset=(path.parent.parent.name, path.parent.name),
                name=path.stem,
                description=" ".join(description).strip(),
                offending_rows_sql=sql.rstrip().rstrip(";") + "\n",
                blocking=flags["blocking"],
                reconciles=flags.get("reconciles", False),
            )
        )
    return checks
