"""File plans: which file each row goes to, and how each file looks (format, encoding,
header language, column order, title rows, subtotal and blank rows)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipeline.ingest.years import BE_CE_OFFSET
from pipeline import contract

from . import spec
from .entities import World, rng_for


@dataclass
class FilePlan:
    source: str
    key: tuple
    path: str  # relative to the raw folder
    fmt: str  # csv | xlsx
    encoding: str | None  # utf-8-sig | utf-8 | cp874 (csv only)
    header: str = "th"  # th | lower | upper | title (canonical English, letter case)
    columns: list[str] = field(default_factory=list)  # canonical names in file order
    titles: tuple[str, ...] = ()
    extra_column: bool = False
    crlf: bool = False
    sheet: str | None = None
    million: bool = False
    subtotals: bool = False
    blanks: int = 0

    @property
    def title_rows(self) -> int:
        return len(self.titles)

    @property
    def header_row(self) -> int:
        return self.title_rows + 1


EXTRA_COLUMN = "หมายเหตุเจ้าหน้าที่"


def header_names(plan: FilePlan, source: contract.Source) -> list[str]:
    by = {c.canonical: c for c in source.columns}
    out = []
    for name in plan.columns:
        if name == "_extra":
            out.append(EXTRA_COLUMN)
            continue
        col = by[name]
        if plan.header == "th":
            h = col.thai
            if plan.million and name == "budget_allocated_thb":
                h = h.replace("(บาท)", contract.MILLION_BAHT_MARKER)
        elif plan.header == "upper":
            h = col.canonical.upper()
        elif plan.header == "title":
            h = "_".join(p.capitalize() for p in col.canonical.split("_"))
        else:
            h = col.canonical
        out.append(h)
    return out


def _order(seed: int, plan: FilePlan, source: contract.Source, shuffled: bool, extra: bool) -> list[str]:
    cols = list(source.canonical_names)
    if shuffled:
        rng = rng_for(seed, "columns:" + plan.path)
        cols = [cols[i] for i in rng.permutation(len(cols))]
    if extra:
        cols.insert(len(cols) - 2, "_extra")
    return cols


def plan_files(world: World) -> dict[str, dict[tuple, FilePlan]]:
    seed = world.seed
    plans: dict[str, dict[tuple, FilePlan]] = {s.name: {} for s in contract.SOURCES}
    budget = dict(spec.XLSX_CELL_BUDGET)

    def xlsx_ok(source: str, rows: int, ncols: int, always: bool = False) -> bool:
        cells = rows * ncols
        if rows > spec.XLSX_MAX_ROWS or (cells > budget[source] and not always):
            return False
        budget[source] -= cells
        return True

    # cluster plans
    for year in spec.FY:
        titles = (
            (f"แผนการพัฒนาคลัสเตอร์ ปีงบประมาณ {year}", "หน่วย: บาท")
            if year == 2564
            else ("กรมส่งเสริมอุตสาหกรรม", f"แผนการพัฒนาคลัสเตอร์ ปีงบประมาณ {year}", "หน่วย: ล้านบาท")
        )
        p = FilePlan(
            "cluster_plans", (year,), f"cluster_plans/cluster_plan_{year}.xlsx", "xlsx", None,
            titles=titles, sheet=f"แผน{year}", million=(year == 2565),
        )
        p.columns = _order(seed, p, contract.CLUSTER_PLANS, False, False)
        plans["cluster_plans"][(year,)] = p

    # registrations
    counts = world.parts.group_by("year", "office_idx").len()
    cnt = {(r[0], r[1]): r[2] for r in counts.iter_rows()}
    for year in spec.FY:
        for oi, oc in enumerate(spec.OFFICE_CODES):
            key = (oc, year)
            est = int(cnt.get((year, oi), 0) * 1.1) + 5
            ncol = len(contract.REGISTRATIONS.columns)
            if key in spec.REG_XLSX and xlsx_ok("registrations", est, ncol):
                p = FilePlan("registrations", key, f"registrations/registrations_{oc}_{year}.xlsx", "xlsx", None,
                             titles=tuple(_reg_titles(oc, year)[: spec.REG_TITLE.get(key, 0)]), sheet="ทะเบียน")
            else:
                enc = "cp874" if oc in spec.REG_CP874 else ("utf-8" if key in spec.REG_PLAIN_UTF8 else "utf-8-sig")
                p = FilePlan("registrations", key, f"registrations/registrations_{oc}_{year}.csv", "csv", enc,
                             crlf=oc in spec.REG_CRLF)
            p.header = spec.REG_ENGLISH.get(key, "th")
            p.extra_column = key in spec.REG_EXTRA_COLUMN
            p.columns = _order(seed, p, contract.REGISTRATIONS, key in spec.REG_SHUFFLED, p.extra_column)
            plans["registrations"][key] = p

    # spending: by posting month
    sp = world.spending.with_columns(
        be=pl.col("posted_on").dt.year() + BE_CE_OFFSET, mm=pl.col("posted_on").dt.month()
    ).group_by("be", "mm").len()
    scnt = {(r[0], r[1]): r[2] for r in sp.iter_rows()}
    for be, mm in spec.SPEND_MONTHS:
        key = (be, mm)
        est = int(scnt.get(key, 0) * 1.05) + 5
        ncol = len(contract.SPENDING.columns)
        name = f"spending/spending_{be}_{mm:02d}"
        if key in spec.SPEND_XLSX and xlsx_ok("spending", est, ncol, always=(key == spec.SPEND_MONTHS[0])):
            p = FilePlan("spending", key, name + ".xlsx", "xlsx", None,
                         titles=tuple(_spend_titles(be, mm)[: spec.SPEND_TITLE.get(key, 0)]), sheet="ข้อมูล")
        else:
            enc = "cp874" if key in spec.SPEND_CP874 else ("utf-8" if key in spec.SPEND_PLAIN_UTF8 else "utf-8-sig")
            p = FilePlan("spending", key, name + ".csv", "csv", enc, crlf=(enc == "cp874"))
        p.header = spec.SPEND_ENGLISH.get(key, "th")
        p.subtotals = key in spec.SPEND_SUBTOTALS
        p.blanks = spec.SPEND_BLANKS.get(key, 0)
        p.columns = _order(seed, p, contract.SPENDING, key in spec.SPEND_SHUFFLED, False)
        plans["spending"][key] = p

    # outcome surveys
    for year in spec.FY:
        key = (year,)
        est = int((world.parts["year"] == year).sum() * 2.05) + 5
        ncol = len(contract.OUTCOMES.columns)
        if xlsx_ok("outcomes", est, ncol):
            p = FilePlan("outcomes", key, f"outcomes/outcome_survey_{year}.xlsx", "xlsx", None, sheet="แบบสำรวจ")
        else:
            p = FilePlan("outcomes", key, f"outcomes/outcome_survey_{year}.csv", "csv", "utf-8-sig")
        p.header = spec.SURVEY_ENGLISH.get(year, "th")
        p.columns = _order(seed, p, contract.OUTCOMES, year in spec.SURVEY_SHUFFLED, False)
        plans["outcomes"][key] = p
    return plans


def _reg_titles(office_code: str, year: int) -> list[str]:
    office = [o for o, c in contract.OFFICE_FILE_CODES.items() if c == office_code][0]
    return [f"ทะเบียนผู้ประกอบการเข้าร่วมโครงการพัฒนาคลัสเตอร์ {office}", f"ปีงบประมาณ {year}"]


def _spend_titles(be: int, mm: int) -> list[str]:
    return [
        "รายงานการเบิกจ่ายงบประมาณ โครงการพัฒนาคลัสเตอร์",
        f"ประจำเดือน {spec.THAI_MONTHS_LONG[mm - 1]} {be}",
    ]


def number_rows(rows: pl.DataFrame, plans: dict[tuple, FilePlan]) -> pl.DataFrame:
    """Add `row`: the row number as the office sees it (Excel row / CSV line, header =
    title_rows + 1), from the order of `pos` inside each file. `file` becomes an Enum of
    the source's paths. The frame itself is not reordered (numpy ranks, no big sort)."""
    paths = [p.path for p in plans.values()]
    enum = pl.Enum(paths)
    rows = rows.with_columns(pl.col("file").cast(pl.String).cast(enum) if rows.schema["file"] != enum else pl.col("file"))
    fidx = rows["file"].to_physical().to_numpy().astype(np.int64)
    pos = rows["pos"].to_numpy()
    n = fidx.size
    order = np.lexsort((pos, fidx))
    fs = fidx[order]
    start = np.r_[True, fs[1:] != fs[:-1]] if n else np.empty(0, dtype=bool)
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0)) if n else np.empty(0, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first + 1
    titles = np.array([p.title_rows for p in plans.values()], dtype=np.int64)
    return rows.with_columns(row=pl.Series(rank + titles[fidx] + 1))


def blank_positions(rng: np.random.Generator, pos: np.ndarray, k: int) -> np.ndarray:
    """k positions strictly inside the data (never after the last row)."""
    if pos.size < 2 or k == 0:
        return np.empty(0)
    chosen = rng.choice(pos.size - 1, size=min(k, pos.size - 1), replace=False)
    return np.sort(pos)[chosen] + 0.25
