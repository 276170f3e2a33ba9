"""The reason, repair and flag codes with their Thai and English labels and fix hints, from the
one source `pipeline/reasons.yml`.

The report, the offices' feedback workbooks, the refresh summary and the reference table
core.dim_reason read them here; docs/reason-codes.md is written from them
(`python -m pipeline.reasons`; `--check` fails when the document is out of date).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from pipeline.config import PACKAGE_DIR

REASONS_PATH = PACKAGE_DIR / "reasons.yml"
# Written from the checkout; relative to the folder the command is run in.
REASON_CODES_DOC_PATH = Path("docs", "reason-codes.md")
KINDS = ("non_data", "file_rejections", "row_rules", "table_rules", "repairs", "flags")

_DOC_INTRO = """\
# Rules, reason codes and repairs

<!-- Generated from pipeline/reasons.yml by `python -m pipeline.reasons`; edit that file. -->

The interface between the sample-data generator (which injects each defect of the raw-data
contract) and the pipeline (which must catch or repair it). Every raw data row ends in exactly
one of: **staged** (accepted, maybe repaired), **quarantined** (with one or more reason codes),
or **non-data** (title, total/subtotal, blank). Reason codes are a closed list; the
expectation suites in `pipeline/expectations/` carry them as `meta.reason_code`.

Each code's Thai and English label and its fix hint (what the sender should change) are those
the report, the offices' feedback workbooks, the Dagster UI and `core.dim_reason` show.
"""


@dataclass(frozen=True)
class Reason:
    code: str
    kind: str
    what: str
    label_en: str
    label_th: str
    fix_en: str = ""
    fix_th: str = ""
    sources: str = ""
    where: str = ""


@cache
def _sections() -> dict:
    sections = yaml.safe_load(REASONS_PATH.read_text(encoding="utf-8"))
    if tuple(sections) != KINDS:
        raise ValueError(f"{REASONS_PATH}: sections must be {KINDS}, found {tuple(sections)}")
    return sections


@cache
def all_reasons() -> dict[str, Reason]:
    """Every code, in the order of pipeline/reasons.yml."""
    reasons: dict[str, Reason] = {}
    for kind, section in _sections().items():
        for code, entry in section["codes"].items():
            if code in reasons:
                raise ValueError(f"{REASONS_PATH}: code {code!r} is listed twice")
            reasons[code] = Reason(
                code=code,
                kind=kind,
                what=entry["what"],
                label_en=entry["en"],
                label_th=entry["th"],
                fix_en=entry.get("fix_en", ""),
                fix_th=entry.get("fix_th", ""),
                sources=entry.get("sources", ""),
                where=entry.get("where", ""),
            )
    return reasons


def codes_of(kind: str) -> tuple[str, ...]:
    return tuple(code for code, reason in all_reasons().items() if reason.kind == kind)


def label(code: str) -> str:
    """The English label, for one-line summaries; an unlisted code shows as itself."""
    reason = all_reasons().get(code)
    return reason.label_en if reason else code


def counts_markdown(rows_by_reason: dict[str, int]) -> str:
    """Rows per reason as a Markdown table with each reason's label and fix, for the UI."""
    lines = ["| reason | what it means | what to change | rows |", "|---|---|---|---:|"]
    for code, rows in rows_by_reason.items():
        reason = all_reasons().get(code)
        meaning, fix = (reason.label_en, reason.fix_en or "–") if reason else ("–", "–")
        lines.append(f"| `{code}` | {_cell(meaning)} | {_cell(fix)} | {rows:,} |")
    return "\n".join(lines)


def reasons_frame() -> pl.DataFrame:
    """One row per code: the reference table core.dim_reason, which SQL joins to label codes."""
    reasons = list(all_reasons().values())
    return pl.DataFrame(
        {
            "reason_code": [r.code for r in reasons],
            "reason_kind": [r.kind for r in reasons],
            "label_en": [r.label_en for r in reasons],
            "label_th": [r.label_th for r in reasons],
            "fix_en": [r.fix_en or None for r in reasons],
            "fix_th": [r.fix_th or None for r in reasons],
            "rule": [r.what for r in reasons],
        }
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_reason_codes() -> str:
    lines = [_DOC_INTRO]
    for kind, section in _sections().items():
        lines += [f"## {section['heading']}", ""]
        reasons = [all_reasons()[code] for code in section["codes"]]
        if kind == "row_rules":
            lines += ["| code | sources | rule | label (en / th) | what to change |", "|---|---|---|---|---|"]
            rows = [[f"`{r.code}`", r.sources, r.what, f"{r.label_en} / {r.label_th}", r.fix_en or "–"] for r in reasons]
        elif kind == "flags":
            lines += ["| flag | where | what | label (en / th) |", "|---|---|---|---|"]
            rows = [[f"`{r.code}`", r.where, r.what, f"{r.label_en} / {r.label_th}"] for r in reasons]
        else:
            lines += ["| code | what | label (en / th) | what to change |", "|---|---|---|---|"]
            rows = [[f"`{r.code}`", r.what, f"{r.label_en} / {r.label_th}", r.fix_en or "–"] for r in reasons]
        lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
        if section.get("closing"):
            lines += ["", section["closing"]]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.reasons", description="Write docs/reason-codes.md")
    parser.add_argument("--out", type=Path, default=REASON_CODES_DOC_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the file differs from pipeline/reasons.yml")
    args = parser.parse_args(argv)
    rendered = render_reason_codes()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != rendered:
            print(f"{args.out} is out of date: run python -m pipeline.reasons", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(rendered, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
