"""Reading the expectation suites kept in the repository."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from pipeline.config import EXPECTATIONS_DIR

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
UNIQUENESS = "expect_compound_columns_to_be_unique"


def quoted_column(name: str) -> str:
    """A suite's column name for SQL: only plain identifiers are accepted, and quoted."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"suite column name {name!r} is not a plain identifier")
    return f'"{name}"'


@dataclass(frozen=True)
class Expectation:
    type: str
    kwargs: dict
    meta: dict

    @property
    def reason_code(self) -> str:
        return self.meta["reason_code"]

    @property
    def is_row_level(self) -> bool:
        """Row-level rules quarantine the rows that break them; table-level rules only check."""
        return self.meta.get("level", "row") == "row"

    @property
    def blocking(self) -> bool:
        return bool(self.meta.get("blocking", True))

    @property
    def name(self) -> str:
        target = self.kwargs.get("column") or "_".join(self.kwargs.get("column_list", [])) or "table"
        return f"{self.reason_code}__{self.type.removeprefix('expect_')}__{target}"


@dataclass(frozen=True)
class Suite:
    source: str
    expectations: tuple[Expectation, ...]
    meta: dict

    @property
    def row_rules(self) -> list[Expectation]:
        return [e for e in self.expectations if e.is_row_level]

    @property
    def reason_codes(self) -> list[str]:
        return sorted({e.reason_code for e in self.expectations})


def suite_text(source: str) -> str:
    """The suite file as it is in the repository."""
    return (EXPECTATIONS_DIR / f"{source}.json").read_text(encoding="utf-8")


@cache
def load_suite(source: str) -> Suite:
    document = json.loads(suite_text(source))
    return Suite(
        source=source,
        expectations=tuple(
            Expectation(e["type"], e["kwargs"], e.get("meta", {})) for e in document["expectations"]
        ),
        meta=document.get("meta", {}),
    )
