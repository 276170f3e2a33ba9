"""The clean world: clusters, enterprises, participations, survey values and spending rows.

Everything is built with numpy / polars vectorised operations; the only Python loops run
over fiscal years, offices or a handful of rejection-sampling rounds, never over rows.
Money is kept in satang (Int64) so that sums are exact.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipeline import contract
from pipeline.ingest.paths import PROVINCES_CSV

from . import ids, spec

ENTITY_TH = list(contract.ENTITY_TYPES)  # 0 company, 1 LP, 2 RP, 3 CE, 4 sole proprietor
E_COMPANY, E_LP, E_RP, E_CE, E_SOLE = range(5)
STATUS_TH = list(contract.CLUSTER_STATUSES)  # ดำเนินการ, ยุบรวม, ยกเลิก
GROUP_TH = list(contract.CLUSTER_GROUPS)  # เกษตรแปรรูป/ชุมชน, อุตสาหกรรมเป้าหมาย
TX_COMMIT, TX_DISB, TX_REFUND = 0, 1, 2
TX_TH = list(contract.TRANSACTION_TYPES)


def rng_for(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def load_provinces() -> pl.DataFrame:
    return pl.read_csv(PROVINCES_CSV, schema_overrides={"province_code": pl.Int64})


def integer_partition(total: int, weights: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Integers in [lo, hi] proportional to weights, summing exactly to total."""
    n = weights.size
    assert lo * n <= total <= hi * n
    x = lo + (total - lo * n) * weights / weights.sum()
    for _ in range(50):
        x = np.clip(x, lo, hi)
        gap = total - x.sum()
        if abs(gap) < 1e-9:
            break
        free = (x < hi) if gap > 0 else (x > lo)
        x[free] += gap * weights[free] / weights[free].sum()
    base = np.floor(x).astype(np.int64)
    rem = int(total - base.sum())
    order = np.argsort(-(x - base), kind="stable")
    base[order[:rem]] += 1
    return base


def split_exact(total: np.ndarray, group: np.ndarray, weight: np.ndarray, unit: int = 100) -> np.ndarray:
    """Split total[g] (satang) over the rows of each group proportionally to weight, in
    multiples of `unit`; the remainder goes to the first row of the group. Exact sums."""
    n_groups = total.size
    wsum = np.bincount(group, weights=weight, minlength=n_groups)
    share = total[group] * weight / wsum[group]
    amt = (np.floor(share / unit) * unit).astype(np.int64)
    rem = total - np.bincount(group, weights=amt, minlength=n_groups).astype(np.int64)
    # first row of each group
    order = np.argsort(group, kind="stable")
    g_sorted = group[order]
    first = order[np.r_[True, g_sorted[1:] != g_sorted[:-1]]]
    amt[first] += rem[group[first]]
    return amt


def choice_idx(rng: np.random.Generator, n: int, probs) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return rng.choice(p.size, size=n, p=p / p.sum())


@dataclass
class World:
    scale: int
    seed: int
    provinces: pl.DataFrame
    clusters: pl.DataFrame  # one row per (year, listed cluster), staged plan rows
    enterprises: pl.DataFrame
    parts: pl.DataFrame  # accepted registrations: one per (year, enterprise)
    payees: pl.DataFrame
    spending: pl.DataFrame
    ids: ids.IdRegistry
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# clusters
# --------------------------------------------------------------------------------------
def build_clusters(n: int, seed: int, prov: pl.DataFrame) -> pl.DataFrame:
    rng = rng_for(seed, "clusters")
    nA, nB, nB1 = spec.N_CONTINUING * n, spec.N_ONLY_2564 * n, spec.N_B_CANCELLED_2565 * n
    nCm, nCc, nD = spec.N_MERGED_2564 * n, spec.N_CANCELLED_2564 * n, spec.N_NEW_2565 * n
    kind = np.array(["A"] * nA + ["B"] * nB + ["Cm"] * nCm + ["Cc"] * nCc + ["D"] * nD)
    m = kind.size
    office = choice_idx(rng, m, spec.OFFICE_WEIGHTS)
    office[:12] = rng.permutation(12)  # every office leads a continuing cluster
    sect_w = np.array([spec.SECTOR_WEIGHTS_HQ, spec.SECTOR_WEIGHTS_REGION])
    prov_lists = [spec.OFFICE_PROVINCES[c] for c in spec.OFFICE_CODES]
    pmat = np.zeros((12, max(map(len, prov_lists))), dtype=np.int64)
    pcount = np.array([len(p) for p in prov_lists])
    for i, p in enumerate(prov_lists):
        pmat[i, : len(p)] = p

    def draw(idx):
        u = rng.random(idx.size)
        cum = np.cumsum(sect_w, axis=1)
        cum = cum / cum[:, -1:]
        row = np.where(office[idx] == 0, 0, 1)
        s = (u[:, None] > cum[row]).sum(axis=1)
        p = pmat[office[idx], (rng.random(idx.size) * pcount[office[idx]]).astype(int)]
        return s, p

    sector = np.empty(m, dtype=np.int64)
    province = np.empty(m, dtype=np.int64)
    sector[:], province[:] = draw(np.arange(m))
    for _ in range(200):  # make (sector, province) unique where possible
        key = sector * 100 + province
        _, first = np.unique(key, return_index=True)
        dup = np.ones(m, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        idx = np.flatnonzero(dup)
        sector[idx], province[idx] = draw(idx)
    renamed = np.zeros(m, dtype=bool)
    renamed[rng.choice(nA, size=round_half_up(0.15 * nA), replace=False)] = True

    pv = prov.select("province_code", "name_th", "name_en_common")
    df = pl.DataFrame(
        {
            "cid": np.arange(m),
            "kind": kind,
            "office_idx": office,
            "sector_idx": sector,
            "province_code": province,
            "renamed": renamed,
        }
    ).join(pv, on="province_code", how="left", maintain_order="left")
    sector_th = pl.col("sector_idx").replace_strict(list(range(10)), spec.SECTORS, return_dtype=pl.String)
    sector_en = pl.col("sector_idx").replace_strict(list(range(10)), [spec.SECTOR_EN[s] for s in spec.SECTORS], return_dtype=pl.String)
    df = df.with_columns(
        sector=sector_th,
        sector_en=sector_en,
        group=pl.when(sector_th.is_in(spec.TARGET_INDUSTRY)).then(pl.lit(GROUP_TH[1])).otherwise(pl.lit(GROUP_TH[0])),
        rank=pl.int_range(1, pl.len() + 1).over(["sector_idx", "province_code"]),
    ).with_columns(
        num=pl.when(pl.col("rank") > 1).then(pl.concat_str([pl.lit(" "), pl.col("rank").cast(pl.String)])).otherwise(pl.lit("")),
    ).with_columns(
        name64=pl.concat_str([pl.lit("คลัสเตอร์"), pl.col("sector"), pl.col("name_th"), pl.col("num")]),
        name_en=pl.concat_str([pl.col("name_en_common"), pl.lit(" "), pl.col("sector_en"), pl.lit(" Cluster"), pl.col("num")]),
        office=pl.col("office_idx").replace_strict(list(range(12)), list(spec.OFFICES), return_dtype=pl.String),
    ).with_columns(
        name65=pl.when(pl.col("renamed"))
        .then(pl.concat_str([pl.lit("คลัสเตอร์"), pl.col("sector"), pl.lit("มูลค่าสูง"), pl.col("name_th"), pl.col("num")]))
        .otherwise(pl.col("name64")),
    )

    years = []
    for year in spec.FY:
        if year == 2564:
            sel = df.filter(pl.col("kind").is_in(["A", "B", "Cm", "Cc"])).with_columns(
                status=pl.when(pl.col("kind") == "Cm").then(pl.lit(STATUS_TH[1]))
                .when(pl.col("kind") == "Cc").then(pl.lit(STATUS_TH[2]))
                .otherwise(pl.lit(STATUS_TH[0])),
                name=pl.col("name64"),
            )
        else:
            b1 = df.filter(pl.col("kind") == "B").head(nB1)["cid"]
            sel = df.filter(pl.col("kind").is_in(["A", "D"]) | pl.col("cid").is_in(b1.implode())).with_columns(
                status=pl.when(pl.col("kind") == "B").then(pl.lit(STATUS_TH[2])).otherwise(pl.lit(STATUS_TH[0])),
                name=pl.col("name65"),
            )
        sel = sel.with_columns(year=pl.lit(year), u=pl.Series(rng.random(sel.height))).sort(["office_idx", "u"])
        width = max(3, len(str(sel.height)))
        sel = sel.with_columns(
            seq=pl.int_range(1, pl.len() + 1),
        ).with_columns(
            code=pl.format("CL{}-{}", pl.lit(str(year % 100)), pl.col("seq").cast(pl.String).str.zfill(width)),
            active=pl.col("status") == STATUS_TH[0],
        )
        act = sel["active"].to_numpy()
        units = np.zeros(sel.height, dtype=np.int64)
        total_units = spec.HEADLINE[year]["budget_thb"] * n // spec.ALLOC_UNIT_THB
        w = rng.lognormal(0.0, 0.45, int(act.sum()))
        units[act] = integer_partition(total_units, w, spec.ALLOC_MIN_UNITS, spec.ALLOC_MAX_UNITS)
        sel = sel.with_columns(alloc_satang=pl.Series(units * spec.ALLOC_UNIT_THB * 100))
        years.append(sel)
    out = pl.concat(years, how="vertical")
    prev = out.filter(pl.col("year") == 2564).select("cid", pred_code=pl.col("code"))
    out = out.join(prev, on="cid", how="left", maintain_order="left").with_columns(
        pred_code=pl.when(pl.col("year") == 2565).then(pl.col("pred_code")).otherwise(pl.lit(None, dtype=pl.String))
    )
    ev = rng.uniform(45, 80, out.height)
    out = out.with_columns(
        target_ev_m=pl.Series(np.round(out["alloc_satang"].to_numpy() / 1e8 * ev, 1)),
        name_en=pl.when(pl.Series(rng.random(out.height) < 0.4)).then(pl.col("name_en")).otherwise(pl.lit("")),
    )
    return out.select(
        "year", "cid", "kind", "seq", "code", "pred_code", "name", "name_en", "group", "sector", "sector_idx",
        "province_code", "office_idx", "office", "alloc_satang", pl.col("status").alias("cstatus"), "active", "renamed", "target_ev_m",
    )


# --------------------------------------------------------------------------------------
# enterprises
# --------------------------------------------------------------------------------------
def make_enterprises(
    rng: np.random.Generator, reg: ids.IdRegistry, prov: pl.DataFrame, cl: pl.DataFrame, first_eid: int
) -> pl.DataFrame:
    """One enterprise per row of `cl` (columns sector_idx, group, province_code, office_idx)."""
    m = cl.height
    agro = (cl["group"] == GROUP_TH[0]).to_numpy()
    p_agro = (0.25, 0.15, 0.05, 0.35, 0.20)
    p_target = (0.65, 0.20, 0.05, 0.0, 0.10)
    u = rng.random(m)
    cum_a, cum_t = np.cumsum(p_agro), np.cumsum(p_target)
    entity = np.where(agro, (u[:, None] > cum_a[None, :]).sum(1), (u[:, None] > cum_t[None, :]).sum(1))
    entity = np.minimum(entity, 4)
    # province: 60 % the cluster's lead province, else another province of the office
    prov_lists = [spec.OFFICE_PROVINCES[c] for c in spec.OFFICE_CODES]
    pmat = np.zeros((12, 8), dtype=np.int64)
    pcount = np.array([len(p) for p in prov_lists])
    for i, p in enumerate(prov_lists):
        pmat[i, : len(p)] = p
    off = cl["office_idx"].to_numpy()
    other = pmat[off, (rng.random(m) * pcount[off]).astype(int)]
    province = np.where(rng.random(m) < 0.6, cl["province_code"].to_numpy(), other)
    tax = np.empty(m, dtype=np.int64)
    jur = entity <= E_RP
    tax[jur] = reg.juristic(int(jur.sum()), partnership=(entity[jur] != E_COMPANY))
    tax[~jur] = reg.personal(int((~jur).sum()))
    region = prov.select("province_code", "region_6_en").with_columns(
        rd=pl.col("region_6_en").replace_strict(spec.REGION_DIGIT, return_dtype=pl.Int64)
    )
    rd_map = dict(zip(region["province_code"].to_list(), region["rd"].to_list()))
    is_ce = entity == E_CE
    ce = np.full(m, -1, dtype=np.int64)
    ce_prov = province[is_ce]
    ce[is_ce] = reg.ce_codes(ce_prov, np.array([rd_map[p] for p in np.unique(ce_prov)])[np.searchsorted(np.unique(ce_prov), ce_prov)] if ce_prov.size else ce_prov)
    sect = cl["sector_idx"].to_numpy()
    word_i = rng.integers(0, 4, m)
    pre_i = rng.integers(0, len(spec.NAME_PREFIXES), m)
    suf_i = rng.integers(0, len(spec.NAME_SUFFIXES), m)
    grp_i = rng.integers(0, len(spec.CE_GROUP_WORDS), m)
    vil_i = rng.integers(0, len(spec.VILLAGES), m)
    tsic_i = rng.integers(0, 4, m)
    words = np.array([spec.SECTOR_WORDS[s][k] for s in spec.SECTORS for k in range(4)], dtype=object)
    tsics = np.array([spec.SECTOR_TSIC[s][k] for s in spec.SECTORS for k in range(4)], dtype=object)
    size_sig = {E_COMPANY: (np.log(15), 0.8), E_LP: (np.log(8), 0.7), E_RP: (np.log(6), 0.6)}
    emp = np.where(entity == E_CE, rng.integers(5, 41, m), rng.integers(1, 9, m))
    for e, (mu, sd) in size_sig.items():
        sel = entity == e
        emp[sel] = np.clip(np.round(rng.lognormal(mu, sd, int(sel.sum()))), 1, 250).astype(np.int64)
    per_head = np.where(entity == E_CE, rng.uniform(150_000, 500_000, m), rng.uniform(400_000, 1_600_000, m))
    revenue = np.maximum(np.round(emp * per_head / 1000) * 1000, 260_000).astype(np.int64)
    fn = rng.integers(0, len(spec.FIRST_NAMES), m)
    ln = rng.integers(0, len(spec.LAST_NAMES), m)
    df = pl.DataFrame(
        {
            "eid": np.arange(first_eid, first_eid + m),
            "entity": entity,
            "tax_id": tax,
            "ce_code": ce,
            "province_code": province,
            "word": words[sect * 4 + word_i].astype(str),
            "prefix": np.array(spec.NAME_PREFIXES)[pre_i],
            "suffix": np.array(spec.NAME_SUFFIXES)[suf_i],
            "ce_group": np.array(spec.CE_GROUP_WORDS)[grp_i],
            "village": np.array(spec.VILLAGES)[vil_i],
            "tsic": tsics[sect * 4 + tsic_i].astype(str),
            "employees": emp,
            "revenue": revenue,
            "first_i": fn,
            "last_i": ln,
            "phone_a": rng.integers(1, 10, m),
            "phone_b": rng.integers(0, 1000, m),
            "phone_c": rng.integers(0, 10000, m),
            "mail_n": rng.integers(1, 100, m),
            "mail_d": rng.integers(0, len(spec.EMAIL_DOMAINS), m),
        }
    )
    core = pl.concat_str([pl.col("prefix"), pl.col("word"), pl.col("suffix")])
    df = df.with_columns(
        core=core,
        name=pl.when(pl.col("entity") == E_COMPANY).then(pl.concat_str([pl.lit("บริษัท "), core, pl.lit(" จำกัด")]))
        .when(pl.col("entity") == E_LP).then(pl.concat_str([pl.lit("ห้างหุ้นส่วนจำกัด "), core]))
        .when(pl.col("entity") == E_RP).then(pl.concat_str([pl.lit("ห้างหุ้นส่วนสามัญนิติบุคคล "), core]))
        .when(pl.col("entity") == E_CE).then(pl.concat_str([pl.lit("วิสาหกิจชุมชน"), pl.col("ce_group"), pl.col("word"), pl.lit("บ้าน"), pl.col("village")]))
        .otherwise(pl.concat_str([pl.lit("ร้าน"), pl.col("prefix"), pl.col("word")])),
        bsector=pl.when((pl.col("entity") != E_CE) & pl.col("tsic").str.slice(0, 2).is_in(spec.TRADE_TSIC_PREFIXES))
        .then(pl.lit(1)).otherwise(pl.lit(0)),
        contact=pl.concat_str(
            [
                pl.col("first_i").replace_strict(list(range(len(spec.FIRST_NAMES))), [f[0] for f in spec.FIRST_NAMES], return_dtype=pl.String),
                pl.col("last_i").replace_strict(list(range(len(spec.LAST_NAMES))), [x[0] for x in spec.LAST_NAMES], return_dtype=pl.String),
            ],
            separator=" ",
        ),
        phone=pl.format(
            "08{}-{}-{}",
            pl.col("phone_a").cast(pl.String),
            pl.col("phone_b").cast(pl.String).str.zfill(3),
            pl.col("phone_c").cast(pl.String).str.zfill(4),
        ),
        email=pl.format(
            "{}.{}{}@{}",
            pl.col("first_i").replace_strict(list(range(len(spec.FIRST_NAMES))), [f[1] for f in spec.FIRST_NAMES], return_dtype=pl.String),
            pl.col("last_i").replace_strict(list(range(len(spec.LAST_NAMES))), [x[1][:4] for x in spec.LAST_NAMES], return_dtype=pl.String),
            pl.col("mail_n").cast(pl.String),
            pl.col("mail_d").replace_strict(list(range(len(spec.EMAIL_DOMAINS))), list(spec.EMAIL_DOMAINS), return_dtype=pl.String),
        ),
    )
    return df.select(
        "eid", "entity", "tax_id", "ce_code", "province_code", "core", "name", "tsic", "bsector",
        "employees", "revenue", "contact", "phone", "email",
    )


def cluster_counts(rng: np.random.Generator, total: int, weights: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    rest = total - int(minimum.sum())
    assert rest >= 0
    return minimum + rng.multinomial(rest, weights / weights.sum())


def build_participations(n: int, seed: int, prov: pl.DataFrame, clusters: pl.DataFrame, reg: ids.IdRegistry):
    rng = rng_for(seed, "participations")
    act64 = clusters.filter((pl.col("year") == 2564) & pl.col("active"))
    w = (act64["alloc_satang"].to_numpy() / 1e8) ** 0.7 * rng.lognormal(0, 0.25, act64.height)
    cnt = cluster_counts(rng, spec.HEADLINE[2564]["enterprises"] * n, w, np.full(act64.height, 6))
    slots64 = act64.gather(np.repeat(np.arange(act64.height), cnt))
    ent64 = make_enterprises(rng, reg, prov, slots64, 0)
    p64 = slots64.select("year", "cid", "code", "office_idx", "office", "sector_idx").with_columns(eid=ent64["eid"])

    act65 = clusters.filter((pl.col("year") == 2565) & pl.col("active"))
    # returning enterprises: from clusters that continue (same cid in 2565)
    cont = p64.join(act65.select("cid"), on="cid", how="semi", maintain_order="left")
    back = cont.filter(pl.Series(rng.random(cont.height) < spec.RETURN_PROBABILITY))
    ret = back.select("eid", "cid")
    n_new = spec.HEADLINE[2565]["enterprises"] * n - ret.height
    w65 = (act65["alloc_satang"].to_numpy() / 1e8) ** 0.7 * rng.lognormal(0, 0.25, act65.height)
    minimum = np.where(act65["kind"].to_numpy() == "D", 10, 2)
    cnt65 = cluster_counts(rng, n_new, w65, minimum)
    slots65 = act65.gather(np.repeat(np.arange(act65.height), cnt65))
    ent65 = make_enterprises(rng, reg, prov, slots65, ent64.height)
    enterprises = pl.concat([ent64, ent65])
    new65 = slots65.select("cid").with_columns(eid=ent65["eid"]).select("eid", "cid")
    p65 = pl.concat([ret, new65]).join(
        act65.select("year", "cid", "code", "office_idx", "office", "sector_idx"), on="cid", how="left", maintain_order="left"
    ).select(p64.columns)
    parts = pl.concat([p64, p65])
    m = parts.height
    start = parts["year"].to_numpy().astype(np.int64)
    days = rng.integers(0, 240, m) + np.where(start == 2565, (spec.fy_start(2565) - spec.fy_start(2564)).days, 0)
    parts = parts.with_columns(registered_on=date_series(spec.fy_start(2564), days))
    # year-specific size: returning enterprises grew a little
    parts = parts.join(enterprises.select("eid", "employees", "revenue"), on="eid", how="left", maintain_order="left")
    grow = np.where(start == 2565, rng.uniform(1.0, 1.15, m), 1.0)
    parts = parts.with_columns(
        employees=(pl.col("employees") * pl.Series(grow)).round(0).cast(pl.Int64),
        revenue=((pl.col("revenue") * pl.Series(grow)) / 1000).round(0).cast(pl.Int64) * 1000,
        consent=pl.Series(choice_idx(rng, m, (0.35, 0.2, 0.15, 0.1, 0.12, 0.08))),
    )
    return enterprises, parts


# --------------------------------------------------------------------------------------
# payees and spending
# --------------------------------------------------------------------------------------
def build_payees(n: int, seed: int, reg: ids.IdRegistry) -> pl.DataFrame:
    rng = rng_for(seed, "payees")
    n_person, n_company = 80 * n, 80 * n
    fn = rng.integers(0, len(spec.FIRST_NAMES), n_person)
    ln = rng.integers(0, len(spec.LAST_NAMES), n_person)
    female = np.array([f[2] for f in spec.FIRST_NAMES])[fn]
    title = np.where(female == 1, np.where(rng.random(n_person) < 0.5, "นาง", "นางสาว"), "นาย")
    persons = pl.DataFrame(
        {
            "title": title,
            "first": np.array([f[0] for f in spec.FIRST_NAMES])[fn],
            "last": np.array([x[0] for x in spec.LAST_NAMES])[ln],
            "tax_id": reg.personal(n_person),
        }
    ).select(
        kind=pl.lit(0), name=pl.concat_str([pl.col("title"), pl.col("first"), pl.lit(" "), pl.col("last")]), tax_id="tax_id"
    )
    pre = np.array(spec.NAME_PREFIXES)[rng.integers(0, len(spec.NAME_PREFIXES), n_company)]
    word = np.array(spec.PAYEE_COMPANY_WORDS)[rng.integers(0, len(spec.PAYEE_COMPANY_WORDS), n_company)]
    companies = pl.DataFrame({"pre": pre, "word": word, "tax_id": reg.juristic(n_company)}).select(
        kind=pl.lit(1), name=pl.concat_str([pl.lit("บริษัท "), pl.col("pre"), pl.col("word"), pl.lit(" จำกัด")]), tax_id="tax_id"
    )
    return pl.concat([persons, companies]).with_row_index("payee").with_columns(pl.col("payee").cast(pl.Int64))


def date_series(start: dt.date, days: np.ndarray) -> pl.Series:
    """start + days (vectorised) as a polars Date series."""
    return pl.Series(np.asarray(days, dtype=np.int64) + (start - dt.date(1970, 1, 1)).days).cast(pl.Int32).cast(pl.Date)


def build_spending(n: int, seed: int, clusters: pl.DataFrame, parts: pl.DataFrame, ents: pl.DataFrame, payees: pl.DataFrame):
    """Clean spending rows of both budget years (commitments, disbursements, refunds).
    Returns (rows, per-year summary)."""
    rng = rng_for(seed, "spending")
    n_person = int((payees["kind"] == 0).sum())
    n_company = payees.height - n_person
    frames = []
    for year in spec.FY:
        act = clusters.filter((pl.col("year") == year) & pl.col("active")).with_row_index("g")
        k = act.height
        alloc = act["alloc_satang"].to_numpy()
        A = int(alloc.sum())
        n_over = round_half_up(0.07 * k)
        over = np.zeros(k, dtype=bool)
        over[rng.choice(k, n_over, replace=False)] = True
        lo, hi = spec.EXECUTED_RATIO[year]
        r = rng.uniform(lo, hi)
        e_over = alloc * np.where(over, rng.uniform(1.04, 1.12, k), 0.0)
        noise = rng.uniform(0.9, 1.0, k)
        need = (r - spec.PROGRAMME_SHARE) * A - e_over.sum()
        kf = need / (alloc * noise)[~over].sum()
        u = np.where(over, 0.0, np.minimum(kf * noise, 0.995))
        executed = np.round(e_over + alloc * u).astype(np.int64)
        programme = int(round(r * A)) - int(executed.sum())
        assert programme > 0, (year, programme)
        committed = np.where(over, alloc, np.maximum(np.round(alloc * rng.uniform(0.97, 1.0, k) / 10_000) * 10_000, executed)).astype(np.int64)

        # --- commitments
        n_c = 3 + rng.poisson(1.5, k)
        g_c = np.repeat(np.arange(k), n_c)
        acts, probs = spec.COMMITMENT_ACTIVITIES
        a_c = np.array(acts)[choice_idx(rng, g_c.size, probs)]
        amt_c = split_exact(committed, g_c, np.array(spec.ACTIVITY_WEIGHT)[a_c] * rng.lognormal(0, 0.3, g_c.size), unit=100_000)
        d_c = rng.integers(0, 90, g_c.size)
        # --- enterprise-level disbursements
        py = parts.filter(pl.col("year") == year).join(act.select("cid", "g"), on="cid", how="left", maintain_order="left")
        n_e = 1 + rng.poisson(4.6, py.height)
        row_e = np.repeat(np.arange(py.height), n_e)
        g_e = py["g"].to_numpy()[row_e]
        acts, probs = spec.ENTERPRISE_ACTIVITIES
        a_e = np.array(acts)[choice_idx(rng, row_e.size, probs)]
        ben_e = py.join(ents.select("eid", "tax_id"), on="eid", how="left", maintain_order="left")["tax_id"].to_numpy()[row_e]
        # --- cluster-level disbursements
        n_k = 20 + rng.poisson(26, k)
        g_k = np.repeat(np.arange(k), n_k)
        acts, probs = spec.CLUSTER_ACTIVITIES
        a_k = np.array(acts)[choice_idx(rng, g_k.size, probs)]
        # split executed over enterprise + cluster rows of each cluster
        g_d = np.concatenate([g_e, g_k])
        a_d = np.concatenate([a_e, a_k])
        net_d = split_exact(executed, g_d, np.array(spec.ACTIVITY_WEIGHT)[a_d] * rng.lognormal(0, 0.5, g_d.size))
        ben_d = np.concatenate([ben_e, np.full(g_k.size, -1)])
        d_d = rng.integers(30, 365, g_d.size)
        # --- refunds: 3 % of disbursements, part of the original paid back later
        refund = rng.random(g_d.size) < 0.03
        refund &= net_d > 100_000
        frac = rng.uniform(0.05, 0.4, g_d.size)
        mag = np.where(refund, np.round(net_d * frac / 100) * 100, 0).astype(np.int64)
        gross_d = net_d + mag
        # --- programme-wide (blank cluster)
        n_p = 30 * n
        acts, probs = spec.PROGRAMME_ACTIVITIES
        a_p = np.array(acts)[choice_idx(rng, n_p, probs)]
        amt_p = split_exact(np.array([programme]), np.zeros(n_p, dtype=np.int64), np.array(spec.ACTIVITY_WEIGHT)[a_p] * rng.lognormal(0, 0.4, n_p))
        d_p = rng.integers(0, 365, n_p)

        start = spec.fy_start(year)
        office_g = act["office_idx"].to_numpy()
        parts_rows = []
        parts_rows.append(pl.DataFrame({"g": g_c, "tx": np.full(g_c.size, TX_COMMIT), "activity": a_c, "amount": amt_c, "day": d_c, "ben": np.full(g_c.size, -1), "src": np.full(g_c.size, -1)}))
        src_idx = np.arange(g_d.size)
        parts_rows.append(pl.DataFrame({"g": g_d, "tx": np.full(g_d.size, TX_DISB), "activity": a_d, "amount": gross_d, "day": d_d, "ben": ben_d, "src": src_idx}))
        rf = np.flatnonzero(refund)
        d_r = d_d[rf] + rng.integers(30, 151, rf.size)
        parts_rows.append(pl.DataFrame({"g": g_d[rf], "tx": np.full(rf.size, TX_REFUND), "activity": a_d[rf], "amount": -mag[rf], "day": d_r, "ben": ben_d[rf], "src": rf}))
        parts_rows.append(pl.DataFrame({"g": np.full(n_p, -1), "tx": np.full(n_p, TX_DISB), "activity": a_p, "amount": amt_p, "day": d_p, "ben": np.full(n_p, -1), "src": np.full(n_p, -1)}))
        rows = pl.concat([p.with_columns(pl.all().cast(pl.Int64)) for p in parts_rows])
        m = rows.height
        g = rows["g"].to_numpy()
        day = rows["day"].to_numpy()
        last_day = (spec.DATA_END - start).days
        day = np.minimum(day, last_day)
        act_arr = rows["activity"].to_numpy()
        person = rng.random(m) < np.array(spec.ACTIVITY_PAYEE_PERSON_SHARE)[act_arr]
        person &= rows["tx"].to_numpy() != TX_COMMIT
        payee = np.where(person, rng.integers(0, n_person, m), n_person + rng.integers(0, n_company, m))
        ch = np.empty(m, dtype=np.int64)
        for a, (chans, p) in spec.ACTIVITY_CHANNELS.items():
            sel = act_arr == a
            ch[sel] = np.array(chans)[choice_idx(rng, int(sel.sum()), p)]
        desc = rng.integers(0, 3, m) % np.array([len(x) for x in spec.DESCRIPTIONS])[act_arr]
        cids = act["cid"].to_numpy()
        frames.append(
            rows.with_columns(
                budget_year=pl.lit(year),
                posted_on=date_series(start, day),
                office_idx=pl.Series(np.where(g >= 0, office_g[np.maximum(g, 0)], 0)),
                cid=pl.Series(np.where(g >= 0, cids[np.maximum(g, 0)], -1)),
                channel=pl.Series(ch),
                payee=pl.Series(payee),
                desc_i=pl.Series(desc),
                remark_i=pl.Series(rng.integers(0, len(spec.REMARKS), m)),
            )
        )
        clusters_y = act.select("cid").with_columns(
            over=pl.Series(over), executed_plan=pl.Series(executed), committed_plan=pl.Series(committed)
        )
        if year == spec.FY[0]:
            summary = [clusters_y.with_columns(year=pl.lit(year))]
        else:
            summary.append(clusters_y.with_columns(year=pl.lit(year)))
    spending = pl.concat(frames).with_row_index("sid").select(
        pl.col("sid").cast(pl.Int32),
        pl.col("g").cast(pl.Int32),
        pl.col("tx").cast(pl.Int8),
        pl.col("activity").cast(pl.Int8),
        pl.col("amount").cast(pl.Int64),
        pl.col("ben").cast(pl.Int64),
        pl.col("src").cast(pl.Int32),
        pl.col("budget_year").cast(pl.Int16),
        "posted_on",
        pl.col("office_idx").cast(pl.Int8),
        pl.col("cid").cast(pl.Int32),
        pl.col("channel").cast(pl.Int8),
        pl.col("payee").cast(pl.Int32),
        pl.col("desc_i").cast(pl.Int8),
        pl.col("remark_i").cast(pl.Int8),
    )
    return spending, pl.concat(summary)


def build_world(scale: int, seed: int) -> World:
    prov = load_provinces()
    reg = ids.IdRegistry(rng_for(seed, "ids"))
    clusters = build_clusters(scale, seed, prov)
    enterprises, parts = build_participations(scale, seed, prov, clusters, reg)
    payees = build_payees(scale, seed, reg)
    spending, spend_summary = build_spending(scale, seed, clusters, parts, enterprises, payees)
    clusters = clusters.join(spend_summary, on=["year", "cid"], how="left", maintain_order="left").with_columns(
        over=pl.col("over").fill_null(False)
    )
    return World(scale, seed, prov, clusters, enterprises, parts, payees, spending, reg)
