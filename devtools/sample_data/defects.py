"""Defect injection: turns the clean world into the rows of every raw file.

Every row frame returned here has, besides its source-specific values and style columns:
``file`` (path relative to the raw folder), ``pos`` (order inside the file), ``status``
(staged | quarantined | non_data), ``reason`` (quarantine / non-data code or null) and
``rid`` (row id); each function also returns a defect log (rid, kind, column).

Rules that keep the headline figures exact (see the table in ``__init__``):
* quarantined rows are EXTRA rows (extra enterprises, duplicates, copies), except in the
  outcome surveys where `amount_unit_suspect` / `cost_reduction_percentage` hit real rows of
  enterprises that have both rounds; the truth is computed from what stays accepted;
* coded repairs are only applied to rows that end staged (a quarantined row carries exactly
  one reason and no coded repair; duplicates copy rows that carry no coded repair);
* each kind is drawn as an exact count: floor(rate * basis + 0.5) per fiscal year.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from . import fmt, ids, spec
from .entities import (
    E_COMPANY, E_LP, E_RP, E_CE, TX_COMMIT, TX_DISB, TX_REFUND, World, choice_idx, date_series,
    make_enterprises, rng_for, round_half_up as rh,
)
from .layout import FilePlan, blank_positions

from pipeline.ingest.years import BE_CE_OFFSET

STAGED, QUAR, NONDATA = "staged", "quarantined", "non_data"


def pick(rng: np.random.Generator, eligible: np.ndarray, k: int) -> np.ndarray:
    idx = np.flatnonzero(eligible)
    k = min(int(k), idx.size)
    mask = np.zeros(eligible.size, dtype=bool)
    if k:
        mask[rng.choice(idx, size=k, replace=False)] = True
    return mask


def pick_per_year(rng, eligible: np.ndarray, year: np.ndarray, counts: dict[int, int]) -> np.ndarray:
    out = np.zeros(eligible.size, dtype=bool)
    for y, k in counts.items():
        out |= pick(rng, eligible & (year == y), k)
    return out


class Log:
    """Defect log: one entry (rid, kind, column) per injected defect."""

    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []

    def add(self, rid: np.ndarray, mask: np.ndarray | None, entry: str) -> None:
        kind, col = entry.split("|")
        r = rid if mask is None else rid[np.asarray(mask, dtype=bool)]
        if r.size:
            self.parts.append(
                pl.DataFrame({"rid": np.asarray(r, dtype=np.int64)}).with_columns(
                    kind=pl.lit(kind), column=pl.lit(col or None, dtype=pl.String)
                )
            )

    def add_all(self, rid: np.ndarray, entries: list[tuple[str, np.ndarray]]) -> None:
        for entry, mask in entries:
            self.add(rid, mask, entry)

    def frame(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema={"rid": pl.Int64, "kind": pl.String, "column": pl.String})
        return pl.concat(self.parts)


def cycle_rank(key: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For masked rows: 0, 1, 2, ... within each key (row order); -1 elsewhere. Used to
    cycle through a province's alias spellings so that every spelling occurs."""
    out = np.full(key.size, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    if idx.size:
        k = key[idx]
        order = np.argsort(k, kind="stable")
        ks = k[order]
        start = np.r_[True, ks[1:] != ks[:-1]]
        first = np.maximum.accumulate(np.where(start, np.arange(ks.size), 0))
        out[idx[order]] = np.arange(ks.size) - first
    return out


def counts_for(kind: str, basis: dict[int, int]) -> dict[int, int]:
    d = spec.DEFECTS_BY_KIND[kind]
    return {y: rh(d.rate * basis[y]) for y in d.years}


def styles(rng, n: int, probs: dict[int, float]) -> np.ndarray:
    keys = np.array(list(probs), dtype=np.int8)
    return keys[choice_idx(rng, n, list(probs.values()))]


CSV_DATE = {fmt.D_DMY: 0.62, fmt.D_DMY_NOPAD: 0.08, fmt.D_TH_SHORT: 0.1, fmt.D_TH_LONG: 0.08, fmt.D_ISO_BE: 0.12}
XLSX_DATE = {fmt.D_CELL: 0.45, fmt.D_DMY: 0.35, fmt.D_TH_SHORT: 0.07, fmt.D_TH_LONG: 0.05, fmt.D_ISO_BE: 0.08}


def date_styles(rng, is_xlsx: np.ndarray) -> np.ndarray:
    n = is_xlsx.size
    return np.where(is_xlsx, styles(rng, n, XLSX_DATE), styles(rng, n, CSV_DATE))


def file_lookup(plans: dict[tuple, FilePlan]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "file": [p.path for p in plans.values()],
            "is_xlsx": [p.fmt == "xlsx" for p in plans.values()],
            "cp874": [p.encoding == "cp874" for p in plans.values()],
        }
    )


# --------------------------------------------------------------------------------------
# cluster plans
# --------------------------------------------------------------------------------------
def plans(world: World, fplans: dict[tuple, FilePlan]) -> pl.DataFrame:
    rng = rng_for(world.seed, "defects:cluster_plans")
    out = []
    log = Log()
    next_rid = 0
    prefix_cids = np.empty(0, dtype=np.int64)
    for year in spec.FY:
        c = world.clusters.filter(pl.col("year") == year).sort("seq")
        n = c.height
        ones = np.ones(n, dtype=bool)
        renamed = c["renamed"].to_numpy()
        active = c["active"].to_numpy()
        cid = c["cid"].to_numpy()
        # a continuing cluster without predecessor link keeps its Thai name and its
        # (sector, lead province): never renamed, never written without the prefix
        cont = (c["kind"] == "A").to_numpy() & ~renamed & ~np.isin(cid, prefix_cids)
        pred_missing = pick(rng, cont, rh(0.10 * (c["kind"] == "A").sum())) if year == 2565 else np.zeros(n, dtype=bool)
        spacing = pick(rng, ones, rh(0.05 * n))
        prefix = pick(rng, ~spacing & ~renamed & ~pred_missing, rh(0.05 * n))
        prefix_cids = cid[prefix]
        alias = pick(rng, ones, rh(0.15 * n))
        alloc_text = pick(rng, ones, rh(0.30 * n)) if year == 2564 else np.zeros(n, dtype=bool)
        over = c["over"].to_numpy() & active
        ne = world.parts.filter(pl.col("year") == year).group_by("cid").len()
        n_ent = c.join(ne, on="cid", how="left", maintain_order="left")["len"].fill_null(0).to_numpy()
        target = np.where(active, np.maximum(n_ent + rng.integers(-2, 4, n), 5), 0)
        million = fplans[(year,)].million
        entries = [
            ("plan_name_spacing|cluster_name_th", spacing),
            ("plan_name_prefix_missing|cluster_name_th", prefix),
            ("plan_province_alias|lead_province", alias),
            ("plan_allocation_text|budget_allocated_thb", alloc_text),
            ("plan_predecessor_missing|predecessor_code", pred_missing),
            ("over_allocation|budget_allocated_thb", over),
        ]
        if million:
            entries.append(("plan_million_baht|budget_allocated_thb", ones))
        rid = np.arange(next_rid, next_rid + n)
        next_rid += n
        log.add_all(rid, entries)
        rows = c.with_columns(
            rid=pl.Series(rid),
            file=pl.lit(fplans[(year,)].path),
            pos=pl.col("seq").cast(pl.Float64) * 10,
            status=pl.lit(STAGED),
            reason=pl.lit(None, dtype=pl.String),
            name_style=pl.Series(np.where(spacing, 1, np.where(prefix, 2, 0))),
            name_variant=pl.Series(rng.integers(0, 3, n)),
            prov_alias=pl.Series(cycle_rank(c["province_code"].to_numpy(), alias)),
            alloc_style=pl.Series(np.where(alloc_text, rng.integers(1, 3, n), 0)),
            pred_shown=pl.Series(~pred_missing),
            target_ent=pl.Series(target),
            nd=pl.lit(None, dtype=pl.String),
        )
        # the same cluster listed a second time, name without the prefix, right below
        src = pick(rng, active & ~prefix & ~spacing, rh(0.03 * n))
        drid = np.arange(next_rid, next_rid + int(src.sum()) + 1)
        next_rid += drid.size
        log.add(drid[:-1], None, "plan_duplicate_cluster|cluster_code")
        log.add(drid[-1:], None, "plan_total_row|")
        dup = rows.filter(pl.Series(src)).with_columns(
            rid=pl.Series(drid[:-1]),
            pos=pl.col("pos") + 5,
            status=pl.lit(QUAR),
            reason=pl.lit("duplicate_cluster"),
            name_style=pl.lit(2),
            prov_alias=pl.lit(-1),
        )
        total = rows.head(1).with_columns(
            rid=pl.lit(int(drid[-1]), dtype=pl.Int64),
            pos=pl.lit(1e12),
            status=pl.lit(NONDATA),
            reason=pl.lit("total_row"),
            alloc_satang=pl.lit(int(c["alloc_satang"].sum())),
            target_ent=pl.lit(int(target.sum())),
            target_ev_m=pl.lit(float(np.round(c["target_ev_m"].sum(), 1))),
            alloc_style=pl.lit(0),
            nd=pl.lit("total"),
        )
        out.append(pl.concat([rows, dup, total], how="vertical_relaxed"))
    return pl.concat(out, how="vertical_relaxed"), log.frame()


def name_refs_blocked(plan_rows: pl.DataFrame) -> pl.DataFrame:
    """(year, cid) of clusters whose plan name lacks the prefix: never referenced by name."""
    return plan_rows.filter((pl.col("status") == STAGED) & (pl.col("name_style") == 2)).select("year", "cid")


# --------------------------------------------------------------------------------------
# registrations
# --------------------------------------------------------------------------------------
REG_KEEP = [
    "year", "cid", "code", "office_idx", "eid", "registered_on", "employees", "revenue", "consent",
    "entity", "tax_id", "ce_code", "province_code", "core", "name", "tsic", "bsector", "contact", "phone", "email",
]


def registrations(world: World, fplans: dict[tuple, FilePlan], plan_rows: pl.DataFrame) -> pl.DataFrame:
    rng = rng_for(world.seed, "defects:registrations")
    ents = world.enterprises.drop("employees", "revenue")
    base = world.parts.join(ents, on="eid", how="left", maintain_order="left")
    base = base.with_columns(role=pl.lit("clean"), tax_typed=pl.col("tax_id"), sort_date=pl.col("registered_on"))
    basis = {y: int((base["year"] == y).sum()) for y in spec.FY}
    clusters = world.clusters
    next_eid = [10_000_000]

    def new_ents(year: int, k: int, role: str) -> pl.DataFrame:
        acts = clusters.filter((pl.col("year") == year) & pl.col("active"))
        cl = acts.gather(rng.integers(0, acts.height, k))
        e = make_enterprises(rng, world.ids, world.provinces, cl, next_eid[0])
        next_eid[0] += k
        days = rng.integers(0, 240, k)
        df = cl.select("year", "cid", "code", "office_idx", "office", "sector_idx").hstack(e.drop("employees", "revenue"))
        return df.with_columns(
            registered_on=date_series(spec.fy_start(year), days),
            employees=e["employees"],
            revenue=e["revenue"],
            consent=pl.Series(choice_idx(rng, k, (0.35, 0.2, 0.15, 0.1, 0.12, 0.08))),
            role=pl.lit(role),
            tax_typed=e["tax_id"],
        ).with_columns(sort_date=pl.col("registered_on")).select(base.columns)

    extras = []
    for year in spec.FY:
        b = base.filter(pl.col("year") == year)
        # duplicates: later date, 60 % same office, name written differently
        left = (pl.lit(spec.fy_end(year)) - pl.col("registered_on")).dt.total_days()
        days_left = b.select(left).to_series().to_numpy()
        src = pick(rng, days_left >= 3, counts_for("reg_duplicate", basis)[year])
        d = b.filter(pl.Series(src))
        k = d.height
        dl = days_left[src]
        shift = 1 + (rng.random(k) * np.minimum(dl - 1, 45)).astype(np.int64)
        other = (d["office_idx"].to_numpy() + rng.integers(1, 12, k)) % 12
        d = d.with_columns(
            registered_on=pl.col("registered_on") + pl.duration(days=pl.Series(shift)),
            office_idx=pl.Series(np.where(rng.random(k) < 0.6, d["office_idx"].to_numpy(), other)),
            role=pl.lit("dup"),
        ).with_columns(sort_date=pl.col("registered_on"))
        extras.append(d)
        # broken tax IDs, personal ID for a company, unknown cluster, date outside the year
        e = new_ents(year, counts_for("reg_tax_id_scientific", basis)[year], "scientific")
        extras.append(e)
        e = new_ents(year, counts_for("reg_tax_id_checksum", basis)[year], "checksum")
        extras.append(e.with_columns(tax_typed=pl.Series(ids.checksum_typo(e["tax_id"].to_numpy(), rng))))
        e = new_ents(year, counts_for("reg_personal_id_for_juristic", basis)[year], "personal")
        k = e.height
        ent = np.where(rng.random(k) < 0.7, E_COMPANY, E_LP)
        pid = world.ids.personal(k)
        extras.append(
            e.with_columns(
                entity=pl.Series(ent),
                tax_id=pl.Series(pid),
                tax_typed=pl.Series(pid),
                ce_code=pl.lit(-1),
                name=pl.when(pl.Series(ent) == E_COMPANY)
                .then(pl.concat_str([pl.lit("บริษัท "), pl.col("core"), pl.lit(" จำกัด")]))
                .otherwise(pl.concat_str([pl.lit("ห้างหุ้นส่วนจำกัด "), pl.col("core")])),
            )
        )
        e = new_ents(year, counts_for("reg_cluster_unknown", basis)[year], "unknown")
        k = e.height
        listed = clusters.filter(pl.col("year") == year).height
        width = max(3, len(str(listed)))
        beyond = [f"CL{year % 100}-{listed + 7 + j:0{width}d}" for j in range(k)]
        if year == 2565:
            prev = clusters.filter(pl.col("year") == 2564)["code"].to_numpy()
            old = prev[rng.integers(0, prev.size, k)]
            codes = np.where(np.arange(k) % 2 == 0, old, np.array(beyond, dtype=object))
        else:
            codes = np.array(beyond, dtype=object)
        extras.append(e.with_columns(code=pl.Series(codes.astype(str)), cid=pl.lit(-2)))
        e = new_ents(year, counts_for("reg_date_outside_fy", basis)[year], "outside")
        k = e.height
        before = rng.random(k) < 0.5
        d0 = np.where(before, -rng.integers(1, 61, k), (spec.fy_end(year) - spec.fy_start(year)).days + rng.integers(1, 46, k))
        extras.append(e.with_columns(registered_on=date_series(spec.fy_start(year), d0)))
    rows = pl.concat([base] + [x.select(base.columns) for x in extras], how="vertical_relaxed")
    n = rows.height
    year = rows["year"].to_numpy()
    role = rows["role"].to_numpy()
    clean = role == "clean"
    files = pl.DataFrame(
        {
            "year": [k[1] for k in fplans],
            "office_idx": [spec.OFFICE_CODES.index(k[0]) for k in fplans],
            "file": [p.path for p in fplans.values()],
        }
    ).with_columns(pl.col("year").cast(rows["year"].dtype))
    rows = rows.join(files, on=["year", "office_idx"], how="left", maintain_order="left")
    rows = rows.join(file_lookup(fplans), on="file", how="left", maintain_order="left")
    is_xlsx = rows["is_xlsx"].to_numpy()
    cp874 = rows["cp874"].to_numpy()
    entity = rows["entity"].to_numpy()

    blocked = name_refs_blocked(plan_rows).with_columns(blocked=pl.lit(True))
    name_ok = ~rows.join(blocked, on=["year", "cid"], how="left", maintain_order="left")["blocked"].fill_null(False).to_numpy()
    tsic0 = rows["tsic"].str.starts_with("0").to_numpy()

    def cnt(kind):
        return counts_for(kind, basis)

    py = lambda elig, kind: pick_per_year(rng, elig, year, cnt(kind))  # noqa: E731
    t12 = py(clean & (entity <= E_RP), "reg_tax_id_12_digits")
    yce = py(clean, "reg_year_ce")
    ysh = py(clean & ~yce, "reg_year_short")
    serial = py(clean, "reg_excel_serial_date")
    thai = py(clean & ~t12 & ~serial, "reg_thai_digits")
    thai_col = rng.integers(0, 3, n)  # 0 tax_id, 1 registered_on, 2 employees
    spacing = py(clean, "reg_name_spacing")
    abbr = py(clean & ((entity == E_COMPANY) | (entity == E_LP)) & ~spacing, "reg_name_abbreviation")
    # every special spelling of the contract occurs: a few alias rows in Bangkok, Chon
    # Buri and Nakhon Ratchasima first (FY 2564), the rest at random
    prov = rows["province_code"].to_numpy()
    alias = np.zeros(n, dtype=bool)
    for code, k in ((10, 4), (20, 2), (30, 2)):
        alias |= pick(rng, clean & (prov == code) & (year == spec.FY[0]), k)
    want = cnt("reg_province_alias")
    alias |= pick_per_year(rng, clean & ~alias, year, {y: want[y] - int((alias & (year == y)).sum()) for y in want})
    byname = py(clean & name_ok, "reg_cluster_by_name")
    tz = py(clean & tsic0, "reg_tsic_leading_zero")
    emp_text = py(clean & ~(thai & (thai_col == 2)), "reg_employees_text")
    rev_baht = py(clean, "reg_revenue_text_baht")
    rev_blank = pick(rng, clean & ~rev_baht & ~(thai & (thai_col == 2)), rh(0.05 * clean.sum()))

    dstyle = date_styles(rng, is_xlsx)
    dstyle = np.where(serial, fmt.D_SERIAL, dstyle)
    dstyle = np.where(thai & (thai_col == 1), fmt.D_DMY, dstyle)
    tax_style = styles(rng, n, {0: 0.8, 1: 0.14, 2: 0.06})
    tax_style = np.where(t12, 3, np.where(role == "scientific", 4, tax_style))
    tax_style = np.where(thai & (thai_col == 0) & (tax_style == 2), 0, tax_style)
    spacing_variant = rng.integers(0, 3, n)
    spacing_variant = np.where(cp874 & (spacing_variant == 2), 0, spacing_variant)
    name_style = np.where(spacing, 1, np.where(abbr, 2, np.where(role == "dup", 3, 0)))
    consent = rows["consent"].to_numpy()
    consent = np.where(cp874 & (consent == 3), 2, consent)
    rev_style = styles(rng, n, {fmt.A_COMMA2: 0.3, fmt.A_COMMA0: 0.3, fmt.A_PLAIN0: 0.2, fmt.A_NUMBER: 0.2})
    rev_style = np.where(rev_baht, fmt.A_BAHT, rev_style)
    entries = [
        ("reg_duplicate|tax_id", role == "dup"),
        ("reg_tax_id_scientific|tax_id", role == "scientific"),
        ("reg_tax_id_checksum|tax_id", role == "checksum"),
        ("reg_personal_id_for_juristic|tax_id", role == "personal"),
        ("reg_cluster_unknown|cluster_code", role == "unknown"),
        ("reg_date_outside_fy|registered_on", role == "outside"),
        ("reg_tax_id_12_digits|tax_id", t12),
        ("reg_year_ce|fiscal_year", yce),
        ("reg_year_short|fiscal_year", ysh),
        ("reg_thai_digits|tax_id", thai & (thai_col == 0)),
        ("reg_thai_digits|registered_on", thai & (thai_col == 1)),
        ("reg_thai_digits|employees", thai & (thai_col == 2)),
        ("reg_name_spacing|enterprise_name_th", spacing),
        ("reg_name_abbreviation|enterprise_name_th", abbr),
        ("reg_province_alias|province", alias),
        ("reg_cluster_by_name|cluster_code", byname),
        ("reg_tsic_leading_zero|tsic_code", tz),
        ("reg_excel_serial_date|registered_on", serial),
        ("reg_employees_text|employees", emp_text),
        ("reg_revenue_text_baht|annual_revenue_thb", rev_baht),
    ]
    log = Log()
    log.add_all(np.arange(n), entries)
    reason = {
        "dup": "duplicate_registration", "scientific": "tax_id_unreadable", "checksum": "tax_id_checksum",
        "personal": "tax_id_personal_for_juristic", "unknown": "cluster_unknown", "outside": "date_outside_fiscal_year",
    }
    rows = rows.with_columns(
        status=pl.when(pl.col("role") == "clean").then(pl.lit(STAGED)).otherwise(pl.lit(QUAR)),
        reason=pl.col("role").replace_strict(reason, default=None, return_dtype=pl.String),
        year_style=pl.Series(np.where(yce, 1, np.where(ysh, 2, 0))),
        date_style=pl.Series(dstyle),
        thai_col=pl.Series(np.where(thai, thai_col, -1)),
        tax_style=pl.Series(tax_style),
        name_style=pl.Series(name_style),
        spacing_variant=pl.Series(spacing_variant),
        dup_variant=pl.Series(rng.integers(0, 2, n)),
        prov_alias=pl.Series(cycle_rank(rows["province_code"].to_numpy(), alias)),
        by_name=pl.Series(byname),
        tsic_lost=pl.Series(tz),
        emp_text=pl.Series(emp_text),
        rev_style=pl.Series(rev_style),
        rev_blank=pl.Series(rev_blank),
        ce_plain=pl.Series(rng.random(n) < 0.3),
        phone_plain=pl.Series(rng.random(n) < 0.25),
        consent=pl.Series(consent),
        extra_note=pl.Series(rng.random(n) < 0.15),
        rid=pl.Series(np.arange(n)),
        nd=pl.lit(None, dtype=pl.String),
        u=pl.Series(rng.random(n)),
    )
    # outside-the-year rows sit among the others of their file
    rows = rows.with_columns(
        sort_date=pl.when(pl.col("role") == "outside")
        .then(pl.lit(spec.fy_start(2564)) + pl.duration(days=(pl.col("u") * 240).cast(pl.Int64)) + pl.duration(days=365 * (pl.col("year") - 2564)))
        .otherwise(pl.col("sort_date"))
    )
    rows = rows.sort(["file", "sort_date", "u"]).with_columns(
        pos=pl.int_range(1, pl.len() + 1).over("file").cast(pl.Float64) * 10,
    )
    # application numbers: office + year + running number in file order
    width = max(4, len(str(int(rows.group_by("file").len()["len"].max()))))
    rows = rows.with_columns(
        app_no=pl.format(
            "{}-{}-{}",
            pl.col("office_idx").replace_strict(list(range(12)), [c.upper() for c in spec.OFFICE_CODES], return_dtype=pl.String),
            pl.col("year").cast(pl.String),
            (pl.col("pos") / 10).cast(pl.Int64).cast(pl.String).str.zfill(width),
        )
    )
    return rows, log.frame()


# --------------------------------------------------------------------------------------
# spending
# --------------------------------------------------------------------------------------
SP_ROLE = pl.Enum(["clean", "zero", "dup", "unknown", "outside", "total", "blank"])
STATUS = pl.Enum([STAGED, QUAR, NONDATA])
REMARK_CARRY, REMARK_REFUND, REMARK_CANCEL = 100, 101, 102
EPOCH = dt.date(1970, 1, 1)


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def spending(world: World, fplans: dict[tuple, FilePlan], plan_rows: pl.DataFrame):
    """Spending rows. Kept in compact dtypes and ordered with numpy (10+ million rows at
    --scale 1000): no big joins or sorts in here."""
    rng = rng_for(world.seed, "defects:spending")
    sp = world.spending
    tx = sp["tx"].to_numpy()
    by = sp["budget_year"].to_numpy()
    src = sp["src"].to_numpy()
    day = sp["posted_on"].cast(pl.Int32).to_numpy().copy()
    remark = np.where(tx == TX_REFUND, REMARK_REFUND, sp["remark_i"].to_numpy()).astype(np.int8)
    basis = {y: int((by == y).sum()) for y in spec.FY}
    # carry-over: budget-2564 disbursements posted Oct 2564 - Feb 2565; their refunds follow
    co = pick_per_year(rng, tx == TX_DISB, by, counts_for("spend_carry_over", basis))
    day = np.where(co, _days(dt.date(2021, 10, 1)) + rng.integers(0, 150, day.size), day).astype(np.int32)
    remark = np.where(co, REMARK_CARRY, remark).astype(np.int8)
    later = rng.integers(30, 121, day.size, dtype=np.int32)
    for y in spec.FY:
        moved = co & (by == y) & (src >= 0)
        if not moved.any():
            continue
        lut = np.full(int(src.max()) + 1, -1, dtype=np.int32)
        lut[src[moved]] = day[moved]
        ref = (tx == TX_REFUND) & (by == y)
        md = np.full(day.size, -1, dtype=np.int32)
        md[ref] = lut[src[ref]]
        hit = md >= 0
        day = np.where(hit, np.minimum(md + later, _days(spec.DATA_END)), day).astype(np.int32)
    sp = sp.with_columns(
        posted_on=pl.Series(day).cast(pl.Date),
        remark_i=pl.Series(remark),
        carry=pl.Series(co),
        role=pl.lit("clean").cast(SP_ROLE),
        ucode=pl.lit(-1, dtype=pl.Int32),
    )

    # extra rows: unknown cluster, posted outside the window, zero amount `-`
    disb_cluster = (tx == TX_DISB) & (sp["g"].to_numpy() >= 0) & ~co
    next_sid = [int(sp["sid"].max()) + 1]

    def copies(mask, role):
        d = sp.filter(pl.Series(mask))
        d = d.with_columns(sid=pl.int_range(next_sid[0], next_sid[0] + d.height, dtype=pl.Int32),
                           role=pl.lit(role).cast(SP_ROLE), src=pl.lit(-1, dtype=pl.Int32))
        next_sid[0] += d.height
        return d

    unk = copies(pick_per_year(rng, disb_cluster, by, counts_for("spend_cluster_unknown", basis)), "unknown")
    k = unk.height
    listed = {y: world.clusters.filter(pl.col("year") == y).height for y in spec.FY}
    prev = world.clusters.filter(pl.col("year") == 2564)["code"].to_list()
    ub = unk["budget_year"].to_numpy()
    ucodes = [f"CL{y % 100}-{listed[y] + 11 + j:0{max(3, len(str(listed[y])))}d}" for y in spec.FY for j in range(max(1, k))]
    n_b = max(1, k)
    uidx = np.where(ub == 2564, np.arange(k), n_b + np.arange(k))
    old_i = 2 * n_b + rng.integers(0, len(prev), k)
    uidx = np.where((ub == 2565) & (np.arange(k) % 2 == 0), old_i, uidx)
    ucodes = ucodes + prev
    world.extra["spend_unknown_codes"] = ucodes
    extras = [unk.with_columns(ucode=pl.Series(uidx.astype(np.int32)), cid=pl.lit(-2, dtype=pl.Int32))]
    out = copies(pick_per_year(rng, disb_cluster, by, counts_for("spend_date_outside_window", basis)), "outside")
    extras.append(out.with_columns(posted_on=date_series(dt.date(2021, 6, 1), rng.integers(0, 122, out.height))))
    zero = copies(pick_per_year(rng, disb_cluster, by, counts_for("spend_zero_dash", basis)), "zero")
    extras.append(zero.with_columns(amount=pl.lit(0, dtype=pl.Int64), remark_i=pl.lit(REMARK_CANCEL, dtype=pl.Int8)))
    sp = pl.concat([sp] + extras, how="vertical")
    del extras, unk, out, zero

    # document numbers: per office and budget year, in posting order
    n = sp.height
    office = sp["office_idx"].to_numpy().astype(np.int32)
    by = sp["budget_year"].to_numpy().astype(np.int32)
    day = sp["posted_on"].cast(pl.Int32).to_numpy()
    sid = sp["sid"].to_numpy()
    order = np.lexsort((sid, day, by, office))
    grp = (office * 10_000 + by)[order]
    start = np.r_[True, grp[1:] != grp[:-1]]
    del grp
    ar = np.arange(n, dtype=np.int32)
    first_idx = np.maximum.accumulate(np.where(start, ar, 0))
    seq = np.empty(n, dtype=np.int32)
    seq[order] = ar - first_idx + 1
    del order, start, first_idx, ar, office
    world.extra["doc_width"] = max(5, len(str(int(seq.max()))))

    role = sp["role"].to_physical().to_numpy().astype(np.int8)
    R = {name: i for i, name in enumerate(SP_ROLE.categories.to_list())}
    tx = sp["tx"].to_numpy()
    clean = role == R["clean"]
    # duplicates: the identical row again in a later monthly file
    elig_dup = clean & (day <= _days(dt.date(2022, 7, 31)))
    dup_src = pick_per_year(rng, elig_dup, by, counts_for("spend_duplicate_document", basis))
    coded_ok = clean & ~dup_src
    blocked = name_refs_blocked(plan_rows)
    cid = sp["cid"].to_numpy()
    g = sp["g"].to_numpy()
    name_ok = np.ones(n, dtype=bool)
    for y in spec.FY:
        bc = blocked.filter(pl.col("year") == y)["cid"].to_numpy()
        name_ok &= ~((by == y) & np.isin(cid, bc))
    renamed = world.clusters.filter((pl.col("year") == 2565) & pl.col("renamed"))["cid"].to_numpy()
    ren_cids = renamed[~np.isin(renamed, blocked.filter(pl.col("year") == 2564)["cid"].to_numpy())]
    serial = pick_per_year(rng, coded_ok, by, counts_for("spend_excel_serial_date", basis))
    yce = pick_per_year(rng, coded_ok, by, counts_for("spend_year_ce", basis))
    ysh = pick_per_year(rng, coded_ok & ~yce, by, counts_for("spend_year_short", basis))
    thai = pick_per_year(rng, coded_ok & ~serial, by, counts_for("spend_thai_digits", basis))
    thai_col = np.where(thai, rng.integers(0, 3, n, dtype=np.int8), np.int8(-1))  # 0 amount, 1 posted_on, 2 document_no
    byname = pick_per_year(rng, coded_ok & (g >= 0) & name_ok, by, counts_for("spend_cluster_by_name", basis))
    oldname = pick_per_year(rng, coded_ok & np.isin(cid, ren_cids) & (by == 2565) & ~byname, by, counts_for("spend_cluster_old_name", basis))
    cluster_ref = np.where(g < 0, 3, np.where(byname, 1, np.where(oldname, 2, 0))).astype(np.int8)

    # files: posting month; duplicate copies one or two months later
    keys = list(fplans)
    m_of = {k[0] * 12 + k[1] - 1: i for i, k in enumerate(keys)}
    m0 = min(m_of)
    lut = np.full(max(m_of) - m0 + 1, -1, dtype=np.int64)
    for m, i in m_of.items():
        lut[m - m0] = i
    posted = sp["posted_on"]
    month = ((posted.dt.year().cast(pl.Int32) + BE_CE_OFFSET) * 12 + posted.dt.month().cast(pl.Int32) - 1).to_numpy()
    lut = lut.astype(np.int16)
    fidx = lut[month - m0]
    src_idx = np.flatnonzero(dup_src)
    dmonth = month[src_idx] + rng.integers(1, 3, src_idx.size)
    fidx_all = np.concatenate([fidx, lut[dmonth - m0]])
    assert (fidx_all >= 0).all()
    xlsx_lut = np.array([fplans[k].fmt == "xlsx" for k in keys])
    is_xlsx = xlsx_lut[fidx_all]
    N = n + src_idx.size
    # styles, drawn per row; copies inherit their original's
    dstyle = date_styles(rng, is_xlsx[:n])
    dstyle = np.where(serial, fmt.D_SERIAL, dstyle)
    dstyle = np.where(thai_col == 1, fmt.D_DMY, dstyle)
    astyle = np.where(
        is_xlsx[:n],
        np.where(rng.random(n) < 0.7, fmt.A_NUMBER, fmt.A_COMMA2),
        styles(rng, n, {fmt.A_COMMA2: 0.6, fmt.A_PLAIN2: 0.2, fmt.A_COMMA0: 0.15, fmt.A_BAHT: 0.05}),
    )
    astyle = np.where(thai_col == 0, fmt.A_COMMA2, astyle).astype(np.int8)
    dstyle = dstyle.astype(np.int8)

    def ext(a):
        return np.concatenate([a, a[src_idx]])

    dstyle, astyle = ext(dstyle), ext(astyle)
    dstyle = np.where(~is_xlsx & (dstyle == fmt.D_CELL), fmt.D_DMY, dstyle)
    astyle = np.where(~is_xlsx & (astyle == fmt.A_NUMBER), fmt.A_COMMA2, astyle)
    FILE = pl.Enum([fplans[k].path for k in keys])
    sp = pl.concat([sp, sp.filter(pl.Series(dup_src)).with_columns(role=pl.lit("dup").cast(SP_ROLE))], how="vertical")
    role = ext(role)
    role[n:] = R["dup"]
    zero_ = np.zeros(src_idx.size, dtype=bool)
    serial_a = np.concatenate([serial, zero_])
    yst = np.concatenate([np.where(yce, 1, np.where(ysh, 2, 0)), np.zeros(src_idx.size, dtype=np.int64)])
    thai_a = np.concatenate([thai_col, np.full(src_idx.size, -1)])
    cref = ext(cluster_ref)
    cref[n:] = np.where(cluster_ref[src_idx] == 3, 3, 0)
    staged = (role == R["clean"]) | (role == R["zero"])
    carry = sp["carry"].to_numpy()
    txa = sp["tx"].to_numpy()
    ga = sp["g"].to_numpy()
    sp = sp.with_columns(
        file=pl.Series(fidx_all).replace_strict(list(range(len(keys))), FILE.categories.to_list(), return_dtype=FILE),
        seq=pl.Series(ext(seq)),
        cluster_ref=pl.Series(cref.astype(np.int8)),
        year_style=pl.Series(yst.astype(np.int8)),
        thai_col=pl.Series(thai_a.astype(np.int8)),
        date_style=pl.Series(dstyle.astype(np.int8)),
        amount_style=pl.Series(astyle.astype(np.int8)),
        paren=pl.Series(rng.random(N) < 0.5),
        payee_dashed=pl.Series(rng.random(N) < 0.1),
        status=pl.Series(np.where(staged, 0, 1).astype(np.int8)).replace_strict([0, 1], [STAGED, QUAR], return_dtype=STATUS),
        reason=pl.Series(role).replace_strict(
            [R["dup"], R["unknown"], R["outside"]], ["duplicate_document", "cluster_unknown", "date_outside_fiscal_year"],
            default=None, return_dtype=pl.String),
        rid=pl.int_range(0, N, dtype=pl.Int32),
        nd=pl.lit(None, dtype=pl.String),
    ).drop("sid", "src", "g")
    entries = [
        ("spend_duplicate_document|document_no", role == R["dup"]),
        ("spend_cluster_unknown|cluster_code", role == R["unknown"]),
        ("spend_date_outside_window|posted_on", role == R["outside"]),
        ("spend_commitment|transaction_type", staged & (txa == TX_COMMIT)),
        ("spend_refund_later|amount_thb", staged & (txa == TX_REFUND)),
        ("spend_carry_over|remark", staged & carry),
        ("spend_programme_wide|cluster_code", (role == R["clean"]) & (ga < 0)),
        ("spend_zero_dash|amount_thb", role == R["zero"]),
        ("spend_excel_serial_date|posted_on", staged & serial_a),
        ("spend_cluster_old_name|cluster_code", staged & (cref == 2)),
        ("spend_cluster_by_name|cluster_code", staged & (cref == 1)),
        ("spend_year_ce|budget_fiscal_year", staged & (yst == 1)),
        ("spend_year_short|budget_fiscal_year", staged & (yst == 2)),
        ("spend_thai_digits|amount_thb", staged & (thai_a == 0)),
        ("spend_thai_digits|posted_on", staged & (thai_a == 1)),
        ("spend_thai_digits|document_no", staged & (thai_a == 2)),
    ]
    log = Log()
    log.add_all(np.arange(N), entries)
    # order inside each file: office block, posting date, document number (copies last on ties)
    dayN = sp["posted_on"].cast(pl.Int32).to_numpy()
    officeN = sp["office_idx"].to_numpy()
    seqN = sp["seq"].to_numpy()
    byN = sp["budget_year"].to_numpy()
    order = np.lexsort((role == R["dup"], seqN, byN, dayN, officeN, fidx_all))
    f_sorted = fidx_all[order]
    start = np.r_[True, f_sorted[1:] != f_sorted[:-1]]
    first_idx = np.maximum.accumulate(np.where(start, np.arange(N), 0))
    pos = np.empty(N, dtype=np.float64)
    pos[order] = (np.arange(N) - first_idx + 1) * 10.0
    sp = sp.with_columns(pos=pl.Series(pos))
    # subtotal rows after each office block and blank rows, in the files that have them
    nd_rows = []
    sub_files = [p.path for p in fplans.values() if p.subtotals]
    sub = (
        sp.filter(pl.col("file").is_in(sub_files))
        .group_by("file", "office_idx")
        .agg(pos=pl.col("pos").max() + 5, amount=pl.col("amount").sum())
        .sort("file", "office_idx")
        .with_columns(nd=pl.lit("total"), reason=pl.lit("total_row"))
    )
    nd_rows.append(sub)
    for i, k in enumerate(keys):
        p = fplans[k]
        if p.blanks:
            fpos = pos[fidx_all == i]
            bp = blank_positions(rng, fpos, p.blanks)
            nd_rows.append(pl.DataFrame({"file": pl.Series([p.path] * bp.size, dtype=FILE), "pos": bp}).with_columns(
                office_idx=pl.lit(0, dtype=pl.Int8), amount=pl.lit(0, dtype=pl.Int64), nd=pl.lit("blank"), reason=pl.lit("blank_row")))
    nd = pl.concat([x.select("file", "pos", "office_idx", "amount", "nd", "reason") for x in nd_rows], how="vertical_relaxed")
    nd_rid = np.arange(N, N + nd.height)
    nd = nd.with_columns(status=pl.lit(NONDATA).cast(STATUS), rid=pl.Series(nd_rid.astype(np.int32)),
                         role=pl.when(pl.col("nd") == "total").then(pl.lit("total")).otherwise(pl.lit("blank")).cast(SP_ROLE))
    is_total = (nd["nd"] == "total").to_numpy()
    log.add(nd_rid, is_total, "spend_subtotal_row|")
    log.add(nd_rid, ~is_total, "spend_blank_row|")
    sp = pl.concat([sp, nd], how="diagonal_relaxed")
    return sp, log.frame()


# --------------------------------------------------------------------------------------
# outcome surveys
# --------------------------------------------------------------------------------------
def _cert_table() -> list[str]:
    out = []
    for mask in range(256):
        out.append(";".join(c for i, c in enumerate(spec.CERTIFICATIONS) if mask >> i & 1))
    return out


def surveys(world: World, fplans: dict[tuple, FilePlan], reg_rows: pl.DataFrame) -> pl.DataFrame:
    rng = rng_for(world.seed, "defects:outcomes")
    parts = world.parts.join(world.enterprises.select("eid", "entity", "tax_id", "ce_code"), on="eid", how="left", maintain_order="left")
    basis_e = {y: int((parts["year"] == y).sum()) for y in spec.FY}
    py_ = parts["year"].to_numpy()
    ne = parts.height
    b_only = pick_per_year(rng, np.ones(ne, dtype=bool), py_, counts_for("survey_baseline_only", basis_e))
    a_only = pick_per_year(rng, ~b_only, py_, counts_for("survey_after_only", basis_e))
    # component values (baht, before calibration)
    s0 = np.maximum(np.round(parts["revenue"].to_numpy() * rng.uniform(0.9, 1.1, ne) / 100) * 100, 200_000)
    growth = np.clip(rng.normal(0.18, 0.15, ne), -0.15, 0.8)
    ds = s0 * growth
    cr = s0 * rng.uniform(0.01, 0.06, ne)
    inv = np.where(rng.random(ne) < 0.35, 0.0, s0 * rng.lognormal(np.log(0.08), 0.7, ne))
    emp0 = parts["employees"].to_numpy()
    emp1 = emp0 + rng.poisson(0.8, ne)
    cert0 = np.where(rng.random(ne) < 0.5, 1 << rng.integers(0, 8, ne), 0)
    cert1 = cert0 | np.where(rng.random(ne) < 0.6, 1 << rng.integers(0, 8, ne), 0)
    reg_on = parts["registered_on"]
    base_day = reg_on + pl.duration(days=pl.Series(rng.integers(3, 41, ne)))
    fy_end = pl.Series([spec.fy_end(int(y)) for y in spec.FY]).gather((py_ == 2565).astype(np.int64))
    after_day = fy_end - pl.duration(days=pl.Series(rng.integers(0, 81, ne)))
    after_day = pl.select(pl.max_horizontal(after_day, base_day + pl.duration(days=60))).to_series()
    common = parts.select("year", "cid", "code", "eid", "entity", "tax_id", "ce_code").with_columns(
        ent_i=pl.int_range(0, pl.len()),
    )
    base = common.with_columns(round=pl.lit(0), surveyed_on=base_day, emp=pl.Series(emp0), cert=pl.Series(cert0), newp=pl.lit(0)).filter(pl.Series(~a_only))
    after = common.with_columns(round=pl.lit(1), surveyed_on=after_day, emp=pl.Series(emp1), cert=pl.Series(cert1),
                                newp=pl.Series(rng.poisson(1.5, ne))).filter(pl.Series(~b_only))
    rows = pl.concat([base, after], how="vertical_relaxed").with_columns(role=pl.lit("clean"))
    n = rows.height
    ry = rows["year"].to_numpy()
    rnd = rows["round"].to_numpy()
    ent_i = rows["ent_i"].to_numpy()
    basis_r = {y: int((ry == y).sum()) for y in spec.FY}
    both = ~(b_only | a_only)[ent_i]
    # duplicates first (their originals stay free of coded defects), then row defects
    dup_src = pick_per_year(rng, both, ry, counts_for("survey_duplicate", basis_r))
    free = both & ~dup_src
    unit = pick_per_year(rng, free, ry, counts_for("survey_million_baht", basis_r))
    perc = pick_per_year(rng, free & ~unit & (rnd == 1), ry, counts_for("survey_cost_percentage", basis_r))
    bad_ent = np.zeros(ne, dtype=bool)
    bad_ent[ent_i[unit | perc]] = True
    mism = pick_per_year(rng, free & ~unit & ~perc & (rnd == 1), ry, counts_for("survey_value_mismatch", basis_r))
    ok = ~unit & ~perc
    serial = pick_per_year(rng, ok & ~dup_src, ry, counts_for("survey_excel_serial_date", basis_r))
    thai = pick_per_year(rng, ok & ~dup_src & ~serial, ry, counts_for("survey_thai_digits", basis_r))
    thai_col = rng.integers(0, 3, n)  # 0 annual_sales, 1 surveyed_on, 2 employees
    induced = ok & both & bad_ent[ent_i]
    # calibration: reported value of the accepted after rows sums to the target
    delta = np.where(rng.random(n) < 0.5, -1, 1) * rng.uniform(0.03, 0.30, n)
    comp = (ds + cr + inv)[ent_i]
    f = {}
    for y in spec.FY:
        sel = (ry == y) & (rnd == 1) & ok
        w = comp[sel] * np.where(mism[sel], 1 + delta[sel], 1.0)
        f[y] = spec.HEADLINE[y]["economic_value"] * world.scale / w.sum()
    fe = np.where(parts["year"].to_numpy() == 2564, f[2564], f[2565])
    s1 = np.maximum(np.round((s0 + fe * ds) / 100) * 100, 200_000).astype(np.int64)
    cr1 = (np.round(fe * cr / 100) * 100).astype(np.int64)
    inv1 = (np.round(fe * inv / 100) * 100).astype(np.int64)
    s0 = s0.astype(np.int64)
    sales = np.where(rnd == 0, s0[ent_i], s1[ent_i])
    r_val = (s1 - s0 + cr1 + inv1)[ent_i]
    diff = np.maximum(np.abs(r_val) * np.abs(delta), 10_000) * np.sign(delta)
    reported = np.where(mism, r_val + np.round(diff / 100) * 100, r_val).astype(np.int64)
    rows = rows.with_columns(
        sales=pl.Series(sales),
        cost=pl.Series(np.where(rnd == 0, 0, cr1[ent_i])),
        invest=pl.Series(np.where(rnd == 0, 0, inv1[ent_i])),
        reported=pl.Series(np.where(rnd == 0, 0, reported)),
        computed=pl.Series(np.where(rnd == 0, 0, r_val)),
        unit=pl.Series(unit),
        perc=pl.Series(perc),
        perc_val=pl.Series(rng.integers(5, 26, n)),
        mism=pl.Series(mism),
        dup_src=pl.Series(dup_src),
        serial=pl.Series(serial),
        thai_col=pl.Series(np.where(thai, thai_col, -1)),
        induced=pl.Series(induced),
        b_only=pl.Series(b_only[ent_i] & (rnd == 0)),
        a_only=pl.Series(a_only[ent_i] & (rnd == 1)),
    )
    # surveyed enterprises that never registered
    extras = []
    for y in spec.FY:
        k = counts_for("survey_unregistered", basis_e)[y]
        acts = world.clusters.filter((pl.col("year") == y) & pl.col("active"))
        cl = acts.gather(rng.integers(0, acts.height, k))
        personal = rng.random(k) < 0.3
        tid = np.where(personal, world.ids.personal(k), world.ids.juristic(k))
        s = np.round(rng.uniform(400_000, 9_000_000, k) / 100) * 100
        rd = rng.integers(0, 2, k)
        extras.append(
            cl.select("year", "cid", "code").with_columns(
                eid=pl.lit(-1), entity=pl.lit(E_COMPANY), tax_id=pl.Series(tid), ce_code=pl.lit(-1), ent_i=pl.lit(-1),
                round=pl.Series(rd), surveyed_on=date_series(spec.fy_start(y), rng.integers(30, 330, k)),
                emp=pl.Series(rng.integers(2, 40, k)), cert=pl.lit(0), newp=pl.Series(rng.integers(0, 3, k)),
                role=pl.lit("unregistered"), sales=pl.Series(s.astype(np.int64)),
                cost=pl.Series(np.where(rd == 1, np.round(s * 0.03 / 100) * 100, 0).astype(np.int64)),
                invest=pl.lit(0), reported=pl.Series(np.where(rd == 1, np.round(s * 0.12 / 100) * 100, 0).astype(np.int64)),
                computed=pl.lit(0), unit=pl.lit(False), perc=pl.lit(False), perc_val=pl.lit(0), mism=pl.lit(False),
                dup_src=pl.lit(False), serial=pl.lit(False), thai_col=pl.lit(-1), induced=pl.lit(False),
                b_only=pl.lit(False), a_only=pl.lit(False),
            )
        )
    rows = pl.concat([rows] + [e.select(rows.columns).cast(rows.schema) for e in extras])
    files = {y: fplans[(y,)].path for y in spec.FY}
    rows = rows.with_columns(file=pl.col("year").replace_strict(files, return_dtype=pl.String), u=pl.Series(rng.random(rows.height)))
    # sheet order: cluster, enterprise, round; unregistered rows anywhere
    rows = rows.sort(["file", "code", "eid", "round", "u"]).with_columns(
        pos=pl.int_range(1, pl.len() + 1).over("file").cast(pl.Float64) * 10
    )
    maxpos = rows.group_by("file").agg(mp=pl.col("pos").max())
    rows = rows.join(maxpos, on="file", how="left", maintain_order="left")
    rows = rows.with_columns(
        pos=pl.when(pl.col("role") == "unregistered").then((pl.col("u") * pl.col("mp")).floor() + 5).otherwise(pl.col("pos"))
    )
    width = max(5, len(str(int(rows.group_by("file").len()["len"].max()))))
    rows = rows.sort(["file", "pos"]).with_columns(
        survey_id=pl.format(
            "SV{}-{}", (pl.col("year") % 100).cast(pl.String),
            pl.int_range(1, pl.len() + 1).over("file").cast(pl.String).str.zfill(width),
        )
    )
    # duplicate copies: identical row later in the sheet
    d = rows.filter(pl.col("dup_src"))
    d = d.with_columns(
        pos=pl.col("pos") + 1 + (pl.Series(rng.random(d.height)) * (pl.col("mp") - pl.col("pos"))).floor() + 0.5,
        role=pl.lit("dup"),
    )
    rows = pl.concat([rows, d], how="vertical_relaxed").drop("mp")
    rows = rows.join(file_lookup(fplans), on="file", how="left", maintain_order="left")
    n = rows.height
    is_xlsx = rows["is_xlsx"].to_numpy()
    role = rows["role"].to_numpy()
    dstyle = date_styles(rng, is_xlsx)
    dstyle = np.where(rows["serial"].to_numpy(), fmt.D_SERIAL, dstyle)
    dstyle = np.where(rows["thai_col"].to_numpy() == 1, fmt.D_DMY, dstyle)
    entity = rows["entity"].to_numpy()
    ref_style = np.where(
        entity == E_CE, styles(rng, n, {0: 0.4, 1: 0.1, 2: 0.35, 3: 0.15}), styles(rng, n, {0: 0.85, 1: 0.15})
    )
    amt_style = np.where(is_xlsx, np.where(rng.random(n) < 0.75, fmt.A_NUMBER, fmt.A_COMMA0),
                         styles(rng, n, {fmt.A_COMMA2: 0.3, fmt.A_COMMA0: 0.4, fmt.A_PLAIN0: 0.3}))
    amt_style = np.where(rows["thai_col"].to_numpy() == 0, fmt.A_COMMA0, amt_style)
    rows = rows.with_columns(
        date_style=pl.Series(dstyle), ref_style=pl.Series(ref_style), amt_style=pl.Series(amt_style),
        base_dash=pl.Series(rng.random(n) < 0.6),
    )
    # copies inherit the styles of their original
    orig = rows.filter(pl.col("dup_src") & (pl.col("role") != "dup")).select(
        "year", "eid", "round", o_d=pl.col("date_style"), o_r=pl.col("ref_style"), o_a=pl.col("amt_style"), o_b=pl.col("base_dash"))
    rows = rows.join(orig, on=["year", "eid", "round"], how="left", maintain_order="left").with_columns(
        date_style=pl.when(pl.col("role") == "dup").then(pl.col("o_d")).otherwise(pl.col("date_style")),
        ref_style=pl.when(pl.col("role") == "dup").then(pl.col("o_r")).otherwise(pl.col("ref_style")),
        amt_style=pl.when(pl.col("role") == "dup").then(pl.col("o_a")).otherwise(pl.col("amt_style")),
        base_dash=pl.when(pl.col("role") == "dup").then(pl.col("o_b")).otherwise(pl.col("base_dash")),
    ).drop("o_d", "o_r", "o_a", "o_b")
    role = rows["role"].to_numpy()
    real = role == "clean"
    unit = rows["unit"].to_numpy() & real
    perc = rows["perc"].to_numpy() & real
    staged = real & ~unit & ~perc
    tc = rows["thai_col"].to_numpy()
    entries = [
        ("survey_baseline_only|round", staged & rows["b_only"].to_numpy()),
        ("survey_after_only|round", staged & rows["a_only"].to_numpy()),
        ("survey_round_missing_induced|round", staged & rows["induced"].to_numpy()),
        ("survey_unregistered|enterprise_ref", role == "unregistered"),
        ("survey_duplicate|survey_id", role == "dup"),
        ("survey_million_baht|annual_sales_thb", unit),
        ("survey_cost_percentage|cost_reduction_thb", perc),
        ("survey_value_mismatch|reported_economic_value_thb", staged & rows["mism"].to_numpy()),
        ("survey_excel_serial_date|surveyed_on", staged & rows["serial"].to_numpy()),
        ("survey_thai_digits|annual_sales_thb", staged & (tc == 0)),
        ("survey_thai_digits|surveyed_on", staged & (tc == 1)),
        ("survey_thai_digits|employees", staged & (tc == 2)),
    ]
    reason = np.where(role == "dup", "duplicate_survey", np.where(role == "unregistered", "enterprise_unregistered",
                      np.where(unit, "amount_unit_suspect", np.where(perc, "cost_reduction_percentage", ""))))
    log = Log()
    log.add_all(np.arange(n), entries)
    rows = rows.with_columns(
        status=pl.Series(np.where(staged, STAGED, QUAR)),
        reason=pl.Series(reason).replace("", None),
        rid=pl.Series(np.arange(n)),
        nd=pl.lit(None, dtype=pl.String),
    )
    return rows, log.frame()


CERT_TABLE = _cert_table()
