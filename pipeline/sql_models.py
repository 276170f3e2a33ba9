"""Discovery of the SQL models in `sql/`: one SELECT per file, `sql/<schema>/<table>.sql`.

A model's upstream tables are the `<schema>.<table>` names its SQL mentions, so the
dependency graph is read from the SQL itself and cannot drift from it.

A model whose every row comes from one row of a staged table (joined to others only for
lookups) may say so in a comment line `-- incremental: <schema>.<table>, <column>` naming that
table and the output column holding the row's source file: when only new files' rows were
added to that table, only their rows are added to the model (pipeline/defs/models.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import SQL_DIR

WAREHOUSE_SCHEMAS = ("landing", "staging", "audit", "core", "marts")
_TABLE_REFERENCE = re.compile(r"\b(" + "|".join(WAREHOUSE_SCHEMAS) + r")\.([a-z_][a-z0-9_]*)\b")
_DESCRIPTION_LINE = re.compile(r"^--\s?(.*)$")
_INCREMENTAL = re.compile(r"^--\s*incremental:\s*([a-z_]+)\.([a-z_][a-z0-9_]*),\s*([a-z_][a-z0-9_]*)\s*$", re.M)


@dataclass(frozen=True)
class SqlModel:
    schema: str
    table: str
    path: Path
    sql: str

    @property
    def select(self) -> str:
        """The statement, to run or to wrap as a subquery: without its final semicolon, and
        ending in a newline so that a trailing comment cannot swallow what follows."""
        return self.sql.rstrip().rstrip(";") + "\n"

    @property
    def references(self) -> list[tuple[str, str]]:
        found = {m.groups() for m in _TABLE_REFERENCE.finditer(_strip_comments(self.sql))}
        found.discard((self.schema, self.table))
        return sorted(found)

    @property
    def incremental(self) -> tuple[tuple[str, str], str] | None:
        """((schema, table) the rows come from, output column naming their source file), if declared."""
        match = _INCREMENTAL.search(self.sql)
        if match is None:
            return None
        schema, table, column = match.groups()
        if (schema, table) not in self.references:
            raise ValueError(f"{self.path}: incremental on {schema}.{table}, which the model does not read")
        return (schema, table), column

    @property
    def description(self) -> str:
        return leading_comment(self.sql)


def leading_comment(sql: str) -> str:
    """The comment block a SQL file starts with, without its `--` markers."""
    lines = []
    for line in sql.splitlines():
        match = _DESCRIPTION_LINE.match(line.strip())
        if not match:
            break
        lines.append(match.group(1))
    return "\n".join(lines).strip()


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def discover_models(schemas: tuple[str, ...] = ("staging", "audit", "core", "marts")) -> list[SqlModel]:
    models = []
    for schema in schemas:
        for path in sorted((SQL_DIR / schema).glob("*.sql")):
            models.append(SqlModel(schema, path.stem, path, path.read_text(encoding="utf-8")))
    return models
